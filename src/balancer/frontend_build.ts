/**
 * Building a frontend slot's descriptors from its planned intro-point groups: each group
 * shuffled and thinned to one intro point per relay, then built, encrypted and signed under the
 * period's one signing key; a descriptor over the size limit loses intro points until it fits.
 *
 * Spec: rend-spec-v3 [DESC-OUTER], [HS-DESC-ENC]; tor `hs_cache.c` (`HSV3MaxDescriptorSize`).
 *
 * Role: functions for `frontend.ts`, which keeps the state (signing keys, what was published).
 *
 * @module
 */

import type { Rng } from "../crypto/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  buildHsDesc,
  type CertCache,
  commonFlowControl,
  type HsClientDescEncKey,
  type HsDescIntroPoint,
  HsDescTooLargeError,
  shuffleWithRng,
} from "../netdoc/hsdesc/mod.ts";
import type { DescriptorTimes } from "../time/mod.ts";
import { type Backend, type IntroPointId, introPointId } from "./backend.ts";
import type { DescriptorSigner } from "./frontend_keys.ts";
import { type IntroPointOrigin, relayOf } from "./publish.ts";
import { onePerRelay } from "./selection.ts";

/** A built descriptor: its text, the intro points in it, and those left out for their relay. */
export interface BuiltGroup {
  text: string;
  introPoints: HsDescIntroPoint[];
  sameRelay: number;
}

/** What {@link buildGroups} builds with besides the plan. */
export interface BuildContext {
  counter: bigint;
  usable: readonly Backend[];
  sources: ReadonlyMap<IntroPointId, IntroPointOrigin>;
  nowMs: number;
  /** The period's signing key and the intro-point certificates made under it. */
  signer: CertCache;
  /** The clients every descriptor is encrypted to (empty: a public service). */
  authorizedClients: readonly HsClientDescEncKey[];
  rng: Rng;
  log: Logger;
}

/** Builds one descriptor per group, all under the period's one signing key. */
export async function buildGroups(
  plan: {
    times: DescriptorTimes;
    groups: HsDescIntroPoint[][];
    signer: DescriptorSigner & { ok: true };
  },
  ctx: BuildContext,
): Promise<BuiltGroup[]> {
  const flowControl = commonFlowControl(ctx.usable.map((b) => b.descriptor?.inner.flowControl));
  ctx.signer.nextRound();
  const built = [];
  for (const group of plan.groups) {
    // Shuffled like OnionBalance does, then one intro point per relay (onePerRelay: a tor
    // client introduces with the first one on the relay it reached), each backend keeping
    // one where it can.
    const { kept, sameRelay } = onePerRelay(shuffleWithRng(group, ctx.rng), {
      backendOf: (p) => ctx.sources.get(introPointId(p))?.backend ?? "",
      relayOf,
    });
    const one = await buildFitting(plan.times, plan.signer.identity, kept, flowControl, ctx);
    built.push({ ...one, sameRelay: sameRelay.length });
  }
  return built;
}

/** One descriptor; over the size limit, one intro point fewer until it fits. */
async function buildFitting(
  times: DescriptorTimes,
  identity: (DescriptorSigner & { ok: true })["identity"],
  group: HsDescIntroPoint[],
  flowControl: ReturnType<typeof commonFlowControl>,
  ctx: BuildContext,
): Promise<{ text: string; introPoints: HsDescIntroPoint[] }> {
  let points = group;
  while (true) {
    try {
      const built = await buildHsDesc(
        {
          identity,
          period: times.period,
          revisionCounter: ctx.counter,
          now: new Date(ctx.nowMs),
          introPoints: points,
          flowControl,
          authorizedClients: ctx.authorizedClients,
          certCache: ctx.signer, // and its signing key
        },
        { rng: ctx.rng },
      );
      return { text: built.text, introPoints: points };
    } catch (error) {
      if (!(error instanceof HsDescTooLargeError) || points.length <= 1) throw error;
      ctx.log.warning(
        `A descriptor with ${points.length} intro points is ${error.size} bytes, over the ` +
          `${error.limit}-byte limit: publishing one intro point fewer`,
      );
      points = points.slice(0, -1);
    }
  }
}
