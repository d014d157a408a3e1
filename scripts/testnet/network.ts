/**
 * Boots a private Tor network on 127.0.0.1 in a folder: 3 directory authorities, N relays that
 * all become HSDirs, a client with a SOCKS port, and a frontend tor with a control port for the
 * balancer.
 *
 * The boot, in six steps:
 * 1. make every key in parallel;
 * 2. launch authorities and relays together, at a moment when the first vote is far enough
 *    away for the relays' descriptors to reach the authorities before it (at worst just after
 *    a boundary: a multiple of the 10 s `TestingV3AuthInitialVotingInterval`, see
 *    `launchDelay` in `readiness.ts`);
 * 3. poll an authority's DirPort until the consensus lists every relay with `HSDir`;
 * 4. reload every relay (SIGHUP): they polled before any consensus existed and sit in back-off;
 * 5. start the client and the frontend once every relay serves the consensus and every
 *    microdescriptor;
 * 6. wait until the client (and the frontend) log `Bootstrapped 100%`.
 *
 * Every wait is bounded. On failure, everything started so far is stopped (the folder and its
 * logs stay). Every address used is 127.0.0.1.
 *
 * @example
 * ```ts ignore
 * const net = await startNetwork("/tmp/net", { onProgress: (line) => console.log(line) });
 * console.log(`client at 100 % after ${net.bootstrapMs} ms, SOCKS on ${net.socks.port}`);
 * await stopNetwork("/tmp/net");
 * ```
 *
 * @module
 */

import { assertPortsFree, DEFAULT_BASE_PORT, LOOPBACK, MAX_RELAYS, PortPlan } from "./ports.ts";
import type { SocksProxy } from "../../src/socks/mod.ts";
import { AUTHORITIES, launchAll, makeNodes, nodeDir } from "./nodes.ts";
import {
  alignToVoting,
  reloadRelays,
  waitForBootstrap,
  waitForConsensus,
  waitForRelaysReady,
} from "./readiness.ts";
import {
  type NetworkState,
  type NodeInfo,
  readState,
  STATE_FILE,
  updateState,
  writeState,
} from "./state.ts";
import { networkStatus } from "./status.ts";
import { stopNetwork } from "./stop.ts";
import { createOnionKey } from "./tor_process.ts";

export { AUTHORITIES, nodeDir } from "./nodes.ts";
export { waitForBootstrap } from "./readiness.ts";

/** Options of {@link startNetwork}. */
export interface StartNetworkOptions {
  /** First port of the range (see `ports.ts`). Default 15000. */
  basePort?: number;
  /** Number of relays besides the authorities, 1–40. Default 5. */
  relays?: number;
  /** Consensus parameters voted by the authorities, e.g. `{ hsdir_spread_store: 3 }`. */
  consensusParams?: Readonly<Record<string, number>>;
  /** `V3AuthVotingInterval` in seconds: 20 (default, 8-minute time periods) or 10 (4 minutes). */
  votingIntervalSeconds?: number;
  /** Bound of the whole boot. Default 120 000 ms. */
  timeoutMs?: number;
  /** Keep the launch clear of the authorities' next vote (step 2). Default true. */
  alignToVoting?: boolean;
  /** Every tor exits once this process is gone; for tests and a demo that stop on exit. */
  ownerPid?: number;
  /**
   * Every core tor (authorities, relays, client, frontend) also logs at this level to
   * `<level>.log` in its data directory (verbose: for finding out what a relay did with an intro
   * circuit).
   */
  extraLogs?: "info" | "debug";
  /** Receives one line per step and per bootstrap change. */
  onProgress?: (line: string) => void;
}

/** How long each step of the boot took, in ms. */
interface BootPhases {
  keysMs: number;
  alignMs: number;
  /** From the launch of authorities and relays to a consensus listing every relay as HSDir. */
  consensusMs: number;
  relaysReadyMs: number;
  clientMs: number;
}

