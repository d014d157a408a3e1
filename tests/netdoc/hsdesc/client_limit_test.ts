import assert from "node:assert/strict";
import { seededRng } from "../../../src/crypto/mod.ts";
import {
  authClientLines,
  buildHsDesc,
  decodeHsDesc,
  HsClientDescEncKeypair,
  HsDescError,
  HsDescTooLargeError,
  LinkSpecifiers,
  MAX_AUTHORIZED_CLIENTS,
  MAX_DESCRIPTOR_SIZE,
  MAX_INTRO_POINTS,
  MIDDLE_PADDING_MULTIPLE,
} from "../../../src/netdoc/hsdesc/mod.ts";
import { A12, fill, makeIntroPoint } from "./_fixtures.ts";

/** The link specifiers of a tor 0.4.9 intro point on a relay with IPv6: all four kinds. */
const WORST_LINK_SPECIFIERS = LinkSpecifiers.encode([
  { kind: "ipv4", address: "203.0.113.200", port: 65535 },
  { kind: "legacy-id", rsaId: fill(20, 0xaa) },
  { kind: "ed25519-id", ed25519Id: fill(32, 0xbb) },
  { kind: "ipv6", address: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
]);

/** 20 worst-case intro points (distinct keys). */
const INTRO_POINTS = Array.from({ length: MAX_INTRO_POINTS }, (_, i) =>
  makeIntroPoint({
    onion: 3 * i + 1,
    auth: 3 * i + 2,
    enc: 3 * i + 3,
    expirationHours: A12.certExpirationHours,
    linkSpecifiers: WORST_LINK_SPECIFIERS,
  }));

/** One past the limit, in whole `auth-client` blocks. */
const BEYOND = MAX_AUTHORIZED_CLIENTS + 16;
const CLIENTS = Array.from(
  { length: BEYOND },
  (_, i) => HsClientDescEncKeypair.generate(seededRng(`limit-client-${i}`)),
);

async function buildFor(clients: number) {
  return await buildHsDesc({
    identity: A12.identity,
    period: A12.period,
    revisionCounter: 1,
    now: A12.now,
    introPoints: INTRO_POINTS,
    flowControl: { versions: "1-2", sendmeInc: 31 },
    authorizedClients: CLIENTS.slice(0, clients).map((c) => c.public),
  }, { rng: seededRng(`limit-build-${clients}`) });
}

const decodeOptions = { identity: A12.identity.public, periods: [A12.period], now: A12.now };

Deno.test("authClientLines() rounds up to a positive multiple of 16", () => {
  assert.deepEqual(
    [0, 1, 15, 16, 17, 32, 33, 112, 113].map(authClientLines),
    [16, 16, 16, 16, 32, 32, 48, 112, 128],
  );
  assert.equal(authClientLines(MAX_AUTHORIZED_CLIENTS), MAX_AUTHORIZED_CLIENTS);
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => authClientLines(bad), RangeError);
  }
});

Deno.test(`MAX_AUTHORIZED_CLIENTS (${MAX_AUTHORIZED_CLIENTS}) clients fit beside ${MAX_INTRO_POINTS} worst-case intro points; ${BEYOND} do not`, async () => {
  const built = await buildFor(MAX_AUTHORIZED_CLIENTS);
  assert.ok(
    built.text.length < MAX_DESCRIPTOR_SIZE,
    `${MAX_AUTHORIZED_CLIENTS} clients: ${built.text.length} bytes`,
  );
  // The sizes the doc comment of MAX_AUTHORIZED_CLIENTS gives (lengths do not depend on the rng).
  assert.equal(built.text.length, 41_182);
  // The first layer pads to 30 000 bytes; one more block of lines would pad it to 40 000.
  assert.ok(
    built.middlePlaintext.length <= 3 * MIDDLE_PADDING_MULTIPLE,
    `first layer ${built.middlePlaintext.length} bytes`,
  );
  const tooLarge = await buildFor(BEYOND).then(
    () => assert.fail(`${BEYOND} clients built`),
    (e: unknown) => e,
  );
  assert.ok(tooLarge instanceof HsDescTooLargeError);
  assert.ok(
    tooLarge.size >= MAX_DESCRIPTOR_SIZE,
    `${BEYOND} clients: ${tooLarge.size} bytes (${built.text.length} with ${MAX_AUTHORIZED_CLIENTS})`,
  );
  assert.equal(tooLarge.size, 54_727);
  assert.equal(tooLarge.limit, MAX_DESCRIPTOR_SIZE);
});

Deno.test(`a descriptor for ${MAX_AUTHORIZED_CLIENTS} clients opens with a client's key only, with all ${MAX_INTRO_POINTS} intro points`, async () => {
  const built = await buildFor(MAX_AUTHORIZED_CLIENTS);
  for (const clientKey of [CLIENTS[0]!, CLIENTS[MAX_AUTHORIZED_CLIENTS - 1]!]) {
    const desc = await decodeHsDesc(built.text, { ...decodeOptions, clientKey });
    assert.ok(desc.clientAuthUsed);
    assert.equal(desc.inner.introPoints.length, MAX_INTRO_POINTS);
    assert.equal(desc.inner.rejectedIntroPoints.length, 0);
    assert.deepEqual(desc.inner.flowControl, { versions: "1-2", sendmeInc: 31 });
  }
  // The first key beyond the set is not among the authorized clients.
  const outsider = CLIENTS[MAX_AUTHORIZED_CLIENTS]!;
  await assert.rejects(
    () => decodeHsDesc(built.text, { ...decodeOptions, clientKey: outsider }),
    (e: unknown) => e instanceof HsDescError && e.kind === "BadClientAuth",
  );
  await assert.rejects(
    () => decodeHsDesc(built.text, decodeOptions),
    (e: unknown) => e instanceof HsDescError && e.kind === "NeedsClientAuth",
  );
});

Deno.test("the descriptor has authClientLines(n) auth-client lines for n = 1, 16, 17 and the limit", async () => {
  for (const n of [1, 16, 17, MAX_AUTHORIZED_CLIENTS]) {
    const built = await buildFor(n);
    const desc = await decodeHsDesc(built.text, { ...decodeOptions, clientKey: CLIENTS[n - 1]! });
    assert.equal(desc.middle.authClients.length, authClientLines(n), `${n} clients`);
    assert.equal(
      built.middlePlaintext.split("\n").filter((l) => l.startsWith("auth-client ")).length,
      authClientLines(n),
    );
  }
});
