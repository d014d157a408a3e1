/**
 * The publish audit: what clients really get from the HSDirs. For each frontend, 30 s after
 * each publish of the descriptor clients fetch now and every `audit-interval` (900 s), the
 * daemon fetches that descriptor back from every HSDir it uploaded it to (`HSFETCH … SERVER=`
 * for each), judges each copy as a client would and against what it uploaded
 * (`audit_copy.ts`), and
 * - re-uploads its descriptor to an HSDir whose copy is missing or stale (an HSDir that restarted
 *   has an empty cache; one that missed an upload holds an older descriptor);
 * - reports, and does not fight, a foreign copy (a higher revision counter: another manager of
 *   the same key, or someone else holding it) or an undecryptable one;
 * - keeps the last report per frontend for the status, and tells the metrics.
 *
 * Only the descriptor of the clients' current time period can be audited: tor's client fetches
 * under the blinded key of `hs_get_time_period_num(0)` (`directory_launch_v3_desc_fetch()`), so
 * the other slot's descriptor, which clients start to fetch at the next period, is not.
 *
 * Spec: rend-spec-v3 [CLIENTFETCH], [WHERE-HSDESC]; control-spec HSFETCH (`SERVER=`), HS_DESC.
 *
 * @module
 */

import { type HsClient, hsFetch, type HsFetchOutcome } from "../control/mod.ts";
import { randomUnit, type Rng, systemRng } from "../crypto/mod.ts";
import { blindPublicKey } from "../keys/mod.ts";
import { errorMessage, type Logger } from "../log/mod.ts";
import type { Clock, DescriptorSlot, TimePeriod } from "../time/mod.ts";
import { introPointId } from "./backend.ts";
import { COPY_STATES, type CopyState, type CopyVerdict, judgeCopy } from "./audit_copy.ts";
import type { FrontendService } from "./frontend.ts";
import type { MetricsSink } from "./metrics_sink.ts";
import type { NetworkView } from "./network.ts";
import type { PublishedSlot } from "./publish.ts";

export { COPY_STATES, type CopyState } from "./audit_copy.ts";

/** One HSDir's copy, as the last audit found it. */
export interface AuditedCopy extends CopyVerdict {
  /** The HSDir's fingerprint (40 hex digits) and nickname. */
  hsDir: string;
  nickname: string;
  /** Whether the audit uploaded our descriptor there again. */
  reuploaded: boolean;
}

/** The last audit of one frontend. */
export interface AuditReport {
  /** When it ended (ms). */
  at: number;
  /** The slot audited: the one clients fetch now. */
  slot: DescriptorSlot;
  period: TimePeriod;
  /** The revision counter this balancer published. */
  revision: bigint;
  /** One entry per HSDir the descriptor was uploaded to. */
  copies: AuditedCopy[];
}

/** What the auditor works with. */
export interface AuditorDeps {
  client: HsClient;
  clock: Clock;
  log: Logger;
  /** Between two audits of one frontend (ms, config `audit-interval`); 0: no audits. */
  intervalMs: () => number;
  /** Called when an audit ended (the daemon wakes: re-uploads are under way). */
  onDone: () => void;
  metrics?: MetricsSink;
  rng?: Rng;
}

/** How long after a publish its copies are audited (ms): the uploads have ended by then. */
export const AUDIT_AFTER_PUBLISH_MS = 30_000;
/** Frontends audited at once (each audit asks every HSDir at once: 8 on the Tor network). */
const AUDITS_AT_ONCE = 4;
/** Deadline of one audit's HSFETCH (ms). */
const AUDIT_TIMEOUT_MS = 60_000;
/** The periodic audits are spread over ±10 % of the interval. */
const JITTER = 0.1;

/** The audits of every frontend (see the module comment). */
export class PublishAuditor {
  readonly #deps: AuditorDeps;
  readonly #reports = new Map<string, AuditReport>();
  readonly #running = new Set<string>();
  /** Per frontend: when its next periodic audit is due (ms). */
  readonly #nextAt = new Map<string, number>();
  /** Per frontend: the publish (its `builtAt`) last audited. */
  readonly #audited = new Map<string, number>();
  /** Per frontend: what its last warning said, so that a lasting state is warned about once. */
  readonly #warned = new Map<string, string>();

