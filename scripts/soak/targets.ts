/**
 * The soak's targets, judged from what a run recorded (pure):
 * - availability: at least 99.5 % of probes succeed (the balancer's own restarts included),
 *   tor's own period-boundary race (`ProbeRecord.raced`) counted apart;
 * - rotations: no probe that fails or takes over 5 s within 30 s before to 90 s after the
 *   backends rotated, unless a fault of the schedule came in the 90 s before it (tor's own
 *   period-boundary race apart);
 * - exits: the balancer never exits by itself;
 * - memory: from 10 minutes (`memoryAfterMs`) into the run to the schedule's SIGKILL of the
 *   balancer (or the end), the median RSS of the last third of that window is less than 10 %
 *   above that of the first third (single samples swing with garbage collection);
 * - HSDir copies: after every rotation every responsible HSDir holds a copy that decrypts and
 *   verifies, with no revision counter lower than before, no two intro points on one relay, and
 *   every intro point in it is one a backend serves (a backend killed in the last `graceMs`
 *   still counts: the health checks need that long; so does an intro point open when a relay
 *   was restarted in the last `graceMs`, which may have been on that relay: the backend
 *   replaces it and republishes); a missing copy on an HSDir the schedule restarted in the last
 *   10 minutes is reported, not failed: its cache is empty until the next upload, which comes
 *   when the intro points change (in a soak, every few minutes) or at the republish interval,
 *   as with a tor service;
 * - with a busy-service load (`busy`): the load retired intro points of live backends, and an
 *   intro point a live backend listed in the last `busy.retiredGraceMs` still counts as served
 *   in the copies (the balancer fetches a backend that changed its intro points every
 *   busy-fetch-interval, 30 s, then uploads: 60 s is the bound the README states; the backends
 *   are sampled every 5 s, which adds up to 5 s).
 *
 * @module
 */

import { type HsDirCopy, judgeCopies } from "./hsdir_check.ts";
import {
  type BackendSample,
  type KillRecord,
  openAt,
  type ProbeRecord,
  retiredIntroPoints,
  rotationTimes,
} from "./report.ts";

/** One target's verdict. */
export interface Verdict {
  target: string;
  ok: boolean;
  detail: string;
}

/** What {@link judgeTargets} reads, for one balancer. */
export interface TargetInput {
  probes: readonly ProbeRecord[];
  samples: readonly BackendSample[];
  kills: readonly KillRecord[];
  copies: readonly HsDirCopy[];
  /** RSS samples (ms, bytes). */
  rss: readonly { at: number; bytes: number }[];
  /** When each fault of the schedule was applied (ms). */
  faultTimes: readonly number[];
  /** When the schedule SIGKILLed the balancers, if it did (ms). */
  balancerKilledAt?: number;
  /** HSDirs (fingerprints) the schedule restarted, and when. */
  hsDirRestarts: readonly { hsDir: string; at: number }[];
  unexpectedExits: number;
  /** When the measurement started (ms). */
  t0: number;
  /** How long a killed backend's intro points may stay published. Default 90 000 ms. */
  graceMs?: number;
  /** Memory is judged from this long into the run. Default 600 000 ms (a short soak: less). */
  memoryAfterMs?: number;
  /** The run had a busy-service load: backends retire intro points after a few introductions. */
  busy?: { retiredGraceMs: number };
}

const share = (n: number, of: number) => (of === 0 ? 0 : (100 * n) / of);

/** Every target's verdict for one balancer. */
export function judgeTargets(input: TargetInput): Verdict[] {
  return [
    availability(input.probes),
    rotations(input),
    { target: "exits", ok: input.unexpectedExits === 0, detail: `${input.unexpectedExits}` },
    memory(input),
    copies(input),
    ...(input.busy ? [retired(input.samples)] : []),
  ];
}

/** A busy soak that retired no intro point showed nothing about retired intro points. */
function retired(samples: readonly BackendSample[]): Verdict {
  const n = retiredIntroPoints(samples);
  return { target: "the busy load retired intro points", ok: n > 0, detail: `${n} retired` };
}

