/**
 * torrc builders for the nodes of a private Tor network on loopback: directory authorities,
 * relays, the client, the frontend tor and backend onion services.
 *
 * Settings (tor manual: `TestingTorNetwork`, `DirAuthority`, `UseDefaultFallbackDirs`,
 * `V3AuthVotingInterval`, `TestingV3AuthInitialVotingInterval`, `TestingDirAuthVoteHSDir`): every
 * tor runs with `TestingTorNetwork 1`, explicit `DirAuthority` lines and
 * `UseDefaultFallbackDirs 0`, so it never contacts the public network; every listener is bound to
 * 127.0.0.1.
 *
 * Role: pure text building, no I/O. Every tor daemonizes (`RunAsDaemon 1`) and writes its PID to
 * `<DataDirectory>/pid`, so a crashed script leaves no child handles and `stop` works from the
 * recorded PIDs.
 *
 * @module
 */

import { LOOPBACK, type RelayPorts } from "./ports.ts";

/** What a `DirAuthority` line needs about one authority. */
export interface AuthorityEntry {
  nickname: string;
  orPort: number;
  dirPort: number;
  /** Fingerprint of the authority identity key (`v3ident`), 40 hex digits. */
  v3ident: string;
  /** Fingerprint of the relay RSA identity key, 40 hex digits. */
  fingerprint: string;
}

/** Options shared by every node. */
export interface CommonOptions {
  nickname: string;
  dataDir: string;
  authorities: readonly AuthorityEntry[];
  /** An empty file, used as the GeoIP databases: parsing the real ones costs ~1 s of CPU per tor. */
  emptyFile: string;
  /** Tor exits when this process is gone (`__OwningControllerProcess`); for tests and demos. */
  ownerPid?: number;
  /**
   * Also log at this level to `<DataDirectory>/<level>.log` (verbose; for diagnosis: "debug"
   * shows what a relay does with each cell, e.g. an INTRODUCE1 it relays).
   */
  extraLog?: "info" | "debug";
}

/** Options of a directory authority. */
export interface AuthorityOptions extends CommonOptions {
  ports: RelayPorts;
  /** `ConsensusParams`, e.g. `{ hsdir_spread_store: 3 }`. */
  consensusParams?: Readonly<Record<string, number>>;
  /**
   * `V3AuthVotingInterval` in seconds (default 20). A testing network's time
   * period is 24 of them (8 min at 20 s, 4 min at 10 s) and its services rotate
   * their descriptors half a period after it starts.
   */
  votingIntervalSeconds?: number;
}

/** Options of a relay. */
export interface RelayOptions extends CommonOptions {
  ports: RelayPorts;
}

/** Options of the client. */
export interface ClientOptions extends CommonOptions {
  socksPort: number;
  controlPort: number;
}

/** Options of the frontend tor (the balancer's tor: a control port, no onion service). */
export interface FrontendOptions extends CommonOptions {
  controlPort: number;
  /** SocksPort for the balancer's health checks. */
  socksPort: number;
}

/** Options of a backend onion service. */
export interface BackendOptions extends CommonOptions {
  /** The backend's `HiddenServiceDir`; it must hold `ob_config` before tor starts. */
  hiddenServiceDir: string;
  httpPort: number;
  controlPort: number;
}

const HEX40 = /^[0-9A-F]{40}$/;

/** `TestingV3AuthInitialVotingInterval`: the voting interval until the first consensus, in s. */
export const INITIAL_VOTING_INTERVAL_S = 10;
/** `TestingV3AuthInitialVoteDelay` and `TestingV3AuthInitialDistDelay`, in s. */
export const INITIAL_VOTE_DELAY_S = 2;
/** See {@link INITIAL_VOTE_DELAY_S}. */
export const INITIAL_DIST_DELAY_S = 2;

/** One `DirAuthority` line ([dir-spec], tor manual "DirAuthority"). */
export function dirAuthorityLine(entry: AuthorityEntry): string {
  for (const fp of [entry.v3ident, entry.fingerprint]) {
    if (!HEX40.test(fp)) throw new TypeError(`Cannot use fingerprint "${fp}": need 40 hex digits`);
  }
  return `DirAuthority ${entry.nickname} orport=${entry.orPort} no-v2 v3ident=${entry.v3ident} ` +
    `${LOOPBACK}:${entry.dirPort} ${entry.fingerprint}`;
}

/** Lines every tor of the network gets. */
function commonLines(options: CommonOptions): string[] {
  const lines = [
    "TestingTorNetwork 1",
    `Nickname ${options.nickname}`,
    `DataDirectory ${options.dataDir}`,
    `PidFile ${options.dataDir}/pid`,
    "RunAsDaemon 1",
    `Log notice file ${options.dataDir}/notice.log`,
    ...(options.extraLog
      ? [`Log ${options.extraLog} file ${options.dataDir}/${options.extraLog}.log`]
      : []),
    "LogTimeGranularity 1",
    `GeoIPFile ${options.emptyFile}`,
    `GeoIPv6File ${options.emptyFile}`,
    "SafeLogging 0",
    "ShutdownWaitLength 0",
    "DormantCanceledByStartup 1",
    "AssumeReachable 1",
    "ClientUseIPv6 0",
    "CookieAuthentication 1",
    // On loopback tor would learn a ~26 ms timeout and then time out every circuit at the
    // first CPU hiccup.
    "LearnCircuitBuildTimeout 0",
    "CircuitBuildTimeout 15",
    "UseDefaultFallbackDirs 0",
    ...options.authorities.map(dirAuthorityLine),
  ];
  if (options.ownerPid !== undefined) lines.push(`__OwningControllerProcess ${options.ownerPid}`);
  return lines;
}

