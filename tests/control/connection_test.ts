/**
 * ControlConnection against a fake control server on 127.0.0.1:0 that goes silent, closes in the
 * middle of a reply, sends garbage, and interleaves 650 events with replies. Each case must end
 * in a typed error or the right result within its deadline.
 */
import assert from "node:assert/strict";
import {
  ControlConnection,
  ControlOperationFailed,
  ControlProtocolError,
  ControlSocketClosed,
  ControlTimeoutError,
  type Reply,
} from "../../src/control/mod.ts";
import { captureLog, FakeConnection, FakeTorServer, withDeadline } from "./_helpers.ts";

const net = { permissions: { net: ["127.0.0.1"] } };

interface Setup {
  server: FakeTorServer;
  tor: FakeConnection;
  conn: ControlConnection;
  events: Reply[];
  closes: Error[];
  logText: () => string;
}

async function setup(options: { timeoutMs?: number } = {}): Promise<Setup> {
  const server = FakeTorServer.tcp();
  const accepted = server.accept();
  const socket = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const tor = await accepted;
  const events: Reply[] = [];
  const closes: Error[] = [];
  const { log, text } = captureLog();
  const conn = new ControlConnection(socket, {
    log,
    name: "fake",
    timeoutMs: options.timeoutMs ?? 5_000,
    onEvent: (event) => events.push(event),
    onClose: (reason) => closes.push(reason),
  });
  return { server, tor, conn, events, closes, logText: text };
}

async function teardown(s: Setup): Promise<void> {
  await s.conn.close();
  s.server.close();
}

function socketTest(
  name: string,
  ms: number,
  body: (s: Setup) => Promise<void>,
  timeoutMs?: number,
) {
  Deno.test({
    name,
    ...net,
    fn: () =>
      withDeadline(ms, async () => {
        const s = await setup({ timeoutMs });
        try {
          await body(s);
        } finally {
          await teardown(s);
        }
      }),
  });
}

socketTest("request() resolves with the reply to its own command", 5_000, async ({ tor, conn }) => {
  const pending = conn.request("GETINFO version");
  assert.equal(await tor.readLine(), "GETINFO version");
  await tor.write("250-version=0.4.9.11\r\n250 OK\r\n");
  const reply = await pending;
  assert.equal(reply.lines[0]?.text, "version=0.4.9.11");
});

