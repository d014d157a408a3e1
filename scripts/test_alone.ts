// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * Runs every test case alone (`deno test --filter "/^name$/" file`) and lists
 * the ones that fail that way: a case that passes in its file but not alone
 * leans on state an earlier case left behind.
 *
 * Role: a developer tool, not part of the suite (running each case alone costs
 * one `deno test` start per case). The case names come from a JUnit report of
 * one run of each file, so names built at run time are found too.
 *
 * Run: `deno task test:alone [--jobs 2] [FILE…]` (default: every `*_test.ts`
 * under tests/ except tests/slow and tests/e2e; name those files to include
 * them). The cases run with the permissions of `deno task test`.
 *
 * @module
 */

import { parseArgs } from "node:util";

const PERMISSIONS = [
  "--allow-read=.,/tmp",
  "--allow-write=/tmp",
  "--allow-net=127.0.0.1,localhost,[::1]",
  "--allow-run=tor,tor-gencert,/usr/bin/python3,/usr/sbin/onionbalance,deno,cat,kill,groff",
  "--allow-env",
];

const { values, positionals } = parseArgs({
  options: { jobs: { type: "string", default: "2" } },
  allowPositionals: true,
});

/** Every `*_test.ts` under `dir`, sorted. */
async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && !["tests/slow", "tests/e2e", "tests/vectors"].includes(path)) {
      out.push(...await testFiles(path));
    } else if (entry.isFile && entry.name.endsWith("_test.ts")) {
      out.push(path);
    }
  }
  return out.sort();
}

async function deno(args: string[]): Promise<{ ok: boolean; output: string }> {
  const result = await new Deno.Command("deno", {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
  return { ok: result.success, output: text };
}

/** The names of the cases of `file`, from a JUnit report of one run of the whole file. */
async function caseNames(file: string): Promise<string[]> {
  const folder = await Deno.makeTempDir({ prefix: "test-alone-" });
  const report = `${folder}/report.xml`;
  try {
    const run = await deno([
      "test",
      ...PERMISSIONS,
      "--reporter=dot",
      `--junit-path=${report}`,
      file,
    ]);
    if (!run.ok) throw new Error(`${file} fails as a whole:\n${run.output}`);
    const xml = await Deno.readTextFile(report);
    const names = [...xml.matchAll(/<testcase name="([^"]*)"/g)].map((m) => unescapeXml(m[1]!));
    // Steps (`t.step`) are reported as "case > step"; they run with their case.
    return names.filter((name) => !names.some((other) => name.startsWith(`${other} > `)));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** `--filter` that matches exactly `name` (a regular expression between slashes). */
function exactFilter(name: string): string {
  return `/^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$/`;
}

const files = positionals.length > 0 ? positionals : await testFiles("tests");
const cases: { file: string; name: string }[] = [];
for (const file of files) {
  for (const name of await caseNames(file)) cases.push({ file, name });
}
console.log(`${cases.length} cases in ${files.length} files`);

const failed: string[] = [];
let done = 0;
/** Runs `queue`'s cases one after another, each alone. */
async function worker(queue: { file: string; name: string }[]): Promise<void> {
  for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
    const run = await deno(["test", ...PERMISSIONS, "--filter", exactFilter(c.name), c.file]);
    if (!run.ok || !/ok \| 1 passed/.test(run.output)) {
      failed.push(`${c.file}: ${c.name}`);
      console.log(
        `FAILED alone: ${c.file}: ${c.name}\n${run.output.split("\n").slice(-25).join("\n")}`,
      );
    }
    if (++done % 50 === 0) console.log(`${done}/${cases.length}`);
  }
}
// End-to-end cases boot a private Tor network each; two at once would race for its ports.
const e2e = cases.filter((c) => c.file.includes("/e2e/"));
const rest = cases.filter((c) => !c.file.includes("/e2e/"));
await Promise.all(Array.from({ length: Math.max(1, Number(values.jobs)) }, () => worker(rest)));
await worker(e2e);
console.log(`${cases.length - failed.length} passed alone, ${failed.length} failed alone`);
Deno.exit(failed.length === 0 ? 0 : 1);
