import assert from "node:assert/strict";
import { DEFAULT_HEALTH_CHECK } from "../../src/config/mod.ts";
import { until } from "./_fake_tor.ts";
import { answer, daemon, failingSocks, fetchesDone, NOW, TIMINGS } from "./_daemon.ts";

Deno.test("reconfigure() applies a reloaded health-check.socks at the next check", async () => {
  const first = failingSocks();
  const second = failingSocks();
  try {
    const d = daemon(1);
    const health = { ...DEFAULT_HEALTH_CHECK, enabled: true, failures: 100 };
    d.balancer.reconfigure({
      services: d.balancer.services,
      timings: TIMINGS,
      health: { ...health, socks: `127.0.0.1:${first.port}` },
    });
    d.tor.onFetch = () => answer(d.backends[0]!, 1);
    await d.at(NOW);
    await fetchesDone(d);
    await until(() => first.connections() === 1, "a check through the first SOCKS port");

    d.balancer.reconfigure({
      services: d.balancer.services,
      timings: TIMINGS,
      health: { ...health, socks: `127.0.0.1:${second.port}` },
    });
    // The next checks (a failure streak is confirmed within seconds) use the new port only.
    for (let t = NOW + 1_000; second.connections() === 0 && t < NOW + 60_000; t += 1_000) {
      await d.at(t);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(second.connections() >= 1, "a check went through the reloaded SOCKS port");
    assert.equal(first.connections(), 1, "none through the old one after the reload");
  } finally {
    first.close();
    second.close();
  }
});
