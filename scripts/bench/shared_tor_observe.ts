/**
 * What `shared_tor.ts` reads while the balancer works: a process's CPU time and peak memory from
 * `/proc` (read with `cat`: Deno grants `/proc` only with `--allow-all`), the balancer's upload
 * counters from its Prometheus page, whether every descriptor of every service is accepted by all
 * its HSDirs (the status JSON), tor's log warnings, and a client's reach of a seeded sample of
 * frontends.
 *
 * @module
 */

import { randomUnit, seededRng } from "../../src/crypto/mod.ts";
import { fetchOnion } from "../testnet/mod.ts";
import type { SocksProxy } from "../../src/socks/mod.ts";
import type { StatusJson } from "./shared_tor_setup.ts";

/** Linux's `USER_HZ` (the unit of `utime` and `stime`): 100 on every x86-64 kernel. */
const CLOCK_TICKS = 100;

async function cat(path: string): Promise<string | undefined> {
  const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
    .output().catch(() => undefined);
  return out?.success ? new TextDecoder().decode(out.stdout) : undefined;
}

/** CPU time (user + system, s) and memory (MB) of one process, or undefined when it is gone. */
export interface ProcUsage {
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** `VmHWM`: peak resident memory. */
  peakRssMB: number;
  /** `VmRSS`. */
  rssMB: number;
}

/** Reads `/proc/<pid>/stat` (fields 14, 15) and `/proc/<pid>/status` (`VmHWM`, `VmRSS`). */
export async function procUsage(pid: number): Promise<ProcUsage | undefined> {
  const [stat, status] = await Promise.all([cat(`/proc/${pid}/stat`), cat(`/proc/${pid}/status`)]);
  if (stat === undefined || status === undefined) return undefined;
  // Fields after the command name, which may hold spaces: field 3 is at index 0.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]) / CLOCK_TICKS;
  const system = Number(fields[12]) / CLOCK_TICKS;
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return {
    cpuSeconds: user + system,
    userSeconds: user,
    systemSeconds: system,
    peakRssMB: kb("VmHWM") / 1024,
    rssMB: kb("VmRSS") / 1024,
  };
}

/** CPU seconds of each named process now (gone ones left out). */
export async function cpuOf(
  processes: readonly { name: string; pid: number }[],
): Promise<Record<string, number>> {
  const all = await Promise.all(
    processes.map(async (p) => [p.name, await procUsage(p.pid)] as const),
  );
  return Object.fromEntries(
    all.filter(([, u]) => u !== undefined).map(([name, u]) => [name, u!.cpuSeconds]),
  );
}

/** The machine's CPU ticks from `/proc/stat`: busy (all but idle and iowait) and total. */
export async function machineTicks(): Promise<{ busy: number; total: number } | undefined> {
  const line = (await cat("/proc/stat"))?.split("\n", 1)[0];
  if (line === undefined || !line.startsWith("cpu ")) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/**
 * The PID whose CPU and memory are the balancer's: the spawned PID when it runs `main.ts` itself,
 * else (a launcher that spawned the runtime) its child that does. Also says how it was decided.
 */
export async function runtimePid(spawned: number): Promise<{ pid: number; how: string }> {
  const cmdline = (pid: number) => cat(`/proc/${pid}/cmdline`).then((s) => s?.split("\0") ?? []);
  const children = async (pid: number) =>
    ((await cat(`/proc/${pid}/task/${pid}/children`)) ?? "").trim().split(/\s+/)
      .filter((s) => s !== "").map(Number);
  const own = await cmdline(spawned);
  for (const child of await children(spawned)) {
    if ((await cmdline(child)).some((a) => a.endsWith("main.ts"))) {
      return { pid: child, how: `child ${child} of launcher ${spawned} runs main.ts` };
    }
  }
  const runsMain = own.some((a) => a.endsWith("main.ts"));
  return {
    pid: spawned,
    how: `spawned PID ${spawned} (${own[0] ?? "?"}) ${
      runsMain ? "runs main.ts itself" : "does not run main.ts"
    }; no child of it runs main.ts`,
  };
}

/** The balancer's HSDir upload counters (`onionbalance_hsdir_uploads_total`), all services. */
export interface UploadCounts {
  accepted: number;
  failed: number;
  retried: number;
  /** Services with at least one accepted upload. */
  servicesWithUploads: number;
  /** How long the scrape took (ms) and the page's size (bytes). */
  scrapeMs: number;
  pageBytes: number;
}

/** Scrapes `http://127.0.0.1:<port>/metrics`; undefined when it does not answer within 30 s. */
export async function scrapeUploads(port: number): Promise<UploadCounts | undefined> {
  const t0 = performance.now();
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(30_000),
  }).then((r) => r.text()).catch(() => undefined);
  if (text === undefined) return undefined;
  const counts = { accepted: 0, failed: 0, retried: 0 };
  const services = new Set<string>();
  const re = /^onionbalance_hsdir_uploads_total\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    const result = /result="(\w+)"/.exec(m[1]!)?.[1] as keyof typeof counts | undefined;
    if (result === undefined || !(result in counts)) continue;
    counts[result] += Number(m[2]);
    if (result === "accepted" && Number(m[2]) > 0) {
      services.add(/service="([^"]*)"/.exec(m[1]!)?.[1] ?? "");
    }
  }
  return {
    ...counts,
    servicesWithUploads: services.size,
    scrapeMs: Math.round(performance.now() - t0),
    pageBytes: text.length,
  };
}

