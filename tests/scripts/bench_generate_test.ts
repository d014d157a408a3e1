import assert from "node:assert/strict";
import { tinyInputOptions } from "./_bench_inputs.ts";
import {
  generateInputs,
  type GenerateOptions,
  mdAllText,
  microdescsFromCacheFiles,
} from "../../scripts/bench/generate.ts";
import { NetworkView } from "../../src/balancer/mod.ts";
import { decodePkcs8Pem, parseOnionAddress } from "../../src/keys/mod.ts";
import { decodeHsDesc } from "../../src/netdoc/hsdesc/mod.ts";

const TINY: GenerateOptions = tinyInputOptions("bench-test");

Deno.test("generateInputs() makes the same bytes from the same options", async () => {
  const a = await generateInputs(TINY);
  const b = await generateInputs(TINY);
  assert.deepEqual([...a.files.entries()], [...b.files.entries()]);
  assert.deepEqual(a.manifest, b.manifest);
  assert.deepEqual(a.clock, b.clock);
  const c = await generateInputs({ ...TINY, seed: "another seed" });
  assert.notEqual(c.files.get("consensus-microdesc.txt"), a.files.get("consensus-microdesc.txt"));
});

Deno.test("generateInputs() output parses and its descriptors decode with our code", async () => {
  const { manifest, clock, files } = await generateInputs(TINY);
  const mdAll = files.get("md-all.txt")!;
  assert.ok(!mdAll.endsWith("\n"), "md/all loses the last final newline, as tor's reply does");
  const view = NetworkView.fromDocuments(files.get("consensus-microdesc.txt")!, mdAll, {
    isTestingNetwork: false,
  });
  assert.equal(view.relays.length, 40);
  assert.equal(view.relaysWithoutMicrodesc, 0);
  assert.equal(view.hsDirs.length, 25);
  assert.equal(manifest.hsDirFlag, 25);
  assert.equal(clock.now, manifest.validAfter + 25 * 60);
  assert.equal(decodePkcs8Pem(files.get(manifest.frontend.key)!).hasSeed, true);

  const period = view.timeline.fetch().period;
  const now = new Date(clock.now * 1000);
  const texts = [
    ...manifest.backends.map((b) => [b.address, b.descriptor] as const),
    [manifest.rotated.address, manifest.rotated.descriptor] as const,
  ];
  for (const [address, path] of texts) {
    const desc = await decodeHsDesc(files.get(path)!, {
      identity: parseOnionAddress(address),
      periods: [period],
      now,
    });
    assert.equal(desc.inner.introPoints.length, 3);
    assert.deepEqual(desc.inner.flowControl, { versions: "1-2", sendmeInc: 31 });
  }
  assert.deepEqual(manifest.sets["2"], manifest.backends.map((b) => b.address));
  assert.equal(manifest.shared.frontends.length, 2);
});

Deno.test("microdescsFromCacheFiles() drops annotations and repeats, as md/all lists them", () => {
  const one = "onion-key\nntor-onion-key AAAA\nid ed25519 BBBB\n";
  const two = "onion-key\nntor-onion-key CCCC\n";
  const cache = `@last-listed 2019-06-06 17:11:13\n${one}@last-listed 2019-06-06 17:11:13\n${two}`;
  const journal = `@last-listed 2019-06-06 18:00:00\n${two}`;
  const mds = microdescsFromCacheFiles([cache, journal]);
  assert.deepEqual(mds, [one, two]);
  assert.equal(mdAllText(mds), one + two.slice(0, -1));
});

Deno.test("generateInputs() makes the next hour's consensus: one hour later, churned, same SRVs", async () => {
  const options = { ...TINY, relays: 400, hsDirs: 250 };
  const { manifest, clock, files } = await generateInputs(options);
  const opts = { isTestingNetwork: false };
  const now = NetworkView.fromDocuments(
    files.get("consensus-microdesc.txt")!,
    files.get("md-all.txt")!,
    opts,
  );
  const nextText = files.get(manifest.next.consensus)!;
  const nextMd = files.get(manifest.next.microdescs)!;
  const next = NetworkView.fromDocuments(nextText, nextMd, opts);
  assert.equal(manifest.next.now, clock.now + 3600);
  assert.equal(next.consensus.validAfter, now.consensus.validAfter + 3600);
  assert.equal(next.relays.length, 400 - manifest.next.left + manifest.next.joined);
  assert.equal(manifest.next.relays, next.relays.length);
  assert.equal(next.relaysWithoutMicrodesc, 0, "every m line has its microdescriptor");
  assert.ok(manifest.next.left > 0 && manifest.next.joined > 0 && manifest.next.newMicrodescs > 0);
  assert.ok(next.timeline.descriptor("first").srv.equals(now.timeline.descriptor("first").srv));
  const sorted = next.relays.map((r) => r.fingerprint);
  assert.deepEqual(sorted, [...sorted].sort(), "entries stay sorted by RSA identity");
  // The stage's premise: a view built from the one before is the same as a fresh one.
  const reused = NetworkView.fromDocuments(nextText, nextMd, { ...opts, previous: now });
  for (const slot of ["first", "second"] as const) {
    const times = next.timeline.descriptor(slot);
    assert.deepEqual(
      reused.ring(times).entries().map((e) => `${e.relay.fingerprint} ${e.index}`),
      next.ring(times).entries().map((e) => `${e.relay.fingerprint} ${e.index}`),
    );
  }
  assert.equal(
    await generateInputs(options).then((g) => g.files.get(manifest.next.consensus)),
    nextText,
  );
});
