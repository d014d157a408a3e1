// deno-lint-ignore-file no-console -- reports measured times in the CI log
/**
 * End-to-end metrics: a real Prometheus (Debian's `prometheus`) scrapes a balancer on the shared
 * private Tor network every second, and the case reads the series back through Prometheus's
 * HTTP API, so names, types and labels are ones Prometheus accepts.
 *
 * A deployment of its own (`onionbalance config -n 2`, made under the release
 * `onionbalance-config` permissions), its two backend tors, and a second balancer beside the
 * shared one with `metrics-listen` on a free loopback port. Both backends read 1 in
 * `onionbalance_backend_usable`; one backend tor is killed (SIGKILL, by the PID the testnet
 * records) and its series reads 0, with `onionbalance_backend_left_out{reason=
 * "health_checks_failed"}`, while the other stays 1.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startBackends, stopNode } from "../../scripts/testnet/mod.ts";
import { runScoped } from "../cli/_compile_flags.ts";
import { startDaemon } from "./_daemon.ts";
import { sharedNetwork, within } from "./_network.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port nobody listens on now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query through Prometheus's HTTP API. */
async function query(api: string, promql: string): Promise<Sample[]> {
  const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await response.json() as { status: string; data?: { result: Sample[] } };
  assert.equal(body.status, "success", JSON.stringify(body));
  return body.data!.result;
}

/** Polls `probe` every second until it returns a value, for at most `ms`. */
async function until<T>(ms: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
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

Deno.test({
  name:
    "e2e: Prometheus scrapes the daemon's metrics: both backends usable, then a killed one reads 0 and left out while the other stays 1",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const shared = await within(180_000, "boot the shared network", sharedNetwork());
    const { net } = shared;
    const dir = await Deno.makeTempDir({ dir: net.dir, prefix: "metrics-" });
    const deploy = `${dir}/deploy`;
    const made = await runScoped("compile:config", [
      "config",
      "--no-interactive",
      "--output",
      deploy,
      "-n",
      "2",
      "-t",
      "metrics",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const frontend = /service 1: ([a-z2-7]{56})\.onion/.exec(made.stdout)?.[1];
    assert.ok(frontend !== undefined, made.stdout);
    const backends = await within(
      120_000,
      "start the backends",
      startBackends(net, 2, {
        masterOnionAddress: `${frontend}.onion`,
        hiddenServiceDirs: [
          `${deploy}/metrics1/hidden_service`,
          `${deploy}/metrics2/hidden_service`,
        ],
        timeoutMs: 110_000,
      }),
    );
    const metricsPort = freePort();
    const configPath = `${deploy}/config.yaml`;
    // The generated config ends inside its health-check mapping: checks every 10 s.
    await Deno.writeTextFile(
      configPath,
      `  interval: 10\n  timeout: 15\n  failures: 3\nmetrics-listen: 127.0.0.1:${metricsPort}\n`,
      { append: true },
    );
    const daemon = startDaemon(shared, {
      configPath,
      statusPath: `${dir}/status.sock`,
      readable: [dir, net.frontend.cookieFile],
    });
    const webPort = freePort();
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
        "scrape_configs:\n  - job_name: onionbalance\n" +
        `    static_configs:\n      - targets: ["127.0.0.1:${metricsPort}"]\n`,
    );
    const prometheus = new Deno.Command("prometheus", {
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
    const promLog: string[] = [];
    void (async () => {
      for await (const chunk of prometheus.stderr.pipeThrough(new TextDecoderStream())) {
        promLog.push(chunk);
      }
    })().catch(() => {});
    const api = `http://127.0.0.1:${webPort}`;
    // --unsafe-logging (startDaemon): the service label is the whole address; a backend's is
    // its config name (the generator names them after their folders).
    const label = (address: string | undefined) => `${address}.onion`;
    const [victim, survivor] = ["metrics1", "metrics2"];
    assert.match(await Deno.readTextFile(configPath), /name: metrics1\n[^]*name: metrics2\n/);
    const usable = async () =>
      new Map(
        (await query(api, `onionbalance_backend_usable{service="${label(frontend)}"}`))
          .map((s) => [s.metric.backend!, s.value[1]]),
      );
    try {
      const started = Date.now();
      await daemon.waitForLine(/Serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/, 60_000);
      const both = await until(240_000, "both backends usable in Prometheus", async () => {
        const values = await usable();
        return values.get(victim) === "1" && values.get(survivor) === "1" ? values : undefined;
      });
      console.log(
        `Prometheus: both backends usable after ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
          JSON.stringify(Object.fromEntries(both)),
      );
      // Names, types and labels as Prometheus took them.
      const metadata = await (await fetch(`${api}/api/v1/metadata`)).json() as {
        data: Record<string, { type: string }[]>;
      };
      const types = (name: string) => metadata.data[name]?.[0]?.type;
      assert.equal(types("onionbalance_backend_usable"), "gauge");
      assert.equal(types("onionbalance_hsdir_uploads_total"), "counter");
      assert.equal(types("onionbalance_health_check_duration_seconds"), "histogram");
      const accepted = await until(60_000, "accepted uploads", async () => {
        const s = await query(
          api,
          `onionbalance_hsdir_uploads_total{service="${label(frontend)}",result="accepted"}`,
        );
        return Number(s[0]?.value[1] ?? 0) > 0 ? s[0]!.value[1] : undefined;
      });
      const publishes = await query(api, `onionbalance_publishes_total{reason="first"}`);
      assert.ok(publishes.length >= 2, JSON.stringify(publishes));
      const sinceLast = await query(
        api,
        `time() - onionbalance_last_publish_timestamp_seconds{service="${label(frontend)}"}`,
      );
      assert.ok(sinceLast.length > 0 && sinceLast.every((s) => Number(s.value[1]) < 300));
      assert.equal((await query(api, "onionbalance_tor_control_connected"))[0]?.value[1], "1");
      assert.ok(
        (await query(api, "onionbalance_process_resident_memory_bytes")).length === 1,
        "process metrics",
      );

      const killedAt = Date.now();
      await stopNode(net.dir, backends[0]!.name, { graceMs: 0 });
      const after = await until(120_000, "the killed backend reads 0", async () => {
        const values = await usable();
        return values.get(victim) === "0" ? values : undefined;
      });
      const leftOutS = (Date.now() - killedAt) / 1000;
      assert.equal(after.get(survivor), "1", "the other backend stays usable");
      const why = await query(
        api,
        `onionbalance_backend_left_out{backend="${victim}"}`,
      );
      assert.deepEqual(why.map((s) => [s.metric.reason, s.value[1]]), [[
        "health_checks_failed",
        "1",
      ]]);
      const failed = await query(
        api,
        `onionbalance_health_checks_total{backend="${victim}",result="failed"}`,
      );
      assert.ok(Number(failed[0]?.value[1]) >= 3, JSON.stringify(failed));
      console.log(
        `Prometheus: killed backend read 0 after ${leftOutS.toFixed(1)} s (left out: ` +
          `health_checks_failed), the other stayed 1; ${accepted} uploads accepted before`,
      );
    } catch (error) {
      console.log(daemon.lines.slice(-40).join("\n"));
      console.log(promLog.join("").slice(-4000));
      throw error;
    } finally {
      prometheus.kill("SIGTERM");
      await within(30_000, "prometheus to stop", prometheus.status);
      await daemon.stop();
      await stopNode(net.dir, backends[1]!.name, { graceMs: 0 }).catch(() => {});
    }
  },
});
