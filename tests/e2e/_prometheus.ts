/**
 * A real Prometheus (Debian's `prometheus`) for the end-to-end cases: started on a free loopback
 * port, scraping one target every second, read through its HTTP API.
 *
 * @module
 */

import assert from "node:assert/strict";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port nobody listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** One series of an instant query's result. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus. */
export interface PrometheusProcess {
  /** Its HTTP API's base URL. */
  api: string;
  /** What it wrote to standard error so far. */
  log(): string;
  /** An instant query. */
  query(promql: string): Promise<Sample[]>;
  /** Stops it (SIGTERM), waiting at most 30 s. */
  stop(): Promise<void>;
}

/** Starts Prometheus in `dir`, scraping `127.0.0.1:targetPort` every second. */
export async function startPrometheus(dir: string, targetPort: number): Promise<PrometheusProcess> {
  const webPort = freePort();
  await Deno.writeTextFile(
    `${dir}/prometheus.yml`,
    "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
      "scrape_configs:\n  - job_name: onionbalance\n" +
      `    static_configs:\n      - targets: ["127.0.0.1:${targetPort}"]\n`,
  );
  const child = new Deno.Command("prometheus", {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/tsdb`,
      `--web.listen-address=127.0.0.1:${webPort}`,
      "--log.level=warn",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  void (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      chunks.push(chunk);
    }
  })().catch(() => {});
  const api = `http://127.0.0.1:${webPort}`;
  return {
    api,
    log: () => chunks.join(""),
    async query(promql) {
      const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = await response.json() as { status: string; data?: { result: Sample[] } };
      assert.equal(body.status, "success", JSON.stringify(body));
      return body.data!.result;
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` every second until it returns a value, for at most `ms`. */
export async function until<T>(
  ms: number,
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms: ${what} (${last})`);
    await sleep(1_000);
  }
}
