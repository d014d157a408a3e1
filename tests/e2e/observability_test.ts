// deno-lint-ignore-file no-console -- reports measured times in the CI log
/**
 * End-to-end observability, on the shared private Tor network: what an operator watches.
 *
 * A deployment of its own (`onionbalance config -n 2`, made under the release
 * `onionbalance-config` permissions), its two backend tors, and a balancer beside the shared one
 * with `metrics-listen` on a free loopback port, `audit-interval: 30` and `frontend-probe` every
 * 10 s. A real Prometheus (Debian's `prometheus`) scrapes it every second, and the steps read the
 * series back through Prometheus's HTTP API (so names, types and labels are ones Prometheus
 * accepts), and the status socket. In order:
 * 1. metrics: both backends read 1 in `onionbalance_backend_usable`; one backend tor is killed
 *    (SIGKILL, by the PID the testnet records) and reads 0, left out for failed health checks,
 *    while the other stays 1;
 * 2. the probe: reachable; after the other backend is killed too, unreachable within one probe
 *    interval plus its timeout; reachable again after both backend tors are started again;
 * 3. the audit: every HSDir copy current; one HSDir relay restarted (its cache is then empty):
 *    the next audit finds its copy missing and uploads it again, a later one finds it current;
 * 4. the audit: a second balancer on the same key (and the same tor): each publishes on its
 *    own triggers, and the one whose descriptor the HSDirs do not hold (a lower revision counter,
 *    or the same one published second) reports those copies foreign, with a warning, and does not
 *    upload over them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { restartNode, startBackends, stopNode } from "../../scripts/testnet/mod.ts";
import { runScoped } from "../cli/_compile_flags.ts";
import { startDaemon, type StatusJson } from "./_daemon.ts";
import { sharedNetwork, within } from "./_network.ts";
import { freePort, startPrometheus, until } from "./_prometheus.ts";

const PROBE_INTERVAL_S = 10;
const PROBE_TIMEOUT_S = 10;
const AUDIT_INTERVAL_S = 30;

type Audit = NonNullable<StatusJson["services"][number]["audit"]>;

Deno.test({
  name: "e2e: metrics, the end-to-end probe and the publish audit, read through Prometheus",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const shared = await within(180_000, "boot the shared network", sharedNetwork());
    const { net } = shared;
    const dir = await Deno.makeTempDir({ dir: net.dir, prefix: "observability-" });
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
    const generated = await Deno.readTextFile(configPath);
    // The generated config ends inside its health-check mapping: checks every 10 s.
    const common =
      `  interval: 10\n  timeout: 15\n  failures: 3\naudit-interval: ${AUDIT_INTERVAL_S}\n`;
    await Deno.writeTextFile(
      configPath,
      generated + common + `metrics-listen: 127.0.0.1:${metricsPort}\n` +
        `frontend-probe:\n  interval: ${PROBE_INTERVAL_S}\n  timeout: ${PROBE_TIMEOUT_S}\n`,
    );
    const readable = [dir, net.frontend.cookieFile];
    const daemon = startDaemon(shared, { configPath, statusPath: `${dir}/status.sock`, readable });
    const prometheus = await startPrometheus(dir, metricsPort);
    const query = prometheus.query;
    // --unsafe-logging (startDaemon): the service label is the whole address; a backend's is
    // its config name (the generator names them after their folders).
    const service = `${frontend}.onion`;
    const [victim, survivor] = ["metrics1", "metrics2"];
    assert.match(generated, /name: metrics1\n[^]*name: metrics2\n/);
    const usable = async () =>
      new Map(
        (await query(`onionbalance_backend_usable{service="${service}"}`))
          .map((s) => [s.metric.backend!, s.value[1]]),
      );
    const status = async () => (await daemon.status()).services[0]!;
    const value = async (promql: string) => (await query(promql))[0]?.value[1];
    let second: ReturnType<typeof startDaemon> | undefined;
    // Each step needs the ones before it: the first to fail ends the case (with the logs).
    const step = async (name: string, fn: () => Promise<void>) => {
      if (!await t.step(name, fn)) throw new Error(`step failed: ${name}`);
    };
    try {
      await step(
        "metrics: a killed backend reads 0 and left out, the other stays 1",
        async () => {
          const started = Date.now();
          await daemon.waitForLine(/Serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/, 60_000);
          const both = await until(240_000, "both backends usable in Prometheus", async () => {
            const values = await usable();
            return values.get(victim) === "1" && values.get(survivor) === "1" ? values : undefined;
          });
          console.log(
            `Prometheus: both backends usable after ${
              ((Date.now() - started) / 1000).toFixed(1)
            } s: ${JSON.stringify(Object.fromEntries(both))}`,
          );
          // Names, types and labels as Prometheus took them.
          const metadata = await (await fetch(`${prometheus.api}/api/v1/metadata`)).json() as {
            data: Record<string, { type: string }[]>;
          };
          const types = (name: string) => metadata.data[name]?.[0]?.type;
          assert.equal(types("onionbalance_backend_usable"), "gauge");
          assert.equal(types("onionbalance_hsdir_uploads_total"), "counter");
          assert.equal(types("onionbalance_health_check_duration_seconds"), "histogram");
          const accepted = await until(60_000, "accepted uploads", async () => {
            const n = await value(
              `onionbalance_hsdir_uploads_total{service="${service}",result="accepted"}`,
            );
            return Number(n ?? 0) > 0 ? n : undefined;
          });
          const publishes = await query(`onionbalance_publishes_total{reason="first"}`);
          assert.ok(publishes.length >= 2, JSON.stringify(publishes));
          const sinceLast = await query(
            `time() - onionbalance_last_publish_timestamp_seconds{service="${service}"}`,
          );
          assert.ok(
            sinceLast.length > 0 && sinceLast.every((s) => Number(s.value[1]) < 300),
            `seconds since the last accepted upload: ${JSON.stringify(sinceLast)}`,
          );
          assert.equal(await value("onionbalance_tor_control_connected"), "1");
          assert.equal((await query("onionbalance_process_resident_memory_bytes")).length, 1);

          const killedAt = Date.now();
          await stopNode(net.dir, backends[0]!.name, { graceMs: 0 });
          const after = await until(120_000, "the killed backend reads 0", async () => {
            const values = await usable();
            return values.get(victim) === "0" ? values : undefined;
          });
          const leftOutS = (Date.now() - killedAt) / 1000;
          assert.equal(after.get(survivor), "1", "the other backend stays usable");
          const why = await query(`onionbalance_backend_left_out{backend="${victim}"}`);
          assert.deepEqual(why.map((s) => [s.metric.reason, s.value[1]]), [[
            "health_checks_failed",
            "1",
          ]]);
          const failed = await value(
            `onionbalance_health_checks_total{backend="${victim}",result="failed"}`,
          );
          assert.ok(Number(failed) >= 3, String(failed));
          console.log(
            `Prometheus: killed backend read 0 after ${leftOutS.toFixed(1)} s (left out: ` +
              `health_checks_failed), the other stayed 1; ${accepted} uploads accepted before`,
          );
        },
      );

      await step(
        "probe: unreachable within an interval and a timeout of the last backend's death, then reachable again",
        async () => {
          await until(120_000, "reachable with one backend left", async () => {
            const r = (await status()).reachability;
            return r?.reachable === true && r.consecutiveFailures === 0 ? r : undefined;
          });
          assert.equal(
            await until(30_000, "reachable in Prometheus", async () => {
              const v = await value(`onionbalance_frontend_reachable{service="${service}"}`);
              return v === "1" ? v : undefined;
            }),
            "1",
          );
          const killedAt = Date.now();
          await stopNode(net.dir, backends[1]!.name, { graceMs: 0 });
          const down = await until(90_000, "unreachable", async () => {
            const r = (await status()).reachability;
            return r?.reachable === false ? r : undefined;
          });
          const downS = (Date.now() - killedAt) / 1000;
          // The first probe after the death starts within one interval and fails within its
          // timeout; the status is read once a second.
          assert.ok(
            downS <= PROBE_INTERVAL_S + PROBE_TIMEOUT_S + 2,
            `unreachable only after ${downS} s`,
          );
          assert.equal(
            await until(30_000, "unreachable in Prometheus", async () => {
              const v = await value(`onionbalance_frontend_reachable{service="${service}"}`);
              return v === "0" ? v : undefined;
            }),
            "0",
          );
          const restartedAt = Date.now();
          for (const b of backends) await restartNode(net.dir, b.name);
          await until(240_000, "reachable again", async () => {
            const r = (await status()).reachability;
            return r?.reachable === true ? r : undefined;
          });
          const upS = (Date.now() - restartedAt) / 1000;
          const probes = await query(`onionbalance_frontend_probes_total{service="${service}"}`);
          assert.deepEqual(probes.map((s) => s.metric.result).sort(), ["failed", "ok"]);
          console.log(
            `Probe: unreachable ${downS.toFixed(1)} s after the last backend was killed ` +
              `(${down.error}); reachable ${upS.toFixed(1)} s after both were started again`,
          );
        },
      );

      await step("audit: a restarted HSDir's missing copy is uploaded again", async () => {
        const allCurrent = await until(
          AUDIT_INTERVAL_S * 4_000,
          "an audit with every copy current",
          async () => {
            const s = await status();
            const a = s.audit;
            const slot = a === null ? undefined : s.descriptors[a.descriptor];
            const ok = a !== null && slot !== null && slot !== undefined &&
              a.revisionCounter === slot.revisionCounter &&
              a.hsDirs.every((c) => c.state === "current");
            return ok ? a : undefined;
          },
        );
        const relay = allCurrent.hsDirs.find((c) => net.relays.includes(c.nickname));
        assert.ok(relay !== undefined, JSON.stringify(allCurrent.hsDirs));
        await stopNode(net.dir, relay.nickname, { graceMs: 0 });
        await restartNode(net.dir, relay.nickname);
        const restartedAt = Date.now();
        const copyOf = (a: Audit) => a.hsDirs.find((c) => c.fingerprint === relay.fingerprint);
        const missing = await until(AUDIT_INTERVAL_S * 3_000, "the copy missing", async () => {
          const a = (await status()).audit;
          return a !== null && copyOf(a)?.state === "missing" ? a : undefined;
        });
        const missingS = (Date.now() - restartedAt) / 1000;
        assert.equal(copyOf(missing)?.reuploaded, true, JSON.stringify(missing));
        // The upload again: the same descriptor (unless a period change replaced it meanwhile)
        // went to that HSDir a second time.
        const again = (await status()).descriptors[missing.descriptor];
        if (again?.revisionCounter === missing.revisionCounter) {
          const upload = again.hsDirs.find((h) => h.fingerprint === relay.fingerprint);
          assert.ok(upload !== undefined && upload.attempts >= 2, JSON.stringify(upload));
        }
        // A later audit finds it current: of the same descriptor, or of the next one when the
        // time period changed in between (the shared network's periods last 8 minutes).
        const healed = await until(AUDIT_INTERVAL_S * 3_000, "the copy current again", async () => {
          const a = (await status()).audit;
          return a !== null && a.at !== missing.at && copyOf(a)?.state === "current"
            ? a
            : undefined;
        });
        const healedS = (Date.now() - restartedAt) / 1000;
        const reuploads = await until(30_000, "re-uploads in Prometheus", async () => {
          const v = await value(`onionbalance_audit_reuploads_total{service="${service}"}`);
          return Number(v ?? 0) >= 1 ? v : undefined;
        });
        console.log(
          `Audit: HSDir ${relay.nickname} restarted; its copy read missing after ` +
            `${missingS.toFixed(1)} s and was uploaded again; current after ` +
            `${healedS.toFixed(1)} s (revision ${missing.revisionCounter}, then ` +
            `${healed.revisionCounter}; ${reuploads} re-upload(s) counted)`,
        );
      });

      await step(
        "audit: of two managers of one key, the one that published first reports the other's copies foreign and does not fight them",
        async () => {
          // Beside the first (its key path is relative to the config file's folder), with a
          // metrics listener of its own.
          const config2 = `${deploy}/config2.yaml`;
          const metricsPort2 = freePort();
          await Deno.writeTextFile(
            config2,
            generated + common + `metrics-listen: 127.0.0.1:${metricsPort2}\n`,
          );
          second = startDaemon(shared, {
            configPath: config2,
            statusPath: `${dir}/status2.sock`,
            readable,
          });
          const startedAt = Date.now();
          // Each publishes on its own triggers (the second at its start, the first when the
          // intro points or the HSDirs change), and revision counters grow with time: whichever
          // published last holds the higher one, and the other finds its copies foreign.
          const managers = [
            { name: "first", daemon, port: metricsPort },
            { name: "second", daemon: second, port: metricsPort2 },
          ];
          const found = await until(AUDIT_INTERVAL_S * 6_000, "foreign copies", async () => {
            for (const m of managers) {
              const s = (await m.daemon.status()).services[0]!;
              const a = s.audit;
              if (a !== null && a.hsDirs.some((c) => c.state === "foreign")) {
                return { ...m, audit: a, slot: s.descriptors[a.descriptor]! };
              }
            }
            return undefined;
          });
          const foundS = (Date.now() - startedAt) / 1000;
          const { audit } = found;
          const copies = audit.hsDirs.filter((c) => c.state === "foreign");
          for (const c of copies) {
            assert.equal(c.reuploaded, false);
            // Higher, or equal when both published in the same second (the same trigger, such
            // as a new consensus): the HSDirs keep the first of two equal revisions.
            assert.ok(BigInt(c.revisionCounter!) >= BigInt(audit.revisionCounter), c.detail ?? "");
            assert.match(c.detail ?? "", /^(revision \d+, above ours|the same revision as ours)/);
            const known = /; (\d+) of its \d+ intro points are this service's backends'$/
              .exec(c.detail ?? "");
            assert.ok(known !== null && Number(known[1]) > 0, c.detail ?? "");
          }
          const warning = await found.daemon.waitForLine(
            /\[WARNING\]: Audit of the .* foreign/,
            5_000,
          );
          // Not fought: its next audit still finds them foreign, and it uploaded nothing over
          // them meanwhile (unless it republished for a reason of its own).
          const attempts = (slot: typeof found.slot) =>
            slot.hsDirs.map((h) => h.attempts).reduce((a, b) => a + b, 0);
          const next = await until(AUDIT_INTERVAL_S * 2_000, "the next audit", async () => {
            const s = (await found.daemon.status()).services[0]!;
            return s.audit !== null && s.audit.at !== audit.at ? s : undefined;
          });
          const slotNow = next.descriptors[audit.descriptor];
          if (slotNow?.revisionCounter === found.slot.revisionCounter) {
            assert.equal(attempts(slotNow), attempts(found.slot), "no upload over them");
            assert.ok(next.audit!.hsDirs.some((c) => c.state === "foreign"));
          }
          const page = await (await fetch(`http://127.0.0.1:${found.port}/metrics`)).text();
          const counted = new RegExp(
            `^onionbalance_hsdir_copies\\{service="${service}",state="foreign"\\} (\\d+)$`,
            "m",
          ).exec(page)?.[1];
          assert.ok(Number(counted) > 0, page.slice(0, 2000));
          console.log(
            `Audit: the ${found.name} manager read the other's descriptor foreign on ` +
              `${copies.length} of ${audit.hsDirs.length} HSDirs, ${foundS.toFixed(1)} s after ` +
              `the second started (metrics: ${counted}); ${warning.slice(0, 300)}`,
          );
        },
      );
    } catch (error) {
      console.log(daemon.lines.slice(-60).join("\n"));
      if (second !== undefined) {
        console.log(`second manager:\n${second.lines.slice(-30).join("\n")}`);
      }
      console.log(prometheus.log().slice(-4000));
      throw error;
    } finally {
      await second?.stop();
      await prometheus.stop();
      await daemon.stop();
      for (const b of backends) await stopNode(net.dir, b.name, { graceMs: 0 }).catch(() => {});
    }
  },
});