/** How far the publication of every service's both descriptors is, from the status JSON. */
export interface Completion {
  complete: boolean;
  services: number;
  /** Slots (service × first/second) with every HSDir `uploaded`. */
  slotsDone: number;
  slotsTotal: number;
  uploads: { uploaded: number; pending: number; failed: number };
  /** Attempts beyond the first, over every HSDir of every slot. */
  retries: number;
  /** Earliest `built` and latest `lastResult` of an uploaded copy (ms; status has seconds). */
  firstBuiltAt?: number;
  lastAcceptedAt?: number;
}

const statusMs = (
  t: string | null,
) => (t === null ? undefined : Date.parse(`${t.replace(" ", "T")}Z`));

/** Judges the status JSON: complete when every slot of every service is uploaded everywhere. */
export function completion(status: StatusJson): Completion {
  const c: Completion = {
    complete: false,
    services: status.services.length,
    slotsDone: 0,
    slotsTotal: status.services.length * 2,
    uploads: { uploaded: 0, pending: 0, failed: 0 },
    retries: 0,
  };
  for (const service of status.services) {
    for (const slot of [service.descriptors.first, service.descriptors.second]) {
      if (slot === null) continue;
      const built = statusMs(slot.built);
      if (built !== undefined) c.firstBuiltAt = Math.min(c.firstBuiltAt ?? built, built);
      for (const h of slot.hsDirs) {
        c.uploads[h.status]++;
        c.retries += Math.max(0, h.attempts - 1);
        const at = statusMs(h.lastResult);
        if (h.status === "uploaded" && at !== undefined) {
          c.lastAcceptedAt = Math.max(c.lastAcceptedAt ?? at, at);
        }
      }
      if (slot.hsDirs.length > 0 && slot.hsDirs.every((h) => h.status === "uploaded")) {
        c.slotsDone++;
      }
    }
  }
  c.complete = c.slotsTotal > 0 && c.slotsDone === c.slotsTotal;
  return c;
}

/** Warning lines (`[warn]`, `[err]`) a tor log got after `fromByte`, grouped by message. */
export async function torWarnings(
  path: string,
  fromByte: number,
): Promise<{ count: number; top: [string, number][] }> {
  const bytes = await Deno.readFile(path).catch(() => new Uint8Array());
  const text = new TextDecoder().decode(bytes.subarray(fromByte));
  const groups = new Map<string, number>();
  let count = 0;
  for (const line of text.split("\n")) {
    const m = /\[(warn|err)\] (.*)$/.exec(line);
    if (m === null) continue;
    count++;
    const key = m[2]!.replace(/\$?[0-9A-F]{40}(~\w+)?/g, "$FP").replace(/[a-z2-7]{56}/g, "ADDR")
      .replace(/\d+/g, "N").slice(0, 160);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return { count, top: [...groups].sort((a, b) => b[1] - a[1]).slice(0, 5) };
}

/** A file's size now (0 when absent). */
export async function fileSize(path: string): Promise<number> {
  return (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
}

/** One frontend fetched through the client. */
export interface ReachResult {
  name: string;
  ok: boolean;
  ms: number;
  attempts?: number;
  answeredBy?: string;
  error?: string;
}

/** `k` of `items`, picked by a generator seeded with `seed` (the same pick for the same seed). */
export function seededSample<T>(items: readonly T[], k: number, seed: string): T[] {
  const rng = seededRng(`shared-tor sample ${seed}`);
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(randomUnit(rng) * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.min(k, pool.length));
}

/**
 * Fetches `http://<address>.onion/` of each target through the client's SOCKS port, `parallel`
 * at a time, each within `timeoutMs` (attempts of at most 20 s, 1 s apart).
 */
export async function reachSample(
  targets: readonly { name: string; address: string }[],
  proxy: SocksProxy,
  options: { parallel: number; timeoutMs: number },
): Promise<ReachResult[]> {
  const results: ReachResult[] = [];
  const queue = [...targets];
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const start = Date.now();
      try {
        const r = await fetchOnion(`http://${t.address}.onion/`, {
          proxy,
          timeoutMs: options.timeoutMs,
          attemptTimeoutMs: 20_000,
        });
        results.push({
          name: t.name,
          ok: true,
          ms: r.elapsedMs,
          attempts: r.attempts,
          answeredBy: r.response.text().trim(),
        });
      } catch (error) {
        results.push({ name: t.name, ok: false, ms: Date.now() - start, error: String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, worker));
  return results;
}
