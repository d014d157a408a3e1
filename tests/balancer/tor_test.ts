import assert from "node:assert/strict";
import { fetchBackend, isTestingNetwork, loadNetworkView } from "../../src/balancer/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { blindPublicKey } from "../../src/keys/mod.ts";
import { FakeTor } from "./_fake_tor.ts";
import { answer, DOCS, NOW } from "./_daemon.ts";
import { fixtureBackend, networkView } from "./_fixtures.ts";

const VIEW = networkView();
const OPTIONS = { now: new Date(NOW), timeoutMs: 10_000 };

Deno.test("isTestingNetwork() reads GETCONF TestingTorNetwork", async () => {
  const tor = new FakeTor();
  assert.equal(await isTestingNetwork(tor), false);
  tor.testingNetwork = true;
  assert.equal(await isTestingNetwork(tor), true);
  assert.deepEqual(tor.commands, ["GETCONF TestingTorNetwork", "GETCONF TestingTorNetwork"]);
});

Deno.test("loadNetworkView() builds the view from the microdesc consensus and md/all", async () => {
  const tor = new FakeTor();
  tor.consensus = DOCS.consensus;
  tor.microdescs = DOCS.microdescs;
  const view = await loadNetworkView(tor, { isTestingNetwork: false });
  assert.equal(view.hsDirs.length, 30);
  assert.deepEqual(tor.commands, [
    "GETINFO dir/status-vote/current/consensus-microdesc",
    "GETINFO md/all",
  ]);
});

Deno.test("fetchBackend() returns the checked descriptor and the HSDir it came from", async () => {
  const tor = new FakeTor();
  const b = fixtureBackend("tor test");
  tor.onFetch = () => answer(b, 7);
  const outcome = await fetchBackend(tor, b.backend, VIEW, OPTIONS);
  assert.ok(outcome.ok);
  assert.equal(outcome.descriptor.outer.revisionCounter, 7n);
  assert.match(outcome.hsDir, /^[0-9A-F]{40}$/);
  assert.deepEqual(tor.fetched, [b.address]);
});

Deno.test("fetchBackend() does not decode again a descriptor the backend holds, byte for byte", async () => {
  const tor = new FakeTor();
  const b = fixtureBackend("tor test");
  const first = await answer(b, 7);
  tor.onFetch = () => first;
  const one = await fetchBackend(tor, b.backend, VIEW, OPTIONS);
  assert.ok(one.ok && !one.unchanged);
  b.backend.accept(one.descriptor, NOW, one.text);
  const two = await fetchBackend(tor, b.backend, VIEW, OPTIONS);
  assert.ok(two.ok && two.unchanged);
  assert.equal(two.descriptor, one.descriptor);
  assert.equal(b.backend.accept(two.descriptor, NOW + 1000, two.text), "same");
  // A new upload (another revision) is decoded.
  const next = await answer(b, 8);
  tor.onFetch = () => next;
  const three = await fetchBackend(tor, b.backend, VIEW, OPTIONS);
  assert.ok(three.ok && !three.unchanged);
  assert.equal(three.descriptor.outer.revisionCounter, 8n);
});

Deno.test("fetchBackend() refuses a descriptor signed for another address", async () => {
  const tor = new FakeTor();
  const b = fixtureBackend("tor test");
  const other = fixtureBackend("someone else");
  tor.onFetch = async () => ({ ...(await answer(other, 1)), descriptorId: "x".repeat(43) });
  const outcome = await fetchBackend(tor, b.backend, VIEW, OPTIONS);
  assert.ok(!outcome.ok);
  assert.match(outcome.reason, /^HSDir [0-9A-F]{40}: .*not for this address/);
});

Deno.test("fetchBackend() reports tor's failure reason", async () => {
  const tor = new FakeTor();
  const b = fixtureBackend("tor test");
  tor.onFetch = () => ({ failed: "QUERY_NO_HSDIR" });
  const outcome = await fetchBackend(tor, b.backend, VIEW, OPTIONS);
  assert.ok(!outcome.ok && outcome.hsDir !== undefined);
  assert.deepEqual(outcome, {
    ok: false,
    reason: `HSDir ${outcome.hsDir}: QUERY_NO_HSDIR`,
    hsDir: outcome.hsDir,
  });
});

Deno.test("fetchBackend() names one of the HSDirs clients fetch from (SERVER=), spreads over them, and avoids a failed one", async () => {
  const tor = new FakeTor();
  const b = fixtureBackend("tor test");
  tor.onFetch = () => answer(b, 7);
  const times = VIEW.timeline.fetch();
  const dirs = VIEW.responsible(blindPublicKey(b.identity.public, times.period), times, "fetch")
    .map((r) => r.fingerprint);
  assert.equal(dirs.length, 6, "2 replicas × hsdir_spread_fetch 3");
  const rng = seededRng("pick");
  const asked = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const outcome = await fetchBackend(tor, b.backend, VIEW, { ...OPTIONS, rng, avoid: dirs[0] });
    assert.ok(outcome.ok);
    asked.add(outcome.hsDir);
  }
  for (const command of tor.commands.filter((c) => c.startsWith("HSFETCH"))) {
    assert.match(command, new RegExp(`^HSFETCH ${b.address} SERVER=[0-9A-F]{40}$`));
  }
  assert.deepEqual([...asked].sort(), dirs.slice(1).sort(), "every other one, never the avoided");
});
