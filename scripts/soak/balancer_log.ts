/**
 * What the benchmarks and end-to-end cases read in a balancer's log (this project's format at
 * info level, and OnionBalance 0.2.2's, which has the same timestamps): failed health checks,
 * backends left out and returning, publishes and failed uploads, each with its time. An address
 * is named by its last three characters, which this project's log keeps when it hides the rest.
 *
 * @module
 */

/** One line of interest. */
export interface LogEvent {
  /** When it was logged (ms; the log writes local time, as this process reads it). */
  at: number;
  kind:
    | "check-failed"
    | "left-out"
    | "returns"
    | "publish"
    | "upload-failed"
    | "revision"
    | "period";
  /** The last three characters of the backend's address (not for "publish"). */
  backend?: string;
  /** A failed check's error; a publish's reason; a failed upload's reason. */
  detail?: string;
  /** A publish's descriptor: "first" or "second". */
  slot?: "first" | "second";
  /** A publish's time period (this project's log only); a "period" line's. */
  period?: number;
  /** A publish's revision counter, decimal (this project's log only); a "revision" line's. */
  revision?: string;
  /** The HSDirs (fingerprints) an upload went to (OnionBalance's log only). */
  hsDirs?: string[];
}

const LINE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) \[[A-Z]+\]: (.*)$/;
const BACKEND_PATTERNS: readonly [LogEvent["kind"], RegExp][] = [
  ["check-failed", /^Health check of \S*(\w{3})\.onion failed \(\d+ in a row\): (.*)$/],
  ["left-out", /^Backend \S*(\w{3})\.onion failed .*: left out$/],
  ["returns", /^Backend \S*(\w{3})\.onion passes its health check again/],
];
/** This project: `Publishing the first descriptor of X.onion (TP 123/8m, revision 45) to 8 HSDirs: why`. */
const PUBLISH =
  /^Publishing the (first|second) descriptor of \S+ \(TP (\d+)\/\S+, revision (\d+)\) to \d+ HSDirs: (.*)$/;
/** OnionBalance 0.2.2: `Uploading first descriptor for X.onion to [...]`. */
const OB_PUBLISH = /^Uploading (first|second) descriptor for \S+ to \[(.*)\]$/;
/** OnionBalance 0.2.2 at debug level, as it builds: `Rev counter for first descriptor (SRV secs 646, OPE 21009482)`. */
/**
 * OnionBalance 0.2.2 at debug level, before it builds or places a descriptor: which time period
 * it is for (`hs_v3/hashring.py: get_srv_and_time_period`; cases 1 and 2 are the first
 * descriptor, 3 and 4 the second): `For valid_after … we got SRV … and TP 3742875 (case: #2)`.
 */
const OB_PERIOD = /^For valid_after .* and TP (\d+) \(case: #([1-4])\)$/;
const OB_REVISION = /^Rev counter for (first|second) descriptor \(SRV secs \d+, OPE (\d+)\)$/;
/** This project: `Upload of X.onion to HSDir $FP~nick failed (why); retry #n in s s`. */
const UPLOAD_FAILED = /^Upload of \S+ to HSDir \S+ failed \((.*)\); retry/;

/** The event a log line records, or undefined for any other line. */
export function parseLogEvent(line: string): LogEvent | undefined {
  const m = LINE.exec(line);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s, ms] = m.slice(1, 8).map(Number) as number[];
  const at = new Date(y!, mo! - 1, d!, h!, mi!, s!, ms!).getTime();
  const text = m[8]!;
  const publish = PUBLISH.exec(text);
  if (publish !== null) {
    const [, slot, period, revision, detail] = publish;
    return {
      at,
      kind: "publish",
      slot: slot as "first" | "second",
      period: Number(period),
      revision,
      detail,
    };
  }
  const ob = OB_PUBLISH.exec(text);
  if (ob !== null) {
    const hsDirs = [...ob[2]!.matchAll(/'([0-9A-F]{40})'/g)].map((m) => m[1]!);
    return { at, kind: "publish", slot: ob[1] as "first" | "second", hsDirs };
  }
  const obPeriod = OB_PERIOD.exec(text);
  if (obPeriod !== null) {
    const slot = Number(obPeriod[2]) <= 2 ? "first" : "second";
    return { at, kind: "period", slot, period: Number(obPeriod[1]) };
  }
  const obRevision = OB_REVISION.exec(text);
  if (obRevision !== null) {
    return {
      at,
      kind: "revision",
      slot: obRevision[1] as "first" | "second",
      revision: obRevision[2]!,
    };
  }
  const upload = UPLOAD_FAILED.exec(text);
  if (upload !== null) return { at, kind: "upload-failed", detail: upload[1]! };
  for (const [kind, re] of BACKEND_PATTERNS) {
    const hit = re.exec(text);
    if (hit === null) continue;
    return { at, kind, backend: hit[1]!, ...(hit[2] !== undefined ? { detail: hit[2] } : {}) };
  }
  return undefined;
}

/** Follows a balancer's log file as it grows and keeps its {@link LogEvent}s. */
export class LogTail {
  readonly events: LogEvent[] = [];
  readonly path: string;
  #offset = 0;
  #rest = "";

  constructor(path: string) {
    this.path = path;
  }

  /** Reads what was written since the last call (nothing when the file is not there yet). */
  async poll(): Promise<void> {
    const file = await Deno.open(this.path, { read: true }).catch(() => undefined);
    if (file === undefined) return;
    const decoder = new TextDecoder();
    try {
      await file.seek(this.#offset, Deno.SeekMode.Start);
      const chunk = new Uint8Array(1 << 16);
      for (;;) {
        const n = await file.read(chunk);
        if (n === null || n === 0) break;
        this.#offset += n;
        this.#rest += decoder.decode(chunk.subarray(0, n), { stream: true });
      }
    } finally {
      file.close();
    }
    const lines = this.#rest.split("\n");
    this.#rest = lines.pop() ?? "";
    for (const line of lines) {
      const event = parseLogEvent(line);
      if (event !== undefined) this.events.push(event);
    }
  }
}

/** Order statistics of `values` (nearest rank), rounded to whole ms. */
export interface Quantiles {
  n: number;
  min?: number;
  p25?: number;
  p50?: number;
  p75?: number;
  p90?: number;
  max?: number;
}

/** {@link Quantiles} of `values`. */
export function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return {
    n: sorted.length,
    min: Math.round(sorted[0]!),
    p25: at(0.25),
    p50: at(0.5),
    p75: at(0.75),
    p90: at(0.9),
    max: Math.round(sorted.at(-1)!),
  };
}
