import assert from "node:assert/strict";
import {
  authenticate,
  chooseAuthMethod,
  ControlAuthError,
  ControlProtocolError,
  parseProtocolInfo,
  parseReplies,
  parseReply,
  type ProtocolInfo,
  readPassword,
  safeCookieHashes,
} from "../../src/control/mod.ts";

const VECTORS = new URL("../vectors/control/", import.meta.url);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function info(methods: string[]): ProtocolInfo {
  return { protocolInfoVersion: "1", authMethods: methods, torVersion: "0.4.9.11" };
}

function assertAuthError(kind: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ControlAuthError, String(error));
    assert.equal(error.kind, kind);
    return true;
  };
}

Deno.test({
  name: "parseProtocolInfo() reads the captured tor 0.4.9.11 replies",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const session = await Deno.readTextFile(
      new URL("tor-0.4.9.11-safecookie-session.server.txt", VECTORS),
    );
    const first = parseProtocolInfo(parseReplies(session)[0]!);
    assert.deepEqual(first.authMethods, ["COOKIE", "SAFECOOKIE", "HASHEDPASSWORD"]);
    assert.match(first.cookieFile ?? "", /^\/tmp\/obcap-[^/]+\/data\/control_auth_cookie$/);
    assert.equal(first.torVersion, "0.4.9.11");
    assert.equal(first.protocolInfoVersion, "1");
    const nullAuth = await Deno.readTextFile(new URL("tor-0.4.9.11-null-auth.server.txt", VECTORS));
    const open = parseProtocolInfo(parseReplies(nullAuth)[0]!);
    assert.deepEqual(open.authMethods, ["NULL"]);
    assert.equal(open.cookieFile, undefined);
  },
});

Deno.test("parseProtocolInfo() ignores unknown lines and rejects a reply without AUTH", () => {
  const reply = parseReply(
    '250-PROTOCOLINFO 1\r\n250-FUTURE stuff\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor="0.4.9.11" X=1\r\n250 OK\r\n',
  );
  assert.deepEqual(parseProtocolInfo(reply).authMethods, ["NULL"]);
  assert.throws(
    () =>
      parseProtocolInfo(
        parseReply('250-PROTOCOLINFO 1\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n'),
      ),
    ControlProtocolError,
  );
  assert.throws(() => parseProtocolInfo(parseReply("250 OK\r\n")), ControlProtocolError);
});

Deno.test("chooseAuthMethod() prefers NULL, then a configured password, then SAFECOOKIE, then COOKIE", () => {
  const all = ["NULL", "HASHEDPASSWORD", "SAFECOOKIE", "COOKIE"];
  const password = { passwordEnv: "X" };
  assert.equal(chooseAuthMethod(info(all)), "NULL");
  assert.equal(chooseAuthMethod(info(all.slice(1)), { password }), "HASHEDPASSWORD");
  assert.equal(chooseAuthMethod(info(all.slice(1))), "SAFECOOKIE");
  assert.equal(chooseAuthMethod(info(["COOKIE", "HASHEDPASSWORD"])), "COOKIE");
  assert.equal(chooseAuthMethod(info(all), { method: "COOKIE" }), "COOKIE");
});

Deno.test("chooseAuthMethod() asks for a password when tor offers only HASHEDPASSWORD", () => {
  assert.throws(
    () => chooseAuthMethod(info(["HASHEDPASSWORD"])),
    assertAuthError("PasswordRequired"),
  );
});

Deno.test("chooseAuthMethod() rejects a forced method tor does not offer, and unknown methods", () => {
  assert.throws(
    () => chooseAuthMethod(info(["COOKIE"]), { method: "HASHEDPASSWORD" }),
    assertAuthError("NoUsableMethod"),
  );
  assert.throws(() => chooseAuthMethod(info(["FUTUREAUTH"])), assertAuthError("NoUsableMethod"));
});

