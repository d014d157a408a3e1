/**
 * `ONION_CLIENT_AUTH_ADD` / `ONION_CLIENT_AUTH_REMOVE` against a real tor 0.4.9 (offline, no
 * network): the key is taken, replaced (251), shown by `ONION_CLIENT_AUTH_VIEW`, and removed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { toBase64 } from "../../src/bytes/mod.ts";
import {
  connectControl,
  onionClientAuthAdd,
  onionClientAuthRemove,
} from "../../src/control/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { captureLog, withDeadline } from "./_helpers.ts";
import { TorProcess } from "./_tor_process.ts";

const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";

Deno.test({
  name: "onionClientAuthAdd()/Remove() give tor a client key, replace it, and take it back",
  permissions: { run: ["tor"], read: ["/tmp"], write: ["/tmp"], net: ["127.0.0.1"] },
  fn: async () => {
    const tor = await withDeadline(15_000, () => TorProcess.start({ auth: "none" }));
    const client = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: tor.port },
      log: captureLog().log,
      reconnect: false,
      connectTimeoutMs: 5_000,
    });
    try {
      const rng = seededRng("onion client auth");
      const [first, second] = [rng(32), rng(32)];
      assert.deepEqual(await onionClientAuthAdd(client, ADDRESS, first), { replaced: false });
      assert.deepEqual(await onionClientAuthAdd(client, ADDRESS, second, { clientName: "ob" }), {
        replaced: true,
      });
      const view = await client.request(`ONION_CLIENT_AUTH_VIEW ${ADDRESS}`);
      const line = view.lines.map((l) => l.text).find((t) => t.startsWith("CLIENT "));
      assert.equal(line, `CLIENT ${ADDRESS} x25519:${toBase64(second)} ClientName=ob`);
      assert.deepEqual(await onionClientAuthRemove(client, ADDRESS), { removed: true });
      assert.deepEqual(await onionClientAuthRemove(client, ADDRESS), { removed: false });
      await assert.rejects(onionClientAuthAdd(client, "nope", first), TypeError);
    } finally {
      await client.close();
      await tor.stop();
    }
  },
});
