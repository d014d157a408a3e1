import assert from "node:assert/strict";
import { PerKeyQueue, retryDelayMs } from "../../src/balancer/mod.ts";
import { UPLOAD_RETRY_INITIAL_MS, UPLOAD_RETRY_MAX_MS } from "../../src/balancer/uploads.ts";
import { deferred } from "./_fake_tor.ts";

Deno.test("retryDelayMs() doubles from 15 s up to 30 min, minus up to 25 % jitter", () => {
  assert.equal(retryDelayMs(1, 0), UPLOAD_RETRY_INITIAL_MS);
  assert.equal(retryDelayMs(2, 0), 30_000);
  assert.equal(retryDelayMs(3, 0), 60_000);
  assert.equal(retryDelayMs(8, 0), UPLOAD_RETRY_MAX_MS);
  assert.equal(retryDelayMs(50, 0), UPLOAD_RETRY_MAX_MS);
  assert.equal(retryDelayMs(1, 0.999), Math.round(15_000 * (1 - 0.25 * 0.999)));
  assert.equal(retryDelayMs(0, 0), UPLOAD_RETRY_INITIAL_MS);
});

Deno.test("PerKeyQueue runs one key's tasks in order, other keys alongside, and survives a failure", async () => {
  const queue = new PerKeyQueue();
  const log: string[] = [];
  const gate = deferred<void>();
  const a1 = queue.run("A", async () => {
    log.push("a1 start");
    await gate.promise;
    log.push("a1 end");
    throw new Error("a1 failed");
  });
  const a2 = queue.run("A", () => {
    log.push("a2");
    return Promise.resolve(2);
  });
  const b1 = queue.run("B", () => {
    log.push("b1");
    return Promise.resolve(1);
  });
  assert.equal(await b1, 1);
  assert.deepEqual(
    log,
    ["a1 start", "b1"],
    "B ran while A's first task waited; A's second did not",
  );
  gate.resolve();
  await assert.rejects(a1, /a1 failed/);
  assert.equal(await a2, 2);
  assert.deepEqual(log, ["a1 start", "b1", "a1 end", "a2"]);
});
