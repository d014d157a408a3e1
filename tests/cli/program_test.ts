import assert from "node:assert/strict";
import { runCli } from "../../src/cli/program.ts";
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
