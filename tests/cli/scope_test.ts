/**
 * The release binaries' permission scope, asked of Deno under exactly the flags of deno.json's
 * compile tasks: the daemon binary reaches loopback and tor's usual control sockets and nothing
 * else, writes only its documented places, and reads anywhere (config and keys live wherever
 * the operator keeps them); the config binary has no network at all. No packet is sent: Deno is
 * asked (`Deno.permissions.query`), never the network.
 *
 * @module
 */

import assert from "node:assert/strict";
import { baseEnv, compileFlags, type CompileTask } from "./_compile_flags.ts";
import {
  METRICS_SCOPE_ADVICE,
  SCOPED_ENV,
  SCOPED_NET,
  SCOPED_UNIX_SOCKETS,
  SCOPED_WRITE,
  scopeErrorOf,
  scopeMessage,
} from "../../src/cli/scope.ts";

const PROBE = new URL("./_permission_probe.ts", import.meta.url).pathname;

/** The states Deno gives `descriptors` under the flags of `task`. */
async function query(
  task: CompileTask,
  descriptors: readonly Deno.PermissionDescriptor[],
): Promise<string[]> {
  const out = await new Deno.Command("deno", {
    args: ["run", ...await compileFlags(task), PROBE, JSON.stringify(descriptors)],
    env: baseEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const net = (host: string): Deno.PermissionDescriptor => ({ name: "net", host });

/** Addresses that are not loopback: private, public, link-local, unspecified, mapped, names. */
const NOT_LOOPBACK = [
  "10.0.0.1:9051",
  "172.16.0.1:9051",
  "192.168.1.1:9051",
  "192.0.2.1:9051",
  "8.8.8.8:53",
  "169.254.1.1:80",
  "0.0.0.0:9051",
  "128.0.0.1:9051",
  "126.255.255.255:9051",
  "[2001:db8::1]:9051",
  "[::]:9051",
  "[::ffff:8.8.8.8]:53",
  "[fe80::1]:9051",
  "example.com:443",
  "torproject.org:80",
  "localhost.example.com:9051",
];

Deno.test("the daemon binary's scope: any loopback port, tor's control sockets, the status socket", async () => {
  const granted = [
    "127.0.0.1:9051",
    "127.0.0.1:19151",
    "127.0.0.1:9050",
    "127.0.0.2:9051",
    "127.255.255.254:65535",
    "[::1]:9051",
    "[::1]:19050",
    "localhost:9051",
    ...SCOPED_UNIX_SOCKETS.map((path) => `unix:${path}`),
  ];
  const states = await query("compile:onionbalance", granted.map(net));
  assert.deepEqual(states, granted.map(() => "granted"), granted.join(" "));
});

Deno.test("the daemon binary cannot reach any non-loopback address or any other Unix socket", async () => {
  const refused = [...NOT_LOOPBACK, "unix:/tmp/control", "unix:/run/tor/control2", "unix:/"];
  const states = await query("compile:onionbalance", [...refused.map(net), { name: "net" }]);
  assert.deepEqual(states, [...refused, "any"].map(() => "prompt"), refused.join(" "));
});

Deno.test("the daemon binary writes only its status socket's folder and tor's control sockets", async () => {
  const granted = ["/run/onionbalance", "/run/onionbalance/control", ...SCOPED_WRITE];
  const refused = [
    "/tmp",
    "/tmp/x",
    "/etc/onionbalance",
    "/etc/passwd",
    "/var/lib/tor",
    "/",
    "/run",
  ];
  const states = await query("compile:onionbalance", [
    ...granted.map((path): Deno.PermissionDescriptor => ({ name: "write", path })),
    ...refused.map((path): Deno.PermissionDescriptor => ({ name: "write", path })),
    { name: "run" },
    { name: "ffi" },
    { name: "sys" },
    { name: "env" },
  ]);
  assert.deepEqual(states, [
    ...granted.map(() => "granted"),
    ...refused.map(() => "prompt"),
    "prompt",
    "prompt",
    "prompt",
    "prompt",
  ]);
});

Deno.test("the daemon binary reads config and keys wherever they are, and only its own variables", async () => {
  const states = await query("compile:onionbalance", [
    { name: "read", path: "/etc/onionbalance/config.yaml" },
    { name: "read", path: "/srv/deploy/config.yaml" },
    { name: "read", path: "/tmp/x/frontend.key" },
    ...SCOPED_ENV.map((variable): Deno.PermissionDescriptor => ({ name: "env", variable })),
    { name: "env", variable: "HOME" },
  ]);
  assert.deepEqual(states, [
    "granted",
    "granted",
    "granted",
    ...SCOPED_ENV.map(() => "granted"),
    "prompt",
  ]);
});

Deno.test("the config binary writes where the operator says and has no network", async () => {
  const states = await query("compile:config", [
    { name: "write", path: "/srv/deploy" },
    { name: "read", path: "/srv/keys/frontend.key" },
    net("127.0.0.1:9051"),
    net("unix:/run/tor/control"),
    { name: "run" },
  ]);
  assert.deepEqual(states, ["granted", "granted", "prompt", "prompt", "prompt"]);
});

Deno.test("src/cli/scope.ts states the same scope as the compile task", async () => {
  const flags = await compileFlags("compile:onionbalance");
  const value = (name: string) =>
    flags.find((f) => f.startsWith(`${name}=`))?.slice(name.length + 1).split(",");
  assert.deepEqual(value("--allow-net"), [...SCOPED_NET]);
  assert.deepEqual(value("--allow-write"), SCOPED_WRITE);
  assert.deepEqual(value("--allow-env"), ["LOG_TOKENS", "LOG_STREAM", ...SCOPED_ENV]);
  assert.ok(flags.includes("--allow-read") && flags.includes("--no-prompt"));
});

Deno.test("scopeErrorOf() turns Deno's advice into one line naming the scope and the alternative", () => {
  const denied = scopeErrorOf(
    new Deno.errors.NotCapable(
      'Requires net access to "unix:/srv/tor/control", run again with the --allow-net flag',
    ),
  );
  assert.ok(denied !== undefined);
  assert.equal(denied.message, scopeMessage("net", "unix:/srv/tor/control"));
  assert.match(denied.message, /^Cannot use "unix:\/srv\/tor\/control" \(net\): outside/);
  assert.match(denied.message, /use tor's ControlPort on 127\.0\.0\.1 \(-i\/-p\)/);
  assert.doesNotMatch(denied.message, /--allow|run again/);
  assert.equal(denied.message.includes("\n"), false);
  assert.equal(scopeErrorOf(new Error("other")), undefined);
});

Deno.test("scopeMessage() for a metrics-listen address outside the scope says to run from source", async () => {
  const [remote, loopback] = await query("compile:onionbalance", [
    { name: "net", host: "0.0.0.0:9811" },
    { name: "net", host: "127.0.0.1:9811" },
  ]);
  assert.notEqual(remote, "granted");
  assert.equal(loopback, "granted");
  const message = scopeMessage("net", "0.0.0.0:9811", METRICS_SCOPE_ADVICE);
  assert.match(message, /^Cannot use "0\.0\.0\.0:9811" \(net\): outside this binary's permissions/);
  assert.match(message, /serves metrics only on a loopback address; .* run from source/);
  assert.equal(message.includes("\n"), false);
});
