import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkDeadlineMs,
  nextCheckDelayMs,
  parseSocksAddress,
  type ProbeTarget,
  socksProbe,
} from "../../src/balancer/mod.ts";
import { CONFIRM_GAP_MS, MIN_DEADLINE_MS } from "../../src/balancer/health_check.ts";
import { FakeClock, systemClock } from "../../src/time/mod.ts";
import { fixtureBackend } from "./_fixtures.ts";

function target(
  proxy: { hostname: string; port: number },
  timeoutMs: number,
  isolation: string,
): ProbeTarget {
  return {
    address: fixtureBackend("health").backend.address,
    port: 80,
    proxy,
    timeoutMs,
    isolation,
  };
}

Deno.test("nextCheckDelayMs(): interval when healthy, one slot start to start while confirming, interval/3 when left out", () => {
  assert.equal(nextCheckDelayMs({ failures: 0, intervalMs: 30_000, threshold: 3 }), 30_000);
  // 3 failures, interval 30 s: confirmation slots of 7.5 s, start to start.
  assert.equal(
    nextCheckDelayMs({ failures: 1, intervalMs: 30_000, threshold: 3, lastDurationMs: 200 }),
    7_300,
    "a fast failure waits for its slot",
  );
  assert.equal(
    nextCheckDelayMs({ failures: 2, intervalMs: 30_000, threshold: 3, lastDurationMs: 7_000 }),
    500,
  );
  assert.equal(
    nextCheckDelayMs({ failures: 1, intervalMs: 30_000, threshold: 3, lastDurationMs: 15_000 }),
    CONFIRM_GAP_MS,
    "a slow first check",
  );
  assert.equal(nextCheckDelayMs({ failures: 3, intervalMs: 30_000, threshold: 3 }), 10_000);
  assert.equal(nextCheckDelayMs({ failures: 9, intervalMs: 1_500, threshold: 3 }), 1_000);
});

Deno.test("checkDeadlineMs(): half an interval to start a streak, one slot for each confirmation", () => {
  // interval 10 s, 3 failures: 5 s, then two slots of 2.5 s: 2.25 s deadlines.
  assert.equal(
    checkDeadlineMs({ failures: 0, intervalMs: 10_000, timeoutMs: 15_000, threshold: 3 }),
    5_000,
  );
  assert.equal(
    checkDeadlineMs({ failures: 1, intervalMs: 10_000, timeoutMs: 15_000, threshold: 3 }),
    2_250,
  );
  assert.equal(
    checkDeadlineMs({ failures: 2, intervalMs: 10_000, timeoutMs: 15_000, threshold: 3 }),
    2_250,
  );
  // Left out: half an interval, so that a check stuck on dead intro points does not hold up
  // the next one (each one uses the descriptor fetched after the previous failure).
  assert.equal(
    checkDeadlineMs({ failures: 3, intervalMs: 10_000, timeoutMs: 15_000, threshold: 3 }),
    5_000,
  );
  assert.equal(
    checkDeadlineMs({ failures: 7, intervalMs: 60_000, timeoutMs: 15_000, threshold: 3 }),
    15_000,
  );
  // The configured timeout caps every deadline.
  assert.equal(
    checkDeadlineMs({ failures: 0, intervalMs: 30_000, timeoutMs: 4_000, threshold: 3 }),
    4_000,
  );
  assert.equal(
    checkDeadlineMs({ failures: 1, intervalMs: 30_000, timeoutMs: 4_000, threshold: 3 }),
    4_000,
  );
  // One failure is enough: the first check ends the streak.
  assert.equal(
    checkDeadlineMs({ failures: 0, intervalMs: 10_000, timeoutMs: 15_000, threshold: 1 }),
    5_000,
  );
  // A tiny interval never gives a deadline under the minimum.
  assert.equal(
    checkDeadlineMs({ failures: 1, intervalMs: 1_000, timeoutMs: 15_000, threshold: 5 }),
    MIN_DEADLINE_MS,
  );
});

/** The settings and the checks' durations (fractions of their deadlines) of one streak. */
interface Streak {
  threshold: number;
  intervalS: number;
  timeoutS: number;
  fractions: number[];
}

/** Durations of the checks of one streak: each a fraction of its deadline. */
const streak: fc.Arbitrary<Streak> = fc.record({
  threshold: fc.integer({ min: 1, max: 100 }),
  intervalS: fc.integer({ min: 1, max: 86_400 }),
  timeoutS: fc.integer({ min: 1, max: 600 }),
  fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
    minLength: 100,
    maxLength: 100,
  }),
});

/** When the streak of a backend that died right after passing a check ends, and its checks' starts. */
function leftOutAt(
  { threshold, intervalS, timeoutS, fractions }: Streak,
): { end: number; starts: number[] } {
  const interval = intervalS * 1000;
  let t = nextCheckDelayMs({ failures: 0, intervalMs: interval, threshold: threshold });
  const starts: number[] = [];
  for (let failures = 0; failures < threshold; failures++) {
    starts.push(t);
    const duration = Math.floor(
      fractions[failures]! *
        checkDeadlineMs({
          failures: failures,
          intervalMs: interval,
          timeoutMs: timeoutS * 1000,
          threshold: threshold,
        }),
    );
    t += duration;
    if (failures + 1 < threshold) {
      t += nextCheckDelayMs({
        failures: failures + 1,
        intervalMs: interval,
        threshold: threshold,
        lastDurationMs: duration,
      });
    }
  }
  return { end: t, starts };
}

