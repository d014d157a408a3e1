import assert from "node:assert/strict";
import { createProgram, runCli } from "../../src/cli/program.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { VERSION } from "../../src/version.ts";

function capture() {
  const io = { stdout: "", stderr: "" };
  return {
    io,
    writers: {
      out: (t: string) => void (io.stdout += t),
      err: (t: string) => void (io.stderr += t),
    },
  };
}

Deno.test("runCli() prints the version in OnionBalance's format", async () => {
  const { io, writers } = capture();
  const outcome = await runCli(["--version"], writers);
  assert.equal(outcome.exitCode, ExitCode.Ok);
  assert.equal(io.stdout, `onionbalance ${VERSION}\n`);
});

Deno.test("runCli() prints help and exits 0", async () => {
  const { io, writers } = capture();
  const outcome = await runCli(["--help"], writers);
  assert.equal(outcome.exitCode, ExitCode.Ok);
  assert.match(io.stdout, /^Usage: onionbalance/);
});

Deno.test("runCli() rejects an unknown command with exit code 2", async () => {
  const { io, writers } = capture();
  const outcome = await runCli(["frobnicate"], writers);
  assert.equal(outcome.exitCode, ExitCode.Usage);
  assert.match(io.stderr, /unknown command 'frobnicate'/);
});

Deno.test("runCli() rejects an unknown flag with exit code 2", async () => {
  const { io, writers } = capture();
  const outcome = await runCli(["--frobnicate"], writers);
  assert.equal(outcome.exitCode, ExitCode.Usage);
  assert.match(io.stderr, /unknown option '--frobnicate'/);
});

Deno.test("VERSION equals the version in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(config.version, VERSION);
});

Deno.test("main.ts exits 2 with a clear message on an unknown command (real process)", async () => {
  const output = await new Deno.Command("deno", {
    args: ["run", "--quiet", new URL("../../main.ts", import.meta.url).pathname, "frobnicate"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /unknown command 'frobnicate'/);
});

async function cli(args: string[]) {
  const { io, writers } = capture();
  const outcome = await runCli(args, writers);
  return { code: outcome.exitCode, ...io };
}

Deno.test("runCli() answers `help` with the same text as --help, exit 0", async () => {
  const help = await cli(["help"]);
  const flag = await cli(["--help"]);
  assert.equal(help.code, ExitCode.Ok, help.stderr);
  assert.equal(help.stdout, flag.stdout);
  assert.equal(help.stderr, "");
});

Deno.test("runCli() answers `help <command>` with that command's --help, at any depth", async () => {
  for (
    const [help, flag] of [
      [["help", "run"], ["run", "--help"]],
      [["help", "status"], ["status", "--help"]],
      [["help", "config"], ["config", "--help"]],
      [["help", "descriptor"], ["descriptor", "--help"]],
      [["help", "descriptor", "decode"], ["descriptor", "decode", "--help"]],
      [["descriptor", "help", "decode"], ["descriptor", "decode", "--help"]],
    ]
  ) {
    const a = await cli(help!);
    const b = await cli(flag!);
    assert.equal(a.code, ExitCode.Ok, `${help!.join(" ")}: ${a.stderr}`);
    assert.equal(b.code, ExitCode.Ok);
    assert.match(a.stdout, new RegExp(`^Usage: onionbalance ${flag!.slice(0, -1).join(" ")} `));
    assert.equal(a.stdout, b.stdout, help!.join(" "));
  }
});

Deno.test("runCli() rejects `help` of an unknown command with exit code 2, naming it", async () => {
  const top = await cli(["help", "nosuch"]);
  assert.equal(top.code, ExitCode.Usage);
  assert.match(top.stderr, /unknown command 'nosuch'/);
  assert.equal(top.stdout, "");
  const nested = await cli(["help", "descriptor", "nosuch"]);
  assert.equal(nested.code, ExitCode.Usage);
  assert.match(nested.stderr, /unknown command 'descriptor nosuch'/);
  const inner = await cli(["descriptor", "help", "nosuch"]);
  assert.equal(inner.code, ExitCode.Usage);
  assert.match(inner.stderr, /unknown command 'descriptor nosuch'/);
});

Deno.test("runCli() top-level help lists the daemon's options (the default `run` command)", async () => {
  const { stdout, code } = await cli(["--help"]);
  assert.equal(code, ExitCode.Ok);
  const section = stdout.slice(stdout.indexOf("\nDaemon options"));
  assert.ok(section.length > 1, stdout);
  const run = createProgram({ out: () => {}, err: () => {} }).commands.find((c) =>
    c.name() === "run"
  )!;
  assert.ok(run.options.length >= 9);
  for (const option of run.options) {
    assert.match(section, new RegExp(`^  ${escapeRegExp(option.flags)}  `, "m"), option.flags);
  }
  assert.match(section, /^ {2}-c, --config <path> /m);
});

Deno.test("runCli() help marks --address of `descriptor decode` required; without it, exit 2", async () => {
  const help = await cli(["descriptor", "decode", "--help"]);
  assert.match(help.stdout, /--address <onion>\s+the onion address[^\n]*\n?[^\n-]*\(required\)/);
  const missing = await cli(["descriptor", "decode", "/nonexistent"]);
  assert.equal(missing.code, ExitCode.Usage);
  assert.match(missing.stderr, /required option '--address <onion>' not specified/);
});

Deno.test("main.ts prints `help descriptor decode` and exits 0 (real process)", async () => {
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      new URL("../../main.ts", import.meta.url).pathname,
      "help",
      "descriptor",
      "decode",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(
    new TextDecoder().decode(output.stdout),
    /^Usage: onionbalance descriptor decode \[options\] <file>/,
  );
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
