import assert from "node:assert/strict";
import {
  httpGetDirect,
  HttpParseError,
  parseHttpResponse,
} from "../../../scripts/testnet/http_get.ts";
import { DeadlineError } from "../../../src/socks/mod.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("parseHttpResponse() reads the status, lower-cased headers and the body", () => {
  const res = parseHttpResponse(
    bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nX-A:  b \r\n\r\nbackend0\n"),
  );
  assert.equal(res.status, 200);
  assert.equal(res.reason, "OK");
  assert.deepEqual(res.headers, { "content-type": "text/plain", "x-a": "b" });
  assert.equal(res.text(), "backend0\n");
});

Deno.test("parseHttpResponse() rejects a response without a header end or status line", () => {
  assert.throws(() => parseHttpResponse(bytes("HTTP/1.0 200 OK\r\n")), HttpParseError);
  assert.throws(() => parseHttpResponse(bytes("SSH-2.0\r\n\r\n")), /bad status line "SSH-2.0"/);
  assert.throws(() => parseHttpResponse(bytes("HTTP/1.0 200 OK\r\nnocolon\r\n\r\n")), /bad header/);
});

/** A one-shot TCP server that records the request and answers with `answer`. */
function rawServer(answer: string | "silent") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let request = "";
  const done = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    request = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    if (answer === "silent") await conn.read(buf).catch(() => null);
    else await conn.write(bytes(answer));
    try {
      conn.close();
    } catch {
      // Closed by the client.
    }
    listener.close();
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done, request: () => request };
}

Deno.test("httpGetDirect() sends an HTTP/1.0 GET and reads to end of stream", async () => {
  const server = rawServer("HTTP/1.0 404 Not found\r\n\r\n");
  const res = await httpGetDirect({ hostname: "127.0.0.1", port: server.port, path: "/tor/x" }, {
    signal: AbortSignal.timeout(5_000),
  });
  await server.done;
  assert.equal(res.status, 404);
  assert.equal(
    server.request(),
    `GET /tor/x HTTP/1.0\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
  );
});

Deno.test("httpGetDirect() gives up with DeadlineError when the server goes silent", async () => {
  const server = rawServer("silent");
  const error = await httpGetDirect({ hostname: "127.0.0.1", port: server.port, path: "/" }, {
    signal: AbortSignal.timeout(200),
  }).catch((e) => e);
  await server.done;
  assert.ok(error instanceof DeadlineError, String(error));
});

Deno.test("httpGetDirect() refuses a path with spaces (no request smuggling)", async () => {
  await assert.rejects(
    httpGetDirect({ hostname: "127.0.0.1", port: 9, path: "/a b" }),
    (e: unknown) => e instanceof TypeError || e instanceof Deno.errors.ConnectionRefused,
  );
});