/** A running network, as {@link startNetwork} or {@link loadNetwork} return it. */
export interface Network {
  dir: string;
  ports: PortPlan;
  /** The client's SocksPort (with `ExtendedErrors`). */
  socks: SocksProxy;
  /** The client's ControlPort. */
  clientControlPort: number;
  /** The frontend tor: the balancer's control port and its cookie file. */
  frontend: { controlPort: number; socksPort: number; dataDir: string; cookieFile: string };
  /** Nicknames of the relays (not the authorities). */
  relays: string[];
  /** From the start of {@link startNetwork} to the client at 100 %, when known. */
  bootstrapMs: number | undefined;
}

/** Thrown when a folder cannot hold a new network. */
export class NetworkDirError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NetworkDirError";
  }
}

/**
 * Boots a network in `dir` and waits until its client is bootstrapped.
 *
 * @param dir The network folder: absent, empty, or holding a stopped network (whose `nodes/`
 *   are then replaced). Use a folder under /tmp.
 * @param options Ports, size, consensus parameters, bounds and a progress callback.
 * @returns The running network, with its bootstrap time.
 * @throws {PortInUseError} When a port of the range is taken.
 * @throws {TestnetTimeoutError} When a step runs out of time (the network is stopped).
 */
export async function startNetwork(
  dir: string,
  options: StartNetworkOptions = {},
): Promise<Network> {
  const start = Date.now();
  const relays = options.relays ?? 5;
  if (!Number.isInteger(relays) || relays < 1 || relays > MAX_RELAYS) {
    throw new RangeError(`Cannot start "${relays}" relays: need 1-${MAX_RELAYS}`);
  }
  const ports = new PortPlan(options.basePort ?? DEFAULT_BASE_PORT);
  await prepareDir(dir);
  assertPortsFree(ports.networkPorts(AUTHORITIES, relays));
  const say = (line: string) =>
    options.onProgress?.(`[${((Date.now() - start) / 1000).toFixed(1).padStart(5)} s] ${line}`);

  const { nodes, authorities } = await makeNodes(dir, ports, { ...options, relays });
  await writeState({
    format: 1,
    dir,
    basePort: ports.base,
    relays,
    consensusParams: { ...options.consensusParams },
    ownerPid: options.ownerPid,
    authorities,
    nodes,
    backends: [],
    processes: [],
  });
  say(`made keys and torrcs for ${AUTHORITIES} authorities and ${relays} relays`);
  try {
    const bootstrapMs = await boot(dir, nodes, {
      start,
      deadline: start + (options.timeoutMs ?? 120_000),
      align: options.alignToVoting ?? true,
      say,
    });
    const state = await updateState(dir, (s) => {
      s.bootstrapMs = bootstrapMs;
    });
    return networkFromState(state);
  } catch (error) {
    say(`boot failed, stopping what was started: ${(error as Error).message}`);
    await stopNetwork(dir);
    throw error;
  }
}

/** Steps 2-6 of the boot; returns the time from `start` to the client at 100 %. */
async function boot(
  dir: string,
  nodes: readonly NodeInfo[],
  run: { start: number; deadline: number; align: boolean; say: (line: string) => void },
): Promise<number> {
  const { say } = run;
  const left = () => Math.max(1, run.deadline - Date.now());
  const role = (...roles: NodeInfo["role"][]) => nodes.filter((n) => roles.includes(n.role));
  const relayNames = role("relay").map((n) => n.name);
  const phases: Partial<BootPhases> = { keysMs: Date.now() - run.start };
  let mark = Date.now();
  const lap = () => {
    const ms = Date.now() - mark;
    mark = Date.now();
    return ms;
  };

  phases.alignMs = await alignToVoting(run.align, say);
  lap();
  await launchAll(dir, role("authority", "relay"));
  say(`launched ${role("authority").length} authorities and ${relayNames.length} relays`);
  await waitForConsensus(nodes, { timeoutMs: left(), say });
  phases.consensusMs = lap();
  await reloadRelays(dir, nodes);
  await waitForRelaysReady(nodes, { timeoutMs: left(), say });
  phases.relaysReadyMs = lap();
  await launchAll(dir, role("client", "frontend"));
  say("launched the client and the frontend tor");
  await waitForBootstrap(role("client"), { timeoutMs: left(), say });
  phases.clientMs = lap();
  const bootstrapMs = Date.now() - run.start;
  say(`client bootstrapped to 100 % in ${(bootstrapMs / 1000).toFixed(1)} s ${describe(phases)}`);
  await waitForBootstrap(role("frontend"), { timeoutMs: left(), say });
  return bootstrapMs;
}

