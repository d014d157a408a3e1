import assert from "node:assert/strict";
import { DEFAULT_TUNING, loadConfig, parseConfig } from "../../src/config/mod.ts";
import { configError, OPTIONS } from "./_config_error.ts";

const A = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";
const B = "sltib6sxkuxh2scmtuvd5w2g7pahnzkovefxpo4e4ptnkzl5kkq5h2ad";

Deno.test("parseConfig() loads an OnionBalance 0.2.x config unchanged", () => {
  // The layout onionbalance-config 0.2.2 writes, with real addresses filled in.
  const text = `# Onionbalance Config File
services:
- instances:
  - address: ${A}.onion
    name: node1
  - address: ${B}
    name: node2
  key: frontend.key
- key: /abs/other.key
  instances:
  - address: ${A.toUpperCase()}.onion
status-socket-location: /run/onionbalance/control
`;
  const { config, warnings } = parseConfig(text, OPTIONS);
  assert.deepEqual(warnings, []);
  assert.equal(config.services.length, 2);
  const [first, second] = config.services;
  assert.equal(first!.keyPath, "/etc/onionbalance/frontend.key");
  assert.equal(first!.keyPathAsWritten, "frontend.key");
  assert.deepEqual(first!.instances.map((i) => [i.address, i.name]), [[A, "node1"], [B, "node2"]]);
  assert.equal(second!.keyPath, "/abs/other.key");
  assert.equal(second!.instances[0]!.address, A);
  assert.equal(config.statusSocketLocation, "/run/onionbalance/control");
  assert.deepEqual(config.tuning, DEFAULT_TUNING);
  assert.equal(config.logFormat, "text");
});

Deno.test("parseConfig() reports unknown keys with their line and column", () => {
  // "comment" is close to no known key, so it is a warning ("adress" is an error: see below).
  const text =
    `services:\n- key: k\n  instances:\n  - address: ${A}\n    comment: x\nREFRESH_INTERVAL: 10\n`;
  const { warnings } = parseConfig(text, OPTIONS);
  assert.equal(warnings.length, 2);
  assert.deepEqual(warnings[0]!.location, { file: "config.yaml", line: 5, column: 5 });
  assert.match(warnings[0]!.message, /Unknown key "comment" in instance 1 of service 1 is ignored/);
  assert.deepEqual(warnings[1]!.location, { file: "config.yaml", line: 6, column: 1 });
  assert.match(warnings[1]!.message, /Unknown key "REFRESH_INTERVAL"/);
});

Deno.test("parseConfig() names file, line and column for a bad instance address", () => {
  const text = `services:\n- key: k\n  instances:\n  - address: ${A.slice(0, 55)}b\n`;
  const error = configError(() => parseConfig(text, OPTIONS));
  assert.deepEqual(error.location, { file: "config.yaml", line: 4, column: 14 });
  assert.match(error.message, /^config\.yaml:4:14: Cannot use onion address .*bad checksum/);
});

Deno.test("parseConfig() rejects a v2 address saying Tor removed v2", () => {
  const text = `services:\n- key: k\n  instances:\n  - address: expyuzz4wqqyqhjn.onion\n`;
  assert.match(
    configError(() => parseConfig(text, OPTIONS)).message,
    /Tor removed v2 onion services/,
  );
});

Deno.test("parseConfig() rejects missing services, empty instances and a missing key", () => {
  assert.match(
    configError(() => parseConfig("foo: 1\n", OPTIONS)).message,
    /"services" is missing/,
  );
  assert.match(
    configError(() => parseConfig("services:\n- key: k\n  instances: []\n", OPTIONS)).message,
    /^config\.yaml:3:14: No backend instances are set for service 1/,
  );
  assert.match(
    configError(() => parseConfig(`services:\n- instances:\n  - address: ${A}\n`, OPTIONS)).message,
    /Service 1 has no "key"/,
  );
});

Deno.test("parseConfig() reports YAML syntax errors with a position", () => {
  const error = configError(() => parseConfig("services:\n  - key: [unclosed\n", OPTIONS));
  assert.equal(error.location.file, "config.yaml");
  assert.ok(error.location.line !== undefined && error.location.line >= 2);
  assert.match(error.message, /Cannot parse YAML/);
});

