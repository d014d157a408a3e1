/**
 * hsFetch(), hsPost(), subscribeEvents(), signal() and setEvents() against a fake control server
 * that plays tor's HS_DESC / HS_DESC_CONTENT sequences (control-spec §3.26 HSFETCH, §3.29 HSPOST,
 * §4.1.25 HS_DESC, §4.1.26 HS_DESC_CONTENT; tor `control_events.c`, `hs_control.c`).
 */
import assert from "node:assert/strict";
import {
  connectControl,
  type ControlClient,
  type ControlEvent,
  ControlOperationFailed,
  ControlSocketClosed,
  ControlTimeoutError,
  hsFetch,
  hsPost,
  setEvents,
  signal,
  subscribeEvents,
} from "../../src/control/mod.ts";
import {
  acceptNullAuth,
  captureLog,
  type FakeConnection,
  FakeTorServer,
  withDeadline,
} from "./_helpers.ts";

const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";
const BLINDED = "OlC/IQ6PnulVrgAU96aRf7ZevwmKhjBau1CNGnKRttU";
const FP1 = "0123456789ABCDEF0123456789ABCDEF01234567";
const FP2 = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";

interface Fixture {
  client: ControlClient;
  tor: FakeConnection;
  logText: () => string;
  log: ReturnType<typeof captureLog>["log"];
}

function fakeTest(name: string, body: (f: Fixture) => Promise<void>) {
  Deno.test({
    name,
    permissions: { net: ["127.0.0.1"] },
    fn: () =>
      withDeadline(5_000, async () => {
        const server = FakeTorServer.tcp();
        const { log, text } = captureLog();
        const torSide = server.accept().then(async (tor) => (await acceptNullAuth(tor), tor));
        const client = await connectControl({ endpoint: server.endpoint, log, reconnect: false });
        try {
          await body({ client, tor: await torSide, logText: text, log });
        } finally {
          await client.close();
          server.close();
        }
      }),
  });
}

/** Reads the next command and answers 250 OK. */
async function ok(tor: FakeConnection, expected: string): Promise<void> {
  assert.equal(await tor.readLine(), expected);
  await tor.write("250 OK\r\n");
}

function content(hsDir: string, body: string): string {
  return `650+HS_DESC_CONTENT ${ADDRESS} ${BLINDED} ${hsDir}\r\n${body}.\r\n650 OK\r\n`;
}

fakeTest(
  "hsFetch() subscribes first, then collects one outcome per SERVER",
  async ({ client, tor }) => {
    const fetching = hsFetch(client, `${ADDRESS}.onion`, { servers: [`$${FP1}~relayA`, FP2] });
    await ok(tor, "SETEVENTS HS_DESC HS_DESC_CONTENT");
    await ok(tor, `HSFETCH ${ADDRESS} SERVER=${FP1} SERVER=${FP2}`);
    await tor.write(
      `650 HS_DESC REQUESTED ${ADDRESS} NO_AUTH $${FP1}~relayA ${BLINDED} HSDIR_INDEX=00\r\n` +
        `650 HS_DESC REQUESTED ${ADDRESS} NO_AUTH $${FP2}~relayB ${BLINDED} HSDIR_INDEX=00\r\n` +
        `650 HS_DESC RECEIVED ${"a".repeat(56)} NO_AUTH $${FP1}~relayA ${BLINDED}\r\n` +
        content(`$${FP1}~relayA`, "other service\r\n").replace(ADDRESS, "a".repeat(56)) +
        `650 HS_DESC RECEIVED ${ADDRESS} NO_AUTH $${FP1}~relayA ${BLINDED}\r\n` +
        content(`$${FP1}~relayA`, "hs-descriptor 3\r\n..dotted\r\n") +
        `650 HS_DESC FAILED ${ADDRESS} NO_AUTH $${FP2}~relayB ${BLINDED} REASON=NOT_FOUND\r\n` +
        content(`$${FP2}~relayB`, "\r\n"),
    );
    const result = await fetching;
    assert.equal(result.address, ADDRESS);
    assert.deepEqual(result.outcomes, [
      { hsDir: FP1, ok: true, descriptor: "hs-descriptor 3\n.dotted\n", descriptorId: BLINDED },
      { hsDir: FP2, ok: false, reason: "NOT_FOUND" },
    ]);
    await ok(tor, "SETEVENTS"); // Unsubscribed afterwards.
  },
);

