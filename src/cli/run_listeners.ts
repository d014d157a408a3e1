/**
 * The daemon's listeners beside its work: the status socket and the Prometheus metrics
 * endpoint. Each is optional, and a failure to listen is logged, never fatal.
 *
 * @module
 */

import {
  type Balancer,
  type BalancerMetrics,
  MetricsServer,
  pythonJson,
  statusReport,
  StatusServer,
} from "../balancer/mod.ts";
import type { BalancerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import { systemClock } from "../time/mod.ts";
import {
  METRICS_SCOPE_ADVICE,
  requireGranted,
  ScopeError,
  scopeErrorOf,
  scopeMessage,
} from "./scope.ts";

/** Serves the status JSON when a socket is configured; a failure is logged, not fatal. */
export async function listenStatus(
  balancer: Balancer,
  config: BalancerConfig,
  env: Deno.Env,
  log: Logger,
): Promise<StatusServer | undefined> {
  const statusPath = env.get("ONIONBALANCE_STATUS_SOCKET_LOCATION") ||
    config.statusSocketLocation;
  if (statusPath === undefined) return undefined;
  try {
    await requireGranted({ name: "net", host: `unix:${statusPath}` });
    await makeRuntimeFolder(statusPath);
    return await StatusServer.listen(
      statusPath,
      () => pythonJson(statusReport(balancer, systemClock.now())),
    );
  } catch (error) {
    log.error(`Cannot serve status on ${statusPath}: ${describe(scopeErrorOf(error) ?? error)}`);
    return undefined;
  }
}

/**
 * Serves the metrics on `metrics-listen`; a failure (port taken, address outside the binary's
 * scope) is logged, not fatal.
 */
export async function listenMetrics(
  metrics: BalancerMetrics,
  config: BalancerConfig,
  log: Logger,
): Promise<MetricsServer | undefined> {
  const where = config.metrics;
  if (where === undefined) return undefined;
  const host = where.hostname.includes(":") ? `[${where.hostname}]` : where.hostname;
  try {
    const { state } = await Deno.permissions.query({ name: "net", host: `${host}:${where.port}` });
    if (state !== "granted") {
      throw new ScopeError(scopeMessage("net", `${host}:${where.port}`, METRICS_SCOPE_ADVICE));
    }
    const server = MetricsServer.listen(where, metrics);
    log.info(`Serving metrics on http://${host}:${server.port}/metrics`);
    return server;
  } catch (error) {
    log.error(
      `Cannot serve metrics on ${host}:${where.port}: ${describe(scopeErrorOf(error) ?? error)}`,
    );
    return undefined;
  }
}

export function sameMetrics(a: BalancerConfig, b: BalancerConfig): boolean {
  return a.metrics?.hostname === b.metrics?.hostname && a.metrics?.port === b.metrics?.port;
}

/**
 * Creates the status socket's folder (0750) when it is missing, as systemd's
 * `RuntimeDirectory=` does for the shipped unit; its parent must exist.
 */
async function makeRuntimeFolder(socketPath: string): Promise<void> {
  const folder = socketPath.slice(0, socketPath.lastIndexOf("/"));
  if (folder === "") return;
  try {
    // An existing folder needs no write permission on it (a daemon may be granted only the
    // socket's own path); any other answer than "missing" is left for the listen to report.
    await Deno.stat(folder);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return;
  }
  try {
    await Deno.mkdir(folder, { mode: 0o750 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
