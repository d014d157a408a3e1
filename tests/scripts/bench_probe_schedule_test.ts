import assert from "node:assert/strict";
import { probeSchedule } from "../../scripts/bench/follow_scenario.ts";

/**
 * A SOCKS5 proxy on 127.0.0.1 whose first CONNECT is never answered (a request tor holds) and
 * whose others reach an HTTP server that answers "backendN".
 */
function fakeProxy() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  let n = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      const i = n++;
      void (async () => {
        const buf = new Uint8Array(1024);
        await conn.read(buf); // greeting
        await conn.write(Uint8Array.of(5, 2));
        await conn.read(buf); // credentials
        await conn.write(Uint8Array.of(1, 0));
        await conn.read(buf); // CONNECT
        if (i === 0) return void held.push(conn);
        await conn.write(Uint8Array.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
        await conn.read(buf); // the GET
        const body = `backend${i}`;
        await conn.write(
          new TextEncoder().encode(
            `HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          ),
        );
        conn.close();
      })().catch(() => {});
    }
  })();
  return {
    proxy: { hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port },
    async close() {
      listener.close();
      for (const c of held) c.close();
      await serving;
    },
  };
}

Deno.test("probeSchedule() keeps its schedule while a request hangs, and waits for every request", async () => {
  const fake = fakeProxy();
  try {
    const stop = new AbortController();
    const t0 = Date.now();
    setTimeout(() => stop.abort(), 1_050);
    const probes = await probeSchedule("http://x.onion/", fake.proxy, stop.signal, {
      everyMs: 200,
      timeoutMs: 1_500,
    });
    // Started at 0, 200, … 1000 ms: 6, the first of them held until its deadline.
    assert.equal(probes.length, 6);
    assert.equal(probes[0]!.ok, false);
    assert.ok(probes[0]!.ms >= 1_400, `the held one ran to its deadline (${probes[0]!.ms} ms)`);
    assert.deepEqual(probes.slice(1).map((p) => p.ok), [true, true, true, true, true]);
    assert.deepEqual(
      probes.slice(1).map((p) => p.detail),
      [1, 2, 3, 4, 5].map((i) => `backend${i}`),
    );
    for (const [i, p] of probes.entries()) {
      assert.ok(Math.abs(p.at - t0 - 200 * i) < 150, `probe ${i} started on time`);
    }
  } finally {
    await fake.close();
  }
});
