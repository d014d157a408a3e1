import assert from "node:assert/strict";
import { type Json, pythonJson, statusReport, statusTime } from "../../src/balancer/mod.ts";
import { PYTHON, PYTHON_PERMISSIONS, runPythonScript } from "../_python.ts";
import { answer, type Daemon, daemon, fetchesDone, NOW } from "./_daemon.ts";
import { type Post, until } from "./_fake_tor.ts";
import { AUDIT_AFTER_PUBLISH_MS, clientSlot } from "../../src/balancer/audit.ts";
import { FIRST_PROBE_DELAY_MS } from "../../src/balancer/frontend_probe.ts";
import { reachDaemon } from "./_reach.ts";

const PROBE = new URL("./_status_probe.ts", import.meta.url).pathname;
const CHILD_PERMISSIONS: Deno.PermissionOptionsObject = {
  run: ["deno", PYTHON],
  read: ["/tmp"],
  write: ["/tmp"],
};

/** Python's `json.dumps(value, sort_keys=True)`, from OnionBalance's interpreter. */
async function pythonDumps(value: Json): Promise<string> {
  return (await runPythonScript<{ text: string }>("ob_status.py", { dumps: value })).text;
}

Deno.test({
  name: "pythonJson() writes exactly what Python's json.dumps(sort_keys=True) writes",
  permissions: PYTHON_PERMISSIONS,
  fn: async () => {
    const sample: Json = {
      services: [{ onionAddress: "x.onion", instances: [], n: 0, on: true, off: false }],
      numbers: [0, 1, -1, 42, 2 ** 53 - 1, -123456789012, 2.5, -0.125, 1e300],
      nested: { z: { y: { x: [[], {}, [null]] } }, empty: "" },
      unicode: "é ü ✓ 😀 \u00a0 \u2028 日本",
      escapes: 'quote" backslash\\ slash/ tab\t nl\n cr\r bs\b ff\f nul\u0000 us\u001f del\u007f',
      "é": "accented key",
      "\uff01": "fullwidth key (U+FF01)",
      "😀": "astral key (U+1F600 sorts after U+FF01 in Python, before it in UTF-16)",
      "Z": "upper",
      "a b": "space",
      "": "empty key",
      scalars: [null, true, 0, "", "😀", []],
    };
    assert.equal(pythonJson(sample), await pythonDumps(sample));
  },
});

Deno.test("statusTime() writes UTC `YYYY-MM-DD HH:MM:SS`, dropping milliseconds", () => {
  assert.equal(statusTime(undefined), null);
  assert.equal(statusTime(0), "1970-01-01 00:00:00");
  assert.equal(statusTime(Date.UTC(2030, 0, 1, 13, 5, 9, 999)), "2030-01-01 13:05:09");
});

/** A daemon with 3 backends: two fetched and published, one whose fetch failed. */
async function publishedState(): Promise<Daemon> {
  const d = daemon(3);
  d.tor.onFetch = (address) => {
    const i = d.backends.findIndex((b) => b.address === address);
    return i === 2 ? { failed: "NOT_FOUND" } : answer(d.backends[i]!, 1);
  };
  // One HSDir refuses the upload.
  let refused: string | undefined;
  d.poster.answer = (post: Post) => {
    refused ??= post.hsDir;
    return post.hsDir === refused
      ? { status: "failed", reason: "UPLOAD_REJECTED" }
      : { status: "uploaded" };
  };
  await d.at(NOW);
  await fetchesDone(d);
  d.clock.set(NOW + 1234);
  await d.at(NOW + 1234);
  await d.poster.settle();
  return d;
}

/** The state OnionBalance's objects would hold, in `ob_status.py`'s job format. */
function obState(d: Daemon) {
  return {
    services: d.balancer.services.map((service) => ({
      address: `${service.address}.onion`,
      first_attempt_ms: service.lastAttemptAt.get("first") ?? null,
      second_attempt_ms: service.lastAttemptAt.get("second") ?? null,
      instances: service.backends.map((b) => ({
        address: b.address,
        received_ms: b.descriptorReceivedAt ?? null,
        intro_set_modified_ms: b.introSetModifiedAt ?? null,
        intro_points: b.introPoints.length,
      })),
    })),
  };
}

