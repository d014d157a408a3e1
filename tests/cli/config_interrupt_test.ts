/**
 * Ctrl-C and the end of input stop `onionbalance config`'s questions: exit code 130, one line on
 * standard error, and nothing written, at whichever question it happens. Checked with an injected
 * prompter at every question, and on real processes under the release flags (`compile:config`):
 * on a pseudo-terminal (made by `_pty_run.py`, since Deno's `prompt()` reads the terminal in raw
 * mode, so Ctrl-C reaches it as a byte and no SIGINT is raised) and with a piped standard input
 * that closes early.
 *
 * Every wait is bounded; a child that outlives its wait is killed by its PID.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Command } from "commander";
import { DEFAULT_CONFIG_DEPS, registerConfigCommand } from "../../src/cli/config_command.ts";
import { ExitCode, UsageError } from "../../src/cli/exit_codes.ts";
import type { Prompter } from "../../src/cli/prompter.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { baseEnv, compileFlags, MAIN } from "./_compile_flags.ts";

const PTY_RUN = new URL("./_pty_run.py", import.meta.url).pathname;
/**
 * The questions of a bare `config` with every default: 1 service, 2 generated backends, the
 * frontend key neither offline nor encrypted, no client keys, the backends not restricted.
 */
const QUESTIONS = 14;
const ABORTED = "onionbalance: Aborted: nothing was written.";
const TMP: Deno.PermissionOptionsObject = { read: ["/tmp"], write: ["/tmp"] };

/** A fresh empty folder under /tmp, removed after `fn`. */
async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The names in `dir` (nothing should have been written there). */
async function entries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
}

/** Runs a bare `config` on a "terminal" whose prompter is `prompter`; the working folder is `cwd`. */
async function bareConfig(prompter: Prompter, cwd: string, args: string[] = []): Promise<void> {
  const io = { out: () => {}, err: () => {} };
  const program = new Command("onionbalance").exitOverride();
  registerConfigCommand(program, io, {
    ...DEFAULT_CONFIG_DEPS,
    rng: seededRng("config interrupt"),
    stdinIsTerminal: () => true,
    terminalPrompter: () => prompter,
    cwd: () => cwd,
  });
  await program.parseAsync(["config", ...args], { from: "user" });
}

/** A prompter that gives each answer in turn and then null (Ctrl-C); it records the questions. */
function answering(answers: string[]): Prompter & { questions: string[] } {
  const questions: string[] = [];
  const prompter = (question: string) => {
    questions.push(question);
    return Promise.resolve(answers[questions.length - 1] ?? null);
  };
  return Object.assign(prompter, { questions });
}

function isInterrupted(error: unknown): boolean {
  assert.ok(error instanceof UsageError, String(error));
  assert.equal(error.name, "InterruptedError");
  assert.equal(error.exitCode, ExitCode.Interrupted);
  assert.equal(error.exitCode, 130);
  assert.equal(error.message, "Aborted: nothing was written.");
  return true;
}

Deno.test({
  name: "Ctrl-C or the end of input at any question of `config` aborts with 130 and writes nothing",
  permissions: TMP,
  fn: async () => {
    for (let k = 0; k < QUESTIONS; k++) {
      await inTempDir("ob-config-interrupt-", async (dir) => {
        // Empty answers (the defaults) to the questions before question k, then null.
        const prompter = answering(Array(k).fill(""));
        await assert.rejects(bareConfig(prompter, dir), isInterrupted, `at question ${k}`);
        assert.equal(prompter.questions.length, k + 1);
        assert.deepEqual(await entries(dir), [], `at question ${k}`);
      });
    }
    // Also after an unusable answer that is being asked again.
    await inTempDir("ob-config-interrupt-", async (dir) => {
      const prompter = answering(["", "", "", "", "lots"]);
      await assert.rejects(bareConfig(prompter, dir), isInterrupted);
      assert.equal(prompter.questions[5], prompter.questions[4]);
      assert.deepEqual(await entries(dir), []);
    });
    // The same empty answers to every question write the deployment: each null above aborted.
    await inTempDir("ob-config-interrupt-", async (dir) => {
      const prompter = answering(Array(QUESTIONS).fill(""));
      await bareConfig(prompter, dir);
      assert.equal(prompter.questions.length, QUESTIONS);
      assert.deepEqual(await entries(dir), ["config"]);
    });
    // With an option other than -v, even on a terminal, nothing is asked.
    await inTempDir("ob-config-interrupt-", async (dir) => {
      await bareConfig(() => assert.fail("must not ask"), dir, ["--output", `${dir}/flags`]);
      assert.deepEqual(await entries(dir), ["flags"]);
    });
  },
});

