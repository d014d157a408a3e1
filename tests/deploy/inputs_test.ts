import assert from "node:assert/strict";
import {
  checkBackendDirPrefix,
  checkServiceTarget,
  checkTag,
  DeployError,
  parseCount,
  parseVirtualPort,
} from "../../src/deploy/mod.ts";

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DeployError && error.kind === "BadInput", String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("checkServiceTarget() accepts tor's HiddenServicePort targets", () => {
  for (const ok of ["80", "127.0.0.1:8080", "[::1]:80", "localhost:80", "unix:/run/web.sock"]) {
    assert.equal(checkServiceTarget(` ${ok} `), ok);
  }
});

Deno.test("checkServiceTarget() refuses targets that would break or extend the torrc", () => {
  for (
    const bad of [
      "",
      "0",
      "70000",
      "127.0.0.1",
      "127.0.0.1:0",
      "unix:run.sock",
      "a b:80",
      "1:80\nSocksPort 1",
      'unix:"/x"',
    ]
  ) {
    rejects(() => checkServiceTarget(bad), /Cannot use service target/);
  }
});

Deno.test("checkTag() accepts folder-safe names without dots", () => {
  assert.equal(checkTag("node"), "node");
  assert.equal(checkTag("web-eu_1"), "web-eu_1");
  for (const bad of ["", "-x", ".", "a.b", "a/b", "x".repeat(41), "ünï"]) {
    rejects(() => checkTag(bad), /Cannot use tag/);
  }
});

Deno.test("checkBackendDirPrefix() wants an absolute path without spaces", () => {
  assert.equal(checkBackendDirPrefix("/var/lib/tor/"), "/var/lib/tor");
  assert.equal(checkBackendDirPrefix("/"), "/");
  for (const bad of ["var/lib/tor", "./x", "/a b", "/a\nb", ""]) {
    rejects(() => checkBackendDirPrefix(bad), /absolute path/);
  }
});

Deno.test("parseCount() and parseVirtualPort() take whole numbers in range", () => {
  assert.equal(parseCount(" 3 ", { what: "x", max: 5 }), 3);
  assert.equal(parseVirtualPort("443"), 443);
  for (const bad of ["0", "65536", "8.5", "-1", "1e3", "eighty"]) {
    rejects(() => parseVirtualPort(bad), /service virtual port/);
  }
  rejects(
    () => parseCount("6", { what: "number of services", max: 5 }),
    /"6": expected a whole number from 1 to 5/,
  );
});
