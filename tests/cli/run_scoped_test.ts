/**
 * The daemon, `status`, `descriptor decode` and `onionbalance-config` run as the released
 * binaries run them: `deno run` with exactly the permission flags of deno.json's compile tasks,
 * a config in a temporary folder outside the working directory, and a real tor on a non-default
 * loopback port. Also: a SIGHUP at any moment never ends the daemon, a closed standard error
 * does not either, and the control password may come from `$ONIONBALANCE_CONTROL_PASSWORD`.
 *
 * Every wait is bounded; every process is stopped by its PID.
 *
 * @module
 */

import assert from "node:assert/strict";
import { baseEnv, compileFlags, MAIN, runScoped, spawnScoped } from "./_compile_flags.ts";
import { freePort } from "../control/_tor_process.ts";
import { A12, a12Input, a12Rng, noShuffle } from "../netdoc/hsdesc/_fixtures.ts";
import { buildHsDesc } from "../../src/netdoc/mod.ts";

const root = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-scoped-" });
const deploy = `${root}/deploy`;
const config = `${deploy}/config.yaml`;

/** The deployment every case uses, made by onionbalance-config under its release flags. */
const deployed = runScoped(
  "compile:config",
  ["config", "--output", deploy, "-n", "2", "--no-interactive"],
  { cwd: await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-scoped-cwd-" }) },
);

globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** Stops a child by its PID with SIGTERM (SIGKILL after 10 s); returns its exit code. */
async function stop(child: Deno.ChildProcess): Promise<number> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const { code } = await child.status;
  clearTimeout(timer);
  return code;
}

/** A Unix socket file at `path` (made by python3, which may bind where this test may not). */
async function socketFile(path: string): Promise<void> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path],
  }).output();
  assert.equal(out.code, 0);
}

Deno.test("onionbalance-config under its release flags writes a deployment outside the working directory", async () => {
  const out = await deployed;
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /Created the deployment in /);
  assert.equal((await Deno.stat(config)).mode! & 0o777, 0o600);
});

Deno.test("the daemon under its release flags survives SIGHUP at any moment before tor answers", async () => {
  assert.equal((await deployed).code, 0);
  const port = freePort(); // nothing listens there: tor "is not up yet"
  const daemon = await spawnScoped("compile:onionbalance", ["-c", config, "-p", String(port)]);
  try {
    // The first SIGHUP as early as the daemon can tell it runs: right after its first line.
    await daemon.waitForLine(/Waiting for tor/, 20_000);
    daemon.child.kill("SIGHUP");
    await daemon.waitForLine(/Reloaded .* while waiting for tor/, 10_000);
    // A broken file: refused, the old one kept, the daemon still waits.
    const good = await Deno.readTextFile(config);
    await Deno.writeTextFile(config, "services: [\n");
    let from = daemon.lines.length;
    daemon.child.kill("SIGHUP");
    await daemon.waitForLine(/Keeping the running configuration: cannot reload/, 10_000, from);
    await Deno.writeTextFile(config, good);
    // A burst, as `systemctl reload` run twice in a row: never two reloads at once, none lost.
    from = daemon.lines.length;
    for (let i = 0; i < 5; i++) daemon.child.kill("SIGHUP");
    await daemon.waitForLine(/Reloaded .* while waiting for tor/, 10_000, from);
    assert.ok(await daemon.aliveAfter(500), daemon.lines.join("\n"));
  } finally {
    assert.equal(await stop(daemon.child), 0, daemon.lines.join("\n"));
  }
  assert.ok(daemon.lines.every((line) => !/internal error|--allow-/.test(line)));
});

