// deno-lint-ignore-file no-console -- reports measured times in the CI log
/**
 * End-to-end restricted discovery (client authorization) on the shared private Tor network,
 * with a deployment the real `onionbalance config --clients 2 --restrict-backends` made (under
 * the release `onionbalance-config` permissions): its two backends' tors serve only the
 * balancer's key (their generated `authorized_clients/`), and the frontend descriptors are
 * encrypted to the two generated clients.
 *
 * - A tor client whose `ClientOnionAuthDir` holds the generated `.auth_private` reaches the
 *   backends through the frontend address; the plain client (no key), asking through a SOCKS
 *   port with `ExtendedErrors`, gets tor's "missing client authorization" (0xF4).
 * - The backends: the plain client fetches a backend's descriptor from an HSDir but cannot
 *   decrypt it, nor connect to the backend (0xF4); the balancer reads both (its `client-key`)
 *   and its health checks through its tor pass (the key given with `ONION_CLIENT_AUTH_ADD`).
 * - A client's `.auth` file removed and SIGHUP: both descriptors republished within seconds; the
 *   copy an HSDir serves then opens with the remaining client's key and not the removed one's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectControl, hsFetch } from "../../src/control/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { parseOnionAddress } from "../../src/keys/mod.ts";
import { decodeHsDesc, parseClientAuthKeyFile } from "../../src/netdoc/mod.ts";
import { Socks5Error } from "../../src/socks/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import {
  fetchOnion,
  startBackends,
  startExtraFrontends,
  TestnetTimeoutError,
} from "../../scripts/testnet/mod.ts";
import { runScoped } from "../cli/_compile_flags.ts";
import { startDaemon, type StatusJson } from "./_daemon.ts";
import { sharedNetwork, within } from "./_network.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SOCKS error a fetch ended with (after `attempts` tries), or the HTTP answer's body. */
async function socksOutcome(
  url: string,
  proxy: { hostname: string; port: number },
  attempts: number,
): Promise<Socks5Error | string> {
  try {
    const got = await fetchOnion(url, { proxy, timeoutMs: 90_000, maxAttempts: attempts });
    return got.response.text();
  } catch (error) {
    if (error instanceof TestnetTimeoutError && error.cause instanceof Socks5Error) {
      return error.cause;
    }
    throw error;
  }
}