function availability(all: readonly ProbeRecord[]): Verdict {
  // tor's own race at a period boundary is not the balancer's doing: counted apart.
  const probes = all.filter((p) => !p.raced);
  const raced = all.length - probes.length;
  const ok = probes.filter((p) => p.ok).length;
  const pct = share(ok, probes.length);
  return {
    target: "availability ≥ 99.5 %",
    ok: probes.length > 0 && pct >= 99.5,
    detail: `${ok}/${probes.length} (${pct.toFixed(2)} %)` +
      (raced > 0 ? `; and ${raced} lost to tor's period-boundary race` : ""),
  };
}

function rotations(input: TargetInput): Verdict {
  const times = rotationTimes(input.samples);
  const afterFault = (at: number) => input.faultTimes.some((f) => at >= f && at < f + 90_000);
  const bad = input.probes.filter((p) =>
    (!p.ok || p.ms > 5_000) && !p.raced && !afterFault(p.at) &&
    times.some((r) => p.at >= r - 30_000 && p.at < r + 90_000)
  );
  return {
    target: "no failed or >5 s probe at a rotation",
    ok: times.length > 0 && bad.length === 0,
    detail: `${times.length} rotation(s); ` +
      (bad.length === 0
        ? "none"
        : bad.map((p) => `${new Date(p.at).toISOString()} ${p.ms} ms ${p.detail}`).join("; ")),
  };
}

function memory(input: TargetInput): Verdict {
  const after = input.memoryAfterMs ?? 600_000;
  const min = after / 60_000;
  const from = input.t0 + after;
  const to = input.balancerKilledAt ?? Infinity;
  const window = input.rss.filter((r) => r.at >= from && r.at < to).map((r) => r.bytes);
  if (window.length < 6) {
    return { target: "RSS growth < 10 %", ok: false, detail: `too few samples after ${min} min` };
  }
  // The garbage collector makes RSS a sawtooth: compare the middle of the first third of the
  // window with that of the last third, not one sample with another.
  const third = Math.floor(window.length / 3);
  const early = median(window.slice(0, third));
  const late = median(window.slice(-third));
  const growth = (late - early) / early;
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  return {
    target: "RSS growth < 10 %",
    ok: growth < 0.1,
    detail: `median ${mb(early)} MB in the first third from ${min} min, ${mb(late)} MB in the ` +
      `last (${(100 * growth).toFixed(1)} %); max ${mb(Math.max(...window))} MB`,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function copies(input: TargetInput): Verdict {
  const grace = input.graceMs ?? 90_000;
  const served = (at: number) => {
    const open = openAt(input.samples, at);
    for (const kill of input.kills) {
      if (kill.at > at || at - kill.at > grace) continue;
      const last = input.samples
        .filter((s) => s.backend === kill.backend && s.alive && s.at <= kill.at)
        .at(-1);
      for (const k of [...(last?.current ?? []), ...(last?.uploaded ?? [])]) open.add(k);
    }
    // A relay the schedule restarted may have been an intro point: the backends replace the
    // intro points it held and republish, and the balancer follows; as long as a killed backend.
    for (const r of input.hsDirRestarts) {
      if (r.at > at || at - r.at > grace) continue;
      for (const k of openAt(input.samples, r.at)) open.add(k);
    }
    // A busy backend retires intro points: one it listed lately may still be published.
    const retiredGrace = input.busy?.retiredGraceMs ?? 0;
    for (const s of input.samples) {
      if (!s.alive || s.at > at || at - s.at > retiredGrace) continue;
      for (const k of [...s.current, ...s.uploaded]) open.add(k);
    }
    return open;
  };
  const restarted = (c: HsDirCopy) =>
    input.hsDirRestarts.some((r) => r.hsDir === c.hsDir && r.at <= c.at && c.at - r.at < 600_000);
  const excused = input.copies.filter((c) => c.keys === undefined && restarted(c));
  const judged = judgeCopies(input.copies.filter((c) => !excused.includes(c)), served);
  const problems = [
    ...judged.missing,
    ...judged.revisionDown,
    ...judged.notServed,
    ...judged.sharedRelay.map((r) => `two or more intro points on one relay: ${r}`),
  ];
  return {
    target: "every HSDir copy valid and current",
    ok: input.copies.length > 0 && problems.length === 0,
    detail: `${input.copies.length} copies checked` +
      (excused.length > 0 ? `, ${excused.length} missing on restarted HSDirs` : "") +
      (problems.length > 0 ? `; ${problems.join("; ")}` : ""),
  };
}
