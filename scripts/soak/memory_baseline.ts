// deno-lint-ignore-file no-console -- a command-line measurement
/**
 * The memory a balancer starts from, before it does anything: this process's resident size
 * and V8 heap bare, then with every module of the program loaded (`main.ts`, which does nothing
 * when imported, and `src/balancer`). Beside `memory.ts`, it splits a running balancer's
 * resident size into the runtime, the program's code, and what running adds.
 *
 * Usage: deno run --allow-read --allow-env --allow-net --allow-write=/tmp --allow-run \
 *          scripts/soak/memory_baseline.ts
 *
 * @module
 */

const mb = (n: number) => (n / 2 ** 20).toFixed(1);
const show = (what: string) => {
  const m = Deno.memoryUsage();
  console.log(
    `${what.padEnd(18)} RSS ${mb(m.rss)} MB, V8 heap used ${mb(m.heapUsed)} MB of ` +
      `${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`,
  );
};

show("bare");
await import("../../main.ts");
await import("../../src/balancer/mod.ts");
show("program loaded");
