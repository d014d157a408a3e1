/**
 * Starts backend onion services on a running test network: per backend, an HTTP server that
 * answers with the backend's name, and a tor with `HiddenServiceOnionbalanceInstance 1` whose
 * `ob_config` names the frontend address (tor manual `HiddenServiceOnionBalanceInstance`; tor
 * `hs_ob.c`).
 *
 * Role: records every process it starts in the network's state file (so `stopNetwork` stops
 * them), checks the backend ports are free, and waits (bounded) until each backend tor has
 * bootstrapped. It does not wait until a backend is reachable through the client: use
 * {@link fetchOnion} for that, since descriptor publication takes a few more seconds.
 *
 * @example
 * ```ts ignore
 * const net = await loadNetwork("/tmp/net");
 * const [b0] = await startBackends(net, 1, { masterOnionAddress: "….onion" });
 * const { response } = await fetchOnion(`http://${b0.onionAddress}/`, { proxy: net.socks });
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { backendBody } from "./backend_http.ts";
import { httpGetDirect } from "./http_get.ts";
import { type Network, nodeDir, waitForBootstrap } from "./network.ts";
import { recordProcess } from "./pids.ts";
import { assertPortsFree, type BackendPorts, LOOPBACK } from "./ports.ts";
import {
  addProcess,
  type BackendInfo,
  type NetworkState,
  readState,
  updateState,
} from "./state.ts";
import { launchTor, readHostname } from "./tor_process.ts";
import { backendTorrc, obConfig } from "./torrc.ts";
import { waitFor } from "./wait.ts";

/** Options of {@link startBackends}. */
export interface StartBackendsOptions {
  /**
   * The frontend address for every backend's `ob_config`, `<56 chars>.onion`, or several (each
   * backend then serves every one of them).
   */
  masterOnionAddress: string | readonly string[];
  /**
   * Ready `HiddenServiceDir`s to use, one per backend, e.g. the `hidden_service` folders that
   * `onionbalance config` generated (their `ob_config` must name `masterOnionAddress`). Without
   * them, tor makes a fresh key in a new folder and this module writes `ob_config`.
   */
  hiddenServiceDirs?: readonly string[];
  /** Bound of the whole start. Default 60 000 ms. */
  timeoutMs?: number;
  /** Receives one line per step and per bootstrap change. */
  onProgress?: (line: string) => void;
}

/**
 * A started backend: its tor (an OnionBalance instance) and its HTTP server. Not the balancer's
 * view of a backend, `Backend` in src/balancer/backend.ts.
 */
export interface BackendTor extends BackendInfo {
  /** `http://<onionAddress>/`. */
  url: string;
}

/**
 * Starts `n` more backends on the network (numbered after those already there).
 *
 * @param net The running network.
 * @param n How many backends to start.
 * @param options The frontend address for `ob_config`, a bound and a progress callback.
 * @returns The new backends, with their own onion addresses.
 * @throws {PortInUseError} When a backend port is taken.
 * @throws {TestnetTimeoutError} When a backend does not come up in time.
 */
