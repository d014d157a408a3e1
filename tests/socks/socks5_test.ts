import assert from "node:assert/strict";
import {
  encodeConnect,
  encodeUserPass,
  replyKind,
  socks5Connect,
  Socks5Error,
} from "../../src/socks/mod.ts";
import { DeadlineError } from "../../src/socks/mod.ts";

/** What a fake proxy saw and how it answers. */
interface FakeProxy {
  port: number;
  seen: Uint8Array[];
  done: Promise<void>;
  close(): void;
}

async function readSome(conn: Deno.Conn): Promise<Uint8Array> {
  const buf = new Uint8Array(1024);
  const n = await conn.read(buf);
  return buf.slice(0, n ?? 0);
}

/** A one-connection SOCKS5 server on 127.0.0.1:0 that answers with `replies`, one per read. */
function fakeProxy(replies: readonly (Uint8Array | "silent")[]): FakeProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: Uint8Array[] = [];
  const done = (async () => {
    const conn = await listener.accept();
    try {
      for (const reply of replies) {
        seen.push(await readSome(conn));
        if (reply === "silent") {
          await readSome(conn).catch(() => {});
          return;
        }
        await conn.write(reply);
      }
      seen.push(await readSome(conn).catch(() => new Uint8Array()));
    } finally {
      try {
        conn.close();
      } catch {
        // Closed by the client.
      }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    seen,
    done,
    close: () => listener.close(),
  };
}

const GRANT_USERPASS = Uint8Array.of(5, 2);
const AUTH_OK = Uint8Array.of(1, 0);
const reply = (code: number) => Uint8Array.of(5, code, 0, 1, 0, 0, 0, 0, 0, 0);

Deno.test("encodeConnect() sends the name as a domain (ATYP 3) with a big-endian port", () => {
  assert.deepEqual(
    [...encodeConnect({ hostname: "ab.onion", port: 0x1f90 })],
    [5, 1, 0, 3, 8, ...new TextEncoder().encode("ab.onion"), 0x1f, 0x90],
  );
});

Deno.test("encodeUserPass() rejects an empty or over-long field", () => {
  assert.throws(() => encodeUserPass("", "x"), RangeError);
  assert.throws(() => encodeUserPass("u", "x".repeat(256)), RangeError);
  assert.deepEqual([...encodeUserPass("u", "pw")], [1, 1, 117, 2, 112, 119]);
});

Deno.test("replyKind() maps tor's extended codes 0xF0-0xF7", () => {
  assert.deepEqual(
    [0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7].map(replyKind),
    [
      "OnionDescriptorNotFound",
      "OnionDescriptorInvalid",
      "OnionIntroFailed",
      "OnionRendezvousFailed",
      "OnionMissingClientAuth",
      "OnionWrongClientAuth",
      "OnionInvalidAddress",
      "OnionIntroTimedOut",
    ],
  );
  assert.equal(replyKind(0x04), "HostUnreachable");
  assert.equal(replyKind(0x99), "UnknownReply");
});

Deno.test("socks5Connect() authenticates, connects, and leaves the stream at the payload", async () => {
  const proxy = fakeProxy([GRANT_USERPASS, AUTH_OK, new Uint8Array([...reply(0), 72, 73])]);
  const conn = await socks5Connect({ hostname: "x.onion", port: 80 }, {
    proxy: { hostname: "127.0.0.1", port: proxy.port },
    auth: { username: "iso-1", password: "x" },
    signal: AbortSignal.timeout(5_000),
  });
  const payload = new Uint8Array(2);
  assert.equal(await conn.read(payload), 2);
  assert.deepEqual([...payload], [72, 73]);
  conn.close();
  await proxy.done;
  proxy.close();
  assert.deepEqual([...proxy.seen[0]!], [5, 1, 2]);
  assert.deepEqual([...proxy.seen[1]!], [...encodeUserPass("iso-1", "x")]);
  assert.deepEqual([...proxy.seen[2]!], [...encodeConnect({ hostname: "x.onion", port: 80 })]);
});

Deno.test("socks5Connect() offers no authentication when no credentials are given", async () => {
  const proxy = fakeProxy([Uint8Array.of(5, 0), reply(0)]);
  const conn = await socks5Connect({ hostname: "x.onion", port: 80 }, {
    proxy: { hostname: "127.0.0.1", port: proxy.port },
  });
  conn.close();
  await proxy.done;
  proxy.close();
  assert.deepEqual([...proxy.seen[0]!], [5, 1, 0]);
});

Deno.test("socks5Connect() turns reply 0xF0 into a typed OnionDescriptorNotFound error", async () => {
  const proxy = fakeProxy([GRANT_USERPASS, AUTH_OK, reply(0xf0)]);
  const error = await socks5Connect({ hostname: "x.onion", port: 80 }, {
    proxy: { hostname: "127.0.0.1", port: proxy.port },
    auth: { username: "u", password: "p" },
  }).catch((e) => e);
  await proxy.done;
  proxy.close();
  assert.ok(error instanceof Socks5Error);
  assert.equal(error.kind, "OnionDescriptorNotFound");
  assert.equal(error.reply, 0xf0);
  assert.match(error.message, /reply 0xf0 \(OnionDescriptorNotFound\)/);
});

Deno.test("socks5Connect() reports rejected credentials and refused methods", async () => {
  const badAuth = fakeProxy([GRANT_USERPASS, Uint8Array.of(1, 1)]);
  const authError = await socks5Connect({ hostname: "x", port: 1 }, {
    proxy: { hostname: "127.0.0.1", port: badAuth.port },
    auth: { username: "u", password: "p" },
  }).catch((e) => e);
  await badAuth.done;
  badAuth.close();
  assert.equal((authError as Socks5Error).kind, "AuthFailed");

  const noMethod = fakeProxy([Uint8Array.of(5, 0xff)]);
  const methodError = await socks5Connect({ hostname: "x", port: 1 }, {
    proxy: { hostname: "127.0.0.1", port: noMethod.port },
  }).catch((e) => e);
  await noMethod.done;
  noMethod.close();
  assert.equal((methodError as Socks5Error).kind, "NoAcceptableMethod");
});

Deno.test("socks5Connect() rejects a reply of another protocol version", async () => {
  const proxy = fakeProxy([Uint8Array.of(4, 0)]);
  const error = await socks5Connect({ hostname: "x", port: 1 }, {
    proxy: { hostname: "127.0.0.1", port: proxy.port },
  }).catch((e) => e);
  await proxy.done;
  proxy.close();
  assert.equal((error as Socks5Error).kind, "ProtocolViolation");
});

Deno.test("socks5Connect() gives up with DeadlineError when the proxy goes silent", async () => {
  const proxy = fakeProxy(["silent"]);
  const error = await socks5Connect({ hostname: "x", port: 1 }, {
    proxy: { hostname: "127.0.0.1", port: proxy.port },
    signal: AbortSignal.timeout(200),
  }).catch((e) => e);
  await proxy.done;
  proxy.close();
  assert.ok(error instanceof DeadlineError, String(error));
});