/** Lines of a node that relays traffic (authorities and relays). */
function relayLines(ports: RelayPorts): string[] {
  return [
    `Address ${LOOPBACK}`,
    // A bare port number would also bind other interfaces.
    `ORPort ${LOOPBACK}:${ports.orPort}`,
    `DirPort ${LOOPBACK}:${ports.dirPort}`,
    "SocksPort 0",
    "ExitRelay 0",
    "ExitPolicy reject *:*",
    "ContactInfo onionbalance-testnet",
  ];
}

function render(lines: readonly string[]): string {
  return lines.join("\n") + "\n";
}

/** torrc of a directory authority. */
export function authorityTorrc(options: AuthorityOptions): string {
  const votingInterval = options.votingIntervalSeconds ?? 20;
  if (!Number.isInteger(votingInterval) || votingInterval < 10 || 86400 % votingInterval !== 0) {
    throw new RangeError(
      `Cannot use a voting interval of ${votingInterval} s: 10 s or more, dividing a day`,
    );
  }
  const delay = Math.min(4, Math.floor(votingInterval / 5));
  const lines = [
    ...commonLines(options),
    ...relayLines(options.ports),
    "AuthoritativeDirectory 1",
    "V3AuthoritativeDirectory 1",
    `V3AuthVotingInterval ${votingInterval}`,
    // Vote + distribution delay below half the interval (tor uses interval / 2 without a
    // consensus): 4 + 4 at 20 s, 2 + 2 at 10 s.
    `V3AuthVoteDelay ${delay}`,
    `V3AuthDistDelay ${delay}`,
    `TestingV3AuthInitialVotingInterval ${INITIAL_VOTING_INTERVAL_S}`,
    `TestingV3AuthInitialVoteDelay ${INITIAL_VOTE_DELAY_S}`,
    `TestingV3AuthInitialDistDelay ${INITIAL_DIST_DELAY_S}`,
    "V3AuthNIntervalsValid 2",
    // Every relay is an HSDir and may be a guard from the first consensus on.
    "TestingDirAuthVoteHSDir *",
    "TestingDirAuthVoteGuard *",
  ];
  const params = Object.entries(options.consensusParams ?? {});
  for (const [key, value] of params) {
    if (!/^[A-Za-z0-9_-]+$/.test(key) || !Number.isInteger(value)) {
      throw new TypeError(`Cannot use consensus parameter "${key}=${value}"`);
    }
  }
  if (params.length > 0) {
    lines.push(`ConsensusParams ${params.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  }
  return render(lines);
}

/** torrc of a relay (every relay becomes an HSDir). */
export function relayTorrc(options: RelayOptions): string {
  return render([...commonLines(options), ...relayLines(options.ports)]);
}

/** torrc of the client: a SOCKS port with tor's extended error codes, and a control port. */
export function clientTorrc(options: ClientOptions): string {
  return render([
    ...commonLines(options),
    `SocksPort ${LOOPBACK}:${options.socksPort} ExtendedErrors`,
    `ControlPort ${LOOPBACK}:${options.controlPort}`,
  ]);
}

/**
 * torrc of the frontend tor: the balancer's control port, no onion service, and a SOCKS port
 * for the balancer's health checks of the backends (as `onionbalance config` writes it).
 */
export function frontendTorrc(options: FrontendOptions): string {
  return render([
    ...commonLines(options),
    `SocksPort ${LOOPBACK}:${options.socksPort} ExtendedErrors`,
    `ControlPort ${LOOPBACK}:${options.controlPort}`,
    // As the generated torrc-frontend: learn each new time period before the clients do.
    "FetchDirInfoEarly 1",
    "FetchDirInfoExtraEarly 1",
  ]);
}

/**
 * torrc of a backend: one onion service that is an OnionBalance instance (tor manual
 * `HiddenServiceOnionBalanceInstance`).
 */
export function backendTorrc(options: BackendOptions): string {
  return render([
    ...commonLines(options),
    "SocksPort 0",
    `ControlPort ${LOOPBACK}:${options.controlPort}`,
    `HiddenServiceDir ${options.hiddenServiceDir}`,
    `HiddenServicePort 80 ${LOOPBACK}:${options.httpPort}`,
    "HiddenServiceOnionbalanceInstance 1",
  ]);
}

/**
 * Content of `<HiddenServiceDir>/ob_config`: one `MasterOnionAddress <56 chars>.onion` line per
 * frontend address (tor's `hs_ob_parse_config_file()` reads every such line, so one backend can
 * serve several frontends).
 *
 * @throws {TypeError} When an address is not a v3 address with `.onion`, or none is given.
 */
export function obConfig(masterOnionAddress: string | readonly string[]): string {
  const addresses = typeof masterOnionAddress === "string"
    ? [masterOnionAddress]
    : masterOnionAddress;
  if (addresses.length === 0) throw new TypeError("Cannot write ob_config without an address");
  for (const address of addresses) {
    if (!ONION_V3.test(address)) {
      throw new TypeError(
        `Cannot write ob_config: "${address}" is not a v3 onion address ending in .onion`,
      );
    }
  }
  return addresses.map((a) => `MasterOnionAddress ${a}\n`).join("");
}

/** Shape of a v3 onion address with its suffix (the checksum is not checked here). */
export const ONION_V3 = /^[a-z2-7]{55}d\.onion$/;
