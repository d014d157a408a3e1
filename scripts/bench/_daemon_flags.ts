/**
 * The V8 flags the released `onionbalance` binary is compiled with (deno.json's
 * `compile:onionbalance` task), for benchmarks that must run the daemon's code with the heap the
 * daemon runs with.
 *
 * @module
 */

/** Every `--v8-flags=…` word of the `compile:onionbalance` task. */
export async function daemonV8Flags(): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))) as {
    tasks: Record<string, string>;
  };
  return (json.tasks["compile:onionbalance"] ?? "").split(/\s+/).filter((w) =>
    w.startsWith("--v8-flags=")
  );
}
