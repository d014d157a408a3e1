import assert from "node:assert/strict";
import { fromHex, toBase32, toHex } from "../../../src/bytes/mod.ts";
import { seededRng } from "../../../src/crypto/mod.ts";
import { HsIdKeypair, KeyError, Subcredential } from "../../../src/keys/mod.ts";
import {
  buildAuthClient,
  buildHsDesc,
  decodeHsDesc,
  decryptDescriptorCookie,
  DescAuthEphemeralKeypair,
  DescriptorCookie,
  encodeAuthorizedClientFile,
  encodeClientAuthKeyFile,
  HsClientDescEncKey,
  HsClientDescEncKeypair,
  HsDescError,
  parseAuthorizedClientFile,
  parseClientAuthKeyFile,
} from "../../../src/netdoc/mod.ts";
import { A12, makeIntroPoint } from "./_fixtures.ts";

// tor src/test/test_hs_descriptor.c test_build_authorized_client.
const SUBCRED = Subcredential.fromBytes(new Uint8Array(32).fill(0x2a));
const EPHEMERAL = DescAuthEphemeralKeypair.fromSecret(
  fromHex("d023b674d993a5c8446bd2ca97e9961149b3c0e88c7dc14e8777744dd3468d6a"),
);
const CLIENT_PK = HsClientDescEncKey.fromBytes(
  fromHex("8c1298fa6050e372f8598f6deca32e27b0ad457741422c2629ebb132cf7fae37"),
);
const COOKIE = DescriptorCookie.fromBytes(fromHex("07d087f1d8c68393721f6e70316d3b29"));
const IV = new Uint8Array(16).fill(1);

Deno.test("buildAuthClient() matches tor's test_build_authorized_client", async () => {
  assert.equal(
    toHex(EPHEMERAL.public.toBytes()),
    "187faa8f2307fb05bad13c84f58f9b207c15f302350491564fe7e2c104a24f49",
  );
  const entry = await buildAuthClient(CLIENT_PK, {
    subcredential: SUBCRED,
    ephemeral: EPHEMERAL,
    cookie: COOKIE,
    iv: IV,
  });
  assert.equal(toHex(entry.clientId).toUpperCase(), "EC19B7FF4D2DDA13");
  assert.deepEqual(entry.iv, IV);
  assert.equal(toHex(entry.encryptedCookie).toUpperCase(), "B21222BE13F385F355BD07B2381F9F29");
});

Deno.test("decryptDescriptorCookie() finds the client's line and returns the cookie", async () => {
  const client = HsClientDescEncKeypair.generate(seededRng("client"));
  const other = HsClientDescEncKeypair.generate(seededRng("other"));
  const opts = { subcredential: SUBCRED, ephemeral: EPHEMERAL, cookie: COOKIE, iv: IV };
  const lines = [
    await buildAuthClient(other.public, opts),
    await buildAuthClient(client.public, opts),
  ];
  const found = await decryptDescriptorCookie(client, lines, {
    subcredential: SUBCRED,
    ephemeralKey: EPHEMERAL.public,
  });
  assert.ok(found?.equals(COOKIE));
  const stranger = HsClientDescEncKeypair.generate(seededRng("stranger"));
  const none = await decryptDescriptorCookie(stranger, lines, {
    subcredential: SUBCRED,
    ephemeralKey: EPHEMERAL.public,
  });
  assert.equal(none, undefined);
});

async function buildWithClients(clients: readonly HsClientDescEncKeypair[]) {
  return await buildHsDesc({
    identity: A12.identity,
    period: A12.period,
    revisionCounter: 7,
    now: A12.now,
    introPoints: [makeIntroPoint({ onion: 1, auth: 2, enc: 3, expirationHours: 526027 })],
    authorizedClients: clients.map((c) => c.public),
  }, { rng: seededRng("client-auth-build") });
}

const decodeOptions = { identity: A12.identity.public, periods: [A12.period], now: A12.now };

Deno.test("a descriptor built for authorized clients opens with each client's key only", async () => {
  const clients = [1, 2].map((i) => HsClientDescEncKeypair.generate(seededRng(`c${i}`)));
  const built = await buildWithClients(clients);
  for (const clientKey of clients) {
    const desc = await decodeHsDesc(built.text, { ...decodeOptions, clientKey });
    assert.equal(desc.clientAuthUsed, true);
    assert.equal(desc.middle.authClients.length, 16);
    assert.equal(desc.inner.introPoints.length, 1);
  }
  await assert.rejects(
    decodeHsDesc(built.text, decodeOptions),
    (e: unknown) =>
      e instanceof HsDescError && e.kind === "NeedsClientAuth" && e.stage === "decrypt",
  );
  const stranger = HsClientDescEncKeypair.generate(seededRng("stranger"));
  await assert.rejects(
    decodeHsDesc(built.text, { ...decodeOptions, clientKey: stranger }),
    (e: unknown) => e instanceof HsDescError && e.kind === "BadClientAuth",
  );
});

