import assert from "node:assert/strict";
import { tinyInputOptions } from "./_bench_inputs.ts";
import { generateInputs, type GenerateOptions, writeInputs } from "../../scripts/bench/generate.ts";
import { BenchInputError, checkInputs } from "../../scripts/bench/input_check.ts";

const TINY: GenerateOptions = tinyInputOptions("bench-check-test");

async function tinyFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ob-bench-check-" });
  await writeInputs(dir, await generateInputs(TINY));
  return dir;
}

Deno.test("checkInputs() reports what a folder holds, as read", async () => {
  const dir = await tinyFolder();
  try {
    const { facts } = await checkInputs(dir);
    assert.deepEqual(facts, {
      relays: 40,
      hsDirFlag: 25,
      relaysWithoutMicrodesc: 0,
      sets: [1, 2],
      descriptors: {
        count: 3, // two backends and the rotated descriptor
        introPoints: { min: 3, max: 3 },
        authClientLines: { min: 16, max: 16 }, // tor's fake clients, as tor pads them
        bytes: facts.descriptors.bytes,
        withFlowControl: 3,
      },
      sharedFrontends: 2,
    });
    assert.ok(facts.descriptors.bytes.min > 10_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkInputs() names every problem of a folder made by hand, with its file", async () => {
  const dir = await tinyFolder();
  try {
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    // A descriptor that is not the backend's, a missing key, a clock a day late, a bad set.
    await Deno.copyFile(`${dir}/backends/00.desc`, `${dir}/backends/01.desc`);
    await Deno.remove(`${dir}/backends/00.pem`);
    const clock = JSON.parse(await Deno.readTextFile(`${dir}/clock.json`));
    clock.now += 86_400;
    clock.iso = new Date(clock.now * 1000).toISOString();
    await Deno.writeTextFile(`${dir}/clock.json`, JSON.stringify(clock));
    manifest.sets["3"] = manifest.sets["2"];
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
    const error = await checkInputs(dir).then(
      () => assert.fail("a broken folder passed the check"),
      (e) => e,
    );
    assert.ok(error instanceof BenchInputError);
    const text = error.problems.join("\n");
    assert.match(text, /consensus-microdesc\.txt: the clock \(.*\) is outside its validity/);
    assert.match(text, /backends\/01\.desc \(backend [a-z2-7]{56}\): does not decode at the clock/);
    assert.match(text, /backends\/00\.pem: missing \(backend key\)/);
    assert.match(text, /set "3" must list 3 of the folder's backends/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
