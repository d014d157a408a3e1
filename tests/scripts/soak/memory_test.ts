import assert from "node:assert/strict";
import { parseGcTrace } from "../../../scripts/soak/memory.ts";

Deno.test("parseGcTrace() reads V8's full collections, timed from each start of the balancer", () => {
  const log = [
    "--- started 2026-12-06T19:00:00.000Z pid 4242",
    "2026-12-06 19:00:00,300 [INFO]: Publishing the first descriptor of ???yad.onion …",
    "[4242:0x56355a775000]       16 ms: Scavenge 3.2 (4.2) -> 2.7 (4.8) MB, pooled: 0.0 MB, 1.00 / 0.00 ms allocation failure;",
    "[4242:0x56355a775000]    61000 ms: Mark-Compact 30.1 (35.0) -> 21.4 (33.5) MB, pooled: 0 MB, 12.0 / 0.0 ms (average mu = 0.9) task;",
    "[4242:0x56355a775000]   599000 ms: Scavenge 20.3 (22.6) -> 19.3 (22.6) MB, pooled: 2.0 MB, 0.06 / 0.00 ms (average mu =--- started 2026-12-06T19:10:00.000Z pid 5151",
    "[5151:0x11]     2000 ms: Mark-Compact (reduce) 25.0 (30.0) -> 19.5 (29.0) MB, 9.0 / 0.0 ms memory pressure;",
    "[5151:0x11]     3000 ms: Incremental Mark-Compact (reduce) 18.3 (31.1) -> 12.4 (15.6) MB, pooled: 0.0 MB, 3.95 / 0.00 ms (+ 7.6 ms in 164 steps)",
    "[9999:0x11]     2000 ms: Mark-Compact 1.0 (2.0) -> 0.5 (2.0) MB, from a pid never started here",
  ].join("\n");
  assert.deepEqual(parseGcTrace(log), [
    { at: Date.parse("2026-12-06T19:01:01.000Z"), liveMB: 21.4, committedMB: 33.5 },
    { at: Date.parse("2026-12-06T19:10:02.000Z"), liveMB: 19.5, committedMB: 29.0 },
    { at: Date.parse("2026-12-06T19:10:03.000Z"), liveMB: 12.4, committedMB: 15.6 },
  ]);
});
