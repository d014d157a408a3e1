/**
 * The balancer: backends' descriptors in, frontend descriptors out.
 *
 * - `daemon.ts`: the loop (fetch, network view, publish) and fault handling;
 * - `frontend.ts`: one frontend service, when and what it publishes;
 * - `backend.ts`: one backend's descriptor state and usability;
 * - `selection.ts`: which intro points go into which descriptor;
 * - `health.ts`: active health checks through tor's SOCKS port;
 * - `uploads.ts`: per-HSDir upload bookkeeping and retry delays;
 * - `network.ts`: consensus, HSDirs, time periods, rings;
 * - `tor.ts`: the control-port conversations;
 * - `services.ts`: config → services, reload keeping state;
 * - `follow.ts`: when to fetch backends (period changes, rotations, busy backends);
 * - `status.ts`: the status JSON and its Unix socket.
 *
 * @module
 */

export { Backend, introSetKey, REVISION_ADVANCE_LIMIT_MS } from "./backend.ts";
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
  type Poster,
  type PublishedSlot,
  publishReason,
} from "./frontend.ts";
export {
  checkBackend,
  checkDeadlineMs,
  type CheckState,
  type HealthResult,
  nextCheckDelayMs,
  parseSocksAddress,
  recordHealth,
} from "./health.ts";
export { NetworkView, type NetworkViewOptions, type Relay } from "./network.ts";
export {
  assignGroups,
  chooseIntroPoints,
  orderByRelay,
  planDescriptors,
  roundRobin,
} from "./selection.ts";
export {
  buildServices,
  checkServiceAddresses,
  frontendOptions,
  loadServiceKeys,
} from "./services.ts";
export { type Json, pythonJson, statusReport, StatusServer, statusTime } from "./status.ts";
export {
  checkFetchedDescriptor,
  fetchBackend,
  type FetchOutcome,
  isTestingNetwork,
  loadNetworkView,
} from "./tor.ts";
export { type HsDirUpload, PerKeyQueue, retryDelayMs } from "./uploads.ts";