socketTest(
  "a long queue that tor keeps answering does not time out: a deadline starts at the queue's head",
  5_000,
  async ({ tor, conn, closes }) => {
    // 6 requests with 300 ms deadlines, answered one every 150 ms: the last is answered 900 ms
    // after it was sent, but 150 ms after the one before it.
    const sent = Array.from(
      { length: 6 },
      (_, i) => conn.request(`GETINFO n${i}`, { timeoutMs: 300 }),
    );
    for (let i = 0; i < 6; i++) {
      assert.equal(await tor.readLine(), `GETINFO n${i}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await tor.write(`250-n${i}=ok\r\n250 OK\r\n`);
    }
    const replies = await Promise.all(sent);
    assert.deepEqual(replies.map((r) => r.lines[0]?.text), [
      "n0=ok",
      "n1=ok",
      "n2=ok",
      "n3=ok",
      "n4=ok",
      "n5=ok",
    ]);
    assert.equal(closes.length, 0);
  },
);

socketTest(
  "request() fails with ControlTimeoutError when tor goes silent, then the connection is closed",
  5_000,
  async ({ tor, conn, closes, logText }) => {
    const started = performance.now();
    const pending = conn.request("GETINFO version", { timeoutMs: 200 });
    const other = conn.request("SIGNAL ACTIVE");
    assert.equal(await tor.readLine(), "GETINFO version");
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof ControlTimeoutError);
      assert.equal(error.timeoutMs, 200);
      assert.match(error.message, /did not answer "GETINFO" on fake within 200 ms/);
      return true;
    });
    assert.ok(performance.now() - started < 2_000);
    await assert.rejects(other, ControlSocketClosed);
    assert.ok(closes[0] instanceof ControlTimeoutError);
    await assert.rejects(conn.request("GETINFO version"), ControlSocketClosed);
    assert.match(logText(), /closing the connection, whose replies can no longer be matched/);
  },
);

socketTest(
  "request() fails with ControlSocketClosed when tor closes in the middle of a reply",
  5_000,
  async ({ tor, conn, logText }) => {
    const pending = conn.request("GETINFO md/all");
    await tor.readLine();
    await tor.write("250+md/all=\r\nonion-key\r\n");
    tor.close();
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof ControlSocketClosed);
      assert.match(error.message, /closed the control connection to fake in the middle of a reply/);
      return true;
    });
    assert.match(logText(), /Dropped \d+ bytes of an incomplete reply from fake/);
  },
);

socketTest(
  "an event cut off by the connection closing is logged, not silently dropped",
  5_000,
  async ({ tor, conn, events, logText }) => {
    await tor.write("650+HS_DESC_CONTENT a b c\r\nhs-descriptor 3\r\n");
    tor.close();
    await conn.done;
    assert.equal(events.length, 0);
    assert.match(logText(), /incomplete event from fake/);
  },
);

socketTest(
  "request() fails with ControlProtocolError when tor sends garbage",
  5_000,
  async ({ tor, conn }) => {
    const pending = conn.request("PROTOCOLINFO 1");
    const second = conn.request("GETINFO version");
    await tor.readLine();
    await tor.write("HTTP/1.0 501 Tor is not an HTTP Proxy\r\nContent-Type: text/html\r\n\r\n");
    for (const request of [pending, second]) {
      await assert.rejects(request, (error) => {
        assert.ok(error instanceof ControlProtocolError);
        assert.equal(error.kind, "MalformedLine");
        return true;
      });
    }
    assert.ok(await tor.readsEof());
  },
);

socketTest(
  "request() fails at once on a bare LF, without waiting for more bytes",
  5_000,
  async ({ tor, conn }) => {
    const pending = conn.request("GETINFO version", { timeoutMs: 60_000 });
    await tor.readLine();
    await tor.write("250 OK\n");
    await assert.rejects(
      pending,
      (error) => error instanceof ControlProtocolError && error.kind === "BareLineFeed",
    );
  },
);

socketTest(
  "a garbage line with no line break at all ends in LineTooLong, not a hang",
  5_000,
  async ({ tor, conn }) => {
    const pending = conn.request("GETINFO version", { timeoutMs: 60_000 });
    await tor.readLine();
    await tor.write("x".repeat(1024 * 1024 + 10)).catch(() => {});
    await assert.rejects(
      pending,
      (error) => error instanceof ControlProtocolError && error.kind === "LineTooLong",
    );
  },
);

socketTest(
  "a reply with no request pending is a protocol error",
  5_000,
  async ({ tor, conn, closes }) => {
    await tor.write("250 OK\r\n");
    await conn.done;
    assert.ok(closes[0] instanceof ControlProtocolError);
    assert.equal((closes[0] as ControlProtocolError).kind, "UnexpectedReply");
  },
);

socketTest(
  "650 events interleaved with replies go to the handler and replies keep their order",
  5_000,
  async ({ tor, conn, events }) => {
    const first = conn.request("SETEVENTS HS_DESC HS_DESC_CONTENT");
    const second = conn.request("HSFETCH 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid");
    const third = conn.request("GETINFO version");
    for (let i = 0; i < 3; i++) await tor.readLine();
    await tor.writeBytewise(
      "650 STATUS_CLIENT NOTICE CONSENSUS_ARRIVED\r\n" +
        "250 OK\r\n" +
        "650 HS_DESC REQUESTED 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid NO_AUTH $0123456789ABCDEF0123456789ABCDEF01234567~a OlC/IQ6PnulVrgAU96aRf7ZevwmKhjBau1CNGnKRttU\r\n" +
        "250 OK\r\n" +
        "650+HS_DESC_CONTENT 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid x $0123456789ABCDEF0123456789ABCDEF01234567~a\r\n..dot\r\n.\r\n650 OK\r\n" +
        "250-version=0.4.9.11\r\n250 OK\r\n",
    );
    assert.equal((await first).lines[0]?.text, "OK");
    assert.equal((await second).lines[0]?.text, "OK");
    assert.equal((await third).lines[0]?.text, "version=0.4.9.11");
    assert.deepEqual(events.map((e) => e.lines[0]?.text.split(" ")[0]), [
      "STATUS_CLIENT",
      "HS_DESC",
      "HS_DESC_CONTENT",
    ]);
    assert.equal(events[2]?.lines[0]?.data, ".dot\n");
  },
);

socketTest(
  "request() rejects with ControlOperationFailed carrying tor's code",
  5_000,
  async ({ tor, conn }) => {
    const pending = conn.request("GETINFO nonexistent/key");
    await tor.readLine();
    await tor.write('552 Unrecognized key "nonexistent/key"\r\n');
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof ControlOperationFailed);
      assert.equal(error.code, 552);
      assert.equal(error.replyText, 'Unrecognized key "nonexistent/key"');
      assert.equal(error.message, 'Tor refused "GETINFO": 552 Unrecognized key "nonexistent/key"');
      return true;
    });
  },
);

socketTest(
  "an aborted request gets the abort reason and its late reply is dropped",
  5_000,
  async ({ tor, conn }) => {
    const controller = new AbortController();
    const aborted = conn.request("GETINFO md/all", { signal: controller.signal });
    const next = conn.request("GETINFO version");
    await tor.readLine();
    await tor.readLine();
    controller.abort(new Error("caller gave up"));
    await assert.rejects(aborted, /caller gave up/);
    await tor.write("250-md/all=\r\n250 OK\r\n250-version=0.4.9.11\r\n250 OK\r\n");
    assert.equal((await next).lines[0]?.text, "version=0.4.9.11");
  },
);

socketTest(
  "close() rejects every pending request with ControlSocketClosed",
  5_000,
  async ({ tor, conn }) => {
    const a = conn.request("GETINFO version");
    const b = conn.request("SIGNAL ACTIVE");
    await tor.readLine();
    const rejected = Promise.all([
      assert.rejects(a, ControlSocketClosed),
      assert.rejects(b, ControlSocketClosed),
    ]);
    await conn.close();
    await rejected;
    await conn.close(); // Idempotent.
  },
);

socketTest(
  "request() writes the data block of a + command dot-stuffed",
  5_000,
  async ({ tor, conn }) => {
    const pending = conn.request("+HSPOST HSADDRESS=x", { data: "hs-descriptor 3\n.dot\n" });
    assert.equal(await tor.readLine(), "+HSPOST HSADDRESS=x");
    assert.equal(await tor.readDataBlock(), "hs-descriptor 3\r\n..dot\r\n");
    await tor.write("250 OK\r\n");
    await pending;
  },
);

socketTest(
  "an event handler that throws is logged and the loop goes on",
  5_000,
  async ({ server }) => {
    const accepted = server.accept();
    const socket = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const tor = await accepted;
    const { log, text } = captureLog();
    const conn = new ControlConnection(socket, {
      log,
      onEvent: () => {
        throw new Error("handler bug");
      },
    });
    try {
      const pending = conn.request("GETINFO version");
      await tor.readLine();
      await tor.write("650 STATUS_CLIENT NOTICE CONSENSUS_ARRIVED\r\n250-version=1\r\n250 OK\r\n");
      await pending;
      assert.match(text(), /An event handler failed: handler bug/);
    } finally {
      await conn.close();
    }
  },
);
