// deno-lint-ignore-file no-console -- reports measured times in the CI log
/**
 * End-to-end cases of the private Tor network itself: a real Tor client reaches the backends'
 * own onion addresses through SOCKS. The balancer's cases join this suite when it exists.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fetchOnion,
  makeOnionKey,
  networkStatus,
  Socks5Error,
  TestnetTimeoutError,
} from "../../scripts/testnet/mod.ts";
import { BACKENDS, sharedNetwork, within } from "./_network.ts";

Deno.test("e2e: the private network boots and a Tor client reaches it", async () => {
  const { net } = await within(180_000, "boot the shared network", sharedNetwork());
  console.log(`client bootstrapped in ${((net.bootstrapMs ?? 0) / 1000).toFixed(1)} s`);
  const status = await networkStatus(net.dir);
  assert.equal(status.client?.percent, 100);
  assert.equal(status.frontend?.percent, 100);
  const stopped = status.processes.filter((p) => !p.running).map((p) => p.name);
  assert.deepEqual(stopped, []);
  // 3 authorities + 5 relays + client + frontend + a tor and an HTTP server per backend.
  assert.equal(status.processes.length, 3 + 5 + 2 + 2 * BACKENDS);
});

Deno.test("e2e: a Tor client fetches each backend's own onion address through SOCKS", async () => {
  const { net, backends, master } = await within(180_000, "boot", sharedNetwork());
  for (const backend of backends) {
    const obConfig = await Deno.readTextFile(`${backend.hiddenServiceDir}/ob_config`);
    assert.equal(obConfig, `MasterOnionAddress ${master.onionAddress}\n`);
    const { response, attempts } = await within(
      100_000,
      `fetch ${backend.url}`,
      fetchOnion(backend.url, { proxy: net.socks, timeoutMs: 90_000 }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.text(), `${backend.name}\n`);
    console.log(`${backend.name}: answered after ${attempts} attempt(s)`);
  }
});

Deno.test("e2e: an unpublished onion address gives tor's extended SOCKS error 0xF0", async () => {
  const { net } = await within(180_000, "boot", sharedNetwork());
  const nowhere = await makeOnionKey(net, "unpublished");
  const error = await within(
    60_000,
    "fetch an unpublished address",
    fetchOnion(`http://${nowhere.onionAddress}/`, {
      proxy: net.socks,
      timeoutMs: 45_000,
      maxAttempts: 1,
    }).catch((e) => e),
  );
  assert.ok(error instanceof TestnetTimeoutError, String(error));
  assert.ok(error.cause instanceof Socks5Error, String(error.cause));
  assert.equal(error.cause.kind, "OnionDescriptorNotFound");
  assert.equal(error.cause.reply, 0xf0);
});
