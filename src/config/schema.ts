/**
 * The shape of `config.yaml`: OnionBalance 0.2.x's keys, unchanged, plus
 * optional keys of this implementation, with their defaults.
 *
 * OnionBalance 0.2.x (`onionbalance/hs_v3/onionbalance.py: load_config_file`,
 * docs/onionbalance-differences.md): `services[].key`,
 * `services[].instances[].address`, `services[].instances[].name`,
 * `status-socket-location`. Everything else here is new and optional; an
 * OnionBalance file loads unchanged.
 *
 * @module
 */

import type { HsIdKey } from "../keys/mod.ts";
import type { ConfigLocation } from "./errors.ts";

/** One backend instance of a frontend service. */
export interface InstanceConfig {
  /** The backend's identity key, from its address. */
  identity: HsIdKey;
  /** The backend's address: 56 lowercase characters, without `.onion`. */
  address: string;
  /** The operator's name for it (informational, as in OnionBalance). */
  name?: string;
  /**
   * `client-key`, resolved: tor's `.auth_private` file with the x25519 key the balancer reads
   * this restricted backend with (client authorization).
   */
  clientKeyPath?: string;
  /** Where it is in the file. */
  location: ConfigLocation;
}

/** One frontend service: its key file (or offline key bundle) and its backends. */
export interface ServiceConfig {
  /** The key file (or bundle) path, resolved against the config file's folder. */
  keyPath: string;
  /** The key path as written in the file. */
  keyPathAsWritten: string;
  /** `key` (the identity key) or `offline` (`offline-keys`: a bundle, rend-spec-v3 §1.7). */
  keyKind: "key" | "offline";
  /** `passphrase-file`, resolved: the passphrase of an encrypted key or bundle. */
  passphraseFile?: string;
  /** `passphrase-credential`: the systemd credential holding the passphrase. */
  passphraseCredential: string;
  /**
   * `authorized-clients-dir`, resolved: a folder of tor's `<name>.auth` files; the frontend
   * descriptors are then readable by those clients only (client authorization).
   */
  authorizedClientsDir?: string;
  /** `name`: the operator's name for the service, the `service` label of its metrics. */
  name?: string;
  /** The backends, in file order, without duplicates. */
  instances: InstanceConfig[];
  /** Where the service entry is in the file. */
  location: ConfigLocation;
}

/** Active health checks of backends through a tor SOCKS port (our extension). */
export interface HealthCheckConfig {
  /** Whether checks run at all. */
  enabled: boolean;
  /** Seconds between two checks of one backend. */
  intervalSeconds: number;
  /**
   * Upper bound, in seconds, of one check (a SOCKS connect through tor). The daemon gives a
   * check less when the detection bound needs it: half an interval for the first check of a
   * failure streak, the other half shared by the confirming checks (balancer/health_check.ts).
   */
  timeoutSeconds: number;
  /** Consecutive failed checks before a backend is left out of the descriptors. */
  failures: number;
  /** The backend port to connect to (the service's virtual port). */
  port: number;
  /** `"auto"` (ask tor: `GETINFO net/listeners/socks`) or `host:port` of a SOCKS port. */
  socks: string;
}

/** Timings and limits (our extensions; OnionBalance hard-codes these in `params.py`). */
export interface TuningConfig {
  /** Seconds between fetches of every backend descriptor. */
  fetchIntervalSeconds: number;
  /**
   * Seconds between fetches of a backend until its intro points have stayed the
   * same for an hour (a busy backend retires them; a new or restarted one has not
   * shown yet that it is quiet); at most `fetchIntervalSeconds`.
   */
  busyFetchIntervalSeconds: number;
  /** Seconds between checks of whether to republish. */
  publishCheckIntervalSeconds: number;
  /** Republish a descriptor at least this often (seconds); tor HSDirs drop it after 3 h. */
  republishIntervalSeconds: number;
  /** A backend whose descriptor has not been seen to change or be re-fetched for this long is left out (seconds). */
  instanceStaleAfterSeconds: number;
  /** How many intro points each backend contributes to the frontend descriptors. */
  introPointsPerInstance: number;
  /** Give each responsible HSDir its own descriptor when the intro points do not fit in one. */
  distinctDescriptors: boolean;
  /** Warn this long (seconds) before an offline key bundle runs out. */
  offlineKeysWarningSeconds: number;
  /**
   * Seconds between two audits of a frontend's copies on its HSDirs (`audit-interval`); each
   * publish is also audited a little later. 0: no audits.
   */
  auditIntervalSeconds: number;
}

