/**
 * The balancer's conversations with its tor: read the network view, learn
 * whether tor runs a testing network, and fetch and check one backend's
 * descriptor.
 *
 * Spec: control-spec 3.9 GETINFO, 3.3 GETCONF, 3.26 HSFETCH; rend-spec-v3
 * [DESC-OUTER] and [HS-DESC-ENCRYPTION-KEYS]. tor's client decodes a fetched descriptor before it emits
 * `HS_DESC_CONTENT`; we decode and verify it again ourselves (signatures,
 * certificates, both layers), because the balancer re-publishes what it
 * takes from it.
 *
 * @module
 */

import {
  ControlOperationFailed,
  type ControlRequester,
  getAllMicrodescs,
  getBootstrapPhase,
  getMicrodescConsensus,
  type HsClient,
  hsFetch,
} from "../control/mod.ts";
import { decodeHsDesc, type HsDesc, HsDescError } from "../netdoc/hsdesc/mod.ts";
import { type Rng, systemRng } from "../crypto/mod.ts";
import { blindPublicKey, type HsBlindIdKey } from "../keys/mod.ts";
import type { TimePeriod } from "../time/mod.ts";
import type { Backend } from "./backend.ts";
import { NetworkView, type NetworkViewOptions } from "./network.ts";

/**
 * Whether tor runs with `TestingTorNetwork 1` (`GETCONF TestingTorNetwork`):
 * it changes the time-period length to 24 voting intervals.
 */
export async function isTestingNetwork(client: ControlRequester): Promise<boolean> {
  const reply = await client.request("GETCONF TestingTorNetwork");
  return reply.lines.some((line) => /^TestingTorNetwork=1$/i.test(line.text));
}

/**
 * Why tor cannot hand over a consensus, in an operator's words: `DisableNetwork 1`, or its
 * bootstrap phase (`GETINFO status/bootstrap-phase`, with tor's last warning). tor's own answer
 * to `GETINFO dir/status-vote/current/consensus-microdesc` without a consensus ("551 Could not
 * open cached consensus. Make sure FetchUselessDescriptors is set to 1.") is its hint for
 * another problem, so it is not shown. Any other failure is described as it is.
 *
 * @param client The control connection.
 * @param error Why loading the view failed.
 */
export async function describeConsensusWait(
  client: ControlRequester,
  error: unknown,
): Promise<string> {
  if (!(error instanceof ControlOperationFailed && error.code === 551)) {
    return error instanceof Error ? error.message : String(error);
  }
  try {
    const reply = await client.request("GETCONF DisableNetwork", { timeoutMs: 10_000 });
    if (reply.lines.some((line) => /^DisableNetwork=1$/i.test(line.text))) {
      return "tor has no consensus: DisableNetwork is 1, so it does not connect to the network " +
        "(set DisableNetwork 0 in its torrc, or SETCONF DisableNetwork=0)";
    }
    const phase = await getBootstrapPhase(client, { timeoutMs: 10_000 });
    const warning = phase.arguments.get("WARNING");
    return `tor has no consensus yet: bootstrapped ${phase.progress}% (${phase.tag}): ` +
      phase.summary + (warning === undefined ? "" : `; tor's last problem: ${warning}`);
  } catch (cause) {
    return `tor has no consensus yet (and cannot say why: ${
      cause instanceof Error ? cause.message : String(cause)
    })`;
  }
}

/** Reads the microdesc consensus and every microdescriptor, and builds the view. */
export async function loadNetworkView(
  client: ControlRequester,
  options: NetworkViewOptions,
): Promise<NetworkView> {
  const consensus = await getMicrodescConsensus(client, { timeoutMs: 60_000 });
  const microdescs = await getAllMicrodescs(client, { timeoutMs: 60_000 });
  return NetworkView.fromDocuments(consensus, microdescs, options);
}

/** The outcome of fetching one backend. */
export type FetchOutcome =
  | {
    ok: true;
    descriptor: HsDesc;
    /** The descriptor's text, for `Backend.accept`. */
    text: string;
    hsDir: string;
    /** True when it is the descriptor the backend already held (not decoded again). */
    unchanged: boolean;
  }
  | {
    ok: false;
    reason: string;
    /** The HSDir asked (fingerprint), when the balancer named one. */
    hsDir?: string;
    /**
     * Set when the descriptor came but could not be opened for want of the right client key
     * (a restricted backend): what is wrong, for the status.
     */
    clientAuth?: string;
  };

