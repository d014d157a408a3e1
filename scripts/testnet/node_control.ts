/**
 * Stops and restarts single nodes of a running test network, for the fault
 * cases of the end-to-end tests: the frontend tor killed while the balancer
 * runs, a backend killed and brought back.
 *
 * Only processes recorded in the network's state are signalled, by PID and
 * start time (pids.ts). A restarted node gets a new record.
 *
 * @module
 */

import { startHttpServer } from "./backends.ts";
import { type ProcessRecord, runningOf, stopProcesses, type StopReport } from "./pids.ts";
import { addProcess, readState } from "./state.ts";
import { launchTor } from "./tor_process.ts";

/**
 * Stops the tor called `name` (and, for a backend, its HTTP server).
 *
 * @param options `graceMs` before SIGKILL (0: SIGKILL at once, like a crash).
 * @throws {Error} When no such node is recorded.
 */
export async function stopNode(
  dir: string,
  name: string,
  options: { graceMs?: number } = {},
): Promise<StopReport> {
  const state = await readState(dir);
  const records = state.processes.filter((p) => p.name === name || p.name === `${name}-http`);
  if (records.length === 0) throw new Error(`No process "${name}" in the network in "${dir}"`);
  return await stopProcesses(await runningOf(records), { graceMs: options.graceMs ?? 5_000 });
}

/**
 * Starts the tor called `name` again with its torrc and data directory (keys,
 * onion-service keys and cached documents are kept). A backend's HTTP server
 * is started again too when it is not running.
 *
 * @throws {Error} When no such node is recorded or it is still running.
 */
export async function restartNode(dir: string, name: string): Promise<ProcessRecord> {
  const state = await readState(dir);
  const running = await runningOf(state.processes.filter((p) => p.name === name));
  if (running.length > 0) throw new Error(`Cannot restart "${name}": it is still running`);
  const node = state.nodes.find((n) => n.name === name);
  const backend = state.backends.find((b) => b.name === name);
  const dataDir = node?.dataDir ?? backend?.dataDir;
  if (dataDir === undefined) throw new Error(`No node "${name}" in the network in "${dir}"`);
  if (backend !== undefined) {
    const http = await runningOf(state.processes.filter((p) => p.name === `${name}-http`));
    if (http.length === 0) {
      const { httpPort, controlPort } = backend;
      await startHttpServer(dir, { name, httpPort, controlPort }, 30_000);
    }
  }
  const record = await launchTor(name, {
    torrc: node?.torrc ?? `${dataDir}/torrc`,
    emptyFile: `${dir}/empty`,
    dataDir,
  });
  await addProcess(dir, record);
  return record;
}
