import assert from "node:assert/strict";
import {
  countMicrodescs,
  microdescPath,
  missingRouters,
  summarizeConsensus,
} from "../../../scripts/testnet/dir_docs.ts";
import { lastBootstrap, problems } from "../../../scripts/testnet/tor_log.ts";

// Shaped like the microdesc consensus of a test network (tor 0.4.9.11), shortened.
const CONSENSUS = `network-status-version 3 microdesc
vote-status consensus
valid-after 2026-11-24 17:10:50
fresh-until 2026-11-24 17:11:00
r relay0 AbCd 2026-11-24 17:10:41 127.0.0.1 15010 15011
m Jr2aBx1yQkXr8SOU/7xZCwH2yq6lJAd9m4n9uXJkXjU
s Fast Guard HSDir Running Stable V2Dir Valid
r relay1 EfGh 2026-11-24 17:10:41 127.0.0.1 15012 15013
m 7r1o7oSmAu2mHdmuW6SY41/4uPOt4fXYUm4ZyqgfWhg
s Fast Running Valid
directory-footer
`;

Deno.test("summarizeConsensus() reads routers, flags and microdescriptor digests", () => {
  const summary = summarizeConsensus(CONSENSUS);
  assert.equal(summary.validAfter, "2026-11-24 17:10:50");
  assert.deepEqual(summary.routers.map((r) => r.nickname), ["relay0", "relay1"]);
  assert.equal(summary.routers[0]!.microdescDigest, "Jr2aBx1yQkXr8SOU/7xZCwH2yq6lJAd9m4n9uXJkXjU");
  assert.ok(summary.routers[0]!.flags.includes("HSDir"));
  assert.throws(() => summarizeConsensus("r x\n"), SyntaxError);
});

Deno.test("missingRouters() names relays absent or without the wanted flags", () => {
  const summary = summarizeConsensus(CONSENSUS);
  assert.deepEqual(missingRouters(summary, ["relay0", "relay1", "relay2"], ["HSDir"]), [
    "relay1",
    "relay2",
  ]);
  assert.deepEqual(missingRouters(summary, ["relay0", "relay1"]), []);
});

Deno.test("microdescPath() and countMicrodescs() follow dir-spec's /tor/micro/d/ form", () => {
  assert.equal(microdescPath(["a", "b/c"]), "/tor/micro/d/a-b/c");
  assert.equal(countMicrodescs("onion-key\nntor-onion-key x\nonion-key\nid ed25519 y\n"), 2);
});

Deno.test("lastBootstrap() finds the latest Bootstrapped line of a tor log", () => {
  const log = [
    "Nov 24 17:12:31.120 [notice] Bootstrapped 0% (starting): Starting",
    "Nov 24 17:12:32.122 [warn] Something odd",
    "Nov 24 17:12:33.000 [notice] Bootstrapped 100% (done): Done",
    "Nov 24 17:12:33.001 [notice] New control connection opened.",
  ].join("\n");
  assert.deepEqual(lastBootstrap(log), { percent: 100, tag: "done", summary: "Done" });
  assert.equal(lastBootstrap("nothing"), undefined);
  assert.deepEqual(problems(log), ["Nov 24 17:12:32.122 [warn] Something odd"]);
});
