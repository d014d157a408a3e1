/**
 * Readiness steps of a booting test network (steps 2-6 of the boot in `network.ts`): when to
 * launch, the first consensus, reloading the relays, relays caching the directory, and tors
 * reporting `Bootstrapped 100%`.
 *
 * Role: read-only probes of tor DirPorts (HTTP on 127.0.0.1) and logs, plus SIGHUP to relays.
 * Every wait is bounded by the caller's time budget.
 *
 * @module
 */

import { countMicrodescs, microdescPath, missingRouters, summarizeConsensus } from "./dir_docs.ts";
import { httpGetDirect } from "./http_get.ts";
import { signalProcesses } from "./pids.ts";
import { LOOPBACK } from "./ports.ts";
import { type NodeInfo, readState } from "./state.ts";
import { lastBootstrap, readLog } from "./tor_log.ts";
import { INITIAL_DIST_DELAY_S, INITIAL_VOTE_DELAY_S, INITIAL_VOTING_INTERVAL_S } from "./torrc.ts";
import { type Probe, sleep, waitFor } from "./wait.ts";

/** How long relays may need from launch until their descriptors reach the authorities. */
const LAUNCH_LEAD_MS = 3_000;
/** How far after a boundary to launch when waiting for one. */
const AFTER_BOUNDARY_MS = 200;

/**
 * Step 2: how long to wait before launching, so that the first vote sees every relay.
 *
 * Until the first consensus, votes are cast at `V - (vote delay + dist delay)` = `V - 4 s` for
 * every `V` that is a multiple of the initial voting interval (10 s; tor manual:
 * `TestingV3AuthInitialVotingInterval`, `TestingV3AuthInitialVoteDelay`,
 * `TestingV3AuthInitialDistDelay`). A vote that sees only some
 * relays yields a consensus that lists only them, and the next one comes a whole 20 s round
 * later. Authorities that start between a vote and its `V` still vote late for that `V`
 * (measured), so the safe moment is just after a boundary `V`; a launch
 * later in the interval is still safe while the next vote is at least {@link LAUNCH_LEAD_MS}
 * away.
 *
 * @param nowMs The current time, in ms since the epoch.
 * @returns How long to wait, in ms (0: launch at once).
 */
export function launchDelay(nowMs: number): number {
  const interval = INITIAL_VOTING_INTERVAL_S * 1000;
  const voteAt = interval - (INITIAL_VOTE_DELAY_S + INITIAL_DIST_DELAY_S) * 1000;
  const phase = nowMs % interval;
  if (phase >= AFTER_BOUNDARY_MS && phase <= voteAt - LAUNCH_LEAD_MS) return 0;
  return (interval - phase + AFTER_BOUNDARY_MS) % interval;
}

/** Options of the waiting steps: the time budget and where progress lines go. */
export interface StepOptions {
  timeoutMs: number;
  say: (line: string) => void;
}

/** Step 2: sleeps for {@link launchDelay} when `enabled`; returns the time slept, in ms. */
export async function alignToVoting(
  enabled: boolean,
  say: (line: string) => void,
): Promise<number> {
  const wait = enabled ? launchDelay(Date.now()) : 0;
  if (wait > 0) {
    say(`waiting ${(wait / 1000).toFixed(1)} s to launch just after a 10 s voting boundary`);
    await sleep(wait);
  }
  return wait;
}

function dirPortOf(n: NodeInfo): number {
  if (n.dirPort === undefined) throw new TypeError(`Node "${n.name}" has no DirPort`);
  return n.dirPort;
}