Deno.test("safeCookieHashes() matches HMAC-SHA256 computed by Python's hmac module", () => {
  // Known answer: python3 hmac.new(key, cookie | cn | sn, hashlib.sha256) with
  // cookie = bytes(range(32)), cn = 0x11 × 32, sn = 0x22 × 32 (tests/vectors/control/README.md).
  const { serverHash, clientHash } = safeCookieHashes(
    Uint8Array.from({ length: 32 }, (_, i) => i),
    { clientNonce: new Uint8Array(32).fill(0x11), serverNonce: new Uint8Array(32).fill(0x22) },
  );
  assert.equal(hex(serverHash), "2aecbf4d284befddbbacc3817b41959eda061ac7e156db0c734cb28aa5e903ed");
  assert.equal(hex(clientHash), "eea571786a3fd103b6aa1ffa46249c4c850c509d0c84c550ed9e41477511d2ba");
});

Deno.test({
  name: "readPassword() reads the first line of a file and an environment variable",
  permissions: { read: ["/tmp"], write: ["/tmp"], env: ["OB_TEST_AUTH_PASSWORD"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-auth-" });
    try {
      await Deno.writeTextFile(`${dir}/password`, "s3cret pass\n", { mode: 0o600 });
      assert.equal(await readPassword({ passwordFile: `${dir}/password` }), "s3cret pass");
      Deno.env.set("OB_TEST_AUTH_PASSWORD", "from env");
      assert.equal(await readPassword({ passwordEnv: "OB_TEST_AUTH_PASSWORD" }), "from env");
      Deno.env.delete("OB_TEST_AUTH_PASSWORD");
      await assert.rejects(
        readPassword({ passwordEnv: "OB_TEST_AUTH_PASSWORD" }),
        assertAuthError("PasswordUnreadable"),
      );
      await assert.rejects(
        readPassword({ passwordFile: `${dir}/missing` }),
        (error) =>
          assertAuthError("PasswordUnreadable")(error) && /no such file/.test(String(error)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "readPassword() refuses a password file readable by group or others (0644, 0640)",
  permissions: { read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-auth-" });
    try {
      const path = `${dir}/control password`;
      await Deno.writeTextFile(path, "s3cret pass\n", { mode: 0o600 });
      for (const mode of [0o644, 0o640]) {
        await Deno.chmod(path, mode);
        await assert.rejects(readPassword({ passwordFile: path }), (error) => {
          assertAuthError("PasswordFileInsecure")(error);
          assert.equal(
            (error as Error).message,
            `Control password file ${path} is readable by group or others (mode 0${
              mode.toString(8)
            }); run: chmod 600 '${path}'`,
          );
          assert.ok(!(error as Error).message.includes("s3cret"));
          return true;
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "readPassword() accepts a password file only its owner can read (0600, 0400)",
  permissions: { read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-auth-" });
    try {
      const path = `${dir}/password`;
      await Deno.writeTextFile(path, "s3cret pass\r\n", { mode: 0o600 });
      await Deno.chmod(path, 0o600);
      assert.equal(await readPassword({ passwordFile: path }), "s3cret pass");
      await Deno.chmod(path, 0o400);
      assert.equal(await readPassword({ passwordFile: path }), "s3cret pass");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "authenticate() sends nothing to tor when the password file is refused",
  permissions: { read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-auth-" });
    try {
      const path = `${dir}/password`;
      await Deno.writeTextFile(path, "s3cret pass\n", { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      const sent: string[] = [];
      const conn = {
        request: (command: string) => {
          sent.push(command);
          return Promise.reject(new Error("unexpected request"));
        },
      };
      await assert.rejects(
        authenticate(conn, info(["HASHEDPASSWORD"]), { password: { passwordFile: path } }),
        (error) =>
          assertAuthError("PasswordFileInsecure")(error) &&
          (error as Error).message.includes(`Control password file ${path} is readable`),
      );
      assert.deepEqual(sent, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
