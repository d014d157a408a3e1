import assert from "node:assert/strict";
import { timelineSvg } from "../../../scripts/soak/timeline_svg.ts";

Deno.test("timelineSvg() draws each probe in its colour, every rotation and fault, and each balancer's RSS", () => {
  const svg = timelineSvg({
    t0: 0,
    end: 600_000,
    balancers: ["this", "ob"],
    probes: [
      { balancer: "this", at: 10_000, ms: 300, ok: true, detail: "backend0" },
      { balancer: "this", at: 20_000, ms: 3_000, ok: true, detail: "backend1" },
      { balancer: "ob", at: 30_000, ms: 30_000, ok: false, detail: "<timeout & more>" },
    ],
    rss: [
      { balancer: "this", at: 0, bytes: 70 * 2 ** 20 },
      { balancer: "this", at: 60_000, bytes: 72 * 2 ** 20 },
    ],
    rotations: [240_000],
    faults: [{ at: 180_000, label: "kill-backend 2" }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  const fills = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="2" [^>]*fill="(#\w+)"/g)]
    .map((m) => m[1]);
  assert.deepEqual(fills, ["#2ca02c", "#ff7f0e", "#d62728"]);
  assert.equal([...svg.matchAll(/<title>rotation<\/title>/g)].length, 1);
  assert.match(svg, /<title>kill-backend 2<\/title>/);
  assert.match(svg, />✗b2</);
  assert.equal([...svg.matchAll(/<polyline /g)].length, 1); // "ob" had no RSS sample
  // Text from the probes is escaped.
  assert.match(svg, /failed: &lt;timeout &amp; more&gt;/);
  assert.doesNotMatch(svg, /<timeout/);
  // The time axis: 0 to 10 minutes in 5-minute steps.
  assert.deepEqual([...svg.matchAll(/>(\d+) min</g)].map((m) => m[1]), ["0", "5", "10"]);
});
