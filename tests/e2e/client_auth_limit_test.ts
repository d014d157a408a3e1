// deno-lint-ignore-file no-console -- reports the limit, the descriptor size and the uploads in the CI log
/**
 * End-to-end: the largest client-authorization descriptor the balancer may publish, on the
 * shared private Tor network. A descriptor for a fresh frontend key with 20 worst-case intro
 * points and {@link MAX_AUTHORIZED_CLIENTS} authorized clients is posted through the frontend
 * tor (`+HSPOST`) to every HSDir responsible for it in the current time period, and every HSDir
 * accepts it (`HS_DESC UPLOADED`: the HSDir parsed it, checked its signature and its size
 * against `HSV3MaxDescriptorSize`). Fetched back from one HSDir through the same tor (whose
 * `HS_DESC RECEIVED` means tor decoded the outer document and the first layer, needing a client
 * key for the second), python3-stem 1.8.1 checks its signature, decrypts its first layer and
 * counts `authClientLines(MAX_AUTHORIZED_CLIENTS)` `auth-client` entries (stem has no client-key
 * parameter, so it cannot open the second layer), and the project's decoder opens it with one
 * of the client keys and finds the 20 intro points.
 *
 * Spec: rend-spec-v3 §1.9.1 [CLIENT-AUTH], §2.5.1.2 [HS-DESC-FIRST-LAYER], §2.2.3
 * [WHERE-HSDESC] — https://spec.torproject.org/rend-spec/; control-spec 3.26 HSFETCH, 3.29
 * HSPOST, 4.1.25 HS_DESC.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadNetworkView } from "../../src/balancer/mod.ts";
import { connectControl, hsFetch, hsPost } from "../../src/control/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { blindPublicKey, encodeOnionAddress, HsIdKeypair } from "../../src/keys/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import {
  authClientLines,
  buildHsDesc,
  decodeHsDesc,
  HsClientDescEncKeypair,
  HsDescError,
  LinkSpecifiers,
  MAX_AUTHORIZED_CLIENTS,
  MAX_DESCRIPTOR_SIZE,
  MAX_INTRO_POINTS,
} from "../../src/netdoc/hsdesc/mod.ts";
import { runPythonScript } from "../_python.ts";
import { fill, makeIntroPoint } from "../netdoc/hsdesc/_fixtures.ts";
import { sharedNetwork, within } from "./_network.ts";

/** The link specifiers of a tor 0.4.9 intro point on a relay with IPv6: all four kinds. */
const WORST_LINK_SPECIFIERS = LinkSpecifiers.encode([
  { kind: "ipv4", address: "203.0.113.200", port: 65535 },
  { kind: "legacy-id", rsaId: fill(20, 0xaa) },
  { kind: "ed25519-id", ed25519Id: fill(32, 0xbb) },
  { kind: "ipv6", address: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
]);

/** What `tests/python/stem_outer_layer.py` reports. */
interface StemOuterLayer {
  size: number;
  revisionCounter: number;
  lifetime: number;
  authType: string;
  authClients: number;
  authClientLines: number;
  secondLayer: string;
}

/** Publishing and fetching may straddle a time-period change once; then it is done again. */
const ATTEMPTS = 2;

Deno.test({
  name:
    `e2e: ${MAX_AUTHORIZED_CLIENTS} authorized clients beside ${MAX_INTRO_POINTS} intro points: every HSDir accepts the descriptor, stem and a client key read it`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const shared = await within(180_000, "boot the shared network", sharedNetwork());
    const started = Date.now();
    const client = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: shared.net.frontend.controlPort },
      log: new Logger({ level: "critical" }),
      reconnect: false,
    });
    try {
      const identity = HsIdKeypair.generate(seededRng(`client-auth-limit ${started}`));
      const address = encodeOnionAddress(identity.public);
      const clients = Array.from(
        { length: MAX_AUTHORIZED_CLIENTS + 1 },
        (_, i) => HsClientDescEncKeypair.generate(seededRng(`client-auth-limit client ${i}`)),
      );
      const outsider = clients.pop()!;
      console.log(
        `client-auth limit: ${MAX_AUTHORIZED_CLIENTS} clients ` +
          `(${authClientLines(MAX_AUTHORIZED_CLIENTS)} auth-client lines) ` +
          `beside ${MAX_INTRO_POINTS} intro points`,
      );
      for (let attempt = 1;; attempt++) {
        const view = await within(
          30_000,
          "the frontend tor's consensus",
          loadNetworkView(client, { isTestingNetwork: true }),
        );
        // The descriptor clients fetch now: the current period, on the fetch ring.
        const times = view.timeline.fetch();
        const period = times.period;
        const hsDirs = view.responsible(blindPublicKey(identity.public, period), times, "store");
        assert.ok(hsDirs.length > 0, `HSDirs responsible in ${period}`);
        const now = new Date();
        const expirationHours = Math.floor(now.getTime() / 3_600_000) + 54;
        const built = await buildHsDesc({
          identity,
          period,
          revisionCounter: Math.floor(now.getTime() / 1000),
          now,
          introPoints: Array.from({ length: MAX_INTRO_POINTS }, (_, i) =>
            makeIntroPoint({
              onion: 3 * i + 1,
              auth: 3 * i + 2,
              enc: 3 * i + 3,
              expirationHours,
              linkSpecifiers: WORST_LINK_SPECIFIERS,
            })),
          flowControl: { versions: "1-2", sendmeInc: 31 },
          authorizedClients: clients.map((c) => c.public),
        }, { rng: seededRng(`client-auth-limit build ${started} ${attempt}`) });
        assert.ok(built.text.length < MAX_DESCRIPTOR_SIZE);
        console.log(`client-auth limit: descriptor of ${built.text.length} bytes for ${period}`);

        const uploads = await within(
          40_000,
          `the uploads to ${hsDirs.length} HSDirs`,
          Promise.all(hsDirs.map((h) =>
            hsPost(client, built.text, {
              address,
              hsDir: h.fingerprint,
              awaitUpload: true,
              timeoutMs: 30_000,
            })
          )),
        );
        const report = uploads.map((u, i) =>
          `${hsDirs[i]!.nickname} ${u.status === "failed" ? `failed ${u.reason}` : u.status}`
        );
        console.log(`client-auth limit: uploads: ${report.join(", ")}`);
        assert.ok(uploads.every((u) => u.status === "uploaded"), report.join(", "));

        const hsDir = hsDirs[0]!.fingerprint;
        const fetched = await within(
          40_000,
          `the fetch from ${hsDirs[0]!.nickname}`,
          hsFetch(client, address, { servers: [hsDir], timeoutMs: 30_000 }),
        );
        const outcome = fetched.outcomes[0]!;
        if (!outcome.ok) {
          const later = await within(
            30_000,
            "the frontend tor's consensus",
            loadNetworkView(client, { isTestingNetwork: true }),
          );
          const moved = later.timeline.fetch().period.number !== period.number;
          if (moved && attempt < ATTEMPTS) {
            console.log(`client-auth limit: ${period} ended before the fetch; again`);
            continue;
          }
          assert.fail(`fetch from ${hsDirs[0]!.nickname}: ${outcome.reason}`);
        }
        assert.equal(outcome.descriptor, built.text, "the HSDir serves the descriptor as posted");

        const stem = await within(
          30_000,
          "python3-stem",
          runPythonScript<StemOuterLayer>("stem_outer_layer.py", {
            address,
            descriptor: outcome.descriptor,
          }),
        );
        console.log(
          `client-auth limit: stem: ${stem.authClients} auth-client entries, ` +
            `second layer without a cookie: ${stem.secondLayer}`,
        );
        assert.equal(stem.size, built.text.length);
        assert.equal(stem.revisionCounter, Number(built.revisionCounter));
        assert.equal(stem.authType, "x25519");
        assert.equal(stem.authClients, authClientLines(MAX_AUTHORIZED_CLIENTS));
        assert.equal(stem.authClientLines, authClientLines(MAX_AUTHORIZED_CLIENTS));
        assert.notEqual(stem.secondLayer, "opened");

        const decodeOptions = { identity: identity.public, periods: [period], now: new Date() };
        const desc = await decodeHsDesc(outcome.descriptor, {
          ...decodeOptions,
          clientKey: clients[MAX_AUTHORIZED_CLIENTS - 1]!,
        });
        assert.ok(desc.clientAuthUsed);
        assert.equal(desc.inner.introPoints.length, MAX_INTRO_POINTS);
        assert.equal(desc.middle.authClients.length, authClientLines(MAX_AUTHORIZED_CLIENTS));
        await assert.rejects(
          () => decodeHsDesc(outcome.descriptor, { ...decodeOptions, clientKey: outsider }),
          (e: unknown) => e instanceof HsDescError && e.kind === "BadClientAuth",
        );
        console.log(
          `client-auth limit: a client key opens all ${desc.inner.introPoints.length} intro ` +
            `points; done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        break;
      }
    } finally {
      await client.close();
    }
  },
});
