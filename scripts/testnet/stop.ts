/**
 * Stops every process a test network started, by the PIDs recorded in its state file, also after
 * the script that started it crashed.
 *
 * Role: signals only recorded processes whose start time is unchanged (`pids.ts`). As a fallback
 * for a crash between a tor's launch and its record, a node's own PID file counts too, but only
 * when `/proc/<pid>/cmdline` names that node's torrc. The folder and its logs are kept unless
 * `remove` is set.
 *
 * @module
 */

import {
  type ProcessRecord,
  readCmdline,
  readProcStats,
  type StopOptions,
  stopProcesses,
  stopProcessesSync,
  type StopReport,
} from "./pids.ts";
import { type NetworkState, readState, readStateSync } from "./state.ts";

/** Options of {@link stopNetwork}. */
export interface StopNetworkOptions extends StopOptions {
  /** Delete the network folder afterwards. Default false (keep the logs). */
  remove?: boolean;
}

/**
 * Stops every process of the network in `dir`: SIGTERM, then SIGKILL after `graceMs`.
 *
 * @returns Which processes stopped, needed SIGKILL, or were already gone.
 * @throws {NoNetworkError} When `dir` holds no network.
 */
export async function stopNetwork(
  dir: string,
  options: StopNetworkOptions = {},
): Promise<StopReport> {
  const state = await readState(dir);
  const report = await stopProcesses(await recordsToStop(state), options);
  if (options.remove) await Deno.remove(dir, { recursive: true });
  return report;
}

/**
 * Same as {@link stopNetwork}, blocking: for an `unload` handler. It stops only recorded
 * processes (no PID-file fallback).
 */
export function stopNetworkSync(dir: string, options: StopNetworkOptions = {}): StopReport {
  const report = stopProcessesSync(recorded(readStateSync(dir)), options);
  if (options.remove) Deno.removeSync(dir, { recursive: true });
  return report;
}

/** The recorded processes, last started first. */
function recorded(state: NetworkState): ProcessRecord[] {
  return [...state.processes].reverse();
}

/**
 * The recorded processes plus tors that were launched but not recorded (a crash in between):
 * found by their PID files, and only when their command line names the node's torrc.
 */
async function recordsToStop(state: NetworkState): Promise<ProcessRecord[]> {
  const records = recorded(state);
  const nodes = [...state.nodes, ...state.backends];
  for (const { name, dataDir } of nodes) {
    if (records.some((r) => r.name === name)) continue;
    const found = await unrecordedTor(name, dataDir);
    if (found !== undefined) records.push(found);
  }
  return records;
}

async function unrecordedTor(name: string, dataDir: string): Promise<ProcessRecord | undefined> {
  const pid = Number((await Deno.readTextFile(`${dataDir}/pid`).catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const stat = (await readProcStats([pid])).get(pid);
  const cmdline = await readCmdline(pid);
  if (stat === undefined || cmdline === undefined || !cmdline.includes(`${dataDir}/torrc`)) {
    return undefined;
  }
  return { name, pid, startTime: stat.startTime };
}