export async function startBackends(
  net: Network,
  n: number,
  options: StartBackendsOptions,
): Promise<BackendTor[]> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Cannot start "${n}" backends`);
  if (options.hiddenServiceDirs !== undefined && options.hiddenServiceDirs.length !== n) {
    throw new RangeError(
      `Cannot start ${n} backends with ${options.hiddenServiceDirs.length} HiddenServiceDirs`,
    );
  }
  const start = Date.now();
  const say = (line: string) =>
    options.onProgress?.(`[${((Date.now() - start) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const state = await readState(net.dir);
  const first = state.backends.length;
  const plans = Array.from({ length: n }, (_, i) => ({
    name: `backend${first + i}`,
    hiddenServiceDir: options.hiddenServiceDirs?.[i],
    ...net.ports.backend(first + i),
  }));
  assertPortsFree(plans.flatMap((p) => [p.httpPort, p.controlPort]));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const context = {
    net,
    state,
    masterOnionAddress: options.masterOnionAddress,
    obConfig: obConfig(options.masterOnionAddress),
    timeoutMs,
  };
  const backends = await Promise.all(plans.map((plan) => startBackend(plan, context)));
  say(`launched ${n} backend(s): ${backends.map((b) => `${b.name} ${b.onionAddress}`).join(", ")}`);
  await waitForBootstrap(
    backends.map((b) => ({ name: b.name, role: "backend", dataDir: b.dataDir, torrc: "" })),
    { timeoutMs: Math.max(1, timeoutMs - (Date.now() - start)), say },
  );
  say(`${n} backend tor(s) bootstrapped`);
  return backends;
}

/** Writes one backend's files, starts its HTTP server and its tor, and records it. */
async function startBackend(
  plan: { name: string; hiddenServiceDir?: string } & BackendPorts,
  context: {
    net: Network;
    state: NetworkState;
    masterOnionAddress: string | readonly string[];
    obConfig: string;
    timeoutMs: number;
  },
): Promise<BackendTor> {
  const { net, state } = context;
  const dataDir = nodeDir(net.dir, plan.name);
  const hiddenServiceDir = plan.hiddenServiceDir ?? `${dataDir}/hs`;
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (plan.hiddenServiceDir === undefined) {
    await Deno.mkdir(hiddenServiceDir, { recursive: true, mode: 0o700 });
    // tor refuses to start an instance whose ob_config is missing.
    await Deno.writeTextFile(`${hiddenServiceDir}/ob_config`, context.obConfig);
  } else {
    const given = await Deno.readTextFile(`${hiddenServiceDir}/ob_config`);
    if (given !== context.obConfig) {
      throw new Error(
        `The ob_config in "${hiddenServiceDir}" does not name ${
          [context.masterOnionAddress].flat().join(", ")
        }`,
      );
    }
  }
  const torrc = backendTorrc({
    nickname: plan.name,
    dataDir,
    authorities: state.authorities,
    emptyFile: `${net.dir}/empty`,
    ownerPid: state.ownerPid,
    hiddenServiceDir,
    httpPort: plan.httpPort,
    controlPort: plan.controlPort,
  });
  await Deno.writeTextFile(`${dataDir}/torrc`, torrc);
  await startHttpServer(net.dir, plan, context.timeoutMs);
  const record = await launchTor(plan.name, {
    torrc: `${dataDir}/torrc`,
    emptyFile: `${net.dir}/empty`,
    dataDir,
  });
  await addProcess(net.dir, record);
  const onionAddress = await readHostname(hiddenServiceDir);
  const info: BackendInfo = {
    name: plan.name,
    onionAddress,
    masterOnionAddress: typeof context.masterOnionAddress === "string"
      ? context.masterOnionAddress
      : context.masterOnionAddress[0]!,
    httpPort: plan.httpPort,
    controlPort: plan.controlPort,
    dataDir,
    hiddenServiceDir,
  };
  await updateState(net.dir, (s) => void s.backends.push(info));
  return { ...info, url: `http://${onionAddress}/` };
}

const SERVER_SCRIPT = fileURLToPath(new URL("./backend_http.ts", import.meta.url));

/**
 * Starts `backend_http.ts` as a detached process (it outlives the caller and exits with its
 * backend tor), records its PID, and waits until it answers.
 */
export async function startHttpServer(
  dir: string,
  plan: { name: string } & BackendPorts,
  timeoutMs: number,
): Promise<void> {
  const { name, httpPort, controlPort } = plan;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      `--allow-net=${LOOPBACK}:${httpPort},${LOOPBACK}:${controlPort}`,
      SERVER_SCRIPT,
      name,
      String(httpPort),
      String(controlPort),
    ],
    cwd: dir,
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  await addProcess(dir, await recordProcess(`${name}-http`, child.pid));
  await waitFor(`the HTTP server of "${name}"`, async () => {
    const res = await httpGetDirect({ hostname: LOOPBACK, port: httpPort, path: "/" }, {
      signal: AbortSignal.timeout(2_000),
    });
    return res.text() === backendBody(name)
      ? { done: true, value: undefined }
      : { done: false, state: `answered "${res.text()}"` };
  }, { timeoutMs, intervalMs: 100 });
}
