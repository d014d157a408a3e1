import assert from "node:assert/strict";
import {
  authorityTorrc,
  backendTorrc,
  clientTorrc,
  dirAuthorityLine,
  frontendTorrc,
  obConfig,
  relayTorrc,
} from "../../../scripts/testnet/torrc.ts";
import { PortPlan } from "../../../scripts/testnet/ports.ts";

const AUTH = {
  nickname: "auth0",
  orPort: 15000,
  dirPort: 15001,
  v3ident: "943920D0D316F81C762512FB027B7C56159E16DF",
  fingerprint: "60B4E528DDFF41B1B4431D93092FB22EACCCB4A6",
};
const common = (name: string) => ({
  nickname: name,
  dataDir: `/tmp/net/nodes/${name}`,
  authorities: [AUTH],
  emptyFile: "/tmp/net/empty",
});
const ports = new PortPlan(15000);
const MASTER = "kstrjtgb6ykmltfg57ywbcrenunis73r25mnip7ygidekjdmbtqau2ad.onion";

function all(): string[] {
  return [
    authorityTorrc({ ...common("auth0"), ports: ports.authority(0) }),
    relayTorrc({ ...common("relay0"), ports: ports.relay(0) }),
    clientTorrc({ ...common("client"), socksPort: 15090, controlPort: 15091 }),
    frontendTorrc({ ...common("frontend"), controlPort: 15092, socksPort: 15093 }),
    backendTorrc({
      ...common("backend0"),
      hiddenServiceDir: "/tmp/net/nodes/backend0/hs",
      httpPort: 15100,
      controlPort: 15101,
    }),
  ];
}

Deno.test("dirAuthorityLine() writes tor's DirAuthority syntax with 127.0.0.1", () => {
  assert.equal(
    dirAuthorityLine(AUTH),
    "DirAuthority auth0 orport=15000 no-v2 v3ident=943920D0D316F81C762512FB027B7C56159E16DF " +
      "127.0.0.1:15001 60B4E528DDFF41B1B4431D93092FB22EACCCB4A6",
  );
  assert.throws(() => dirAuthorityLine({ ...AUTH, v3ident: "abc" }), TypeError);
});

Deno.test("every torrc keeps tor off the public network and on 127.0.0.0/8", () => {
  for (const torrc of all()) {
    assert.match(torrc, /^TestingTorNetwork 1$/m);
    assert.match(torrc, /^UseDefaultFallbackDirs 0$/m);
    assert.match(torrc, /^DirAuthority auth0 /m);
    assert.match(torrc, /^RunAsDaemon 1$/m);
    assert.match(torrc, /^LearnCircuitBuildTimeout 0$/m);
    for (const ip of torrc.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []) {
      assert.match(ip, /^127\./, `address ${ip} outside 127.0.0.0/8`);
    }
    // Every listener names its address: a bare port would bind other interfaces too.
    for (const line of torrc.split("\n").filter((l) => /^(OR|Dir|Socks|Control)Port /.test(l))) {
      assert.match(line, /^\w+ (0|127\.0\.0\.1:\d+)( |$)/, line);
    }
  }
});

Deno.test("authorityTorrc() votes every relay HSDir and writes ConsensusParams", () => {
  const torrc = authorityTorrc({
    ...common("auth0"),
    ports: ports.authority(0),
    consensusParams: { hsdir_spread_store: 3, hsdir_n_replicas: 2 },
  });
  assert.match(torrc, /^TestingDirAuthVoteHSDir \*$/m);
  assert.match(torrc, /^TestingV3AuthInitialVotingInterval 10$/m);
  assert.match(torrc, /^ConsensusParams hsdir_spread_store=3 hsdir_n_replicas=2$/m);
  assert.throws(
    () =>
      authorityTorrc({ ...common("a"), ports: ports.authority(0), consensusParams: { "a b": 1 } }),
    TypeError,
  );
});

Deno.test("clientTorrc() enables tor's extended SOCKS errors", () => {
  assert.match(all()[2]!, /^SocksPort 127\.0\.0\.1:15090 ExtendedErrors$/m);
});

Deno.test("backendTorrc() makes an OnionBalance instance", () => {
  const torrc = all()[4]!;
  assert.match(torrc, /^HiddenServiceDir \/tmp\/net\/nodes\/backend0\/hs$/m);
  assert.match(torrc, /^HiddenServicePort 80 127\.0\.0\.1:15100$/m);
  assert.match(torrc, /^HiddenServiceOnionbalanceInstance 1$/m);
});

Deno.test("obConfig() writes MasterOnionAddress with .onion and rejects other shapes", () => {
  assert.equal(obConfig(MASTER), `MasterOnionAddress ${MASTER}\n`);
  assert.throws(() => obConfig(MASTER.replace(".onion", "")), TypeError);
  assert.throws(() => obConfig(`${MASTER}\nEvil 1`), TypeError);
});

Deno.test("only the frontend tor fetches each consensus early; the client fetches as tor clients do", () => {
  // The balancer must see a new time period before the clients that use its descriptors.
  const [, , client, frontend] = all();
  assert.match(frontend!, /^FetchDirInfoEarly 1$/m);
  assert.match(frontend!, /^FetchDirInfoExtraEarly 1$/m);
  assert.doesNotMatch(client!, /FetchDirInfo/);
});

Deno.test("obConfig() writes one MasterOnionAddress line per frontend a backend serves", () => {
  const other = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
  assert.equal(
    obConfig([MASTER, other]),
    `MasterOnionAddress ${MASTER}\nMasterOnionAddress ${other}\n`,
  );
  assert.throws(() => obConfig([]), TypeError);
  assert.throws(() => obConfig([MASTER, "abc.onion"]), TypeError);
});

Deno.test("extraLog adds a log file of that level beside notice.log, and only when asked", () => {
  const lines = (torrc: string) => torrc.split("\n").filter((l) => l.startsWith("Log "));
  const relay = (extraLog?: "info" | "debug") =>
    relayTorrc({ ...common("relay0"), ports: ports.relay(0), extraLog });
  assert.deepEqual(lines(relay()), ["Log notice file /tmp/net/nodes/relay0/notice.log"]);
  assert.deepEqual(lines(relay("info")), [
    "Log notice file /tmp/net/nodes/relay0/notice.log",
    "Log info file /tmp/net/nodes/relay0/info.log",
  ]);
  assert.deepEqual(lines(relay("debug")), [
    "Log notice file /tmp/net/nodes/relay0/notice.log",
    "Log debug file /tmp/net/nodes/relay0/debug.log",
  ]);
});
