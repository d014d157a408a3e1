import assert from "node:assert/strict";
import { STARTUP_GRACE_MS } from "../../src/balancer/mod.ts";
import { type Deferred, deferred, type FetchAnswer, until } from "./_fake_tor.ts";
import { networkDocuments, VALID_AFTER } from "./_fixtures.ts";
import { answer, daemon, DOCS, fetchesDone, NOW, TIMINGS } from "./_daemon.ts";

Deno.test("Balancer.tick() fetches every backend and publishes once every first fetch finished", async () => {
  const d = daemon(3);
  const pending = new Map<string, Deferred<FetchAnswer>>();
  d.tor.onFetch = (address) => {
    const wait = deferred<FetchAnswer>();
    pending.set(address, wait);
    return wait.promise;
  };
  await d.at(NOW);
  await until(() => d.tor.fetched.length === 3, "three HSFETCHes");
  assert.deepEqual(d.tor.fetched.sort(), d.backends.map((b) => b.address).sort());
  assert.ok(d.tor.commands.includes("SIGNAL ACTIVE"));
  assert.ok(d.tor.commands.includes("GETINFO dir/status-vote/current/consensus-microdesc"));
  assert.ok(d.tor.commands.includes("GETINFO md/all"));
  assert.ok(d.tor.commands.includes("GETCONF TestingTorNetwork"));
  assert.deepEqual(d.balancer.view?.hsDirs.length, 30);

  for (const b of d.backends.slice(0, 2)) pending.get(b.address)!.resolve(await answer(b, 1));
  await until(() => d.backends.slice(0, 2).every((b) => b.backend.descriptor), "two descriptors");
  await d.at(NOW + 1000);
  await d.poster.settle();
  assert.equal(d.poster.posts.length, 0, "published before every first fetch finished");
  assert.equal(d.tor.fetched.length, 3, "no second fetch of a backend in flight or fresh");

  pending.get(d.backends[2]!.address)!.resolve(await answer(d.backends[2]!, 1));
  await fetchesDone(d);
  await d.at(NOW + 2000);
  await d.poster.settle();
  assert.equal(d.poster.posts.length, 16);
  const published = d.service.published.get("second")!;
  assert.equal(published.reason, "first publish");
  assert.equal(published.groups.flat().length, 6, "2 intro points of each of the 3 backends");
});

Deno.test("Balancer.tick() publishes after the start-up grace when a first fetch is still running", async () => {
  const d = daemon(3);
  const slow = deferred<FetchAnswer>();
  d.tor.onFetch = (address) =>
    address === d.backends[2]!.address
      ? slow.promise
      : answer(d.backends.find((b) => b.address === address)!, 1);
  await d.at(NOW);
  await until(
    () => d.backends.slice(0, 2).every((b) => b.backend.descriptor) && d.tor.fetched.length === 3,
    "two descriptors",
  );
  await d.at(NOW + STARTUP_GRACE_MS - 1);
  await d.poster.settle();
  assert.equal(d.poster.posts.length, 0);
  await d.at(NOW + STARTUP_GRACE_MS);
  await d.poster.settle();
  assert.equal(d.poster.posts.length, 16);
  assert.equal(d.service.published.get("first")!.groups.flat().length, 4);

  slow.resolve({ failed: "NOT_FOUND" });
  await fetchesDone(d);
  assert.equal(d.backends[2]!.backend.fetchFailures, 1);
});

