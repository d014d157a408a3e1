/**
 * What the released `onionbalance` binary is compiled with (deno.json's `compile:onionbalance`
 * task): its V8 flags and the environment it may read, for benchmarks that run the daemon's code
 * as the binary runs it.
 *
 * @module
 */

/** The words of the `compile:onionbalance` task. */
async function compileWords(): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))) as {
    tasks: Record<string, string>;
  };
  return (json.tasks["compile:onionbalance"] ?? "").split(/\s+/);
}

/** Every `--v8-flags=…` word of the `compile:onionbalance` task. */
export async function daemonV8Flags(): Promise<string[]> {
  return (await compileWords()).filter((w) => w.startsWith("--v8-flags="));
}

/** The environment variables the released binary may read: its `--allow-env=` list. */
export async function daemonEnvAllowList(): Promise<string> {
  const word = (await compileWords()).find((w) => w.startsWith("--allow-env="));
  if (word === undefined) throw new Error("deno.json's compile:onionbalance has no --allow-env=");
  return word.slice("--allow-env=".length);
}
