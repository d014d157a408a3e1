/**
 * A descriptor we build is accepted by tor 0.4.9 over `+HSPOST` (control-spec
 * 3.29 HSPOST): tor runs its plaintext decoder on it (outer fields, the
 * type-08 cert against the current time, the descriptor signature, the size)
 * and answers 250; a descriptor with one changed signature character gets 554.
 *
 * tor runs on loopback with `DisableNetwork 1` in a 0700 temp dir under /tmp
 * (`_tor_process.ts`), with cookie authentication; the test authenticates
 * with SAFECOOKIE and stops tor by its PID.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectControl, ControlOperationFailed } from "../../src/control/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { buildHsDesc } from "../../src/netdoc/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { TorProcess } from "./_tor_process.ts";
import { A12, makeIntroPoint } from "../netdoc/hsdesc/_fixtures.ts";

Deno.test({
  name: "tor 0.4.9 accepts our descriptor over +HSPOST HSADDRESS= and rejects a corrupted one",
  sanitizeResources: true,
  async fn() {
    const now = new Date();
    const hour = Math.floor(now.getTime() / 3600_000);
    const period = new TimePeriod(Math.floor((now.getTime() / 60_000 - 720) / 1440));
    const built = await buildHsDesc({
      identity: A12.identity,
      period,
      revisionCounter: 42,
      now,
      introPoints: [1, 2, 3].map((i) =>
        makeIntroPoint({ onion: i, auth: i + 10, enc: i + 20, expirationHours: hour + 54 })
      ),
      flowControl: { versions: "1-2", sendmeInc: 31 },
    }, { rng: seededRng("hspost") });
    const sigAt = built.text.indexOf("\nsignature ") + 12;
    const corrupted = built.text.slice(0, sigAt) +
      (built.text[sigAt] === "A" ? "B" : "A") + built.text.slice(sigAt + 1);

    const tor = await TorProcess.start({ auth: "cookie+password" });
    try {
      const client = await connectControl({
        endpoint: { transport: "tcp", hostname: "127.0.0.1", port: tor.port },
        log: new Logger({ level: "error", sink: () => {} }),
        auth: { method: "SAFECOOKIE" },
        reconnect: false,
        connectTimeoutMs: 10_000,
        timeoutMs: 10_000,
      });
      try {
        const command = `+HSPOST HSADDRESS=${onionAddressLabel(A12.identity.public)}`;
        const ok = await client.request(command, { data: built.text });
        assert.equal(ok.status, 250);
        await assert.rejects(
          client.request(command, { data: corrupted }),
          (e: unknown) => e instanceof ControlOperationFailed && e.code === 554,
        );
      } finally {
        await client.close();
      }
    } finally {
      await tor.stop();
    }
  },
});
