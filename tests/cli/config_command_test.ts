import assert from "node:assert/strict";
import { Command, CommanderError } from "commander";
import {
  argsForExecutable,
  type ConfigCommandDeps,
  DEFAULT_CONFIG_DEPS,
  registerConfigCommand,
} from "../../src/cli/config_command.ts";
import { ExitCode, UsageError } from "../../src/cli/exit_codes.ts";
import { linePrompter, type Prompter } from "../../src/cli/prompter.ts";
import { loadServiceKeys } from "../../src/balancer/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { describeSpan } from "../../src/custody/mod.ts";
import {
  decodeHostnameFile,
  encodeOnionAddress,
  HsIdKeypair,
  KeyError,
  loadIdentityKey,
  TOR_KEY_FILE_NAMES,
  writeIdentityKeyPem,
  writeTorKeyFiles,
} from "../../src/keys/mod.ts";
import { parseAuthorizedClientFile, parseClientAuthKeyFile } from "../../src/netdoc/mod.ts";
import { VERSION } from "../../src/version.ts";

const A = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";
const B = "sltib6sxkuxh2scmtuvd5w2g7pahnzkovefxpo4e4ptnkzl5kkq5h2ad.onion";
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;
// loadConfig's YAML parser reads LOG_TOKENS and LOG_STREAM from the environment.
const TMP: Deno.PermissionOptionsObject = {
  read: ["/tmp"],
  write: ["/tmp"],
  env: ["LOG_TOKENS", "LOG_STREAM"],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `args` the way main.ts does (UsageError → its exit code), with injected deps. */
async function run(args: string[], deps: Partial<ConfigCommandDeps> = {}): Promise<Run> {
  const result: Run = { code: ExitCode.Ok, stdout: "", stderr: "" };
  const io = {
    out: (t: string) => void (result.stdout += t),
    err: (t: string) => void (result.stderr += t),
  };
  const program = new Command("onionbalance").exitOverride().configureOutput({
    writeOut: io.out,
    writeErr: io.err,
  });
  registerConfigCommand(program, io, {
    ...DEFAULT_CONFIG_DEPS,
    rng: seededRng(`cli ${args.join(" ")}`),
    stdinIsTerminal: () => false,
    cwd: () => "/nonexistent",
    ...deps,
  });
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof UsageError) {
      result.code = error.exitCode;
      result.stderr += `onionbalance: ${error.message}\n`;
    } else if (error instanceof CommanderError) {
      result.code = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    } else {
      throw error;
    }
  }
  return result;
}