Deno.test("parseConfig() uses each service's instances once and warns about duplicates", () => {
  const text = `services:\n- key: k\n  instances:\n  - address: ${A}\n  - address: ${A}.onion\n`;
  const { config, warnings } = parseConfig(text, OPTIONS);
  assert.equal(config.services[0]!.instances.length, 1);
  assert.match(warnings[0]!.message, /listed twice/);
});

Deno.test("parseConfig() reads the optional tuning and health-check keys and checks ranges", () => {
  const text = `services:\n- key: k\n  instances:\n  - address: ${A}\n` +
    `fetch-interval: 20\nintro-points-per-instance: 3\ndistinct-descriptors: false\nlog-format: json\n` +
    `health-check:\n  interval: 5\n  failures: 2\n  socks: 127.0.0.1:9050\n`;
  const { config } = parseConfig(text, OPTIONS);
  assert.equal(config.tuning.fetchIntervalSeconds, 20);
  assert.equal(config.tuning.introPointsPerInstance, 3);
  assert.equal(config.tuning.distinctDescriptors, false);
  assert.equal(config.logFormat, "json");
  assert.equal(config.healthCheck.intervalSeconds, 5);
  assert.equal(config.healthCheck.failures, 2);
  assert.equal(config.healthCheck.socks, "127.0.0.1:9050");
  const bad =
    `services:\n- key: k\n  instances:\n  - address: ${A}\nintro-points-per-instance: 21\n`;
  assert.match(
    configError(() => parseConfig(bad, OPTIONS)).message,
    /^config\.yaml:5:28: "intro-points-per-instance" must be a number from 1 to 20/,
  );
});