Deno.test("the daemon keeps running when its standard error is closed", async () => {
  assert.equal((await deployed).code, 0);
  const child = new Deno.Command("deno", {
    args: [
      "run",
      ...await compileFlags("compile:onionbalance"),
      MAIN,
      "-c",
      config,
      "-p",
      String(freePort()),
    ],
    env: baseEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  void child.status.then(() => exited = true);
  try {
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const deadline = Date.now() + 20_000;
    while (!text.includes("Waiting for tor") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.match(text, /Waiting for tor/);
    await reader.cancel(); // the reader goes away: every later log line meets a closed pipe
    // It retries after 1 s, 2 s, …: each retry logs a line that can no longer be written.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    assert.equal(exited, false, "the daemon exited when its log could not be written");
  } finally {
    assert.equal(await stop(child), 0);
  }
});

Deno.test("a control socket outside the release scope fails at once with one line, not a retry loop", async () => {
  assert.equal((await deployed).code, 0);
  const path = `${root}/control`;
  await socketFile(path);
  const started = Date.now();
  const out = await runScoped("compile:onionbalance", ["-c", config, "-s", path, "-p", "9"]);
  assert.equal(out.code, 1, out.stderr);
  assert.ok(Date.now() - started < 30_000);
  const lines = out.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, out.stderr);
  assert.match(
    lines[0]!,
    new RegExp(`^onionbalance: Cannot use "unix:${path}" \\(net\\): outside`),
  );
  assert.match(lines[0]!, /127\.0\.0\.1 \(-i\/-p\)/);
  assert.doesNotMatch(out.stderr, /--allow|run again|Waiting for tor/);
});

Deno.test("the frontend's own address as an instance is a config error at start, before tor", async () => {
  assert.equal((await deployed).code, 0);
  const text = await Deno.readTextFile(config);
  const address = text.match(/key: ([a-z2-7]{56})\.key/)![1]!;
  const lines = text.split("\n");
  const at = lines.findIndex((line) => line.trim() === "instances:") + 1;
  lines.splice(at, 0, `      - address: ${address}.onion`);
  const own = `${deploy}/own.yaml`;
  await Deno.writeTextFile(own, lines.join("\n"), { mode: 0o600 });
  // Nothing listens on port 9: before the keys were checked at load time, the daemon waited
  // for tor here, and crashed with an internal error once tor answered.
  const started = Date.now();
  const out = await runScoped("compile:onionbalance", ["-c", own, "-p", "9"]);
  assert.equal(out.code, 1, out.stderr);
  assert.ok(Date.now() - started < 30_000);
  assert.match(
    out.stderr,
    new RegExp(`own\\.yaml:${at + 1}:9: The frontend's own address \\S+ is listed as an instance`),
  );
  assert.doesNotMatch(out.stderr, /Waiting for tor|internal error|\n\s+at /);
});

Deno.test("the daemon binary refuses to write a deployment, naming the binary that does", async () => {
  const out = await runScoped("compile:onionbalance", [
    "config",
    "--output",
    `${root}/elsewhere`,
    "-n",
    "1",
    "--no-interactive",
  ]);
  assert.equal(out.code, 1, out.stderr);
  const last = out.stderr.trimEnd().split("\n").at(-1)!;
  assert.match(last, /^onionbalance: Cannot use ".*elsewhere.*" \(write\): outside this binary's/);
  assert.match(last, /onionbalance-config/);
  assert.doesNotMatch(out.stderr, /--allow|run again|internal error/);
  await assert.rejects(Deno.stat(`${root}/elsewhere/config.yaml`), Deno.errors.NotFound);
});

Deno.test("status and descriptor decode under the release flags: files anywhere, sockets in scope", async () => {
  const sock = `${root}/status.sock`;
  await socketFile(sock);
  const status = await runScoped("compile:onionbalance", ["status", "-s", sock]);
  assert.equal(status.code, 1, status.stderr);
  assert.equal(status.stderr.trimEnd().split("\n").length, 1, status.stderr);
  assert.match(status.stderr, /outside this binary's permissions/);
  assert.doesNotMatch(status.stderr, /--allow|run again/);

  const file = `${root}/desc.txt`;
  const text = (await buildHsDesc(a12Input(), { rng: a12Rng(), shuffle: noShuffle })).text;
  await Deno.writeTextFile(file, text);
  const decoded = await runScoped("compile:onionbalance", [
    "descriptor",
    "decode",
    "--address",
    A12.address,
    "--at",
    "2030-01-01T13:00:00Z",
    file,
  ]);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.match(decoded.stdout, new RegExp(`Descriptor for ${A12.address}`));
});

/** A tor that offers only HASHEDPASSWORD, with DisableNetwork 1, on a free loopback port. */
async function passwordTor(password: string): Promise<{ port: number; child: Deno.ChildProcess }> {
  const dir = await Deno.makeTempDir({ dir: root, prefix: "tor-" });
  const hash = await new Deno.Command("tor", {
    args: ["--quiet", "--hash-password", password],
    stdout: "piped",
  }).output();
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/torrc`,
    [
      `DataDirectory ${dir}/data`,
      "DisableNetwork 1",
      "SocksPort 0",
      `ControlPort 127.0.0.1:${port}`,
      `HashedControlPassword ${new TextDecoder().decode(hash.stdout).trim().split("\n").at(-1)}`,
      `Log notice file ${dir}/log`,
    ].join("\n") + "\n",
  );
  const child = new Deno.Command("tor", {
    args: ["-f", `${dir}/torrc`, "--quiet"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { port, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error("tor did not open its control port within 15 s");
}

Deno.test("the daemon under its release flags on a real tor: non-default port, password from the environment, what tor is doing, SIGHUP while stopping", async () => {
  assert.equal((await deployed).code, 0);
  const password = crypto.randomUUID();
  const tor = await passwordTor(password);
  try {
    const args = ["-c", config, "-p", String(tor.port)];
    // Without the password: one clear line naming both ways to give it, exit 1.
    const refused = await runScoped("compile:onionbalance", args);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /--password-file FILE or in the environment variable ONIONBALANCE_CONTROL_PASSWORD/,
    );

    const daemon = await spawnScoped("compile:onionbalance", args, {
      ONIONBALANCE_CONTROL_PASSWORD: password,
    });
    try {
      await daemon.waitForLine(
        new RegExp(`Connected to tor at 127\\.0\\.0\\.1:${tor.port}`),
        20_000,
      );
      const wait = await daemon.waitForLine(/Waiting for tor's consensus/, 20_000);
      assert.match(daemon.lines[wait]!, /DisableNetwork is 1/);
      assert.doesNotMatch(daemon.lines.join("\n"), /FetchUselessDescriptors/);
      const from = daemon.lines.length;
      daemon.child.kill("SIGHUP");
      await daemon.waitForLine(/Reloaded .*: 1 frontend service/, 10_000, from);
      // SIGTERM, then SIGHUPs while it closes its connection: still a clean exit.
      daemon.child.kill("SIGTERM");
      for (let i = 0; i < 3; i++) {
        try {
          daemon.child.kill("SIGHUP");
        } catch {
          break; // already gone
        }
      }
    } finally {
      assert.equal(await stop(daemon.child), 0, daemon.lines.join("\n"));
    }
    assert.ok(daemon.lines.some((line) => /Stopped/.test(line)), daemon.lines.join("\n"));
  } finally {
    tor.child.kill("SIGTERM");
    await tor.child.status;
  }
});
