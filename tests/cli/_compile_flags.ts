/**
 * The permission flags of the release binaries, read from deno.json's compile tasks, so that the
 * tests run `deno run` with exactly what `deno compile` bakes into the binaries and the two
 * cannot drift apart.
 *
 * @module
 */

const DENO_JSON = new URL("../../deno.json", import.meta.url);

/** The path of main.ts, for `deno run <flags> main.ts …`. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** The two binaries' compile tasks. */
export type CompileTask = "compile:onionbalance" | "compile:config";

/**
 * The flags of a compile task: every word between `deno compile --output <file>` and `main.ts`.
 *
 * @throws {Error} When the task is not of that shape.
 */
export async function compileFlags(task: CompileTask): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(DENO_JSON)) as { tasks: Record<string, string> };
  const words = (json.tasks[task] ?? "").split(/\s+/).filter((w) => w !== "");
  const [deno, compile, output, file, ...rest] = words;
  const last = rest.pop();
  if (
    deno !== "deno" || compile !== "compile" || output !== "--output" || file === undefined ||
    last !== "main.ts" || rest.some((w) => !w.startsWith("--"))
  ) {
    throw new Error(
      `deno.json task "${task}" is not "deno compile --output FILE --flags… main.ts"`,
    );
  }
  return rest;
}

/**
 * The environment a child `deno` needs (its cache and PATH), and nothing of the operator's
 * `ONIONBALANCE_*` variables: each test sets what it means to test.
 */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs `deno run <flags of task> main.ts …args` and collects its output. */
export async function runScoped(
  task: CompileTask,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("deno", {
    args: ["run", ...await compileFlags(task), MAIN, ...args],
    env: { ...baseEnv(), ...options.env },
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** A process started with a compile task's flags, its standard error collected line by line. */
export interface ScopedProcess {
  child: Deno.ChildProcess;
  /** Every line of standard error so far. */
  lines: string[];
  /** Waits (at most `ms`) for a line matching `re` at or after line `from`; returns its index. */
  waitForLine(re: RegExp, ms: number, from?: number): Promise<number>;
  /** Whether the process is still running after `ms`. */
  aliveAfter(ms: number): Promise<boolean>;
}

/** Spawns `deno run <flags of task> main.ts …args` with standard error piped. */
export async function spawnScoped(
  task: CompileTask,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScopedProcess> {
  const child = new Deno.Command("deno", {
    args: ["run", ...await compileFlags(task), MAIN, ...args],
    env: { ...baseEnv(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let exited = false;
  void child.status.then(() => exited = true);
  void (async () => {
    let pending = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
    }
    if (pending !== "") lines.push(pending);
  })().catch(() => {});
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    child,
    lines,
    async waitForLine(re, ms, from = 0) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const index = lines.findIndex((line, i) => i >= from && re.test(line));
        if (index >= 0) return index;
        if (exited) break;
        await sleep(20);
      }
      const index = lines.findIndex((line, i) => i >= from && re.test(line));
      if (index >= 0) return index;
      throw new Error(`No line ${re} within ${ms} ms; stderr:\n${lines.join("\n")}`);
    },
    async aliveAfter(ms) {
      await sleep(ms);
      return !exited;
    },
  };
}