function tmpTest(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({
    name,
    permissions: TMP,
    fn: async () => {
      const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-config-cli-" });
      try {
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** The addresses config.yaml lists, per service, and the frontend addresses. */
async function readDeployment(dir: string) {
  const { config, warnings } = await loadConfig(`${dir}/config.yaml`);
  assert.deepEqual(warnings, []);
  const services = [];
  for (const s of config.services) {
    const key = await loadIdentityKey(s.keyPath);
    services.push({
      address: encodeOnionAddress(key.keypair.public),
      format: key.format,
      instances: s.instances.map((i) => [i.name, `${i.address}.onion`]),
    });
  }
  return services;
}

async function mode(path: string): Promise<number> {
  return ((await Deno.lstat(path)).mode ?? 0) & 0o777;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

tmpTest("onionbalance config writes a whole deployment from flags", async (tmp) => {
  const out = `${tmp}/deploy`;
  const r = await run([
    "config",
    "--output",
    out,
    "-n",
    "3",
    "-t",
    "web",
    "--service-virtual-port",
    "8080",
    "--service-target",
    "127.0.0.1:8081",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const [service] = await readDeployment(out);
  assert.ok(service);
  assert.equal(service.format, "tor");
  assert.deepEqual(service.instances.map(([name]) => name), ["web1", "web2", "web3"]);
  assert.match(
    r.stdout,
    new RegExp(`^Created the deployment in ${out}/ \\(see ${out}/README.md\\):\n`),
  );
  assert.ok(r.stdout.includes(`  service 1: ${service.address} (key `));
  assert.match(r.stderr, /^\[INFO\]: Entering non-interactive mode\.\n/);
  assert.equal(await mode(out), 0o700);
  for (const [name, address] of service.instances) {
    const hs = `${out}/${name}/hidden_service`;
    assert.equal(await mode(hs), 0o700);
    assert.equal(await mode(`${hs}/${TOR_KEY_FILE_NAMES.secret}`), 0o600);
    assert.equal(
      encodeOnionAddress(decodeHostnameFile(await Deno.readTextFile(`${hs}/hostname`))),
      address,
    );
    assert.equal(
      await Deno.readTextFile(`${hs}/ob_config`),
      `MasterOnionAddress ${service.address}\n`,
    );
    const torrc = await Deno.readTextFile(`${out}/${name}/torrc`);
    assert.ok(torrc.includes(`\nHiddenServiceDir /var/lib/tor/${name}\n`));
    assert.ok(torrc.includes("\nHiddenServicePort 8080 127.0.0.1:8081\n"));
    assert.ok(torrc.includes("\nHiddenServiceOnionbalanceInstance 1\n"));
  }
  assert.match(await Deno.readTextFile(`${out}/config.yaml`), /health-check:\n {2}port: 8080\n/);
  assert.equal(await exists(`${out}/offline`), false);
  assert.doesNotMatch(await Deno.readTextFile(`${out}/README.md`), /offline|[Ee]ncrypted/);
});

tmpTest("onionbalance config -s 2 gives each service its own backends and master", async (tmp) => {
  const r = await run([
    "config",
    "--output",
    tmp,
    "-s",
    "2",
    "--key-format",
    "pem",
    "--backend-dir-prefix",
    "/srv/tor",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const services = await readDeployment(tmp);
  assert.deepEqual(services.map((s) => s.instances.map(([n]) => n)), [["node1", "node2"], [
    "node3",
    "node4",
  ]]);
  for (const s of services) {
    assert.equal(s.format, "pem");
    for (const [name] of s.instances) {
      const obConfig = await Deno.readTextFile(`${tmp}/${name}/hidden_service/ob_config`);
      assert.equal(obConfig, `MasterOnionAddress ${s.address}\n`);
      assert.match(
        await Deno.readTextFile(`${tmp}/${name}/torrc`),
        new RegExp(`\nHiddenServiceDir /srv/tor/${name}\n`),
      );
    }
  }
});

tmpTest("onionbalance config --key imports tor's and PEM keys, one per service", async (tmp) => {
  const a = HsIdKeypair.generate(seededRng("cli-key-a"));
  const b = HsIdKeypair.generate(seededRng("cli-key-b"));
  await Deno.mkdir(`${tmp}/hs`);
  await writeTorKeyFiles(`${tmp}/hs`, a);
  await writeIdentityKeyPem(`${tmp}/b.pem`, b);
  const torKey = `${tmp}/hs/${TOR_KEY_FILE_NAMES.secret}`;
  const r = await run([
    "config",
    "--output",
    `${tmp}/out`,
    "-s",
    "3",
    "-n",
    "1",
    "--key",
    torKey,
    "--key",
    `${tmp}/b.pem`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const services = await readDeployment(`${tmp}/out`);
  assert.deepEqual(services.map((s) => [s.address, s.format]).slice(0, 2), [
    [encodeOnionAddress(a.public), "tor"],
    [encodeOnionAddress(b.public), "pem"],
  ]);
  assert.equal(services[2]!.format, "tor"); // the third service gets a new key
  assert.deepEqual(
    await Deno.readFile(`${tmp}/out/${encodeOnionAddress(a.public).slice(0, 56)}.key`),
    await Deno.readFile(torKey),
  );
  assert.match(r.stdout, /\(key \S+\.key, imported, tor format\)/);

  const missing = await run(["config", "--output", `${tmp}/x`, "--key", `${tmp}/nope`]);
  assert.equal(missing.code, ExitCode.Failure);
  assert.match(missing.stderr, /Cannot read key file ".*\/nope"/);
  const tooMany = await run(["config", "--output", `${tmp}/x`, "--key", torKey, "--key", torKey]);
  assert.equal(tooMany.code, ExitCode.Usage);
  assert.match(tooMany.stderr, /2 --key options for 1 service\(s\): give -s 2/);
  const same = await run([
    "config",
    "--output",
    `${tmp}/x`,
    "-s",
    "2",
    "--key",
    torKey,
    "--key",
    torKey,
  ]);
  assert.equal(same.code, ExitCode.Usage);
  assert.match(same.stderr, /same frontend key .* for services 1 and 2/);
  const asPem = await run([
    "config",
    "--output",
    `${tmp}/x`,
    "--key",
    torKey,
    "--key-format",
    "pem",
  ]);
  assert.equal(asPem.code, 0, asPem.stderr); // --key-format is for new keys; imported keys keep theirs
  assert.equal(await exists(`${tmp}/x/config.yaml`), true);
});

tmpTest("onionbalance config --instance adopts existing backends by address", async (tmp) => {
  const r = await run([
    "config",
    "--output",
    tmp,
    "-s",
    "2",
    "--instance",
    A,
    "--instance",
    `2:${B}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const services = await readDeployment(tmp);
  assert.deepEqual(services.map((s) => s.instances), [
    [["node1", A]],
    [["node2", A], ["node3", B]],
  ]);
  for (const name of ["node1", "node2", "node3"]) {
    assert.equal(await exists(`${tmp}/${name}`), false);
  }
  const readme = await Deno.readTextFile(`${tmp}/README.md`);
  assert.ok(
    readme.includes(
      `- ${A}:\n\n  \`\`\`\n  MasterOnionAddress ${services[0]!.address}\n  MasterOnionAddress ${
        services[1]!.address
      }\n  \`\`\``,
    ),
  );
  assert.ok(
    r.stdout.includes(`node3: ${B} (existing: its ob_config must name ${services[1]!.address})`),
  );

  const mixed = await run(["config", "--output", `${tmp}/mixed`, "-n", "1", "--instance", A]);
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.deepEqual((await readDeployment(`${tmp}/mixed`))[0]!.instances.map(([n]) => n), [
    "node1",
    "node2",
  ]);
  assert.equal(await exists(`${tmp}/mixed/node1/hidden_service/ob_config`), true);
  assert.equal(await exists(`${tmp}/mixed/node2`), false);

  for (
    const [args, pattern] of [
      [["--instance", `3:${A}`], /there is no service 3 \(-s is 1\)/],
      [["--instance", "nothing.onion"], /Cannot use backend address "nothing\.onion"/],
      [
        ["--instance", "expyuzz4wqqyqhjn.onion"],
        /Cannot use backend address "expyuzz4wqqyqhjn\.onion"/,
      ],
      [["-n", "0"], /without backends/],
    ] as const
  ) {
    const bad = await run(["config", "--output", `${tmp}/bad`, ...args]);
    assert.equal(bad.code, ExitCode.Usage, `${args}: ${bad.stderr}`);
    assert.match(bad.stderr, pattern);
  }
  assert.equal(await exists(`${tmp}/bad`), false);
});

tmpTest("onionbalance config never replaces existing files without --force", async (tmp) => {
  assert.equal((await run(["config", "--output", tmp])).code, 0);
  const key = (await readDeployment(tmp))[0]!.address.slice(0, 56);
  const node1 = await Deno.readFile(`${tmp}/node1/hidden_service/${TOR_KEY_FILE_NAMES.secret}`);
  const again = await run(["config", "--output", tmp, "-v", "debug"]);
  assert.equal(again.code, ExitCode.Failure);
  assert.match(
    again.stderr,
    /Cannot write the deployment: ".*\/node1\/", ".*\/node2\/", .* already exist; use --force/,
  );
  assert.deepEqual(
    await Deno.readFile(`${tmp}/node1/hidden_service/${TOR_KEY_FILE_NAMES.secret}`),
    node1,
  );
  assert.equal(await exists(`${tmp}/${key}.key`), true);

  const forced = await run(["config", "--output", tmp, "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /\[WARNING\]: Replaced "node1\/" \(--force\)/);
  assert.notDeepEqual(
    await Deno.readFile(`${tmp}/node1/hidden_service/${TOR_KEY_FILE_NAMES.secret}`),
    node1,
  );
  assert.equal(await mode(`${tmp}/node1/hidden_service/${TOR_KEY_FILE_NAMES.secret}`), 0o600);
});

Deno.test("onionbalance config refuses v2, passwords and unknown values with exit code 2", async () => {
  for (
    const [args, pattern] of [
      [["--hs-version", "v2"], /Cannot generate a v2 deployment: Tor removed v2 onion services/],
      [["--hs-version", "v4"], /Cannot use --hs-version "v4": only "v3" is supported/],
      [
        ["-p", "hunter2"],
        /Cannot encrypt the frontend key \(-p\/--password\): a passphrase in the command line is visible to other users .* use --encrypt/,
      ],
      [["-v", "loud"], /Cannot use verbosity "loud"/],
      [["-s", "0"], /number of services \(-s\) "0"/],
      [["-n", "x"], /number of backends \(-n\) "x"/],
      [["-t", "a/b"], /Cannot use tag "a\/b"/],
      [["--key-format", "der"], /Cannot use key format "der"/],
      [["--service-virtual-port", "0"], /service virtual port "0"/],
      [["--service-target", "127.0.0.1"], /Cannot use service target "127\.0\.0\.1"/],
      [["--backend-dir-prefix", "tor"], /Cannot use backend folder "tor"/],
    ] as const
  ) {
    const r = await run(["config", "--output", "/nonexistent/never", ...args]);
    assert.equal(r.code, ExitCode.Usage, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes("hunter2"));
  }
});

Deno.test("onionbalance config --version and -v levels", async () => {
  const version = await run(["config", "--version"]);
  assert.equal(version.stdout, `onionbalance ${VERSION}\n`);
  const quiet = await run(["config", "--output", "/nonexistent/never", "-v", "warning", "-n", "x"]);
  assert.doesNotMatch(quiet.stderr, /\[INFO\]/);
});

Deno.test("argsForExecutable() runs `config` for a binary named onionbalance-config", () => {
  assert.deepEqual(argsForExecutable("/usr/bin/onionbalance-config", ["-n", "3"]), [
    "config",
    "-n",
    "3",
  ]);
  assert.deepEqual(argsForExecutable("C:\\bin\\onionbalance-config.exe", []), ["config"]);
  assert.deepEqual(argsForExecutable("/usr/local/bin/onionbalance", ["-c", "x"]), ["-c", "x"]);
  assert.deepEqual(argsForExecutable("/usr/bin/deno", ["config"]), ["config"]);
  // `onionbalance-config keys …`: the key-custody commands, which write files.
  assert.deepEqual(argsForExecutable("/usr/bin/onionbalance-config", ["keys", "offline"]), [
    "keys",
    "offline",
  ]);
});

/** A prompter that answers from a list and records the questions. */
function scripted(answers: (string | null)[]): Prompter & { questions: string[] } {
  const questions: string[] = [];
  const prompter = (question: string) => {
    questions.push(question);
    return Promise.resolve(answers.length > 0 ? answers.shift()! : null);
  };
  return Object.assign(prompter, { questions });
}

tmpTest("A bare onionbalance config on a terminal asks OnionBalance's questions", async (tmp) => {
  const keyDir = `${tmp}/key`;
  await Deno.mkdir(keyDir);
  const imported = HsIdKeypair.generate(seededRng("interactive"));
  await writeTorKeyFiles(keyDir, imported);
  const prompter = scripted([
    `${tmp}/out`, // output folder
    "2", // services
    `${tmp}/missing`, // service 1 key: unreadable, asked again
    `${keyDir}/${TOR_KEY_FILE_NAMES.secret}`,
    "", // no existing backends
    "", // default number of backends (2)
    "", // default tag
    "", // service 2: new key
    A, // an existing backend
    "lots", // not a number: asked again
    "1",
    "edge",
    "8443", // virtual port
    "", // not offline
    "", // not encrypted
    "pem", // format of new keys
    "", // no client keys
    "", // target: follows the virtual port
    "/srv/tor", // HiddenServiceDir folder
    "", // backends not restricted
  ]);
  const r = await run(["config"], {
    stdinIsTerminal: () => true,
    terminalPrompter: () => prompter,
    cwd: () => tmp,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[INFO\]: Entering interactive mode\./);
  assert.match(r.stderr, /Cannot read key file ".*\/missing"/);
  assert.match(r.stderr, /Cannot use number of instances "lots"/);
  assert.deepEqual(prompter.questions.slice(0, 3), [
    `Enter path to store generated config [${tmp}/config/]:`,
    "Number of services (frontends) to create (default: 1):",
    "Service #1: Enter path to master service private key (i.e. path to 'hs_ed25519_secret_key', or a PEM key) (Leave empty to generate a key):",
  ]);
  assert.ok(
    prompter.questions.includes("Service #2: Number of instance services to create (default: 0):"),
  );
  assert.ok(
    prompter.questions.includes("Service #1: Provide a tag name to group these instances [node]:"),
  );
  assert.ok(
    prompter.questions.includes(
      "Specify the service target IP and port (where your service is listening) [127.0.0.1:8443]:",
    ),
  );
  const services = await readDeployment(`${tmp}/out`);
  assert.deepEqual(services.map((s) => [s.format, s.instances.map(([n]) => n)]), [
    ["tor", ["node1", "node2"]],
    ["pem", ["edge1", "edge2"]],
  ]);
  assert.equal(services[0]!.address, encodeOnionAddress(imported.public));
  assert.equal(services[1]!.instances[1]![1], A);
  const torrc = await Deno.readTextFile(`${tmp}/out/edge1/torrc`);
  assert.ok(
    torrc.includes("\nHiddenServiceDir /srv/tor/edge1\nHiddenServicePort 8443 127.0.0.1:8443\n"),
  );
});

tmpTest("The interactive mode takes the default on each empty answer", async (tmp) => {
  // The output folder, then an empty answer to each of the other thirteen questions.
  const r = await run(["config", "-v", "info"], {
    stdinIsTerminal: () => true,
    terminalPrompter: () => scripted([`${tmp}/out`, ...Array(13).fill("")]),
  });
  assert.equal(r.code, 0, r.stderr);
  const [service] = await readDeployment(`${tmp}/out`);
  assert.deepEqual(service!.instances.map(([n]) => n), ["node1", "node2"]);
  // Off a terminal, a bare run does not ask.
  const none = await run(["config", "--output", `${tmp}/flags`], {
    terminalPrompter: () => assert.fail("must not ask"),
  });
  assert.equal(none.code, 0, none.stderr);
});

Deno.test("linePrompter() reads one answer per line and null at the end", async () => {
  const input = ReadableStream.from([
    new TextEncoder().encode("one\r\ntw"),
    new TextEncoder().encode("o\n\nlast"),
  ]);
  let transcript = "";
  const ask = linePrompter(input, (t) => void (transcript += t));
  assert.deepEqual(
    [await ask("A?"), await ask("B?"), await ask("C?"), await ask("D?"), await ask("E?")],
    ["one", "two", "", "last", null],
  );
  await ask.close();
  assert.equal(transcript, "A? one\nB? two\nC? \nD? last\nE? \n");
});

Deno.test({
  name: "onionbalance config --interactive reads its answers from standard input (real process)",
  permissions: { ...TMP, run: ["deno"] },
  fn: async () => {
    const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-config-stdin-" });
    try {
      const answers = [
        `${tmp}/out`,
        "1",
        "",
        `${A} ${B}`,
        "1",
        "blue",
        ...Array(8).fill(""), // port, offline, encrypt, format, clients, target, folder, restrict
      ];
      const child = new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--config",
          DENO_JSON,
          "--allow-read=/tmp",
          "--allow-write=/tmp",
          MAIN,
          "config",
          "--interactive",
        ],
        cwd: tmp,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(answers.map((a) => `${a}\n`).join("")));
      await writer.close();
      const { code, stdout, stderr } = await child.output();
      const out = new TextDecoder().decode(stdout);
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.ok(
        out.startsWith(`Enter path to store generated config [${tmp}/config/]: ${tmp}/out\n`),
        out,
      );
      assert.ok(
        out.includes(
          `Service #1: Onion addresses of existing backends to add, separated by spaces (Leave empty for none): ${A} ${B}\n`,
        ),
      );
      const [service] = await readDeployment(`${tmp}/out`);
      assert.deepEqual(service!.instances, [
        ["blue1", service!.instances[0]![1]],
        ["blue2", A],
        ["blue3", B],
      ]);
      assert.ok(out.includes(`Created the deployment in ${tmp}/out/`));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "A bare onionbalance config off a terminal writes config/ with the defaults (real process)",
  permissions: { ...TMP, run: ["deno"] },
  fn: async () => {
    const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-config-bare-" });
    const bareConfig = () =>
      new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--config",
          DENO_JSON,
          "--allow-read=/tmp",
          "--allow-write=/tmp",
          MAIN,
          "config",
        ],
        cwd: tmp,
        stdin: "null",
      }).output();
    try {
      const { code, stderr } = await bareConfig();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const [service] = await readDeployment(`${tmp}/config`);
      assert.deepEqual(service!.instances.map(([n]) => n), ["node1", "node2"]);
      const again = await bareConfig();
      assert.equal(again.code, ExitCode.Failure);
      assert.match(
        new TextDecoder().decode(again.stderr),
        /^onionbalance: Cannot write the deployment: /m,
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

const PASSPHRASE = "correct horse battery staple";
const NO_ENV = { get: () => undefined };

/** A passphrase file (0600) in `dir`, with a trailing newline as `echo` writes it. */
async function passphraseFile(dir: string): Promise<string> {
  const path = `${dir}/passphrase`;
  await Deno.writeTextFile(path, `${PASSPHRASE}\n`, { mode: 0o600 });
  return path;
}

/** A secret prompt that gives each answer in turn (undefined: Ctrl-C); it records the questions. */
function secrets(answers: (string | undefined)[]) {
  const questions: string[] = [];
  const readSecret = (question: string) => {
    questions.push(question);
    const answer = answers.shift();
    return Promise.resolve(answer === undefined ? undefined : new TextEncoder().encode(answer));
  };
  return { readSecret, questions };
}

Deno.test({
  name: "onionbalance config --offline writes a bundle the balancer loads (real process)",
  permissions: { ...TMP, run: ["deno"] },
  fn: async () => {
    const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-config-offline-" });
    try {
      const file = await passphraseFile(tmp);
      const out = `${tmp}/out`;
      const { code, stdout, stderr } = await new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--config",
          DENO_JSON,
          "--allow-read=/tmp",
          "--allow-write=/tmp",
          MAIN,
          "config",
          "--output",
          out,
          "--offline",
          "--offline-periods",
          "3",
          "--period-length",
          "4",
          "--passphrase-file",
          file,
        ],
        cwd: tmp,
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(stdout);
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const { config, warnings } = await loadConfig(`${out}/config.yaml`);
      assert.deepEqual(warnings, []);
      const keys = await loadServiceKeys(config, { file, env: NO_ENV });
      assert.equal(keys.length, 1);
      const [loaded] = keys;
      assert.ok(loaded?.kind === "offline");
      const { bundle } = loaded;
      const label = bundle.address;
      assert.equal(loaded.path, `${out}/${label}.keys`);
      assert.equal(bundle.certs.length, 3);
      assert.equal(bundle.schedule.lengthMinutes, 4);
      assert.ok(text.includes(`  service 1: ${label}.onion (key offline/${label}.key, new, `));
      assert.ok(text.includes(`    offline key bundle ${label}.keys: ${describeSpan(bundle)}\n`));
      assert.ok(text.includes(`Move ${out}/offline/ to the isolated machine and delete it here`));
      // The identity key is only under offline/, encrypted; the balancer's folder has none.
      assert.equal(await exists(`${out}/${label}.key`), false);
      assert.equal(await mode(`${out}/offline`), 0o700);
      assert.equal(await mode(`${out}/offline/${label}.key`), 0o600);
      assert.equal(await mode(`${out}/${label}.keys`), 0o600);
      const keyText = await Deno.readTextFile(`${out}/offline/${label}.key`);
      assert.ok(keyText.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
      const identity = await loadIdentityKey(`${out}/offline/${label}.key`, {
        passphrase: new TextEncoder().encode(PASSPHRASE),
      });
      assert.equal(encodeOnionAddress(identity.keypair.public), `${label}.onion`);
      const readme = await Deno.readTextFile(`${out}/README.md`);
      assert.ok(
        readme.includes(
          `onionbalance keys offline --key ${label}.key --output ${label}.keys --periods 3 --from `,
        ),
      );
      assert.match(readme, / --period-length 4 --encrypt\n/);
      assert.ok(!text.includes(PASSPHRASE) && !readme.includes(PASSPHRASE));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

tmpTest(
  "onionbalance config --encrypt --passphrase-file writes an encrypted PEM key",
  async (tmp) => {
    const file = await passphraseFile(tmp);
    const r = await run([
      "config",
      "--output",
      `${tmp}/out`,
      "--encrypt",
      "--passphrase-file",
      file,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { config } = await loadConfig(`${tmp}/out/config.yaml`);
    const keyPath = config.services[0]!.keyPath;
    assert.ok(
      (await Deno.readTextFile(keyPath)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
    );
    await assert.rejects(
      loadIdentityKey(keyPath),
      (e: unknown) => e instanceof KeyError && e.kind === "PassphraseRequired",
    );
    const key = await loadIdentityKey(keyPath, {
      passphrase: new TextEncoder().encode(PASSPHRASE),
    });
    assert.equal(key.format, "pem");
    const [loaded] = await loadServiceKeys(config, { file, env: NO_ENV });
    assert.ok(loaded?.kind === "key");
    assert.ok(loaded.keypair.public.equals(key.keypair.public));
    assert.match(r.stdout, /\(key \S+\.key, new, pem format, encrypted\)/);
    // Backend keys stay in tor's format: tor cannot read an encrypted key.
    assert.equal(
      (await loadIdentityKey(`${tmp}/out/node1/hidden_service/${TOR_KEY_FILE_NAMES.secret}`))
        .format,
      "tor",
    );
    assert.match(await Deno.readTextFile(`${tmp}/out/README.md`), /## Encrypted keys/);
    // --passphrase-file alone implies --encrypt.
    const implied = await run(["config", "--output", `${tmp}/implied`, "--passphrase-file", file]);
    assert.equal(implied.code, 0, implied.stderr);
    assert.match(implied.stdout, /pem format, encrypted\)/);
  },
);

tmpTest(
  "onionbalance config --encrypt asks twice on a terminal, and never off one",
  async (tmp) => {
    const terminal = (answers: (string | undefined)[]) => {
      const prompt = secrets(answers);
      return { prompt, deps: { stdinIsTerminal: () => true, readSecret: prompt.readSecret } };
    };
    const args = (out: string) => ["config", "--output", `${tmp}/${out}`, "--encrypt", "-n", "1"];
    const ok = terminal([PASSPHRASE, PASSPHRASE]);
    const r = await run(args("ok"), ok.deps);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ok.prompt.questions, [
      "New passphrase for the frontend keys: ",
      "The same passphrase again: ",
    ]);
    const { config } = await loadConfig(`${tmp}/ok/config.yaml`);
    const passphrase = new TextEncoder().encode(PASSPHRASE);
    await loadIdentityKey(config.services[0]!.keyPath, { passphrase });

    const differ = await run(args("differ"), terminal([PASSPHRASE, "something else"]).deps);
    assert.equal(differ.code, ExitCode.Usage);
    assert.match(differ.stderr, /Cannot use the passphrase: the two entries differ/);
    const empty = await run(args("empty"), terminal(["", ""]).deps);
    assert.equal(empty.code, ExitCode.Usage);
    assert.match(empty.stderr, /Cannot use an empty passphrase/);
    const interrupted = await run(args("ctrl-c"), terminal([PASSPHRASE, undefined]).deps);
    assert.equal(interrupted.code, ExitCode.Interrupted);
    const piped = await run(args("piped"), {
      readSecret: () => assert.fail("must not ask off a terminal"),
    });
    assert.equal(piped.code, ExitCode.Usage);
    assert.match(
      piped.stderr,
      /Cannot get a passphrase for the frontend keys: standard input is not a terminal; give --passphrase-file FILE/,
    );
    for (const out of ["differ", "empty", "ctrl-c", "piped"]) {
      assert.equal(await exists(`${tmp}/${out}`), false, out);
    }
    assert.ok(!differ.stderr.includes(PASSPHRASE));
  },
);

tmpTest("onionbalance config refuses bad key custody flags", async (tmp) => {
  const a = HsIdKeypair.generate(seededRng("cli-encrypt-tor"));
  await Deno.mkdir(`${tmp}/hs`);
  await writeTorKeyFiles(`${tmp}/hs`, a);
  const file = await passphraseFile(tmp);
  const loose = `${tmp}/loose`;
  await Deno.writeTextFile(loose, "x\n");
  await Deno.chmod(loose, 0o644);
  for (
    const [args, code, pattern] of [
      [
        ["--encrypt", "--key", `${tmp}/hs/${TOR_KEY_FILE_NAMES.secret}`],
        ExitCode.Usage,
        /Cannot encrypt the key of service 1: it is in tor's format, which holds no seed/,
      ],
      [
        ["--offline-days", "3", "--offline-periods", "3"],
        ExitCode.Usage,
        /Cannot use both --offline-days and --offline-periods/,
      ],
      [["--offline-days", "0"], ExitCode.Usage, /number of days \(--offline-days\) "0"/],
      [["--offline-periods", "2000"], ExitCode.Usage, /\(--offline-periods\) "2000"/],
      [["--period-length", "0"], ExitCode.Usage, /\(--period-length\) "0"/],
      [
        ["--offline", "--period-length", "4"],
        ExitCode.Usage,
        /Cannot make a bundle of \d+ periods/,
      ],
      [["--passphrase-file", loose], ExitCode.Failure, /Cannot read passphrase file ".*\/loose"/],
      [["--passphrase-file", `${tmp}/none`], ExitCode.Failure, /Cannot read passphrase file/],
    ] as const
  ) {
    const r = await run(["config", "--output", `${tmp}/out`, ...args], {
      stdinIsTerminal: () => true,
      readSecret: () => assert.fail("must not ask"),
    });
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.equal(await exists(`${tmp}/out`), false);
  // --offline-days implies --offline.
  const r = await run(["config", "--output", `${tmp}/days`, "--offline-days", "2"], {
    now: () => Date.UTC(2026, 0, 15, 12),
  });
  assert.equal(r.code, 0, r.stderr);
  const { config } = await loadConfig(`${tmp}/days/config.yaml`);
  const [loaded] = await loadServiceKeys(config, { file, env: NO_ENV });
  assert.ok(loaded?.kind === "offline");
  assert.ok(loaded.bundle.startsAt <= Date.UTC(2026, 0, 15, 12) / 1000);
  assert.ok(loaded.bundle.endsAt >= Date.UTC(2026, 0, 17, 12) / 1000);
});

tmpTest(
  "The interactive mode asks whether to keep the key offline and to encrypt it",
  async (tmp) => {
    const prompter = scripted([
      `${tmp}/out`,
      "", // 1 service
      "", // new key
      "", // no existing backend
      "", // 2 backends
      "", // tag
      "", // virtual port
      "maybe", // not yes or no: asked again
      "yes", // offline
      "y", // encrypt (so no question about the format: encrypted keys are PEM)
      "", // no client keys
      "", // target
      "", // folder
      "", // backends not restricted
    ]);
    const secret = secrets([PASSPHRASE, PASSPHRASE]);
    const r = await run(["config"], {
      stdinIsTerminal: () => true,
      terminalPrompter: () => prompter,
      readSecret: secret.readSecret,
      cwd: () => tmp,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Cannot use answer "maybe": expected "yes" or "no"/);
    const offlineQuestion =
      "Keep the frontend key offline (its identity key for an isolated machine, a key bundle to renew for the balancer)? [no]:";
    assert.deepEqual(
      prompter.questions.slice(7, 10),
      [
        offlineQuestion,
        offlineQuestion,
        "Encrypt the frontend key with a passphrase (asked next, not shown)? [no]:",
      ],
    );
    assert.ok(!prompter.questions.some((q) => q.startsWith("Format of new frontend keys")));
    assert.equal(secret.questions.length, 2);
    const { config } = await loadConfig(`${tmp}/out/config.yaml`);
    const file = await passphraseFile(tmp);
    const [loaded] = await loadServiceKeys(config, { file, env: NO_ENV });
    assert.ok(loaded?.kind === "offline");
    assert.equal(loaded.bundle.schedule.lengthMinutes, 1440);
    assert.ok(loaded.bundle.endsAt - loaded.bundle.startsAt >= 30 * 86400);
    const label = loaded.bundle.address;
    assert.ok(
      (await Deno.readTextFile(`${tmp}/out/offline/${label}.key`)).startsWith(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
      ),
    );
  },
);

tmpTest("The interactive mode will not encrypt an imported key in tor's format", async (tmp) => {
  await Deno.mkdir(`${tmp}/hs`);
  await writeTorKeyFiles(`${tmp}/hs`, HsIdKeypair.generate(seededRng("interactive tor")));
  const prompter = scripted([
    `${tmp}/out`,
    "",
    `${tmp}/hs/${TOR_KEY_FILE_NAMES.secret}`,
    "",
    "1",
    "",
    "",
    "", // not offline
    "yes", // encrypt: refused, asked again
    "no",
    "", // no client keys
    "", // target
    "", // folder
    "", // backends not restricted
  ]);
  const r = await run(["config"], {
    stdinIsTerminal: () => true,
    terminalPrompter: () => prompter,
    readSecret: () => assert.fail("must not ask"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Cannot encrypt the key of service 1: it is in tor's format/);
  assert.equal((await readDeployment(`${tmp}/out`))[0]!.format, "tor");
});

Deno.test({
  name:
    "onionbalance config --clients 3 --restrict-backends writes what config.yaml names (real process)",
  permissions: { ...TMP, run: ["deno"] },
  fn: async () => {
    const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-config-clients-" });
    try {
      const out = `${tmp}/out`;
      const { code, stdout, stderr } = await new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--config",
          DENO_JSON,
          "--allow-read=/tmp",
          "--allow-write=/tmp",
          MAIN,
          "config",
          "--output",
          out,
          "--clients",
          "3",
          "--restrict-backends",
          "-n",
          "2",
          "--instance",
          A,
        ],
        cwd: tmp,
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(stdout);
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 0, err);
      const { config, warnings } = await loadConfig(`${out}/config.yaml`);
      assert.deepEqual(warnings, []);
      const [service] = config.services;
      assert.ok(service);
      const frontend = encodeOnionAddress((await loadIdentityKey(service.keyPath)).keypair.public);
      const label = frontend.slice(0, 56);
      // The balancer's side: the clients' public keys, in the folder config.yaml names.
      assert.equal(service.authorizedClientsDir, `${out}/${label}.authorized_clients`);
      const dir = service.authorizedClientsDir!;
      assert.equal(await mode(dir), 0o700);
      const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
      assert.deepEqual(names, ["client1.auth", "client2.auth", "client3.auth"]);
      const secrets: string[] = [];
      for (const name of names) {
        const client = name.slice(0, -".auth".length);
        const pub = parseAuthorizedClientFile(await Deno.readTextFile(`${dir}/${name}`));
        const privPath = `${out}/clients/${client}/${label}.auth_private`;
        assert.deepEqual(
          [
            await mode(`${dir}/${name}`),
            await mode(`${out}/clients/${client}`),
            await mode(privPath),
          ],
          [0o600, 0o700, 0o600],
        );
        const priv = parseClientAuthKeyFile(await Deno.readTextFile(privPath));
        assert.equal(encodeOnionAddress(priv.service), frontend);
        assert.ok(priv.key.public.equals(pub), client);
        secrets.push((await Deno.readTextFile(privPath)).trim().split(":")[3]!);
      }
      // The restricted backends: each backend's balancer.auth matches the key config.yaml names.
      assert.deepEqual(service.instances.map((i) => i.name), ["node1", "node2", "node3"]);
      for (const instance of service.instances.slice(0, 2)) {
        const keyPath = instance.clientKeyPath;
        assert.equal(keyPath, `${out}/backend-keys/${instance.address}.auth_private`);
        assert.equal(await mode(`${out}/backend-keys`), 0o700);
        assert.equal(await mode(keyPath!), 0o600);
        const key = parseClientAuthKeyFile(await Deno.readTextFile(keyPath!));
        assert.equal(encodeOnionAddress(key.service), `${instance.address}.onion`);
        const authDir = `${out}/${instance.name}/hidden_service/authorized_clients`;
        assert.equal(await mode(authDir), 0o700);
        const balancer = parseAuthorizedClientFile(
          await Deno.readTextFile(`${authDir}/balancer.auth`),
        );
        assert.ok(key.key.public.equals(balancer));
        secrets.push((await Deno.readTextFile(keyPath!)).trim().split(":")[3]!);
      }
      // The adopted backend is not restricted, and the command says so.
      assert.equal(service.instances[2]!.clientKeyPath, undefined);
      assert.ok(
        text.includes(
          "Note: the existing backend(s) node3 are not restricted to the balancer's key",
        ),
      );
      assert.ok(
        text.includes("    3 client(s): clients/client1/ to clients/client3/ (public keys in "),
      );
      assert.ok(text.includes(`Give each ${out}/clients/<client>/ to its one person`));
      // No secret in the output, the README or config.yaml.
      const readme = await Deno.readTextFile(`${out}/README.md`);
      const yaml = await Deno.readTextFile(`${out}/config.yaml`);
      for (const secret of secrets) {
        for (const where of [text, err, readme, yaml]) assert.ok(!where.includes(secret));
      }
      assert.match(readme, /## Client authorization \(restricted discovery\)/);
      assert.match(readme, /## Restricted backends/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

tmpTest("onionbalance config refuses bad client authorization flags", async (tmp) => {
  for (
    const [args, pattern] of [
      [["--clients", "501"], /number of client keys \(--clients\) "501": expected .* 0 to 500/],
      [["--clients", "x"], /number of client keys \(--clients\) "x"/],
      [["--restrict-backends", "--instance", A], /Cannot restrict the backends: none is generated/],
    ] as const
  ) {
    const r = await run(["config", "--output", `${tmp}/out`, ...args]);
    assert.equal(r.code, ExitCode.Usage, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.equal(await exists(`${tmp}/out`), false);
  // --clients 0 is a public service: the same files as without the flag.
  const zero = await run(["config", "--output", `${tmp}/zero`, "--clients", "0"]);
  assert.equal(zero.code, 0, zero.stderr);
  assert.equal(await exists(`${tmp}/zero/clients`), false);
  assert.doesNotMatch(await Deno.readTextFile(`${tmp}/zero/config.yaml`), /authorized-clients-dir/);
});

tmpTest("The interactive mode asks for client keys and restricted backends", async (tmp) => {
  const prompter = scripted([
    `${tmp}/out`,
    "", // 1 service
    "", // new key
    "", // no existing backend
    "1", // 1 backend
    "", // tag
    "", // virtual port
    "", // not offline
    "", // not encrypted
    "", // key format
    "501", // too many client keys: asked again
    "2",
    "", // target
    "", // folder
    "yes", // restrict the backends
  ]);
  const r = await run(["config"], {
    stdinIsTerminal: () => true,
    terminalPrompter: () => prompter,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Cannot use number of client keys "501"/);
  const clientsQuestion =
    "How many client keys (restricted discovery, 0 for a public service)? [0]:";
  assert.deepEqual(prompter.questions.slice(10, 12), [clientsQuestion, clientsQuestion]);
  assert.equal(prompter.questions.at(-1), "Restrict the backends to the balancer's key? [no]:");
  const { config } = await loadConfig(`${tmp}/out/config.yaml`);
  const dir = config.services[0]!.authorizedClientsDir!;
  assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
    "client1.auth",
    "client2.auth",
  ]);
  assert.ok(await exists(config.services[0]!.instances[0]!.clientKeyPath!));
  assert.ok(await exists(`${tmp}/out/node1/hidden_service/authorized_clients/balancer.auth`));
});