Deno.test("checkDeadlineMs() + nextCheckDelayMs(): a dead backend is left out within two intervals of its death", () => {
  fc.assert(
    fc.property(streak, (s) => {
      const interval = s.intervalS * 1000;
      const guaranteed = interval >= 2 * (s.threshold - 1) * (MIN_DEADLINE_MS + CONFIRM_GAP_MS);
      const { end } = leftOutAt(s);
      if (guaranteed) assert.ok(end <= 2 * interval, `left out after ${end} ms`);
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("nextCheckDelayMs(): confirming checks start at least a slot apart, however fast they fail", () => {
  fc.assert(
    fc.property(streak, (s) => {
      const interval = s.intervalS * 1000;
      const { starts } = leftOutAt(s);
      const slot = interval / 2 / Math.max(1, s.threshold - 1);
      for (let i = 2; i < starts.length; i++) {
        assert.ok(starts[i]! - starts[i - 1]! >= Math.min(slot, CONFIRM_GAP_MS) - 1);
        assert.ok(starts[i]! - starts[i - 1]! >= Math.floor(slot) - 1 || slot < CONFIRM_GAP_MS);
      }
      // The streak takes at least (threshold - 2) slots after the first confirmation.
      if (s.threshold >= 3) {
        assert.ok(starts.at(-1)! - starts[1]! >= (s.threshold - 2) * (Math.floor(slot) - 1));
      }
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("socksProbe() fails at its deadline on its clock when tor never answers, and passes on a SOCKS success", async () => {
  // A SOCKS port that accepts and then says nothing (tor still trying a dead backend's intro points).
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const proxy = { hostname: "127.0.0.1", port: (silent.addr as Deno.NetAddr).port };
  const clock = new FakeClock(1_000_000);
  let settled = false;
  const probing = socksProbe(target(proxy, 300, "t1"), clock).finally(() => settled = true);
  // The greeting goes out and nothing comes back; the clock has not reached the deadline.
  while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
  clock.advance(299);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, "still waiting before the deadline");
  clock.advance(1);
  const failed = await probing;
  assert.equal(failed.ok, false);
  assert.match(failed.error!, /Timed out: SOCKS5 handshake/);
  assert.equal(failed.durationMs, 300);
  silent.close();
  for (const conn of held) conn.close();
  await accepting;

  const passed = await probeAnswered(0x00);
  assert.equal(passed.ok, true, passed.error);
  assert.equal(passed.introFailed, undefined);
});

/** Probes a SOCKS5 server that accepts username/password and answers the CONNECT with `reply`. */
async function probeAnswered(reply: number) {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await server.accept();
    const buf = new Uint8Array(512);
    await conn.read(buf); // greeting
    await conn.write(Uint8Array.of(5, 2));
    await conn.read(buf); // credentials
    await conn.write(Uint8Array.of(1, 0));
    await conn.read(buf); // CONNECT
    await conn.write(Uint8Array.of(5, reply, 0, 1, 0, 0, 0, 0, 0, 0));
    await conn.read(buf).catch(() => null); // until the client closes
    conn.close();
  })();
  try {
    return await socksProbe(
      target({ hostname: "127.0.0.1", port: (server.addr as Deno.NetAddr).port }, 5_000, "t2"),
      systemClock,
    );
  } finally {
    await serving;
    server.close();
  }
}

Deno.test("socksProbe() marks tor's 0xF2 (every intro point refused), and only that, as introFailed", async () => {
  const refused = await probeAnswered(0xf2);
  assert.equal(refused.ok, false);
  assert.equal(refused.introFailed, true);
  assert.match(refused.error!, /OnionIntroFailed/);
  for (const reply of [0x01, 0xf0, 0xf3, 0xf7]) {
    const other = await probeAnswered(reply);
    assert.equal(other.ok, false);
    assert.equal(other.introFailed, undefined, `reply ${reply.toString(16)}`);
    assert.equal(other.proxyDown, undefined);
  }
});

Deno.test("parseSocksAddress() reads tor's listener forms and rejects others", () => {
  assert.deepEqual(parseSocksAddress('"127.0.0.1:9050"'), { hostname: "127.0.0.1", port: 9050 });
  assert.deepEqual(parseSocksAddress("[::1]:9150"), { hostname: "::1", port: 9150 });
  assert.equal(parseSocksAddress("127.0.0.1:0"), undefined);
  assert.equal(parseSocksAddress("unix:/run/tor/socks"), undefined);
});

Deno.test("socksProbe() says when tor's SOCKS port itself is closed", async () => {
  // A port that was open a moment ago and is closed now (tor killed or restarting).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await socksProbe(
    target({ hostname: "127.0.0.1", port }, 2_000, "t3"),
    systemClock,
  );
  assert.equal(result.ok, false);
  assert.equal(result.proxyDown, true);
  assert.match(result.error!, /SOCKS port refused/);
});