Deno.test("loadConfig() resolves relative key paths against the config file's folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `services:\n- key: keys/f.key\n  instances:\n  - address: ${A}\n`,
    );
    const { config } = await loadConfig(`${dir}/config.yaml`);
    assert.equal(config.services[0]!.keyPath, `${dir}/keys/f.key`);
    await assert.rejects(
      loadConfig(`${dir}/missing.yaml`),
      /missing\.yaml: Cannot read config file: no such file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Each case is its own test, so that each shows failing or passing on its own.
const TYPOS: [string, string, string][] = [
  [
    "servcies: (top level)",
    `servcies:\n- key: k\n  instances:\n  - address: ${A}\n`,
    `config.yaml:1:1: Unknown key "servcies" in the top level; did you mean "services"?`,
  ],
  [
    "instancs: (in a service)",
    `services:\n- key: k\n  instancs:\n  - address: ${A}\n`,
    `config.yaml:3:3: Unknown key "instancs" in service 1; did you mean "instances"?`,
  ],
  [
    "Key: (case)",
    `services:\n- Key: k\n  instances:\n  - address: ${A}\n`,
    `config.yaml:2:3: Unknown key "Key" in service 1; did you mean "key"?`,
  ],
  [
    "adress: (in an instance)",
    `services:\n- key: k\n  instances:\n  - address: ${A}\n    adress: typo\n`,
    `config.yaml:5:5: Unknown key "adress" in instance 1 of service 1; did you mean "address"?`,
  ],
  [
    "soskc: (transposed letters, in health-check)",
    `services:\n- key: k\n  instances:\n  - address: ${A}\nhealth-check:\n  soskc: auto\n`,
    `config.yaml:6:3: Unknown key "soskc" in "health-check"; did you mean "socks"?`,
  ],
];
for (const [name, text, message] of TYPOS) {
  Deno.test(`parseConfig() names a misspelt key and suggests the known one: ${name}`, () => {
    assert.equal(configError(() => parseConfig(text, OPTIONS)).message, message);
  });
}

Deno.test("parseConfig() still loads a config with an unrelated extra key, with a warning", () => {
  const text = `comment: x\nservices:\n- key: k\n  instances:\n  - address: ${A}\n`;
  const { config, warnings } = parseConfig(text, OPTIONS);
  assert.equal(config.services[0]!.instances[0]!.address, A);
  assert.equal(warnings.length, 1);
  assert.deepEqual(warnings[0]!.location, { file: "config.yaml", line: 1, column: 1 });
  assert.match(warnings[0]!.message, /^Unknown key "comment" in the top level is ignored/);
});

Deno.test("parseConfig() loads OnionBalance v2-era upper-case settings with a warning, never an error", () => {
  // STATUS_SOCKET_LOCATION is close to our status-socket-location, but 0.2.x files may carry it.
  const text = `REFRESH_INTERVAL: 600\nSTATUS_SOCKET_LOCATION: /run/ob.sock\n` +
    `services:\n- key: k\n  instances:\n  - address: ${A}\n`;
  const { config, warnings } = parseConfig(text, OPTIONS);
  assert.equal(config.services[0]!.instances[0]!.address, A);
  assert.deepEqual(warnings.map((w) => w.message.split(" is ignored")[0]), [
    'Unknown key "REFRESH_INTERVAL" in the top level',
    'Unknown key "STATUS_SOCKET_LOCATION" in the top level',
  ]);
});

const WRONG_TYPES: [string, string, string][] = [
  [
    `instances: "notalist"`,
    `services:\n- key: k\n  instances: "notalist"\n`,
    `config.yaml:3:14: "instances" must be a list of {address, name}, found a string`,
  ],
  [
    "services: {}",
    `services: {}\n`,
    `config.yaml:1:11: "services" must be a list of {key, instances}, found a mapping`,
  ],
  [
    "address: 5",
    `services:\n- key: k\n  instances:\n  - address: 5\n`,
    `config.yaml:4:14: "address" must be a string (the backend's onion address), found a number`,
  ],
  [
    "key: [1]",
    `services:\n- key: [1]\n  instances:\n  - address: ${A}\n`,
    `config.yaml:2:8: "key" must be a string (the key file's path), found a list`,
  ],
  [
    "an instance that is a bare address",
    `services:\n- key: k\n  instances:\n  - ${A}\n`,
    `config.yaml:4:5: Instance 1 of service 1 must be a mapping {address, name}, found a string`,
  ],
  [
    "distinct-descriptors: yes",
    `services:\n- key: k\n  instances:\n  - address: ${A}\ndistinct-descriptors: yes\n`,
    `config.yaml:5:23: "distinct-descriptors" must be true or false, found a string`,
  ],
];
for (const [name, text, message] of WRONG_TYPES) {
  Deno.test(`parseConfig() names the expected type and what was found: ${name}`, () => {
    assert.equal(configError(() => parseConfig(text, OPTIONS)).message, message);
  });
}

// Found by tests/slow/config_fuzz_slow_test.ts: inputs whose error had no line, or no ConfigError.
const LOCATED: [string, string, string][] = [
  [
    "an empty file",
    "",
    `config.yaml:1:1: The config file must be a mapping (with a "services" list), found nothing`,
  ],
  [
    "a file of only comments",
    "# services:\n#   - key: k\n",
    `config.yaml:1:1: The config file must be a mapping (with a "services" list), found nothing`,
  ],
  [
    "a !!pairs list as services (its items are pairs, which have no position)",
    "services: !!pairs [key: k]\n",
    `config.yaml:1:20: Service 1 must be a mapping {key, instances}, found an unexpected YAML node`,
  ],
  [
    "a !!set as the top level (get() returns its pair)",
    "!!set {services}\n",
    `config.yaml:1:8: "services" must be a list of {key, instances}, found an unexpected YAML node`,
  ],
];
for (const [name, text, message] of LOCATED) {
  Deno.test(`parseConfig() gives a line and column for ${name}`, () => {
    assert.equal(configError(() => parseConfig(text, OPTIONS)).message, message);
  });
}

Deno.test("parseConfig() reports block lists nested too deeply for the YAML parser as a ConfigError", () => {
  // yaml's parser recurses once per level of block nesting: 20,000 levels overflow the stack, a
  // RangeError that parseConfig() turns into a ConfigError at the line the parser reached.
  const text = `X_DEEP:\n  ${"- ".repeat(20_000)}1\nservices: []\n`;
  const error = configError(() => parseConfig(text, OPTIONS));
  assert.match(error.message, /^config\.yaml:[23]:\d+: Cannot parse YAML: /);
  assert.ok(error.cause instanceof Error);
});

Deno.test("parseConfig() reads offline-keys, passphrase-file and passphrase-credential per service", () => {
  const { config } = parseConfig(
    `offline-keys-warning: 86400
services:
  - offline-keys: frontend.keys
    passphrase-file: secrets/pass.txt
    instances:
      - address: ${A}
  - key: /abs/other.key
    passphrase-credential: other-passphrase
    instances:
      - address: ${B}
`,
    OPTIONS,
  );
  const [offline, keyed] = config.services;
  assert.equal(offline!.keyKind, "offline");
  assert.equal(offline!.keyPath, "/etc/onionbalance/frontend.keys");
  assert.equal(offline!.passphraseFile, "/etc/onionbalance/secrets/pass.txt");
  assert.equal(offline!.passphraseCredential, "onionbalance-key-passphrase");
  assert.equal(keyed!.keyKind, "key");
  assert.equal(keyed!.passphraseFile, undefined);
  assert.equal(keyed!.passphraseCredential, "other-passphrase");
  assert.equal(config.tuning.offlineKeysWarningSeconds, 86400);
  assert.equal(DEFAULT_TUNING.offlineKeysWarningSeconds, 7 * 86400);
});

Deno.test("parseConfig() refuses a service with both key and offline-keys, or neither, or a bad credential name", () => {
  const service = (lines: string) =>
    `services:\n  - ${lines}\n    instances:\n      - address: ${A}\n`;
  assert.match(
    configError(() => parseConfig(service("key: a.key\n    offline-keys: a.keys"), OPTIONS))
      .message,
    /has both "key" and "offline-keys": give one/,
  );
  assert.match(
    configError(() => parseConfig(service("passphrase-file: p"), OPTIONS)).message,
    /has no "key" \(or "offline-keys", an offline key bundle\)/,
  );
  assert.match(
    configError(() =>
      parseConfig(service("key: a.key\n    passphrase-credential: ../etc/shadow"), OPTIONS)
    ).message,
    /"passphrase-credential" must be a credential name/,
  );
});

Deno.test("parseConfig() reads metrics-listen, loopback only unless metrics-allow-remote", () => {
  const base = `services:\n- key: a.key\n  instances:\n  - address: ${A}\n`;
  assert.equal(parseConfig(base, OPTIONS).config.metrics, undefined, "off by default");
  for (
    const [listen, hostname] of [
      ["127.0.0.1:9811", "127.0.0.1"],
      ["127.3.2.1:9811", "127.3.2.1"],
      ["localhost:9811", "localhost"],
      ["[::1]:9811", "::1"],
    ]
  ) {
    const { config } = parseConfig(`${base}metrics-listen: "${listen}"\n`, OPTIONS);
    assert.deepEqual(config.metrics, { hostname, port: 9811, allowRemote: false }, listen);
  }
  for (const listen of ["0.0.0.0:9811", "192.0.2.1:9811", "[::]:9811", "example.org:9811"]) {
    const error = configError(() => parseConfig(`${base}metrics-listen: "${listen}"\n`, OPTIONS));
    assert.match(error.message, /not a loopback address/, listen);
    assert.match(error.message, /metrics-allow-remote: true/);
    assert.equal(error.location.line, 5);
    const { config } = parseConfig(
      `${base}metrics-listen: "${listen}"\nmetrics-allow-remote: true\n`,
      OPTIONS,
    );
    assert.equal(config.metrics?.allowRemote, true, listen);
  }
  for (const bad of ["9811", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:9811"]) {
    const error = configError(() => parseConfig(`${base}metrics-listen: "${bad}"\n`, OPTIONS));
    assert.match(error.message, /must be host:port/, bad);
  }
});