/** What `_pty_run.py` reports. */
interface PtyResult {
  code: number | null;
  signal: number | null;
  timedOut: boolean;
  steps: number;
  terminal: string;
  stderr: string;
}

/** Runs `onionbalance config` (release flags) on a pseudo-terminal in `cwd`, typing `steps`. */
async function configOnTerminal(
  cwd: string,
  steps: { expect: string; send: string }[],
): Promise<PtyResult> {
  const command = ["deno", "run", ...await compileFlags("compile:config"), MAIN, "config"];
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [PTY_RUN, JSON.stringify({ command, steps, timeout: 30 })],
    cwd,
    env: baseEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout)) as PtyResult;
}

/** Asserts exit code 130 and the one abort line on standard error. */
function assertAborted(r: { code: number | null; stderr: string }, what: string): void {
  assert.equal(r.code, ExitCode.Interrupted, `${what}: ${JSON.stringify(r)}`);
  const lines = r.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.filter((line) => line === ABORTED).length, 1, `${what}: ${r.stderr}`);
  assert.equal(lines.at(-1), ABORTED, what);
}

Deno.test("Ctrl-C on a terminal stops onionbalance-config with 130 and writes nothing (real process)", async () => {
  const first = "Enter path to store generated config [";
  const cases: [string, { expect: string; send: string }[]][] = [
    ["Ctrl-C at the first question", [{ expect: first, send: "\u0003" }]],
    ["Ctrl-C at the third question", [
      { expect: first, send: "\r" },
      { expect: "Number of services (frontends) to create", send: "\r" },
      { expect: "Service #1: Enter path to master service private key", send: "\u0003" },
    ]],
    ["Ctrl-D at the first question", [{ expect: first, send: "\u0004" }]],
  ];
  for (const [what, steps] of cases) {
    await inTempDir("ob-config-pty-", async (cwd) => {
      const r = await configOnTerminal(cwd, steps);
      assert.equal(r.timedOut, false, `${what}: still running after 30 s: ${JSON.stringify(r)}`);
      assert.equal(r.steps, steps.length, what);
      assert.ok(r.terminal.includes(`[${cwd}/config/]:`), r.terminal);
      assertAborted(r, what);
      assert.ok(!r.terminal.includes("Created the deployment"), r.terminal);
      assert.deepEqual(await entries(cwd), [], what);
    });
  }
});

Deno.test("A piped standard input that ends early stops config --interactive with 130 (real process)", async () => {
  await inTempDir("ob-config-pipe-", async (cwd) => {
    const child = new Deno.Command("deno", {
      args: ["run", ...await compileFlags("compile:config"), MAIN, "config", "--interactive"],
      cwd,
      env: baseEnv(),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("\n")); // the first answer: the default folder
    await writer.close();
    const out = await child.output();
    const decoder = new TextDecoder();
    const stdout = decoder.decode(out.stdout);
    assertAborted({ code: out.code, stderr: decoder.decode(out.stderr) }, "piped");
    assert.ok(
      stdout.startsWith(`Enter path to store generated config [${cwd}/config/]: \n`),
      stdout,
    );
    assert.ok(stdout.includes("Number of services (frontends) to create (default: 1): \n"), stdout);
    assert.deepEqual(await entries(cwd), []);
  });
});