/**
 * Reads the network recorded in `dir` (started by this or another process).
 *
 * @throws {NoNetworkError} When `dir` holds no network.
 */
export async function loadNetwork(dir: string): Promise<Network> {
  return networkFromState(await readState(dir));
}

function networkFromState(state: NetworkState): Network {
  const ports = new PortPlan(state.basePort);
  const frontendDir = nodeDir(state.dir, "frontend");
  return {
    dir: state.dir,
    ports,
    socks: { hostname: LOOPBACK, port: ports.clientSocksPort },
    clientControlPort: ports.clientControlPort,
    frontend: {
      controlPort: ports.frontendControlPort,
      socksPort: ports.frontendSocksPort,
      dataDir: frontendDir,
      cookieFile: `${frontendDir}/control_auth_cookie`,
    },
    relays: state.nodes.filter((n) => n.role === "relay").map((n) => n.name),
    bootstrapMs: state.bootstrapMs,
  };
}

function describe(phases: Partial<BootPhases>): string {
  const s = (ms = 0) => (ms / 1000).toFixed(1);
  return `(keys ${s(phases.keysMs)} s, alignment wait ${s(phases.alignMs)} s, launch and first ` +
    `consensus ${s(phases.consensusMs)} s, relays ready ${s(phases.relaysReadyMs)} s, client ` +
    `${s(phases.clientMs)} s)`;
}

/** Creates `dir`, or clears the `nodes/` of a stopped network in it. */
async function prepareDir(dir: string): Promise<void> {
  if (!dir.startsWith("/")) throw new NetworkDirError(`Cannot use "${dir}": need an absolute path`);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const entries: string[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
  if (entries.length === 0) return;
  if (!entries.includes(STATE_FILE)) {
    throw new NetworkDirError(`Cannot use "${dir}": not empty and holds no test network`);
  }
  const status = await networkStatus(dir);
  const running = status.processes.filter((p) => p.running).map((p) => p.name);
  if (running.length > 0) {
    throw new NetworkDirError(
      `Cannot start a network in "${dir}": one is running there (${running.join(", ")}); ` +
        "stop it first",
    );
  }
  for (const name of ["nodes", "onion-keys", STATE_FILE]) {
    await Deno.remove(`${dir}/${name}`, { recursive: true }).catch(() => {});
  }
}

/** A v3 onion key that {@link makeOnionKey} made in a tor `HiddenServiceDir`. */
export interface OnionKey {
  /** `<56 chars>.onion`. */
  onionAddress: string;
  /** Holds `hostname`, `hs_ed25519_secret_key` and `hs_ed25519_public_key`. */
  hiddenServiceDir: string;
}

/**
 * Makes (or reuses) the onion key `<dir>/onion-keys/<label>/` by letting a throwaway tor with
 * no network create a `HiddenServiceDir`: a key for tests and tools that need an address
 * without a generated deployment — the frontend address for the backends' `ob_config` when
 * `deno task testnet backends` gets no `--master`, one frontend key per balancer in the soak,
 * an address that is never published. A deployment made with `onionbalance config` (the e2e
 * tests, the demo) has its frontend key from there instead.
 *
 * @param net The network whose folder holds the key.
 * @param label Folder name of the key. Default `"master"`.
 */
export async function makeOnionKey(net: Network, label = "master"): Promise<OnionKey> {
  if (!/^[A-Za-z0-9_-]+$/.test(label)) throw new TypeError(`Cannot use key label "${label}"`);
  const hiddenServiceDir = `${net.dir}/onion-keys/${label}`;
  const existing = await Deno.readTextFile(`${hiddenServiceDir}/hostname`).catch(() => undefined);
  if (existing !== undefined) return { onionAddress: existing.trim(), hiddenServiceDir };
  await Deno.mkdir(`${net.dir}/onion-keys`, { recursive: true, mode: 0o700 });
  return {
    onionAddress: await createOnionKey(hiddenServiceDir, `${net.dir}/empty`),
    hiddenServiceDir,
  };
}