Deno.test("Balancer.tick() refuses a rollback descriptor and keeps the newer one", async () => {
  const d = daemon(1);
  const [b] = d.backends;
  d.tor.onFetch = () => answer(b!, 20);
  await d.at(NOW);
  await fetchesDone(d);
  assert.equal(b!.backend.descriptor?.outer.revisionCounter, 20n);
  await d.at(NOW + 1000);
  await d.poster.settle();
  const posts = d.poster.posts.length;
  assert.equal(posts, 16);

  d.tor.onFetch = () => answer(b!, 10);
  const second = NOW + TIMINGS.fetchIntervalMs + 1000;
  await d.at(second);
  await fetchesDone(d);
  assert.equal(d.fetches(0), 2);
  assert.equal(b!.backend.descriptor?.outer.revisionCounter, 20n);
  assert.equal(b!.backend.fetchFailures, 0);
  assert.match(
    d.log.text(),
    /\[warning\] Refused a descriptor of backend .*: revision 10 is lower than one already seen/,
  );
  await d.poster.settle();
  assert.equal(d.poster.posts.length, posts, "nothing republished for an old copy");
  // The next fetch comes at the normal interval, not as a retry.
  await d.at(second + TIMINGS.fetchIntervalMs - 1);
  assert.equal(d.fetches(0), 2);
});

Deno.test("Balancer.tick() retries a failed fetch with growing backoff", async () => {
  const d = daemon(1);
  const [b] = d.backends;
  d.tor.onFetch = () => ({ failed: "NOT_FOUND" });
  await d.at(NOW);
  await fetchesDone(d);
  assert.equal(b!.backend.fetchFailures, 1);
  assert.match(
    d.log.text(),
    /Cannot fetch backend .* \(failure 1\): HSDir .*NOT_FOUND; retry in 5 s/,
  );

  await d.at(NOW + 4_999);
  assert.equal(d.fetches(0), 1, "retried before 5 s");
  await d.at(NOW + 5_000);
  await fetchesDone(d);
  assert.equal(d.fetches(0), 2);
  assert.equal(b!.backend.fetchFailures, 2);
  assert.match(d.log.text(), /\(failure 2\): .*; retry in 10 s/);

  d.tor.onFetch = () => answer(b!, 1);
  await d.at(NOW + 14_999);
  assert.equal(d.fetches(0), 2, "retried before 10 s");
  await d.at(NOW + 15_000);
  await fetchesDone(d);
  assert.equal(d.fetches(0), 3);
  assert.equal(b!.backend.fetchFailures, 0);
  assert.equal(b!.backend.lastFetchOkAt, NOW + 15_000);
  await d.at(NOW + 15_000 + TIMINGS.fetchIntervalMs - 1);
  assert.equal(d.fetches(0), 3, "fetched again before fetch-interval");
});

Deno.test("Balancer.tick() publishes nothing and fetches nothing without a live consensus", async () => {
  const old = networkDocuments({ validAfter: VALID_AFTER - 3 * 86400 });
  const d = daemon(2, old.consensus);
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  await d.at(NOW);
  await d.at(NOW + STARTUP_GRACE_MS);
  await d.poster.settle();
  assert.equal(d.tor.fetched.length, 0);
  assert.equal(d.poster.posts.length, 0);
  assert.match(d.log.text(), /Waiting for a live consensus/);
  assert.equal(d.log.text().match(/Waiting for a live consensus/g)!.length, 1, "said once");

  // tor gets a fresh consensus; the view is re-read within 15 minutes.
  d.tor.consensus = DOCS.consensus;
  await d.at(NOW + 15 * 60_000 + 1);
  await fetchesDone(d);
  assert.equal(d.tor.fetched.length, 2);
});

Deno.test("Balancer.tick() waits for tor's consensus and asks again after 5 s", async () => {
  const d = daemon(1, null);
  const asked = () =>
    d.tor.commands.filter((c) => c === "GETINFO dir/status-vote/current/consensus-microdesc")
      .length;
  await d.at(NOW);
  assert.equal(asked(), 1);
  assert.equal(d.balancer.view, undefined);
  assert.match(
    d.log.text(),
    /Waiting for tor's consensus: tor has no consensus yet: bootstrapped 100% \(done\): Done/,
  );
  assert.doesNotMatch(d.log.text(), /Waiting for[^\n]*(FetchUselessDescriptors|No consensus)/);
  await d.at(NOW + 4_999);
  assert.equal(asked(), 1);
  d.tor.consensus = DOCS.consensus;
  d.tor.onFetch = () => answer(d.backends[0]!, 1);
  await d.at(NOW + 5_000);
  assert.equal(asked(), 2);
  assert.notEqual(d.balancer.view, undefined);
  await fetchesDone(d);
  assert.equal(d.tor.fetched.length, 1);
});

