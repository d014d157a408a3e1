/**
 * A real tor (0.4.9) accepts the generated files: a backend started from its
 * generated torrc, unchanged, with its `hidden_service/` folder copied where
 * the torrc says (as the generated README instructs), registers the master
 * from `ob_config` and derives the same address from the generated secret
 * key; the frontend torrc passes `tor --verify-config`. Tor runs on loopback
 * with `DisableNetwork 1`, so nothing leaves the machine.
 */

import assert from "node:assert/strict";
import { seededRng } from "../../src/crypto/mod.ts";
import { planDeployment, writeDeployment } from "../../src/deploy/mod.ts";

const TOR: Deno.PermissionOptionsObject = { run: ["tor"], read: ["/tmp"], write: ["/tmp"] };

/** Tor's warnings that say nothing about the files under test. */
const EXPECTED_WARNINGS = [/You are running Tor as root/];

function unexpectedWarnings(log: string): string[] {
  return log.split("\n").filter((line) =>
    /\[(warn|err)\]/.test(line) && !EXPECTED_WARNINGS.some((re) => re.test(line))
  );
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { mode: 0o700 });
  await Deno.chmod(to, 0o700);
  for await (const entry of Deno.readDir(from)) {
    if (!entry.isFile) continue;
    await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
    await Deno.chmod(`${to}/${entry.name}`, 0o600);
  }
}

/** Runs tor until `done(output)` or 30 s, then stops it; returns everything it printed. */
async function runTorUntil(args: string[], done: (output: string) => boolean): Promise<string> {
  const child = new Deno.Command("tor", { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  let output = "";
  const timer = setTimeout(() => child.kill("SIGTERM"), 30_000);
  const stderr = new Response(child.stderr).text();
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true });
    if (done(output)) {
      child.kill("SIGTERM");
      break;
    }
  }
  await child.stdout.cancel().catch(() => {});
  await child.status;
  clearTimeout(timer);
  return output + await stderr;
}

Deno.test({
  name:
    "tor starts a backend from its generated torrc and folder, unchanged, and keeps its address",
  permissions: TOR,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-deploy-tor-" });
    try {
      const machine = `${tmp}/machine`; // the backend machine's /var/lib/tor
      await Deno.mkdir(machine, { mode: 0o700 });
      const plan = planDeployment({
        services: [{ backends: 1, tag: "node" }],
        target: "127.0.0.1:8080",
        backendDirPrefix: machine,
      }, { rng: seededRng("tor-backend") });
      await writeDeployment(`${tmp}/out`, plan);
      const [service] = plan.services;
      const backend = service!.backends[0]!;
      const hiddenServiceDir = `${machine}/${backend.name}`;
      await copyDir(`${tmp}/out/${backend.name}/hidden_service`, hiddenServiceDir);
      const secret = await Deno.readFile(`${hiddenServiceDir}/hs_ed25519_secret_key`);
      await Deno.remove(`${hiddenServiceDir}/hostname`); // tor must write it again from our secret key
      await Deno.mkdir(`${tmp}/data`, { mode: 0o700 });
      const log = await runTorUntil([
        "-f",
        `${tmp}/out/${backend.name}/torrc`,
        "--DataDirectory",
        `${tmp}/data`,
        "--DisableNetwork",
        "1",
        "--SocksPort",
        "0",
        "--Log",
        "notice stdout",
      ], (out) => out.includes("Bootstrapped 0%"));
      assert.ok(log.includes("Bootstrapped 0%"), log);
      assert.ok(
        log.includes(`OnionBalance: MasterOnionAddress ${service!.address} registered`),
        log,
      );
      assert.deepEqual(unexpectedWarnings(log), []);
      assert.equal(await Deno.readTextFile(`${hiddenServiceDir}/hostname`), `${backend.address}\n`);
      assert.deepEqual(await Deno.readFile(`${hiddenServiceDir}/hs_ed25519_secret_key`), secret);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "tor --verify-config accepts the generated frontend torrc without warnings",
  permissions: TOR,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-deploy-tor-" });
    try {
      const plan = planDeployment({ services: [{ backends: 1, tag: "node" }] }, {
        rng: seededRng("tor-frontend"),
      });
      await writeDeployment(`${tmp}/out`, plan);
      await Deno.mkdir(`${tmp}/data`, { mode: 0o700 });
      const { code, stdout, stderr } = await new Deno.Command("tor", {
        args: [
          "--verify-config",
          "-f",
          `${tmp}/out/torrc-frontend`,
          "--DataDirectory",
          `${tmp}/data`,
        ],
        stdin: "null",
      }).output();
      const log = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
      assert.equal(code, 0, log);
      assert.match(log, /Configuration was valid/);
      assert.deepEqual(unexpectedWarnings(log), []);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
