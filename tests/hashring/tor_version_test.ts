import assert from "node:assert/strict";
import {
  compareTorVersions,
  parseTorPlatform,
  parseTorVersion,
  torVersionAsNewAs,
} from "../../src/hashring/mod.ts";

Deno.test("parseTorVersion() follows tor_version_parse", () => {
  assert.deepEqual(parseTorVersion("0.4.8.9"), {
    major: 0,
    minor: 4,
    micro: 8,
    status: 2,
    patchlevel: 9,
    statusTag: "",
    svnRevision: 0,
    gitTag: "",
  });
  assert.equal(parseTorVersion("Tor 0.4.9.11-dev")?.statusTag, "dev");
  assert.equal(parseTorVersion("0.2.0.1-alpha")?.statusTag, "alpha");
  assert.equal(parseTorVersion("0.1.2pre3")?.status, 0);
  assert.equal(parseTorVersion("0.1.2rc3")?.status, 1);
  assert.equal(parseTorVersion("0.3")?.micro, 0);
  assert.equal(parseTorVersion("0.3-foo")?.statusTag, "foo");
  assert.equal(parseTorVersion("0.4.8.9 (git-0123456789abcdef)")?.gitTag, "0123456789abcdef");
  for (
    const bad of [
      "",
      "x.4",
      "0.x",
      "0.3 foo",
      "0.3.x",
      "0.4.8pre",
      "0.4.8 x",
      "0.4.8.9 (git-abc)",
      "0.4.8.9 (git-zz)",
      "99999999999.1",
    ]
  ) {
    assert.equal(parseTorVersion(bad), undefined, bad);
  }
});

Deno.test("parseTorPlatform() takes the version from a consensus v line", () => {
  assert.equal((parseTorPlatform("Tor 0.4.8.9") as { patchlevel: number }).patchlevel, 9);
  assert.equal(parseTorPlatform("Arti 1.1.0"), "not-tor");
  assert.equal(parseTorPlatform("Tor "), undefined);
  assert.equal(parseTorPlatform("Tor banana"), undefined);
});

Deno.test("torVersionAsNewAs() applies tor's bug #22447 cutoff like tor", () => {
  const cutoff = "0.3.0.8";
  assert.equal(torVersionAsNewAs("Tor 0.3.0.7", cutoff), false);
  assert.equal(torVersionAsNewAs("Tor 0.3.0.8-rc", cutoff), true); // a tag sorts after no tag
  assert.equal(torVersionAsNewAs("Tor 0.3.0.8", cutoff), true);
  assert.equal(torVersionAsNewAs("Tor 0.2.9.14", cutoff), false);
  assert.equal(torVersionAsNewAs("Tor 0.3.0rc8", cutoff), false); // rc sorts before release
  assert.equal(torVersionAsNewAs("Tor 0.4.9.11", cutoff), true);
  // "Be safe and say yes" for other implementations and unparseable versions.
  assert.equal(torVersionAsNewAs("Arti 0.0.1", cutoff), true);
  assert.equal(torVersionAsNewAs("Tor garbage", cutoff), true);
  assert.throws(() => torVersionAsNewAs("Tor 0.4.8.9", "nonsense"), RangeError);
});

Deno.test("compareTorVersions() orders by number, status, patch level, tag", () => {
  const v = (s: string) => parseTorVersion(s)!;
  assert.ok(compareTorVersions(v("0.4.8.9"), v("0.4.8.10")) < 0);
  assert.ok(compareTorVersions(v("0.4.8.9"), v("0.4.8.9-alpha")) < 0);
  assert.ok(compareTorVersions(v("0.4.8pre9"), v("0.4.8rc1")) < 0);
  assert.equal(compareTorVersions(v("0.4.8.9"), v("Tor 0.4.8.9")), 0);
});