fakeTest("hsFetch() without SERVER follows the HSDir tor picked", async ({ client, tor }) => {
  const fetching = hsFetch(client, ADDRESS);
  await ok(tor, "SETEVENTS HS_DESC HS_DESC_CONTENT");
  await ok(tor, `HSFETCH ${ADDRESS}`);
  await tor.write(
    `650 HS_DESC REQUESTED ${ADDRESS} NO_AUTH $${FP2}~relayB ${BLINDED} HSDIR_INDEX=00\r\n` +
      `650 HS_DESC FAILED ${ADDRESS} NO_AUTH $${FP2}~relayB ${BLINDED} REASON=BAD_DESC\r\n` +
      content(`$${FP2}~relayB`, "\r\n"),
  );
  assert.deepEqual((await fetching).outcomes, [{ hsDir: FP2, ok: false, reason: "BAD_DESC" }]);
  await ok(tor, "SETEVENTS");
});

fakeTest(
  "hsFetch() fails with ControlTimeoutError when tor sends no event",
  async ({ client, tor }) => {
    const fetching = hsFetch(client, ADDRESS, { timeoutMs: 200 });
    await ok(tor, "SETEVENTS HS_DESC HS_DESC_CONTENT");
    await ok(tor, `HSFETCH ${ADDRESS}`);
    await assert.rejects(fetching, (error) => {
      assert.ok(error instanceof ControlTimeoutError);
      assert.match(error.message, /No HSDir answered for .* within 200 ms/);
      return true;
    });
    await ok(tor, "SETEVENTS");
  },
);

fakeTest(
  "hsFetch() returns partial outcomes at the deadline, marking the rest TIMEOUT",
  async ({ client, tor }) => {
    const fetching = hsFetch(client, ADDRESS, { servers: [FP1, FP2], timeoutMs: 300 });
    await ok(tor, "SETEVENTS HS_DESC HS_DESC_CONTENT");
    await ok(tor, `HSFETCH ${ADDRESS} SERVER=${FP1} SERVER=${FP2}`);
    await tor.write(
      `650 HS_DESC FAILED ${ADDRESS} NO_AUTH $${FP1}~a ${BLINDED} REASON=QUERY_REJECTED\r\n`,
    );
    assert.deepEqual((await fetching).outcomes, [
      { hsDir: FP1, ok: false, reason: "QUERY_REJECTED" },
      { hsDir: FP2, ok: false, reason: "TIMEOUT" },
    ]);
    await ok(tor, "SETEVENTS");
  },
);

fakeTest(
  "hsFetch() fails with ControlSocketClosed when tor dies while it waits",
  async ({ client, tor }) => {
    const fetching = hsFetch(client, ADDRESS, { timeoutMs: 60_000 });
    await ok(tor, "SETEVENTS HS_DESC HS_DESC_CONTENT");
    await ok(tor, `HSFETCH ${ADDRESS}`);
    tor.close();
    await assert.rejects(fetching, ControlSocketClosed);
  },
);

fakeTest(
  "hsFetch() surfaces tor's 552 for an unknown SERVER and unsubscribes",
  async ({ client, tor }) => {
    const fetching = hsFetch(client, ADDRESS, { servers: ["0".repeat(40)] });
    await ok(tor, "SETEVENTS HS_DESC HS_DESC_CONTENT");
    assert.equal(await tor.readLine(), `HSFETCH ${ADDRESS} SERVER=${"0".repeat(40)}`);
    await tor.write(`552 Server "${"0".repeat(40)}" not found\r\n`);
    await assert.rejects(fetching, (e) => e instanceof ControlOperationFailed && e.code === 552);
    await ok(tor, "SETEVENTS");
  },
);

fakeTest(
  "hsFetch() and hsPost() reject a malformed address or HSDir without sending",
  async ({ client, tor }) => {
    await assert.rejects(hsFetch(client, "example.onion"), RangeError);
    await assert.rejects(hsFetch(client, ADDRESS, { servers: ["$nothex"] }), RangeError);
    await assert.rejects(
      hsPost(client, "x", { address: `${ADDRESS} SERVER=x`, hsDir: FP1 }),
      RangeError,
    );
    await assert.rejects(
      hsPost(client, "x", { address: ADDRESS, hsDir: `${FP1}\r\nSIGNAL HALT` }),
      RangeError,
    );
    const probe = client.request("SIGNAL ACTIVE");
    await ok(tor, "SIGNAL ACTIVE"); // Nothing else was sent before it.
    await probe;
  },
);