/**
 * The end-to-end probe (`frontend-probe`, our extension): a SOCKS connect to each frontend's own
 * address, as a client's would be.
 */
export interface FrontendProbeConfig {
  /** Whether the probe runs (off by default: it costs a rendezvous per frontend and interval). */
  enabled: boolean;
  /** Seconds between two probes of one frontend. */
  intervalSeconds: number;
  /** Upper bound of one probe (seconds); at most the interval. */
  timeoutSeconds: number;
  /** The frontends' virtual port to connect to. */
  port: number;
}

/** Where the Prometheus metrics are served (`metrics-listen`, `metrics-allow-remote`). */
export interface MetricsConfig {
  /** The address to listen on: an IP address or `localhost` (IPv6 without brackets). */
  hostname: string;
  /** The TCP port. */
  port: number;
  /** Whether a non-loopback `hostname` was allowed explicitly (`metrics-allow-remote: true`). */
  allowRemote: boolean;
}

/** A loaded, validated configuration. */
export interface BalancerConfig {
  /** The config file path as given. */
  path: string;
  /** The frontend services, in file order. */
  services: ServiceConfig[];
  /** Where to serve the status JSON (a Unix socket path), if anywhere. */
  statusSocketLocation?: string;
  /** `text` (OnionBalance's format) or `json` (one object per line). */
  logFormat: "text" | "json";
  /** Timings and limits. */
  tuning: TuningConfig;
  /** Active health checks. */
  healthCheck: HealthCheckConfig;
  /** The end-to-end probe of the frontends (through `healthCheck.socks`). */
  frontendProbe: FrontendProbeConfig;
  /** The metrics listener; absent: no metrics are served. */
  metrics?: MetricsConfig;
}

/** Defaults for the optional keys, and why. */
export const DEFAULT_TUNING: Readonly<TuningConfig> = {
  // OnionBalance fetches every 600 s. Tor services re-upload at least hourly and
  // pick new intro points when theirs expire; 300 s halves the time a stale intro
  // point can stay published, for one HSFETCH per backend every 5 minutes.
  fetchIntervalSeconds: 300,
  // A tor service retires an intro point after 16384–32768 introductions (consensus
  // hs_intro_min/max_introduce2): minutes for a busy service. Fetching a backend every
  // 30 s until its intro points have been stable for an hour keeps a retired intro point
  // published for about 30–40 s, for 120 HSFETCHes per busy backend per hour; a backend
  // quiet for an hour goes back to fetch-interval.
  busyFetchIntervalSeconds: 30,
  // OnionBalance checks every 300 s; the check is local and cheap.
  publishCheckIntervalSeconds: 60,
  // Same as OnionBalance (3600 s): well inside the 3 h HSDir lifetime.
  republishIntervalSeconds: 3600,
  // Same as OnionBalance (3600 s), but measured from the last fetch that
  // returned the backend's descriptor, with revision counters checked.
  instanceStaleAfterSeconds: 3600,
  // OnionBalance's N_INTROS_PER_INSTANCE. Tor backends have 3 by default.
  introPointsPerInstance: 2,
  distinctDescriptors: true,
  // A week: time to reach the isolated machine, make a bundle and carry it over.
  offlineKeysWarningSeconds: 7 * 86400,
  // Each audit asks every HSDir holding the current descriptor (8 on the Tor network) for its
  // copy: every 15 minutes finds a lost copy (an HSDir restarted) well within the hour a
  // republish would take, for 32 anonymous directory fetches per frontend and hour.
  auditIntervalSeconds: 900,
};

/** Defaults for health checks. */
export const DEFAULT_HEALTH_CHECK: Readonly<HealthCheckConfig> = {
  enabled: true,
  intervalSeconds: 30,
  timeoutSeconds: 15,
  failures: 3,
  port: 80,
  socks: "auto",
};

/** Defaults for the end-to-end probe. */
export const DEFAULT_FRONTEND_PROBE: Readonly<FrontendProbeConfig> = {
  enabled: false,
  intervalSeconds: 60,
  timeoutSeconds: 30,
  port: 80,
};