Deno.test("auth-client lines are padded to a positive multiple of 16", async () => {
  const clients = Array.from(
    { length: 17 },
    (_, i) => HsClientDescEncKeypair.generate(seededRng(`k${i}`)),
  );
  const built = await buildWithClients(clients);
  const desc = await decodeHsDesc(built.text, { ...decodeOptions, clientKey: clients[16] });
  assert.equal(desc.middle.authClients.length, 32);
  const open = await decodeHsDesc((await buildWithClients([])).text, decodeOptions);
  assert.equal(open.middle.authClients.length, 16);
  assert.equal(open.clientAuthUsed, false);
});

Deno.test("a client key on a descriptor without client auth is not needed", async () => {
  const built = await buildWithClients([]);
  const clientKey = HsClientDescEncKeypair.generate(seededRng("spare"));
  const desc = await decodeHsDesc(built.text, { ...decodeOptions, clientKey });
  assert.equal(desc.clientAuthUsed, false);
});

Deno.test("parseClientAuthKeyFile() reads tor's .auth_private format", () => {
  // The authorized client of arti's crates/tor-netdoc/testdata/hsdesc2.txt: secret 90F2…E443,
  // public 9004…9019.
  const secret = fromHex("90F2D60F917F2423F0989CE9979639435A5B01CF7AB3E0A1B900BEB892BAE443");
  const address = "paozpdhgz2okvc6kgbxvh2bnfsmt4xergrtcl4obkhopyvwxkpjzvoad";
  const file = parseClientAuthKeyFile(
    `${address}:descriptor:x25519:${toBase32(secret).toUpperCase()}\n`,
  );
  assert.equal(
    toHex(file.key.public.toBytes()),
    "900467008e194c2c635a6e335e7724915e558ccb606c50094476f9731c129019",
  );
  assert.equal(
    toHex(file.service.toBytes()),
    "781d978ce6ce9caa8bca306f53e82d2c993e5c91346625f1c151dcfc56d753d3",
  );
  for (
    const bad of [
      "",
      `${address}:descriptor:x25519`,
      `${address}:descriptor:ed25519:${toBase32(secret)}`,
      `abc:descriptor:x25519:${toBase32(secret)}`,
      `${address}:descriptor:x25519:${toBase32(secret.subarray(0, 31))}`,
      `${address}:descriptor:x25519:!!!`,
    ]
  ) {
    assert.throws(
      () => parseClientAuthKeyFile(bad),
      (e: unknown) =>
        e instanceof KeyError && e.kind === "BadKeyFile" && !e.message.includes(toBase32(secret)),
    );
  }
});

Deno.test("client keys and cookies never print their secret", () => {
  const key = HsClientDescEncKeypair.fromSecret(new Uint8Array(32).fill(0x5a));
  assert.equal(
    JSON.stringify({ key, cookie: COOKIE }),
    '{"key":"HsClientDescEncKeypair(<secret>)","cookie":"DescriptorCookie(<secret>)"}',
  );
  assert.doesNotMatch(Deno.inspect(key), /5a|90/);
  assert.equal(Deno.inspect(COOKIE), "DescriptorCookie(<secret>)");
});

Deno.test("tor's .auth and .auth_private files round-trip, in tor's letters, and bad ones are refused", () => {
  const rng = seededRng("auth files");
  const client = HsClientDescEncKeypair.generate(rng);
  const service = HsIdKeypair.generate(rng).public;
  const auth = encodeAuthorizedClientFile(client.public);
  assert.match(auth, /^descriptor:x25519:[A-Z2-7]{52}\n$/);
  assert.ok(parseAuthorizedClientFile(auth).equals(client.public));
  // tor's parser skips spaces around the fields and reads either case.
  assert.ok(
    parseAuthorizedClientFile(` descriptor : x25519 : ${auth.slice(18).toLowerCase()}`).equals(
      client.public,
    ),
  );
  const secret = encodeClientAuthKeyFile(service, client);
  assert.match(secret, /^[a-z2-7]{56}:descriptor:x25519:[A-Z2-7]{52}\n$/);
  const parsed = parseClientAuthKeyFile(secret);
  assert.ok(parsed.service.equals(service));
  assert.ok(parsed.key.public.equals(client.public));
  assert.throws(
    () => parseAuthorizedClientFile("descriptor:ed25519:AAAA"),
    /type "descriptor:ed25519"/,
  );
  assert.throws(
    () => parseAuthorizedClientFile(`${auth.trim()}:extra`),
    /expected descriptor:x25519/,
  );
  assert.throws(
    () => parseAuthorizedClientFile(`descriptor:x25519:${"1".repeat(52)}`),
    /not base32/,
  );
});