fakeTest(
  "hsPost() sends one HSDir with HSADDRESS and a dot-stuffed body",
  async ({ client, tor }) => {
    const posting = hsPost(client, "hs-descriptor 3\n.starts with a dot\nsignature x\n", {
      address: `${ADDRESS}.onion`,
      hsDir: `$${FP1}~relayA`,
    });
    assert.equal(await tor.readLine(), `+HSPOST SERVER=${FP1} HSADDRESS=${ADDRESS}`);
    assert.equal(
      await tor.readDataBlock(),
      "hs-descriptor 3\r\n..starts with a dot\r\nsignature x\r\n",
    );
    await tor.write("250 OK\r\n");
    assert.deepEqual(await posting, { hsDir: FP1, status: "accepted" });
  },
);

fakeTest(
  "hsPost() with awaitUpload reports UPLOADED and FAILED per HSDir",
  async ({ client, tor }) => {
    const first = hsPost(client, "d1\n", { address: ADDRESS, hsDir: FP1, awaitUpload: true });
    await ok(tor, "SETEVENTS HS_DESC");
    assert.equal(await tor.readLine(), `+HSPOST SERVER=${FP1} HSADDRESS=${ADDRESS}`);
    await tor.readDataBlock();
    await tor.write("250 OK\r\n");
    await tor.write(
      `650 HS_DESC UPLOADED ${ADDRESS} UNKNOWN $${FP2}~other\r\n` +
        `650 HS_DESC UPLOADED ${ADDRESS} UNKNOWN $${FP1}~relayA\r\n`,
    );
    assert.deepEqual(await first, { hsDir: FP1, status: "uploaded" });
    await ok(tor, "SETEVENTS");

    const second = hsPost(client, "d2\n", { address: ADDRESS, hsDir: FP2, awaitUpload: true });
    await ok(tor, "SETEVENTS HS_DESC");
    await tor.readLine();
    await tor.readDataBlock();
    await tor.write("250 OK\r\n");
    await tor.write(
      `650 HS_DESC FAILED ${ADDRESS} NO_AUTH $${FP2}~b ${BLINDED} REASON=UPLOAD_REJECTED\r\n`,
    );
    assert.deepEqual(await second, { hsDir: FP2, status: "failed", reason: "UPLOAD_REJECTED" });
    await ok(tor, "SETEVENTS");
  },
);

fakeTest("hsPost() surfaces tor's 554 for an invalid descriptor", async ({ client, tor }) => {
  const posting = hsPost(client, "hs-descriptor 3\n", { address: ADDRESS, hsDir: FP1 });
  await tor.readLine();
  await tor.readDataBlock();
  await tor.write("554 Invalid descriptor\r\n");
  await assert.rejects(posting, (e) => e instanceof ControlOperationFailed && e.code === 554);
});

fakeTest(
  "subscribeEvents() types events and logs unknown values once",
  async ({ client, tor, log, logText }) => {
    const events: ControlEvent[] = [];
    const subscribing = subscribeEvents(client, ["HS_DESC", "STATUS_CLIENT"], {
      log,
      onEvent: (e) => events.push(e),
    });
    await ok(tor, "SETEVENTS HS_DESC STATUS_CLIENT");
    await subscribing;
    const odd = `650 HS_DESC FROBNICATED ${ADDRESS} NO_AUTH $${FP1}~a ${BLINDED} NEW=1\r\n`;
    await tor.write(
      `${odd}${odd}650 HS_DESC BROKEN\r\n650 STATUS_CLIENT NOTICE CONSENSUS_ARRIVED\r\n`,
    );
    const probe = client.request("SIGNAL ACTIVE");
    await ok(tor, "SIGNAL ACTIVE");
    await probe;
    assert.deepEqual(events.map((e) => e.type), ["HS_DESC", "HS_DESC", "STATUS_CLIENT"]);
    const logged = logText();
    assert.equal(logged.match(/unknown HS_DESC action "FROBNICATED"/g)?.length, 1);
    assert.equal(logged.match(/unknown HS_DESC keyword "NEW"/g)?.length, 1);
    assert.match(logged, /\[warning\] Ignored a malformed event: Cannot parse a "HS_DESC" event/);
  },
);

fakeTest(
  "signal() and setEvents() send their commands and check their arguments",
  async ({ client, tor }) => {
    const active = signal(client, "ACTIVE");
    await ok(tor, "SIGNAL ACTIVE");
    await active;
    const events = setEvents(client, ["HS_DESC", "STATUS_CLIENT"]);
    await ok(tor, "SETEVENTS HS_DESC STATUS_CLIENT");
    await events;
    // @ts-expect-error: not a TorSignal.
    await assert.rejects(signal(client, "ACTIVE\r\nHALT"), TypeError);
    await assert.rejects(setEvents(client, ["HS_DESC SIGNAL"]), TypeError);
  },
);
