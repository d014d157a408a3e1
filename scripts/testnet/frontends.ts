/**
 * Extra frontend tors on a running test network: one per further balancer that runs side by
 * side with the first (the soak runs this build, an earlier build and OnionBalance 0.2.2 on the
 * same network, each with a tor of its own, so that one's NEWNYM or restart does not touch the
 * others).
 *
 * Role: writes each tor's torrc like the network's own frontend (`frontendTorrc`), records it as a
 * node of the network (so `stopNode`, `restartNode` and `stopNetwork` handle it), launches it and
 * waits (bounded) until it has bootstrapped.
 *
 * @module
 */

import { nodeDir, waitForBootstrap } from "./network.ts";
import type { Network } from "./network.ts";
import { launchAll } from "./nodes.ts";
import { assertPortsFree } from "./ports.ts";
import { type NodeInfo, readState, updateState } from "./state.ts";
import { frontendTorrc } from "./torrc.ts";

/** A frontend tor: the balancer's control port and cookie, and its SOCKS port. */
export interface FrontendTor {
  /** Its node name, e.g. `"frontend1"`. */
  name: string;
  controlPort: number;
  socksPort: number;
  dataDir: string;
  cookieFile: string;
}

/**
 * Starts `n` extra frontend tors (`frontend1` …) and waits until each has bootstrapped.
 * `torrcLines` go at the end of each one's torrc (a client's `ClientOnionAuthDir`, say).
 *
 * @throws {RangeError} When the port plan has no room for `n` more.
 * @throws {PortInUseError} When one of their ports is taken.
 * @throws {TestnetTimeoutError} When one does not bootstrap within `timeoutMs` (default 60 s).
 */
export async function startExtraFrontends(
  net: Network,
  n: number,
  options: { timeoutMs?: number; torrcLines?: readonly string[] } = {},
): Promise<FrontendTor[]> {
  const state = await readState(net.dir);
  const first = state.nodes.filter((node) => /^frontend\d+$/.test(node.name)).length;
  const plans = Array.from({ length: n }, (_, i) => {
    const name = `frontend${first + i + 1}`;
    const dataDir = nodeDir(net.dir, name);
    return { name, dataDir, ...net.ports.extraFrontend(first + i) };
  });
  assertPortsFree(plans.flatMap((p) => [p.controlPort, p.socksPort]));
  const nodes: NodeInfo[] = [];
  for (const plan of plans) {
    await Deno.mkdir(plan.dataDir, { recursive: true, mode: 0o700 });
    const node: NodeInfo = {
      name: plan.name,
      role: "frontend",
      dataDir: plan.dataDir,
      torrc: `${plan.dataDir}/torrc`,
      controlPort: plan.controlPort,
      socksPort: plan.socksPort,
    };
    await Deno.writeTextFile(
      node.torrc,
      frontendTorrc({
        nickname: plan.name,
        dataDir: plan.dataDir,
        authorities: state.authorities,
        emptyFile: `${net.dir}/empty`,
        ownerPid: state.ownerPid,
        controlPort: plan.controlPort,
        socksPort: plan.socksPort,
      }) + (options.torrcLines ?? []).map((line) => `${line}\n`).join(""),
    );
    nodes.push(node);
  }
  await updateState(net.dir, (s) => void s.nodes.push(...nodes));
  await launchAll(net.dir, nodes);
  await waitForBootstrap(nodes, { timeoutMs: options.timeoutMs ?? 60_000, say: () => {} });
  return plans.map((p) => ({
    name: p.name,
    controlPort: p.controlPort,
    socksPort: p.socksPort,
    dataDir: p.dataDir,
    cookieFile: `${p.dataDir}/control_auth_cookie`,
  }));
}