Deno.test("Balancer.run() re-reads the consensus when one arrives and resyncs after a reconnect", async () => {
  const d = daemon(2);
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  const stop = new AbortController();
  const running = d.balancer.run(stop.signal);
  try {
    await until(() => d.poster.posts.length === 16, "the first publish");
    assert.deepEqual(d.tor.subscribedTypes.includes("STATUS_CLIENT"), true);
    const consensusReads = () =>
      d.tor.commands.filter((c) => c.endsWith("consensus-microdesc")).length;
    assert.equal(consensusReads(), 1);

    d.tor.emitLine("STATUS_CLIENT NOTICE CONSENSUS_ARRIVED");
    await until(() => consensusReads() === 2, "the consensus to be read again");

    d.tor.setState("connected");
    await until(() => d.poster.posts.length === 32, "the republish after the reconnect");
    assert.equal(d.tor.fetched.length, 4, "every backend fetched again");
    assert.equal(consensusReads(), 3);
    assert.equal(d.service.published.get("first")!.reason, "the connection to tor is back");
  } finally {
    stop.abort();
    await running;
  }
  await fetchesDone(d);
  assert.deepEqual(d.tor.subscribedTypes, [], "run() unsubscribed on its way out");
});

Deno.test("Balancer fetches a returning backend again when the fetch under way started before it passed", async () => {
  const d = daemon(1);
  const first = deferred<FetchAnswer>();
  d.tor.onFetch = () => first.promise;
  await d.at(NOW);
  await until(() => d.tor.fetched.length === 1, "the first HSFETCH");
  // A health check passes while that fetch is under way: the backend waits for a fetch
  // that starts after the pass (a restarted backend has new intro points).
  const backend = d.backends[0]!.backend;
  const health = d.balancer.health;
  for (let i = 0; i < health.config.failures; i++) {
    health.record(backend, { ok: false, error: "dead", durationMs: 1 }, NOW);
  }
  assert.equal(health.record(backend, { ok: true, durationMs: 1 }, NOW).fetchNow, true);
  first.resolve(await answer(d.backends[0]!, 1));
  await fetchesDone(d);
  assert.deepEqual(
    health.state(backend),
    { kind: "returning", fetchStarted: false },
    "still waiting: that fetch began before",
  );
  d.tor.onFetch = () => answer(d.backends[0]!, 2);
  await d.at(NOW + 1000); // far below the fetch interval
  await until(() => d.tor.fetched.length === 2, "a second HSFETCH at once");
  await fetchesDone(d);
  assert.deepEqual(health.state(backend), { kind: "healthy" });
  assert.equal(backend.descriptor?.outer.revisionCounter, 2n);
});

Deno.test("Balancer.tick() says what tor is doing while it has no consensus, every minute", async () => {
  const d = daemon(1, null);
  d.tor.bootstrapPhase =
    'WARN BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay" ' +
    'WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=warn';
  const waits = () => d.log.text().match(/Waiting for tor's consensus[^\n]*/g) ?? [];
  await d.at(NOW);
  assert.deepEqual(waits(), [
    "Waiting for tor's consensus: tor has no consensus yet: bootstrapped 14% (handshake): " +
    "Handshaking with a relay; tor's last problem: Connection refused",
  ]);
  await d.at(NOW + 30_000);
  assert.equal(waits().length, 1, "not again within a minute");
  await d.at(NOW + 60_000);
  assert.equal(waits().length, 2, "again after a minute");
  d.tor.disableNetwork = true;
  await d.at(NOW + 65_000);
  assert.match(waits().at(-1)!, /DisableNetwork is 1, so it does not connect to the network/);
  assert.equal(waits().length, 3, "at once when it changes");
});