/** `ours` reduced to the keys (and array lengths) of `theirs`; fails on a missing key. */
function project(ours: unknown, theirs: unknown, path = "$"): Json {
  if (Array.isArray(theirs)) {
    assert.ok(Array.isArray(ours), `${path} is not an array`);
    assert.equal(ours.length, theirs.length, `${path} length`);
    return theirs.map((t, i) => project(ours[i], t, `${path}[${i}]`));
  }
  if (theirs !== null && typeof theirs === "object") {
    assert.ok(ours !== null && typeof ours === "object", `${path} is not an object`);
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(theirs)) {
      assert.ok(key in ours, `${path}.${key} is missing`);
      out[key] = project((ours as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return out;
  }
  return ours as Json;
}

Deno.test({
  name: "statusReport() has OnionBalance 0.2.2's keys and values for the same state",
  permissions: PYTHON_PERMISSIONS,
  fn: async () => {
    const d = await publishedState();
    const ours = JSON.parse(pythonJson(statusReport(d.balancer, NOW + 2000)));
    const theirs = (await runPythonScript<{ text: string }>("ob_status.py", {
      status: obState(d),
    })).text;
    // OnionBalance's document, byte for byte, is ours without the added keys.
    assert.equal(pythonJson(project(ours, JSON.parse(theirs))), theirs);
    const service = JSON.parse(theirs).services[0];
    assert.deepEqual(Object.keys(service).sort(), [
      "instances",
      "onionAddress",
      "publishAttemptFirstDescriptor",
      "publishAttemptSecondDescriptor",
    ]);
    assert.match(service.onionAddress, /^[a-z2-7]{56}\.onion$/);
    assert.equal(service.publishAttemptFirstDescriptor, statusTime(NOW + 1234));
    assert.deepEqual(Object.keys(service.instances[0]).sort(), [
      "descriptorReceived",
      "introPointsNum",
      "introSetModified",
      "onionAddress",
    ]);
    assert.deepEqual(service.instances[2], {
      onionAddress: `${d.backends[2]!.address}.onion`,
      received: null,
    });
  },
});

Deno.test("statusReport() adds upload results, the last successful publish and backend states", async () => {
  const d = await publishedState();
  const report = JSON.parse(pythonJson(statusReport(d.balancer, NOW + 2000)));
  assert.deepEqual(Object.keys(report).sort(), ["consensus", "services"]);
  assert.deepEqual(report.consensus, {
    validAfter: "2030-01-01 13:00:00",
    timePeriod: 21915,
    periodLengthMinutes: 1440,
    hsDirs: 30,
  });
  const [service] = report.services;
  assert.equal(service.lastSuccessfulPublish, statusTime(NOW + 1234));
  for (const slot of ["first", "second"]) {
    const desc = service.descriptors[slot];
    const published = d.service.published.get(slot as "first" | "second")!;
    assert.equal(desc.timePeriod, published.times.period.number);
    assert.equal(desc.revisionCounter, published.revisionCounter.toString());
    assert.equal(desc.reason, "first publish");
    assert.equal(desc.descriptors, 1);
    assert.deepEqual(desc.introPoints, [4]);
    assert.equal(desc.hsDirs.length, 8);
    for (const h of desc.hsDirs) {
      assert.match(h.fingerprint, /^[0-9A-F]{40}$/);
      assert.deepEqual(Object.keys(h).sort(), [
        "attempts",
        "descriptor",
        "fingerprint",
        "lastAttempt",
        "lastResult",
        "nickname",
        "reason",
        "status",
      ]);
    }
  }
  const all = ["first", "second"].flatMap((slot) => service.descriptors[slot].hsDirs);
  const failed = all.filter((h: { status: string }) => h.status === "failed");
  assert.ok(failed.length >= 1);
  assert.ok(failed.every((h: { reason: string }) => h.reason === "UPLOAD_REJECTED"));
  assert.equal(
    all.filter((h: { status: string }) => h.status === "uploaded").length,
    16 - failed.length,
  );

  const [b0, , b2] = service.instances;
  assert.equal(b0.state, "usable");
  assert.equal(b0.reason, null);
  assert.equal(b0.lastFetch, statusTime(NOW));
  assert.equal(b0.fetchFailures, 0);
  assert.equal(b0.revisionCounter, "1");
  assert.equal(b0.health, null);
  assert.equal(b2.state, "unusable");
  assert.equal(b2.reason, "no descriptor yet");
  assert.equal(b2.fetchFailures, 1);
  assert.equal(b2.revisionCounter, null);
});

Deno.test("statusReport() before anything was published has null descriptors", () => {
  const d = daemon(1);
  const report = statusReport(d.balancer, NOW) as { [key: string]: Json };
  assert.equal(report.consensus, null);
  const service = (report.services as { [key: string]: Json }[])[0]!;
  assert.equal(service.publishAttemptFirstDescriptor, null);
  assert.equal(service.publishAttemptSecondDescriptor, null);
  assert.equal(service.lastSuccessfulPublish, null);
  assert.deepEqual(service.descriptors, { first: null, second: null });
});

/** Runs `_status_probe.ts` with exactly the Unix-socket grants for `path`. */
async function probe(input: { mode: string; path: string; report: string }) {
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--allow-net=unix:${input.path}`,
      `--allow-read=${input.path}`,
      `--allow-write=${input.path}`,
      PROBE,
      JSON.stringify(input),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(text);
}

Deno.test({
  name:
    "StatusServer answers one JSON document per connection and removes its socket file on close",
  permissions: CHILD_PERMISSIONS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-status-" });
    try {
      const report = pythonJson({ services: [{ onionAddress: "é.onion", instances: [] }] });
      const result = await probe({ mode: "self", path: `${dir}/control`, report });
      assert.deepEqual(result, {
        ok: true,
        documents: new Array(6).fill(report),
        calls: 6,
        existedWhileOpen: true,
        removedOnClose: true,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "StatusServer.listen() replaces a stale socket file but never a regular file",
  permissions: CHILD_PERMISSIONS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-status-" });
    try {
      // A socket file left by a process that died: bound, never unlinked.
      const stale = `${dir}/stale`;
      const bind = await new Deno.Command(PYTHON, {
        args: ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", stale],
      }).output();
      assert.equal(bind.code, 0);
      assert.ok((await Deno.lstat(stale)).isSocket);
      const result = await probe({ mode: "self", path: stale, report: "{}" });
      assert.equal(result.ok, true);
      assert.deepEqual(result.documents, new Array(6).fill("{}"));

      const regular = `${dir}/regular`;
      await Deno.writeTextFile(regular, "keep me");
      const refused = await probe({ mode: "listen", path: regular, report: "{}" });
      assert.equal(refused.ok, false);
      assert.equal(refused.name, "AddrInUse");
      assert.equal(await Deno.readTextFile(regular), "keep me");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("statusReport() has null audit and reachability before any audit or probe", () => {
  const d = daemon(1);
  const report = JSON.parse(pythonJson(statusReport(d.balancer, NOW)));
  assert.equal(report.services[0].audit, null);
  assert.equal(report.services[0].reachability, null);
});

Deno.test("statusReport() shows the last publish audit and the end-to-end probe", async () => {
  const lost = new Set<string>();
  const results = [
    { ok: true, durationMs: 1234.4 },
    { ok: false, error: "introduction failed", durationMs: 20_000 },
  ];
  const r = reachDaemon({
    probe: () => Promise.resolve(results.shift()!),
    copy: (hsDir) => (lost.has(hsDir) ? { failed: "NOT_FOUND" } : undefined),
  });
  const { d } = r;
  const address = d.service.address;
  d.tor.onFetch = (onion) => answer(d.backends.find((b) => b.address === onion)!, 1);
  await r.at(NOW);
  await fetchesDone(d);
  await r.at(NOW + 1000);
  await d.poster.settle();
  let service = JSON.parse(pythonJson(statusReport(r.balancer, NOW + 1000))).services[0];
  assert.equal(service.audit, null, "not audited yet");
  assert.equal(service.reachability, null, "not probed in the tick of the first publish");

  const [slotName, slot] = clientSlot(d.service, r.balancer.view!)!;
  const missing = slot.uploads[1]!;
  lost.add(missing.relay.fingerprint);
  // The first probe is due FIRST_PROBE_DELAY_MS after the first publish's tick: with the audit.
  const auditAt = NOW + 1000 + AUDIT_AFTER_PUBLISH_MS;
  assert.equal(auditAt, NOW + 1000 + FIRST_PROBE_DELAY_MS);
  await r.at(auditAt);
  await until(() => r.balancer.audit.report(address) !== undefined, "the audit");
  await until(() => r.balancer.probes.state(address) !== undefined, "the first probe");
  await d.poster.settle();
  service = JSON.parse(pythonJson(statusReport(r.balancer, auditAt))).services[0];
  assert.deepEqual(service.reachability, {
    reachable: true,
    lastProbe: statusTime(auditAt),
    durationMs: 1234,
    lastReachable: statusTime(auditAt),
    consecutiveFailures: 0,
    error: null,
  });
  await r.at(auditAt + 60_000);
  await until(() => r.balancer.probes.state(address)?.reachable === false, "the second probe");
  service = JSON.parse(pythonJson(statusReport(r.balancer, auditAt + 61_000))).services[0];
  const revision = slot.revisionCounter.toString();
  assert.deepEqual(service.audit, {
    at: statusTime(auditAt),
    descriptor: slotName,
    timePeriod: slot.times.period.number,
    revisionCounter: revision,
    counts: { current: 7, missing: 1, stale: 0, foreign: 0, undecryptable: 0, unanswered: 0 },
    hsDirs: slot.uploads.map((u) => ({
      fingerprint: u.relay.fingerprint,
      nickname: u.relay.nickname,
      ...(u === missing
        ? {
          state: "missing",
          revisionCounter: null,
          detail: "the HSDir has none",
          reuploaded: true,
        }
        : { state: "current", revisionCounter: revision, detail: null, reuploaded: false }),
    })),
  });
  assert.deepEqual(service.reachability, {
    reachable: false,
    lastProbe: statusTime(auditAt + 60_000),
    durationMs: 20_000,
    lastReachable: statusTime(auditAt),
    consecutiveFailures: 1,
    error: "introduction failed",
  });
});