Deno.test({
  name:
    "e2e: restricted discovery: an authorized tor client reaches restricted backends through the frontend, a client without the key gets 0xF4, a revoked client's key no longer opens the republished descriptors",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const shared = await within(180_000, "boot the shared network", sharedNetwork());
    const { net } = shared;
    const dir = await Deno.makeTempDir({ dir: net.dir, prefix: "client-auth-" });
    const deploy = `${dir}/deploy`;
    const made = await runScoped("compile:config", [
      "config",
      "--no-interactive",
      "--output",
      deploy,
      "-n",
      "2",
      "-t",
      "auth",
      "--clients",
      "2",
      "--restrict-backends",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const frontend = /service 1: ([a-z2-7]{56})\.onion/.exec(made.stdout)?.[1];
    assert.ok(frontend !== undefined, made.stdout);
    const clientKey = async (name: string) =>
      parseClientAuthKeyFile(
        await Deno.readTextFile(`${deploy}/clients/${name}/${frontend}.auth_private`),
      ).key;
    const [client1, client2] = [await clientKey("client1"), await clientKey("client2")];

    const backends = await within(
      120_000,
      "start the restricted backends",
      startBackends(net, 2, {
        masterOnionAddress: `${frontend}.onion`,
        hiddenServiceDirs: [`${deploy}/auth1/hidden_service`, `${deploy}/auth2/hidden_service`],
        timeoutMs: 110_000,
      }),
    );
    const [authorized] = await within(
      90_000,
      "an authorized client tor",
      startExtraFrontends(net, 1, { torrcLines: [`ClientOnionAuthDir ${deploy}/clients/client1`] }),
    );
    const daemon = startDaemon(shared, {
      configPath: `${deploy}/config.yaml`,
      statusPath: `${dir}/status.sock`,
      readable: [dir, net.frontend.cookieFile],
    });
    const plain = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: net.clientControlPort },
      log: new Logger({ level: "critical" }),
      reconnect: false,
    });
    let stopped: number;
    try {
      // Both backends read with the balancer's key and healthy through its tor; both
      // descriptors on every responsible HSDir.
      const settled = (s: StatusJson["services"][number]) =>
        s.instances.length === 2 &&
        s.instances.every((i) => i.state === "usable" && i.health?.ok === true) &&
        [s.descriptors.first, s.descriptors.second].every((d) =>
          d !== null && d.hsDirs.every((h) => h.status === "uploaded")
        );
      await daemon.waitForLine(/Loaded frontend/, 60_000);
      await sleep(1_000); // the status socket comes right after
      let status = await daemon.status();
      const deadline = Date.now() + 150_000;
      while (!settled(status.services[0]!)) {
        assert.ok(
          Date.now() < deadline,
          `not settled: ${JSON.stringify(status.services[0]?.instances)}\n` +
            daemon.lines.slice(-30).join("\n"),
        );
        await sleep(1_000);
        status = await daemon.status();
      }
      assert.equal(
        daemon.lines.filter((l) => /Gave tor the client key of restricted backend/.test(l)).length,
        2,
      );

      const url = `http://${frontend}.onion/`;
      const reached = await socksOutcome(
        url,
        { hostname: "127.0.0.1", port: authorized!.socksPort },
        30,
      );
      assert.ok(typeof reached === "string", `the authorized client failed: ${reached}`);
      assert.ok(backends.some((b) => reached === `${b.name}\n`), reached);
      const refused = await socksOutcome(url, net.socks, 3);
      assert.ok(refused instanceof Socks5Error, `the plain client got through: ${refused}`);
      assert.equal(refused.kind, "OnionMissingClientAuth");
      assert.equal(refused.reply, 0xf4);
      console.log(
        `authorized client: "${reached.trim()}"; plain client: 0x${refused.reply.toString(16)}`,
      );

      // The restricted backends: the plain client fetches the text but cannot open it or connect.
      for (const backend of backends) {
        const address = backend.onionAddress.replace(/\.onion$/, "");
        const fetched = await hsFetch(plain, address, { timeoutMs: 30_000 });
        const copy = fetched.outcomes.find((o) => o.ok);
        assert.ok(copy !== undefined && copy.ok, `no copy of ${address}`);
        const consensus = (await daemon.status()).consensus as unknown as {
          timePeriod: number;
          periodLengthMinutes: number;
        };
        const length = consensus.periodLengthMinutes;
        const period = new TimePeriod(consensus.timePeriod, length, length * 30);
        await assert.rejects(
          decodeHsDesc(copy.descriptor, {
            identity: parseOnionAddress(address),
            periods: [period.previous(), period, period.next()],
            now: new Date(),
          }),
          { kind: "NeedsClientAuth" },
        );
        const direct = await socksOutcome(`http://${address}.onion/`, net.socks, 2);
        assert.ok(direct instanceof Socks5Error, `the plain client reached ${address} directly`);
        assert.equal(direct.kind, "OnionMissingClientAuth");
      }

      // Revoke client1: its .auth file removed, SIGHUP.
      await Deno.remove(`${deploy}/${frontend}.authorized_clients/client1.auth`);
      const mark = daemon.lines.length;
      const sentAt = Date.now();
      daemon.kill("SIGHUP");
      await daemon.waitForLine(/Reloaded/, 30_000, mark);
      const republished = Date.now() + 60_000;
      for (;;) {
        const s = (await daemon.status()).services[0]!;
        const slots = [s.descriptors.first, s.descriptors.second];
        if (
          slots.every((d) =>
            d !== null && d.reason === "the authorized clients changed (1 now)" &&
            d.hsDirs.every((h) => h.status === "uploaded")
          )
        ) break;
        assert.ok(Date.now() < republished, `not republished: ${JSON.stringify(slots)}`);
        await sleep(250);
      }
      const republishMs = Date.now() - sentAt;
      const after = await daemon.status();
      const consensus = after.consensus as unknown as {
        timePeriod: number;
        periodLengthMinutes: number;
      };
      const current = (["first", "second"] as const)
        .map((slot) => after.services[0]!.descriptors[slot]!)
        .find((d) => d.timePeriod === consensus.timePeriod)!;
      const fetched = await hsFetch(plain, frontend, {
        servers: [current.hsDirs[0]!.fingerprint],
        timeoutMs: 30_000,
      });
      const copy = fetched.outcomes.find((o) => o.ok);
      assert.ok(copy !== undefined && copy.ok, "an HSDir serves the republished descriptor");
      const period = new TimePeriod(
        consensus.timePeriod,
        consensus.periodLengthMinutes,
        consensus.periodLengthMinutes * 30,
      );
      const open = (clientKey: typeof client1) =>
        decodeHsDesc(copy.descriptor, {
          identity: parseOnionAddress(frontend),
          periods: [period],
          now: new Date(),
          clientKey,
        });
      await assert.rejects(open(client1), { kind: "BadClientAuth" });
      const kept = await open(client2);
      assert.ok(kept.inner.introPoints.length > 0);
      assert.equal(kept.outer.revisionCounter.toString(), current.revisionCounter);
      console.log(
        `revoked client1: every HSDir had the new descriptors ${republishMs} ms after SIGHUP; ` +
          `client2 opens the served copy (${kept.inner.introPoints.length} intro points), ` +
          `client1 does not`,
      );
    } catch (error) {
      console.log(daemon.lines.slice(-40).join("\n"));
      throw error;
    } finally {
      await plain.close().catch(() => {});
      stopped = await daemon.stop();
    }
    assert.equal(stopped, 0, "the balancer stops with exit code 0");
  },
});
