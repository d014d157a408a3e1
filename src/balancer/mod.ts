/**
 * The balancer: backends' descriptors in, frontend descriptors out.
 *
 * - `daemon.ts`: the loop (view → fetch → health → publish) and fault handling;
 * - `view_loader.ts`: reads the network view when a consensus arrives or tor returns;
 * - `fetcher.ts`: fetches the backends' descriptors on the follow schedule;
 * - `frontend.ts`: one frontend service, when and what it publishes;
 * - `publish.ts`: a published slot as data, why to republish, which HSDir gets which descriptor;
 * - `backend.ts`: one backend's descriptor state and usability;
 * - `selection.ts`: which intro points go into which descriptor;
 * - `health.ts`: backend health (who is left out, when to check);
 * - `health_check.ts`: one check through tor's SOCKS port, and the checks' timing;
 * - `uploads.ts`: per-HSDir upload bookkeeping and retry delays;
 * - `network.ts`: consensus, HSDirs, time periods, rings;
 * - `tor.ts`: the control-port conversations;
 * - `services.ts`: config → services, reload keeping state;
 * - `follow.ts`: when to fetch backends (period changes, rotations, busy backends);
 * - `status.ts`: the status JSON and its Unix socket;
 * - `metrics_sink.ts`: the events the metrics count, and their bounded label values;
 * - `metrics.ts`: the Prometheus metrics (prom-client); `metrics_server.ts`: their HTTP listener.
 * - `audit.ts` (with `audit_copy.ts`): the publish audit of the HSDirs' copies;
 *   `frontend_probe.ts`: the end-to-end probe of each frontend's own address.
 *
 * @module
 */

export {
  type AuditedCopy,
  type AuditReport,
  clientSlot,
  COPY_STATES,
  type CopyState,
  PublishAuditor,
} from "./audit.ts";
export { type CopyVerdict, type ExpectedCopy, judgeCopy } from "./audit_copy.ts";
export { FrontendProber, type ProbeState } from "./frontend_probe.ts";
export { Backend, type IntroPointId, introPointId, REVISION_ADVANCE_LIMIT_MS } from "./backend.ts";
export {
  Balancer,
  type BalancerConfig,
  type BalancerDeps,
  type BalancerTimings,
  DEFAULT_FETCH_TIMEOUT_MS,
  STARTUP_GRACE_MS,
} from "./daemon.ts";
export {
  type FrontendDeps,
  type FrontendOptions,
  FrontendService,
  type LeftOut,
  type Poster,
} from "./frontend.ts";
export {
  type IntroPointOrigin,
  planUploads,
  type PublishedSlot,
  publishReason,
  relayOf,
  sameGroups,
  sourcesOf,
} from "./publish.ts";
export {
  type HealthDeps,
  HealthMonitor,
  type HealthState,
  type HealthVerdict,
  type LastCheck,
} from "./health.ts";
export {
  checkDeadlineMs,
  type CheckState,
  type HealthResult,
  nextCheckDelayMs,
  parseSocksAddress,
  type Probe,
  type ProbeTarget,
  socksProbe,
} from "./health_check.ts";
export { NetworkView, type NetworkViewOptions, type Relay } from "./network.ts";
export {
  assignGroups,
  chooseIntroPoints,
  onePerRelay,
  planDescriptors,
  roundRobin,
} from "./selection.ts";
export {
  buildServices,
  checkServiceAddresses,
  frontendOptions,
  loadServiceKeys,
  type PassphraseSources,
} from "./services.ts";
export {
  type AuthorizedClient,
  type ClientAccess,
  loadClientAccess,
  NO_CLIENT_ACCESS,
} from "./client_access.ts";
export {
  type DescriptorSigner,
  type FrontendKeys,
  publicKeyOf,
  revisionKeyOf,
  secondsLeft,
  signerFor,
} from "./frontend_keys.ts";
export { type Json, pythonJson, statusReport, StatusServer, statusTime } from "./status.ts";
export {
  checkFetchedDescriptor,
  fetchBackend,
  type FetchOutcome,
  isTestingNetwork,
  loadNetworkView,
} from "./tor.ts";
export {
  type FetchResultLabel,
  LEFT_OUT_REASONS,
  type LeftOutReasonLabel,
  leftOutReasonLabel,
  type MetricsSink,
  NO_METRICS,
  PUBLISH_REASONS,
  type PublishReasonLabel,
  publishReasonLabel,
  type UploadResultLabel,
} from "./metrics_sink.ts";
export { BalancerMetrics, type BalancerMetricsOptions, METRIC_PREFIX } from "./metrics.ts";
export { MetricsServer, type MetricsSource } from "./metrics_server.ts";
export {
  type HsDirUpload,
  PerKeyQueue,
  recordUploadResult,
  retryDelayMs,
  UPLOADS_IN_FLIGHT,
  UploadSlots,
} from "./uploads.ts";