  constructor(deps: AuditorDeps) {
    this.#deps = deps;
  }

  /** The last audit of the frontend at `address`, if one ended. */
  report(address: string): AuditReport | undefined {
    return this.#reports.get(address);
  }

  /** Starts the audits due at `now` (at most {@link AUDITS_AT_ONCE} at once). */
  startDue(view: NetworkView, now: number, services: readonly FrontendService[]): void {
    this.#forgetRemoved(services);
    for (const service of services) {
      if (this.#running.size >= AUDITS_AT_ONCE) return;
      if (this.#running.has(service.address)) continue;
      const due = this.#dueAt(service, view);
      if (due === undefined || due > now) continue;
      this.#running.add(service.address);
      void this.#audit(service, view)
        .catch((error) =>
          this.#deps.log.error(
            `The audit of ${service.address}.onion failed: ${errorMessage(error)}`,
          )
        )
        .finally(() => {
          this.#running.delete(service.address);
          this.#deps.onDone();
        });
    }
  }

  /** The earliest time (ms) an audit is due, if any; none while the most run at once. */
  nextDueAt(
    view: NetworkView | undefined,
    services: readonly FrontendService[],
  ): number | undefined {
    if (view === undefined || this.#running.size >= AUDITS_AT_ONCE) return undefined;
    let due: number | undefined;
    for (const service of services) {
      if (this.#running.has(service.address)) continue;
      const at = this.#dueAt(service, view);
      if (at !== undefined) due = Math.min(due ?? Infinity, at);
    }
    return due;
  }

  /** When `service` is due for an audit: after its last publish, or periodically. */
  #dueAt(service: FrontendService, view: NetworkView): number | undefined {
    if (this.#deps.intervalMs() <= 0) return undefined;
    const found = clientSlot(service, view);
    if (found === undefined) return undefined;
    const [, slot] = found;
    let due = this.#nextAt.get(service.address) ?? Infinity;
    const settled = slot.uploads.every((u) => u.status !== "pending");
    if (this.#audited.get(service.address) !== slot.builtAt && settled) {
      due = Math.min(due, slot.builtAt + AUDIT_AFTER_PUBLISH_MS);
    }
    return due === Infinity ? undefined : due;
  }

  async #audit(service: FrontendService, view: NetworkView): Promise<void> {
    const found = clientSlot(service, view);
    if (found === undefined) return;
    const [slotName, slot] = found;
    const { clock, client, rng } = this.#deps;
    const started = clock.now();
    const jitter = 1 + JITTER * (2 * randomUnit(rng ?? systemRng) - 1);
    this.#audited.set(service.address, slot.builtAt);
    this.#nextAt.set(service.address, started + this.#deps.intervalMs() * jitter);
    const known = new Set(view.hsDirs.map((r) => r.fingerprint));
    const servers = slot.uploads.map((u) => u.relay.fingerprint).filter((f) => known.has(f));
    const outcomes = new Map<string, HsFetchOutcome>();
    let failure: string | undefined;
    if (servers.length > 0) {
      try {
        const result = await hsFetch(client, service.address, {
          servers,
          timeoutMs: AUDIT_TIMEOUT_MS,
        });
        for (const o of result.outcomes) outcomes.set(o.hsDir, o);
      } catch (error) {
        failure = errorMessage(error);
      }
    }
    const now = clock.now();
    const blinded = blindPublicKey(service.identity, slot.times.period);
    const backendIntroPoints = new Set(
      service.backends.flatMap((b) => b.introPoints.map(introPointId)),
    );
    if (service.published.get(slotName) !== slot) {
      // Republished while the copies were fetched: they may hold the newer descriptor, which is
      // ours. The newer one gets its own audit once its uploads ended.
      this.#deps.log.debug(
        `Audit of ${service.address}.onion dropped: the ${slotName} descriptor was republished ` +
          `meanwhile`,
      );
      return;
    }
    const copies: AuditedCopy[] = [];
    // Several HSDirs usually serve the same text (a foreign descriptor is on all of them):
    // each text is verified and decrypted once per audit, against what went to each group.
    const judged = new Map<string, CopyVerdict>();
    for (const upload of slot.uploads) {
      const hsDir = upload.relay.fingerprint;
      const outcome = outcomes.get(hsDir) ?? {
        hsDir,
        ok: false as const,
        reason: !known.has(hsDir) ? "not in the consensus" : failure ?? "TIMEOUT",
      };
      const ours = slot.descriptors[upload.group] ?? slot.descriptors[0]!;
      const key = outcome.ok ? `${upload.group}\n${outcome.descriptor}` : undefined;
      const verdict = (key === undefined ? undefined : judged.get(key)) ??
        await judgeCopy(outcome, {
          text: ours,
          revision: slot.revisionCounter,
          identity: service.identity,
          blinded,
          period: slot.times.period,
          clientAuth: service.authorizedClients.length > 0,
          backendIntroPoints,
        }, new Date(now));
      if (key !== undefined) judged.set(key, verdict);
      const heal = verdict.state === "missing" || verdict.state === "stale";
      const reuploaded = heal && service.reupload(slotName, hsDir);
      copies.push({ hsDir, nickname: upload.relay.nickname, ...verdict, reuploaded });
    }
    const report: AuditReport = {
      at: now,
      slot: slotName,
      period: slot.times.period,
      revision: slot.revisionCounter,
      copies,
    };
    this.#reports.set(service.address, report);
    this.#deps.metrics?.audit(service.address, copies);
    this.#logReport(service, report);
  }

  /** One line per audit: info when every copy is ours, a warning at each new problem. */
  #logReport(service: FrontendService, report: AuditReport): void {
    const { log } = this.#deps;
    const counts = COPY_STATES
      .map((state) => [state, report.copies.filter((c) => c.state === state).length] as const)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`);
    const reuploaded = report.copies.filter((c) => c.reuploaded).length;
    const odd = report.copies.filter((c) => c.state !== "current");
    // The copies that are not current, grouped by what was found: one clause per finding.
    const found = new Map<string, AuditedCopy[]>();
    for (const c of odd) {
      const key = `${c.state}: ${c.detail ?? ""}`;
      found.set(key, [...found.get(key) ?? [], c]);
    }
    const line = `Audit of the ${report.slot} descriptor of ${service.address}.onion ` +
      `(${report.period}, revision ${report.revision}) on ${report.copies.length} HSDirs: ` +
      counts.join(", ") + (reuploaded > 0 ? `; uploaded again to ${reuploaded}` : "") +
      [...found].map(([what, copies]) =>
        `; ${what} (${copies.map((c) => `$${c.hsDir}~${c.nickname}`).join(", ")})`
      ).join("");
    const problems = odd.filter((c) => isProblem(c.state));
    const key = problems.map((c) => `${c.hsDir}:${c.state}:${c.revision ?? ""}`).join(",");
    const before = this.#warned.get(service.address);
    this.#warned.set(service.address, key);
    if (problems.length > 0 && key !== before) log.warning(line);
    else log.info(line);
  }

  /** Drops what is kept for frontends no longer configured (after a reload). */
  #forgetRemoved(services: readonly FrontendService[]): void {
    const live = new Set(services.map((s) => s.address));
    for (const map of [this.#reports, this.#nextAt, this.#audited, this.#warned]) {
      for (const address of [...map.keys()]) if (!live.has(address)) map.delete(address);
    }
  }
}

/**
 * A copy state worth a warning: a copy clients cannot use, or one this balancer did not make.
 * A missing or stale copy is uploaded again at once; a fetch that failed says nothing.
 */
function isProblem(state: CopyState): boolean {
  return state === "foreign" || state === "undecryptable";
}

/** The slot whose descriptor clients fetch now (their current period), if it was published. */
export function clientSlot(
  service: FrontendService,
  view: NetworkView,
): [DescriptorSlot, PublishedSlot] | undefined {
  const period = view.timeline.fetch().period;
  for (const entry of service.published) {
    if (entry[1].times.period.equals(period)) return entry;
  }
  return undefined;
}