/** Step 3: an authority's consensus lists every relay with the HSDir flag. */
export async function waitForConsensus(
  nodes: readonly NodeInfo[],
  options: StepOptions,
): Promise<void> {
  const { timeoutMs, say } = options;
  const relayNames = nodes.filter((n) => n.role === "relay").map((n) => n.name);
  const authority = nodes.find((n) => n.role === "authority");
  if (authority === undefined) throw new TypeError("No authority to ask for the consensus");
  await waitFor("a consensus listing every relay as HSDir", async (): Promise<Probe<void>> => {
    const res = await httpGetDirect(
      {
        hostname: LOOPBACK,
        port: dirPortOf(authority),
        path: "/tor/status-vote/current/consensus",
      },
      { signal: AbortSignal.timeout(5_000) },
    );
    if (res.status !== 200) return { done: false, state: `no consensus yet (HTTP ${res.status})` };
    const summary = summarizeConsensus(res.text());
    const missing = missingRouters(summary, relayNames, ["HSDir"]);
    if (missing.length === 0) return { done: true, value: undefined };
    return {
      done: false,
      state: `consensus of ${summary.validAfter} lists ${relayNames.length - missing.length}/` +
        `${relayNames.length} relays as HSDir`,
    };
  }, { timeoutMs, intervalMs: 250, onState: (s) => say(`auth0: ${s}`) });
  say(`consensus lists all ${relayNames.length} relays as HSDir`);
}

/** Step 4: SIGHUP (reload) every relay, so it fetches the consensus now. */
export async function reloadRelays(dir: string, nodes: readonly NodeInfo[]): Promise<void> {
  const relayNames = nodes.filter((n) => n.role === "relay").map((n) => n.name);
  const state = await readState(dir);
  await signalProcesses(state.processes.filter((p) => relayNames.includes(p.name)), "SIGHUP");
}

/** Step 5: every relay serves a consensus with all relays and all its microdescriptors. */
export async function waitForRelaysReady(
  nodes: readonly NodeInfo[],
  options: StepOptions,
): Promise<void> {
  const { timeoutMs, say } = options;
  const relays = nodes.filter((n) => n.role === "relay");
  const relayNames = relays.map((r) => r.name);
  await waitFor("every relay to cache the consensus and microdescriptors", async () => {
    const ready = await Promise.all(relays.map((r) => relayReady(dirPortOf(r), relayNames)));
    const notReady = relays.filter((_, i) => !ready[i]).map((r) => r.name);
    return notReady.length === 0
      ? { done: true, value: undefined }
      : { done: false, state: `not ready yet: ${notReady.join(", ")}` };
  }, { timeoutMs, intervalMs: 200, onState: (s) => say(`relays: ${s}`) });
  say("every relay caches the consensus and all microdescriptors");
}

async function relayReady(dirPort: number, relayNames: readonly string[]): Promise<boolean> {
  const signal = AbortSignal.timeout(3_000);
  const res = await httpGetDirect(
    { hostname: LOOPBACK, port: dirPort, path: "/tor/status-vote/current/consensus-microdesc" },
    { signal },
  ).catch(() => undefined);
  if (res?.status !== 200) return false;
  const summary = summarizeConsensus(res.text());
  if (missingRouters(summary, relayNames, ["HSDir"]).length > 0) return false;
  const digests = summary.routers.flatMap((r) => r.microdescDigest ?? []);
  const mds = await httpGetDirect(
    { hostname: LOOPBACK, port: dirPort, path: microdescPath(digests) },
    { signal },
  ).catch(() => undefined);
  return mds?.status === 200 && countMicrodescs(mds.text()) === digests.length;
}

/**
 * Step 6: waits until every given tor logs `Bootstrapped 100%`, reporting each change.
 *
 * @throws {TestnetTimeoutError} Naming the tors that are not at 100 %.
 */
export async function waitForBootstrap(
  nodes: readonly NodeInfo[],
  options: StepOptions,
): Promise<void> {
  const { timeoutMs, say } = options;
  await waitFor(`${nodes.map((n) => n.name).join(", ")} to bootstrap`, async () => {
    const all = await Promise.all(nodes.map(async (n) => {
      const status = lastBootstrap(await readLog(`${n.dataDir}/notice.log`));
      return { n, status };
    }));
    const pending = all.filter(({ status }) => status?.percent !== 100);
    if (pending.length === 0) return { done: true, value: undefined };
    return {
      done: false,
      state: pending.map(({ n, status }) =>
        `${n.name} at ${status?.percent ?? 0}% (${status?.tag ?? "starting"})`
      ).join(", "),
    };
  }, { timeoutMs, intervalMs: 100, onState: say });
}

/** A v3 onion key made for the network, see {@link makeOnionKey}. */
