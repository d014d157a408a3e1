import assert from "node:assert/strict";
import {
  checkTorVersion,
  compareTorVersions,
  ControlProtocolError,
  ControlVersionError,
  MIN_TOR_VERSION,
  parseTorVersion,
} from "../../src/control/mod.ts";

Deno.test("parseTorVersion() reads release, alpha and dev versions", () => {
  assert.deepEqual(parseTorVersion("0.4.9.11").numbers, [0, 4, 9, 11]);
  const alpha = parseTorVersion("0.4.3.1-alpha");
  assert.deepEqual(alpha.numbers, [0, 4, 3, 1]);
  assert.equal(alpha.status, "alpha");
  assert.equal(parseTorVersion("0.4.8.10-dev (git-1234abcd)").status, "dev");
  assert.deepEqual(parseTorVersion("0.2.9").numbers, [0, 2, 9, 0]);
});

Deno.test("parseTorVersion() rejects text that is not a tor version", () => {
  assert.throws(() => parseTorVersion("Tor 0.4"), ControlProtocolError);
  assert.throws(() => parseTorVersion(""), ControlProtocolError);
});

Deno.test("compareTorVersions() orders by the four numbers", () => {
  const order = ["0.4.2.7", "0.4.3.1-alpha", "0.4.3.1-alpha-dev", "0.4.3.5", "0.4.9.11", "0.5.0.1"];
  for (let i = 1; i < order.length; i++) {
    const a = parseTorVersion(order[i - 1]!);
    const b = parseTorVersion(order[i]!);
    assert.ok(compareTorVersions(a, b) <= 0, `${order[i - 1]} <= ${order[i]}`);
  }
  assert.ok(compareTorVersions(parseTorVersion("0.4.10.0"), parseTorVersion("0.4.9.11")) > 0);
});

Deno.test("checkTorVersion() accepts the minimum and newer, rejects older with a clear error", () => {
  assert.equal(MIN_TOR_VERSION, "0.4.3.1-alpha");
  checkTorVersion("0.4.3.1-alpha");
  checkTorVersion("0.4.9.11");
  assert.throws(() => checkTorVersion("0.4.2.8"), (error) => {
    assert.ok(error instanceof ControlVersionError);
    assert.equal(error.version, "0.4.2.8");
    assert.equal(error.minimum, "0.4.3.1-alpha");
    assert.match(
      error.message,
      /^Tor 0\.4\.2\.8 is too old: the balancer needs tor 0\.4\.3\.1-alpha/,
    );
    return true;
  });
});
