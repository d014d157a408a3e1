import assert from "node:assert/strict";
import {
  type FrontendDeps,
  type HsDirUpload,
  PerKeyQueue,
  type Poster,
  type Relay,
  retryDelayMs,
  UploadSlots,
} from "../../src/balancer/mod.ts";
import {
  UPLOAD_RETRY_INITIAL_MS,
  UPLOAD_RETRY_MAX_MS,
  Uploader,
} from "../../src/balancer/uploads.ts";
import { ControlSocketClosed } from "../../src/control/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";
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

/** An upload record for a fake HSDir. */
function uploadTo(n: number): HsDirUpload {
  const relay = { fingerprint: `HSDIR${n}`, nickname: `hsdir${n}` } as unknown as Relay;
  return { relay, group: 0, status: "pending", attempts: 0 };
}

/** A poster whose uploads finish when the test says, counting how many are in flight. */
function gatedPoster() {
  const gates: { descriptor: string; done: (ok: boolean) => void }[] = [];
  let inFlight = 0;
  let most = 0;
  const post: Poster = (descriptor) => {
    inFlight++;
    most = Math.max(most, inFlight);
    return new Promise((resolve) =>
      gates.push({
        descriptor,
        done: (ok) => {
          inFlight--;
          resolve(ok ? { status: "uploaded" } : { status: "failed", reason: "UPLOAD_REJECTED" });
        },
      })
    );
  };
  return { post, gates, most: () => most };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function uploader(address: string, deps: Partial<FrontendDeps> & Pick<FrontendDeps, "post">) {
  return new Uploader(address, {
    rng: seededRng("uploads"),
    log: new Logger({ level: "error", sink: () => {} }),
    clock: new FakeClock(0),
    ...deps,
  });
}

Deno.test("UploadSlots: frontends share a limit on uploads in flight; the rest wait their turn", async () => {
  const { post, gates, most } = gatedPoster();
  const slots = new UploadSlots(3);
  const a = uploader("a", { post, uploadSlots: slots });
  const b = uploader("b", { post, uploadSlots: slots });
  for (let i = 0; i < 4; i++) a.start(`a${i}`, uploadTo(i), 0, () => true);
  for (let i = 0; i < 4; i++) b.start(`b${i}`, uploadTo(i), 0, () => true);
  await settle();
  assert.equal(gates.length, 3, "three sent, five waiting");
  assert.equal(slots.waiting, 5);
  for (let done = 0; done < 8; done++) {
    gates[done]!.done(true);
    await settle();
  }
  assert.equal(gates.length, 8, "every upload was sent in the end");
  assert.equal(most(), 3, "never more than three in flight");
  assert.equal(slots.waiting, 0);
});

Deno.test("an upload replaced while it waited for a slot is not sent", async () => {
  const { post, gates } = gatedPoster();
  const slots = new UploadSlots(1);
  const a = uploader("a", { post, uploadSlots: slots });
  let current = "old";
  a.start("first", uploadTo(1), 0, () => true);
  a.start("old", uploadTo(2), 0, () => current === "old");
  await settle();
  current = "new"; // a republish replaced the waiting descriptor
  a.start("new", uploadTo(2), 0, () => current === "new");
  gates[0]!.done(true);
  await settle();
  await settle();
  assert.deepEqual(gates.map((g) => g.descriptor), ["first", "new"]);
});

Deno.test("only a failed upload wakes the daemon (to schedule its retry)", async () => {
  const { post, gates } = gatedPoster();
  let wakes = 0;
  const a = uploader("a", { post, onChange: () => wakes++ });
  const ok = uploadTo(1);
  const bad = uploadTo(2);
  a.start("d", ok, 0, () => true);
  a.start("d", bad, 0, () => true);
  await settle();
  gates[0]!.done(true);
  gates[1]!.done(false);
  await settle();
  assert.equal(ok.status, "uploaded");
  assert.equal(bad.status, "failed");
  assert.equal(wakes, 1);
});

Deno.test("UploadSlots refuses a limit that is not a positive integer", () => {
  for (const size of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new UploadSlots(size), RangeError);
  }
});

Deno.test("uploads failed by a lost control connection are logged at debug, tor's refusals as warnings", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "info", sink: (line) => lines.push(String(line)) });
  let fail: () => Error = () => new ControlSocketClosed('Cannot send "HSPOST": not connected');
  const post: Poster = () => Promise.reject(fail());
  const a = uploader("a", { post, log });
  const lost = uploadTo(1);
  a.start("d", lost, 0, () => true);
  await settle();
  await settle();
  assert.equal(lost.status, "failed");
  assert.deepEqual(lines, [], "the daemon says once that the connection is lost");
  fail = () => new Error("UPLOAD_REJECTED");
  a.start("d", uploadTo(2), 0, () => true);
  await settle();
  await settle();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /Upload of a\.onion to HSDir \$HSDIR2~hsdir2 failed \(UPLOAD_REJECTED\)/);
});
