/**
 * The state file of a test network, `<dir>/testnet.json`: its nodes, backends and every process
 * it started (PID + start time), so that `stop` and `status` work from any process, also after
 * the script that started the network crashed.
 *
 * Role: read-modify-write of one JSON file. Writes go to a temporary file that is renamed over
 * the old one, and updates from one process are serialized, so a crash never leaves a half
 * written file and no update is lost.
 *
 * @module
 */

import type { ProcessRecord } from "./pids.ts";
import type { AuthorityEntry } from "./torrc.ts";

/** Name of the state file inside the network folder. */
export const STATE_FILE = "testnet.json";

/** What a node is. */
export type NodeRole = "authority" | "relay" | "client" | "frontend" | "backend";

/** One tor of the network. */
export interface NodeInfo {
  /** e.g. `"auth0"`, `"relay3"`, `"client"`, `"frontend"`, `"backend1"`. */
  name: string;
  role: NodeRole;
  dataDir: string;
  torrc: string;
  orPort?: number;
  dirPort?: number;
  socksPort?: number;
  controlPort?: number;
}

/** One backend onion service: a tor with `HiddenServiceOnionbalanceInstance 1` and its HTTP server. */
export interface BackendInfo {
  /** The name the HTTP server answers with, e.g. `"backend0"`. */
  name: string;
  /** The backend's own address, from `<hiddenServiceDir>/hostname`. */
  onionAddress: string;
  /** The (first) frontend address in its `ob_config`. */
  masterOnionAddress: string;
  httpPort: number;
  controlPort: number;
  dataDir: string;
  hiddenServiceDir: string;
}

/** Everything recorded about a network. */
export interface NetworkState {
  format: 1;
  dir: string;
  basePort: number;
  relays: number;
  consensusParams: Record<string, number>;
  /** When set, every tor exits once this process is gone (`__OwningControllerProcess`). */
  ownerPid?: number;
  /** What every torrc's `DirAuthority` lines say (backends started later need them too). */
  authorities: AuthorityEntry[];
  nodes: NodeInfo[];
  backends: BackendInfo[];
  processes: ProcessRecord[];
  /** Milliseconds from the start of `startNetwork()` to the client at 100 %. */
  bootstrapMs?: number;
}

/** Thrown when a folder holds no test network. */
export class NoNetworkError extends Error {
  constructor(dir: string, options?: ErrorOptions) {
    super(`No test network in "${dir}": no ${STATE_FILE}`, options);
    this.name = "NoNetworkError";
  }
}

/**
 * Reads the state of the network in `dir`.
 *
 * @throws {NoNetworkError} When `dir` has no state file.
 */
export async function readState(dir: string): Promise<NetworkState> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${STATE_FILE}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new NoNetworkError(dir, { cause: error });
    throw error;
  }
  const state = JSON.parse(text) as NetworkState;
  if (state.format !== 1) throw new Error(`Cannot read "${dir}/${STATE_FILE}": unknown format`);
  return state;
}

/** Same as {@link readState}, blocking (for `unload` handlers). */
export function readStateSync(dir: string): NetworkState {
  try {
    return JSON.parse(Deno.readTextFileSync(`${dir}/${STATE_FILE}`)) as NetworkState;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new NoNetworkError(dir, { cause: error });
    throw error;
  }
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier queued task of the same folder (one process). */
function enqueue<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const next = (queues.get(dir) ?? Promise.resolve()).catch(() => {}).then(task);
  queues.set(dir, next);
  return next;
}

async function save(state: NetworkState): Promise<void> {
  const tmp = `${state.dir}/${STATE_FILE}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(state, null, 2) + "\n");
  await Deno.rename(tmp, `${state.dir}/${STATE_FILE}`);
}

/** Writes a fresh state file (for a new network). */
export function writeState(state: NetworkState): Promise<void> {
  return enqueue(state.dir, () => save(state));
}

/**
 * Applies `change` to the state of the network in `dir` and saves it atomically. Calls from one
 * process run one after another.
 *
 * @returns The saved state.
 */
export function updateState(
  dir: string,
  change: (state: NetworkState) => void,
): Promise<NetworkState> {
  return enqueue(dir, async () => {
    const state = await readState(dir);
    change(state);
    await save(state);
    return state;
  });
}

/** Records a started process in the state of the network in `dir`. */
export async function addProcess(dir: string, record: ProcessRecord): Promise<void> {
  await updateState(dir, (state) => {
    state.processes.push(record);
  });
}
