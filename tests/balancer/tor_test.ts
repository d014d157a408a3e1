import assert from "node:assert/strict";
import { fetchBackend, isTestingNetwork, loadNetworkView } from "../../src/balancer/mod.ts";
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
  assert.deepEqual(outcome, {
    ok: false,
    reason: `HSDir ${"AB".repeat(20)}: QUERY_NO_HSDIR`,
  });
});
