/**
 * Client authorization through the balancer, without tor: loading tor's `.auth` folders and
 * `.auth_private` keys from config.yaml, frontend descriptors encrypted to exactly the
 * configured clients (and republished when they change), and restricted backends read with
 * their key and reported as restricted, not unreachable, without it.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fetchBackend,
  type FrontendOptions,
  FrontendService,
  loadClientAccess,
} from "../../src/balancer/mod.ts";
import { ConfigError, parseConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import {
  buildHsDesc,
  decodeHsDesc,
  encodeAuthorizedClientFile,
  encodeClientAuthKeyFile,
  HsClientDescEncKeypair,
  MAX_AUTHORIZED_CLIENTS,
} from "../../src/netdoc/hsdesc/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";
import { captureLog, FakePoster, FakeTor } from "./_fake_tor.ts";
import { answer, daemon } from "./_daemon.ts";
import {
  acceptFirstDescriptor,
  expiryAfter,
  fixtureBackend,
  frontendKey,
  introLabels,
  introPoint,
  networkView,
  VALID_AFTER,
} from "./_fixtures.ts";

const YAML_ENV: Deno.PermissionOptionsObject = {
  env: ["LOG_TOKENS", "LOG_STREAM"],
  read: ["/tmp"],
  write: ["/tmp"],
};
const rng = seededRng("client access");
const CLIENTS = [0, 1, 2].map(() => HsClientDescEncKeypair.generate(rng));
const backendA = fixtureBackend("client access a");

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-access-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function config(dir: string, service: string, instance = "") {
  return parseConfig(
    `services:\n  - key: f.key\n${service}    instances:\n      - address: ${backendA.address}\n${instance}`,
    { path: "config.yaml", baseDir: dir },
  ).config;
}

Deno.test({
  name: "loadClientAccess() reads tor's .auth folder and .auth_private keys, as tor names them",
  permissions: YAML_ENV,
}, async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/clients`);
    for (const [i, c] of CLIENTS.entries()) {
      await Deno.writeTextFile(`${dir}/clients/c${i}.auth`, encodeAuthorizedClientFile(c.public));
    }
    // tor skips other files; a second file with the same key counts once.
    await Deno.writeTextFile(`${dir}/clients/README`, "not a key\n");
    await Deno.writeTextFile(
      `${dir}/clients/z.auth`,
      encodeAuthorizedClientFile(CLIENTS[0]!.public),
    );
    const balancerKey = HsClientDescEncKeypair.generate(rng);
    await Deno.writeTextFile(
      `${dir}/a.auth_private`,
      encodeClientAuthKeyFile(backendA.identity.public, balancerKey),
      { mode: 0o600 },
    );
    const access = await loadClientAccess(
      config(dir, "    authorized-clients-dir: clients\n", "        client-key: a.auth_private\n"),
    );
    assert.deepEqual(access.clients[0]!.map((c) => c.name), ["c0", "c1", "c2"]);
    assert.ok(access.clients[0]!.every((c, i) => c.key.equals(CLIENTS[i]!.public)));
    assert.equal(access.warnings.length, 2);
    assert.match(
      access.warnings.join("\n"),
      /README": an authorized client file must end in \.auth/,
    );
    assert.match(access.warnings.join("\n"), /z\.auth" holds the same key as c0\.auth/);
    const key = access.backendKeys.get(backendA.address);
    assert.ok(key !== undefined && key.key.public.equals(balancerKey.public));
    assert.equal(key.file, `${dir}/a.auth_private`);
  });
});

Deno.test({
  name:
    "loadClientAccess() refuses a bad .auth file, an empty folder, too many clients, a key for another address or readable by others",
  permissions: YAML_ENV,
}, async () => {
  await withDir(async (dir) => {
    const withClients = config(dir, "    authorized-clients-dir: clients\n");
    await Deno.mkdir(`${dir}/clients`);
    await assert.rejects(loadClientAccess(withClients), (e) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /holds no \.auth file, so the service would be public/);
      return true;
    });
    await Deno.writeTextFile(`${dir}/clients/bad.auth`, "descriptor:x25519:TOOSHORT\n");
    await assert.rejects(
      loadClientAccess(withClients),
      /bad\.auth: Cannot read authorized client: the key has 8 characters/,
    );
    await Deno.remove(`${dir}/clients/bad.auth`);
    for (let i = 0; i <= MAX_AUTHORIZED_CLIENTS; i++) {
      await Deno.writeTextFile(
        `${dir}/clients/${i}.auth`,
        encodeAuthorizedClientFile(HsClientDescEncKeypair.generate(rng).public),
      );
    }
    await assert.rejects(
      loadClientAccess(withClients),
      new RegExp(
        `${MAX_AUTHORIZED_CLIENTS + 1} authorized clients, at most ${MAX_AUTHORIZED_CLIENTS} fit`,
      ),
    );
    const other = fixtureBackend("client access other");
    await Deno.writeTextFile(
      `${dir}/k.auth_private`,
      encodeClientAuthKeyFile(other.identity.public, CLIENTS[0]!),
      { mode: 0o600 },
    );
    const withKey = config(dir, "", "        client-key: k.auth_private\n");
    await assert.rejects(loadClientAccess(withKey), /it is for \w+\.onion, not this instance's/);
    await Deno.chmod(`${dir}/k.auth_private`, 0o644);
    await assert.rejects(loadClientAccess(withKey), /chmod 600/);
  });
});

const NOW = (VALID_AFTER + 300) * 1000;
const VIEW = networkView();
const OPTIONS: FrontendOptions = {
  perBackend: 2,
  distinct: true,
  republishIntervalMs: 3600_000,
  staleAfterMs: 3600_000,
};

Deno.test("a frontend with authorized clients: each of them opens the descriptors, nobody else; a change republishes", async () => {
  const identity = frontendKey("restricted frontend");
  const b = fixtureBackend("restricted frontend backend");
  await acceptFirstDescriptor(b, VIEW, NOW);
  const poster = new FakePoster();
  const service = new FrontendService({
    address: onionAddressLabel(identity.public),
    keys: { kind: "key", keypair: identity },
    backends: [b.backend],
    options: OPTIONS,
  }, {
    post: poster.post,
    rng: seededRng("restricted"),
    log: captureLog().log,
    clock: new FakeClock(NOW),
  });
  service.authorizedClients = CLIENTS.slice(0, 2).map((c, i) => ({ name: `c${i}`, key: c.public }));
  await service.maintain(VIEW, NOW);
  await poster.settle();
  const periods = (["first", "second"] as const).map((s) => VIEW.timeline.descriptor(s).period);
  const open = (text: string, clientKey?: HsClientDescEncKeypair) =>
    decodeHsDesc(text, { identity: identity.public, periods, now: new Date(NOW), clientKey });
  assert.equal(poster.posts.length, 16);
  for (const post of poster.posts) {
    for (const c of CLIENTS.slice(0, 2)) {
      const desc = await open(post.descriptor, c);
      assert.equal(desc.inner.introPoints.length, 2);
      assert.equal(desc.middle.authClients.length, 16, "padded with fakes to 16, as tor does");
    }
    await assert.rejects(open(post.descriptor, CLIENTS[2]), { kind: "BadClientAuth" });
    await assert.rejects(open(post.descriptor), { kind: "NeedsClientAuth" });
  }
  // Client 0 revoked, client 2 added: both descriptors at the next maintain(), for them.
  service.authorizedClients = [{ name: "c1", key: CLIENTS[1]!.public }, {
    name: "c2",
    key: CLIENTS[2]!.public,
  }];
  const before = poster.posts.length;
  await service.maintain(VIEW, NOW + 1000);
  await poster.settle();
  const after = poster.posts.slice(before);
  assert.equal(after.length, 16);
  assert.equal(service.published.get("first")!.reason, "the authorized clients changed (2 now)");
  for (const post of after) {
    await assert.rejects(open(post.descriptor, CLIENTS[0]), { kind: "BadClientAuth" });
    await open(post.descriptor, CLIENTS[2]);
  }
  // The same set again (a reload without change): nothing published.
  service.authorizedClients = [...service.authorizedClients];
  await service.maintain(VIEW, NOW + 2000);
  await poster.settle();
  assert.equal(poster.posts.length, before + 16);
});

Deno.test("a restricted backend: read with its client key; without it or with a wrong one, said so", async () => {
  const b = fixtureBackend("restricted backend");
  const balancerKey = HsClientDescEncKeypair.generate(rng);
  const text = (await buildHsDesc({
    identity: b.identity,
    period: VIEW.timeline.fetch().period,
    revisionCounter: 5n,
    now: new Date(NOW),
    introPoints: introLabels(b.address, 3).map((l) => introPoint(l, expiryAfter(NOW / 1000))),
    authorizedClients: [balancerKey.public],
  }, { rng: seededRng("restricted backend") })).text;
  // The shape of a fetch answer (HSDir, descriptor id), carrying the restricted text.
  const shape = await answer(b, 5);
  assert.ok("descriptor" in shape);
  const tor = new FakeTor();
  tor.onFetch = () => ({ ...shape, descriptor: text });
  const options = { now: new Date(NOW), timeoutMs: 10_000 };
  const without = await fetchBackend(tor, b.backend, VIEW, options);
  assert.ok(!without.ok);
  assert.equal(
    without.clientAuth,
    "restricted (client authorization) and no client-key is configured for it",
  );
  b.backend.fetchFailed(without.reason, without.clientAuth);
  assert.equal(
    b.backend.unusableReason(NOW, { staleAfterMs: 3600_000 }),
    without.clientAuth,
  );
  b.backend.clientKey = {
    key: HsClientDescEncKeypair.generate(rng),
    file: "/etc/ob/wrong.auth_private",
  };
  const wrong = await fetchBackend(tor, b.backend, VIEW, options);
  assert.ok(!wrong.ok);
  assert.match(
    wrong.clientAuth!,
    /its client-key \/etc\/ob\/wrong\.auth_private is not one it accepts/,
  );
  b.backend.clientKey = { key: balancerKey, file: "/etc/ob/a.auth_private" };
  const right = await fetchBackend(tor, b.backend, VIEW, options);
  assert.ok(right.ok);
  assert.equal(right.descriptor.inner.introPoints.length, 3);
  assert.equal(b.backend.accept(right.descriptor, NOW, right.text), "new");
  assert.equal(b.backend.clientAuthProblem, undefined);
});

Deno.test("the daemon gives tor each restricted backend's key, again after a reload, retrying a refusal once a minute", async () => {
  const d = daemon(2);
  const key = HsClientDescEncKeypair.generate(rng);
  const restricted = d.backends[0]!.backend;
  restricted.clientKey = { key, file: "/etc/ob/a.auth_private" };
  const adds = () => d.tor.commands.filter((c) => c.startsWith("ONION_CLIENT_AUTH_ADD "));
  await d.at(NOW);
  assert.equal(adds().length, 1);
  assert.match(
    adds()[0]!,
    new RegExp(`^ONION_CLIENT_AUTH_ADD ${restricted.address} x25519:[A-Za-z0-9+/]{43}=$`),
  );
  await d.at(NOW + 1000);
  assert.equal(adds().length, 1, "given once");
  // A reload without the key: tor is told to forget it.
  restricted.clientKey = undefined;
  d.balancer.reconfigure({
    services: d.balancer.services,
    timings: d.balancer.timings,
    health: { ...d.balancer.health.config },
  });
  await d.at(NOW + 2000);
  assert.deepEqual(
    d.tor.commands.filter((c) => c.startsWith("ONION_CLIENT_AUTH_REMOVE ")),
    [`ONION_CLIENT_AUTH_REMOVE ${restricted.address}`],
  );
  // Refused: one error, then again only after 60 s.
  restricted.clientKey = { key, file: "/etc/ob/a.auth_private" };
  d.tor.clientAuthFails = true;
  d.balancer.reconfigure({
    services: d.balancer.services,
    timings: d.balancer.timings,
    health: { ...d.balancer.health.config },
  });
  await d.at(NOW + 3000);
  await d.at(NOW + 4000);
  const errors = () =>
    d.log.records.filter((r) => /Cannot give tor the client keys/.test(r.message));
  assert.equal(errors().length, 1);
  d.tor.clientAuthFails = false;
  await d.at(NOW + 62_000);
  assert.equal(adds().length, 2, "not again within the minute after the refusal");
  await d.at(NOW + 63_000);
  assert.equal(errors().length, 1);
  assert.equal(adds().length, 3, "given once the minute is over");
});
