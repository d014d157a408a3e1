/**
 * The daemon as the released binary runs it, on the shared private Tor network: `deno run` with
 * exactly the permission flags of deno.json's `compile:onionbalance` (read from deno.json, so the
 * test and the release cannot drift apart), a deployment that `onionbalance-config` made under
 * its own release flags in a temporary folder, the frontend tor's control port (not 9051), and
 * the status socket at its documented place, /run/onionbalance/control, read back by `status`
 * under the same flags. The deployment's frontend key is encrypted (`--encrypt`), and the daemon
 * gets its passphrase from a systemd credentials folder (`$CREDENTIALS_DIRECTORY`), as the
 * shipped unit's `LoadCredentialEncrypted=` gives it.
 *
 * It publishes a frontend of its own (a fresh key over the shared backends), so it runs beside
 * the other cases' balancer without competing for their address.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runScoped, spawnScoped } from "../cli/_compile_flags.ts";
import { sharedNetwork, within } from "./_network.ts";

/** The status socket's documented location (README, config/onionbalance.service). */
const STATUS = "/run/onionbalance/control";

Deno.test({
  name: "e2e: the daemon under the release binary's permissions publishes, answers status and " +
    "reloads on a non-default ControlPort, from an encrypted key whose passphrase is a systemd credential",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const shared = await within(180_000, "boot the shared network", sharedNetwork());
    // Another daemon answering on the documented socket would be taken over: refuse to run.
    const before = await runScoped("compile:onionbalance", ["status", "--json"]);
    assert.notEqual(before.code, 0, `an onionbalance daemon already serves ${STATUS}`);

    const dir = await Deno.makeTempDir({ dir: shared.net.dir, prefix: "release-" });
    const passphrase = "a passphrase nobody types on a command line";
    await Deno.writeTextFile(`${dir}/passphrase`, `${passphrase}\n`, { mode: 0o600 });
    const made = await runScoped("compile:config", [
      "config",
      "--output",
      `${dir}/deploy`,
      "--no-interactive",
      "--encrypt",
      "--passphrase-file",
      `${dir}/passphrase`,
      ...shared.backends.flatMap((b) => ["--instance", b.onionAddress]),
    ]);
    assert.equal(made.code, 0, made.stderr);
    const frontend = /service 1: ([a-z2-7]{56})\.onion/.exec(made.stdout)?.[1];
    assert.ok(frontend !== undefined, made.stdout);
    const keyText = await Deno.readTextFile(`${dir}/deploy/${frontend}.key`);
    assert.match(keyText, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    // systemd's credentials folder: one file per credential, read-only for the service.
    const credentials = `${dir}/credentials`;
    await Deno.mkdir(credentials, { mode: 0o700 });
    await Deno.writeTextFile(`${credentials}/onionbalance-key-passphrase`, passphrase, {
      mode: 0o400,
    });
    const args = [
      "-c",
      `${dir}/deploy/config.yaml`,
      "-p",
      String(shared.net.frontend.controlPort),
      "-s",
      `${dir}/no-control-socket`,
      "--unsafe-logging",
      "-v",
      "debug",
    ];
    // Without the credential (and no terminal to ask on): a one-line error naming the key.
    const refused = await runScoped("compile:onionbalance", args);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`${frontend}\\.key is encrypted and no passphrase`));
    assert.ok(!refused.stderr.includes(passphrase));

    const daemon = await spawnScoped("compile:onionbalance", args, {
      ONIONBALANCE_STATUS_SOCKET_LOCATION: STATUS,
      CREDENTIALS_DIRECTORY: credentials,
    });
    try {
      await daemon.waitForLine(/Connected to tor at 127\.0\.0\.1:/, 30_000);
      // Both descriptors accepted by all 6 responsible HSDirs (HS_DESC UPLOADED).
      const uploaded = new RegExp(`Uploaded ${frontend}\\.onion to HSDir`);
      const deadline = Date.now() + 90_000;
      while (daemon.lines.filter((l) => uploaded.test(l)).length < 12 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(
        daemon.lines.filter((l) => uploaded.test(l)).length >= 12,
        daemon.lines.slice(-30).join("\n"),
      );

      const status = await runScoped("compile:onionbalance", ["status", "--json"]);
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout) as {
        services: { onionAddress: string; instances: { onionAddress: string }[] }[];
      };
      assert.equal(report.services[0]?.onionAddress, `${frontend}.onion`);
      assert.deepEqual(
        report.services[0]?.instances.map((i) => i.onionAddress).sort(),
        shared.backends.map((b) => b.onionAddress).sort(),
      );

      const from = daemon.lines.length;
      daemon.child.kill("SIGHUP");
      await daemon.waitForLine(/Reloaded .*: 1 frontend service/, 20_000, from);
      assert.ok(daemon.lines.every((line) => !/--allow-|internal error/.test(line)));
      assert.ok(daemon.lines.every((line) => !line.includes(passphrase)));
    } finally {
      daemon.child.kill("SIGTERM");
      daemon.child.kill("SIGHUP"); // while it stops: still a clean exit
      const timer = setTimeout(() => daemon.child.kill("SIGKILL"), 15_000);
      const { code } = await daemon.child.status;
      clearTimeout(timer);
      assert.equal(code, 0, daemon.lines.slice(-20).join("\n"));
    }
  },
});
