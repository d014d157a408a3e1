/**
 * Status of a test network: which recorded processes still run, how far the client and the
 * frontend tor have bootstrapped, and the backends with their onion addresses.
 *
 * Role: read-only; never signals anything.
 *
 * @module
 */

import { runningOf } from "./pids.ts";
import { type BackendInfo, readState } from "./state.ts";
import { type BootstrapStatus, lastBootstrap, readLog } from "./tor_log.ts";

/** One recorded process. */
export interface ProcessStatus {
  name: string;
  pid: number;
  running: boolean;
}

/** What {@link networkStatus} reports. */
export interface NetworkStatus {
  dir: string;
  basePort: number;
  processes: ProcessStatus[];
  /** The client's last bootstrap line, when it logged one. */
  client: BootstrapStatus | undefined;
  /** The frontend tor's last bootstrap line, when it logged one. */
  frontend: BootstrapStatus | undefined;
  backends: BackendInfo[];
  bootstrapMs: number | undefined;
  consensusParams: Record<string, number>;
}

/**
 * Reports on the network in `dir`.
 *
 * @throws {NoNetworkError} When `dir` holds no network.
 */
export async function networkStatus(dir: string): Promise<NetworkStatus> {
  const state = await readState(dir);
  const bootstrapOf = async (name: string) => {
    const node = state.nodes.find((n) => n.name === name);
    return node && lastBootstrap(await readLog(`${node.dataDir}/notice.log`));
  };
  const running = await runningOf(state.processes);
  return {
    dir,
    basePort: state.basePort,
    processes: state.processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      running: running.includes(p),
    })),
    client: await bootstrapOf("client"),
    frontend: await bootstrapOf("frontend"),
    backends: state.backends,
    bootstrapMs: state.bootstrapMs,
    consensusParams: state.consensusParams,
  };
}