/**
 * `HSFETCH`es a backend's descriptor from one of the HSDirs a client would
 * ask (a random one of the `hsdir_spread_fetch` per replica for the current
 * period, [CLIENTFETCH]), named with `SERVER=`, and decodes it for the current
 * time period or a neighbour.
 *
 * Naming the HSDir matters for how often a backend can be fetched: without
 * `SERVER=`, tor picks one it has not asked about that backend in the last
 * 15 minutes (`hs_pick_hsdir()`, `hs_hsdir_requery_period()`), and once it has
 * asked all of them it drops the fetch without an event, so a balancer polling
 * more often than every couple of minutes would see timeouts on the real
 * network. `avoid` (the HSDir of a failed fetch) is skipped when another is left.
 */
export async function fetchBackend(
  client: HsClient,
  backend: Backend,
  view: NetworkView,
  options: { now: Date; timeoutMs: number; rng?: Rng; avoid?: string },
): Promise<FetchOutcome> {
  const server = pickFetchHsDir(backend, view, options.rng ?? systemRng, options.avoid);
  const result = await hsFetch(client, backend.address, {
    timeoutMs: options.timeoutMs,
    servers: server === undefined ? undefined : [server],
  });
  const reasons: string[] = [];
  let clientAuth: string | undefined;
  for (const outcome of result.outcomes) {
    if (!outcome.ok) {
      reasons.push(`HSDir ${outcome.hsDir}: ${outcome.reason}`);
      continue;
    }
    const text = outcome.descriptor;
    try {
      const checked = await checkFetchedDescriptor(backend, text, view, options.now);
      return { ok: true, ...checked, text, hsDir: outcome.hsDir };
    } catch (error) {
      clientAuth ??= clientAuthProblem(backend, error);
      reasons.push(`HSDir ${outcome.hsDir}: ${error instanceof Error ? error.message : error}`);
    }
  }
  const reason = clientAuth ?? (reasons.join("; ") || "no HSDir answered");
  return { ok: false, reason, hsDir: server, ...(clientAuth === undefined ? {} : { clientAuth }) };
}

/**
 * What is wrong when a backend's descriptor arrived but its inner layer stayed shut: the
 * backend is restricted (client authorization) and the balancer holds no key for it, or a
 * key it does not accept. Undefined for any other error.
 */
function clientAuthProblem(backend: Backend, error: unknown): string | undefined {
  if (!(error instanceof HsDescError)) return undefined;
  if (error.kind === "NeedsClientAuth") {
    return "restricted (client authorization) and no client-key is configured for it";
  }
  if (error.kind === "BadClientAuth") {
    return `restricted (client authorization) and its client-key ${
      backend.clientKey?.file ?? ""
    } ` +
      "is not one it accepts";
  }
  return undefined;
}

/** Each backend's blinded key for the last period asked (one blinding per backend and period). */
const blindedCache = new WeakMap<Backend, { period: TimePeriod; key: HsBlindIdKey }>();

function blindedFor(backend: Backend, period: TimePeriod): HsBlindIdKey {
  const held = blindedCache.get(backend);
  if (held !== undefined && held.period.equals(period)) return held.key;
  const key = blindPublicKey(backend.identity, period);
  blindedCache.set(backend, { period, key });
  return key;
}

/** A random HSDir clients fetch `backend` from now (fingerprint), or undefined when none is known. */
export function pickFetchHsDir(
  backend: Backend,
  view: NetworkView,
  rng: Rng,
  avoid?: string,
): string | undefined {
  const times = view.timeline.fetch();
  const dirs = view.responsible(blindedFor(backend, times.period), times, "fetch")
    .map((r) => r.fingerprint);
  const choices = dirs.length > 1 ? dirs.filter((d) => d !== avoid) : dirs;
  if (choices.length === 0) return undefined;
  const [a, b, c, d] = rng(4);
  return choices[(((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0) % choices.length];
}

/**
 * A fetched descriptor text of `backend`, checked: the descriptor the backend
 * already holds when the text is the same and still valid
 * (`Backend.heldDescriptorFor`), else decoded and verified for the fetch
 * period or a neighbour.
 *
 * @throws {HsDescError} When the text does not decode or verify.
 */
export async function checkFetchedDescriptor(
  backend: Backend,
  text: string,
  view: NetworkView,
  now: Date,
): Promise<{ descriptor: HsDesc; unchanged: boolean }> {
  const period = view.timeline.fetch().period;
  const periods = [period, period.previous(), period.next()];
  const held = backend.heldDescriptorFor(text, now, periods);
  if (held !== undefined) return { descriptor: held, unchanged: true };
  const descriptor = await decodeHsDesc(text, {
    identity: backend.identity,
    periods,
    now,
    clientKey: backend.clientKey?.key,
  });
  return { descriptor, unchanged: false };
}
