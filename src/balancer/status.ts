/**
 * The status report: OnionBalance 0.2.x's status-socket JSON (same keys, same
 * timestamp format, keys sorted as Python's `json.dumps(sort_keys=True)`
 * writes them), plus per-descriptor upload results, the last successful
 * publish and each backend's state.
 *
 * OnionBalance (`hs_v3/status.py`): `{"services": [{"instances": [...],
 * "onionAddress": "<x>.onion", "publishAttemptFirstDescriptor": ts|null,
 * "publishAttemptSecondDescriptor": ts|null}]}`; an instance is
 * `{"descriptorReceived": ts, "introPointsNum": n, "introSetModified": ts,
 * "onionAddress": "<y>.onion"}`, or `{"onionAddress": …, "received": ts|null}`
 * before it has intro points. Timestamps are `YYYY-MM-DD HH:MM:SS`, UTC.
 *
 * @module
 */

import type { DescriptorSlot } from "../time/mod.ts";
import { type AuditReport, COPY_STATES } from "./audit.ts";
import type { Backend, IntroPointId } from "./backend.ts";
import type { Balancer } from "./daemon.ts";
import type { FrontendService } from "./frontend.ts";
import type { ProbeState } from "./frontend_probe.ts";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `YYYY-MM-DD HH:MM:SS` in UTC, as OnionBalance's `strftime("%Y-%m-%d %H:%M:%S")`. */
export function statusTime(ms: number | undefined): string | null {
  if (ms === undefined) return null;
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * Serializes like Python's `json.dumps(value, sort_keys=True)`: `", "` and
 * `": "` separators, keys sorted by code point, and (`ensure_ascii`) every
 * character outside printable ASCII written as `\uXXXX` (UTF-16 surrogate
 * pairs above U+FFFF). Numbers are written as JavaScript writes them, which is
 * Python's form for integers (all the status holds), not for every float.
 */
export function pythonJson(value: Json): string {
  if (typeof value === "string") return pythonString(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((k) => `${pythonString(k)}: ${pythonJson(value[k]!)}`).join(", ")}}`;
}

/** A JSON string with Python's `ensure_ascii` escapes (lower-case hex, as Python writes them). */
function pythonString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const SURROGATE = /[\ud800-\udfff]/;

/** Python's string order: by code point (JavaScript's `sort()` compares UTF-16 code units). */
function compareCodePoints(a: string, b: string): number {
  // Without surrogates (every key this status has) code units are code points.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** The status of every service at `nowMs`. */
export function statusReport(balancer: Balancer, nowMs: number): Json {
  const view = balancer.view;
  return {
    services: balancer.services.map((service) => serviceStatus(service, balancer, nowMs)),
    consensus: view === undefined ? null : {
      validAfter: statusTime(view.consensus.validAfter * 1000),
      timePeriod: view.timeline.currentPeriod.number,
      periodLengthMinutes: view.timeline.periodLengthMinutes,
      hsDirs: view.hsDirs.length,
    },
  };
}

function serviceStatus(service: FrontendService, balancer: Balancer, nowMs: number): Json {
  const health = balancer.health;
  const { skipped } = service.usableBackends(nowMs, (b) => health.leftOutReason(b));
  const attempt = (slot: DescriptorSlot) => statusTime(service.lastAttemptAt.get(slot));
  const uploadedAt = [...service.published.values()]
    .flatMap((p) =>
      p.uploads.filter((u) => u.status === "uploaded").map((u) => u.lastResultAt ?? 0)
    );
  return {
    onionAddress: `${service.address}.onion`,
    publishAttemptFirstDescriptor: attempt("first"),
    publishAttemptSecondDescriptor: attempt("second"),
    lastSuccessfulPublish: statusTime(uploadedAt.length > 0 ? Math.max(...uploadedAt) : undefined),
    descriptors: Object.fromEntries(
      (["first", "second"] as const).map((slot) => [slot, slotStatus(service, slot)]),
    ),
    keys: keysStatus(service, nowMs),
    audit: auditStatus(balancer.audit.report(service.address)),
    reachability: probeStatus(balancer.probes.state(service.address)),
    name: service.name ?? null,
    // Client authorization: how many clients the descriptors are encrypted to (0: public).
    authorizedClients: service.authorizedClients.length,
    unpublishable: Object.fromEntries(
      (["first", "second"] as const).map((slot) => {
        const why = service.unpublishable.get(slot);
        return [
          slot,
          why === undefined ? null : { timePeriod: why.period.number, reason: why.reason },
        ];
      }),
    ),
    instances: service.backends.map((backend) => {
      const base: { [key: string]: Json } = { onionAddress: `${backend.address}.onion` };
      if (backend.introSetModifiedAt === undefined) {
        base.received = statusTime(backend.descriptorReceivedAt);
      } else {
        base.introSetModified = statusTime(backend.introSetModifiedAt);
        base.introPointsNum = backend.introPoints.length;
        base.descriptorReceived = statusTime(backend.descriptorReceivedAt);
      }
      base.state = skipped.has(backend.address) ? "unusable" : "usable";
      base.reason = skipped.get(backend.address) ?? null;
      base.lastFetch = statusTime(backend.lastFetchOkAt);
      base.restricted = backend.clientKey !== undefined;
      base.fetchFailures = backend.fetchFailures;
      base.revisionCounter = backend.descriptor?.outer.revisionCounter.toString() ?? null;
      base.introPointKeys = backend.introPoints.map((p) => p.authKey.toString());
      base.published = publishedFor(service, backend, nowMs);
      const check = health.lastCheck(backend);
      base.health = check === undefined ? null : {
        lastCheck: statusTime(check.at),
        ok: check.ok,
        consecutiveFailures: health.failures(backend),
        error: check.error ?? null,
      };
      if (backend.name !== undefined) base.name = backend.name;
      return base;
    }),
  };
}

/**
 * The intro points of `backend` in the descriptors last published (both slots):
 * how many, how old the oldest is (from when the balancer first saw it), and how
 * many the backend still lists in its newest descriptor (the others are closed).
 */
function publishedFor(service: FrontendService, backend: Backend, nowMs: number): Json {
  const seen = new Map<IntroPointId, number>();
  for (const slot of service.published.values()) {
    for (const [id, source] of slot.sources) {
      if (source.backend === backend.address) seen.set(id, source.seenAt);
    }
  }
  if (seen.size === 0) return null;
  const oldest = Math.min(...seen.values());
  const open = [...seen.keys()].filter((id) => backend.introPointSeenAt(id) !== undefined);
  return {
    introPoints: seen.size,
    oldestSeen: statusTime(oldest),
    ageSeconds: Math.max(0, Math.round((nowMs - oldest) / 1000)),
    inNewestDescriptor: open.length,
  };
}

/** The last publish audit: what each HSDir holds of the descriptor clients fetch now. */
function auditStatus(report: AuditReport | undefined): Json {
  if (report === undefined) return null;
  const counts: { [state: string]: Json } = {};
  for (const state of COPY_STATES) {
    counts[state] = report.copies.filter((c) => c.state === state).length;
  }
  return {
    at: statusTime(report.at),
    descriptor: report.slot,
    timePeriod: report.period.number,
    revisionCounter: report.revision.toString(),
    counts,
    hsDirs: report.copies.map((c) => ({
      fingerprint: c.hsDir,
      nickname: c.nickname,
      state: c.state,
      revisionCounter: c.revision?.toString() ?? null,
      detail: c.detail ?? null,
      reuploaded: c.reuploaded,
    })),
  };
}

/** The end-to-end probe: whether the last one connected, and when one last did. */
function probeStatus(state: ProbeState | undefined): Json {
  if (state === undefined) return null;
  return {
    reachable: state.reachable,
    lastProbe: statusTime(state.at),
    durationMs: Math.round(state.durationMs),
    lastReachable: statusTime(state.lastOkAt),
    consecutiveFailures: state.failures,
    error: state.error ?? null,
  };
}

/** `{kind: "key"}`, or an offline bundle's file, span and what is left of it. */
function keysStatus(service: FrontendService, nowMs: number): Json {
  const keys = service.keysStatus(nowMs);
  if (keys === undefined) return { kind: "key" };
  return {
    kind: "offline",
    file: keys.file,
    firstPeriod: keys.firstPeriod,
    lastPeriod: keys.lastPeriod,
    coversUntil: statusTime(keys.endsAt),
    secondsLeft: Math.max(0, Math.floor(keys.leftMs / 1000)),
    runningOut: keys.runningOut,
  };
}

function slotStatus(service: FrontendService, slot: DescriptorSlot): Json {
  const p = service.published.get(slot);
  if (p === undefined) return null;
  return {
    timePeriod: p.times.period.number,
    revisionCounter: p.revisionCounter.toString(),
    built: statusTime(p.builtAt),
    reason: p.reason,
    descriptors: p.descriptors.length,
    introPoints: [...p.introPointCounts],
    introPointKeys: [...new Set(p.introPointKeys.flat())],
    introPointsSameRelay: [...p.sameRelay],
    hsDirs: p.uploads.map((u) => ({
      fingerprint: u.relay.fingerprint,
      nickname: u.relay.nickname,
      descriptor: u.group,
      status: u.status,
      attempts: u.attempts,
      lastAttempt: statusTime(u.lastAttemptAt),
      lastResult: statusTime(u.lastResultAt),
      reason: u.reason ?? null,
    })),
  };
}

/**
 * Serves the status JSON on a Unix socket: each connection gets one JSON
 * document, then the socket is closed (OnionBalance's protocol:
 * `socat - unix-connect:PATH`). A stale socket file is removed first.
 */
export class StatusServer {
  readonly #listener: Deno.Listener;
  readonly #path: string;
  readonly #done: Promise<void>;

  private constructor(listener: Deno.Listener, path: string, report: () => string) {
    this.#listener = listener;
    this.#path = path;
    this.#done = this.#serve(report);
  }

  /**
   * Listens on `path` (mode 0660 when the folder allows).
   *
   * @throws {Deno.errors.NotFound} When the folder does not exist.
   */
  static async listen(path: string, report: () => string): Promise<StatusServer> {
    try {
      const info = await Deno.lstat(path);
      if (info.isSocket) await Deno.remove(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const listener = Deno.listen({ transport: "unix", path });
    await Deno.chmod(path, 0o660).catch(() => {});
    return new StatusServer(listener, path, report);
  }

  async #serve(report: () => string): Promise<void> {
    const encoder = new TextEncoder();
    try {
      for await (const conn of this.#listener) {
        let text: string;
        try {
          text = report();
        } catch (error) {
          // A bug in the report must not end the status socket for good.
          text = JSON.stringify({ error: error instanceof Error ? error.message : String(error) });
        }
        const bytes = encoder.encode(text);
        void (async () => {
          try {
            let written = 0;
            while (written < bytes.length) written += await conn.write(bytes.subarray(written));
          } catch {
            // The reader went away; nothing to do.
          } finally {
            try {
              conn.close();
            } catch {
              // Already closed.
            }
          }
        })();
      }
    } catch {
      // Listener closed.
    }
  }

  /** Stops listening and removes the socket file. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#done;
    await Deno.remove(this.#path).catch(() => {});
  }
}
