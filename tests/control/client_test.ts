/**
 * ControlClient and connectControl() against a fake control server: handshake, subscriptions,
 * connection state, and reconnection with backoff (injected rng and sleeper, so no test waits on
 * the real clock for a backoff delay).
 */
import assert from "node:assert/strict";
import {
  connectControl,
  type ConnectControlOptions,
  ControlClient,
  type ControlClientOptions,
  ControlConnectError,
  ControlOperationFailed,
  ControlProtocolError,
  ControlSocketClosed,
  ControlTimeoutError,
  ControlVersionError,
  type Reply,
  type StateChange,
  torHandshake,
} from "../../src/control/mod.ts";
import type { Logger } from "../../src/log/mod.ts";
import {
  acceptNullAuth,
  captureLog,
  type FakeConnection,
  FakeTorServer,
  protocolInfoReply,
  withDeadline,
} from "./_helpers.ts";

const net = { permissions: { net: ["127.0.0.1"] } };

/** A sleeper that records each delay and returns at once (or waits until aborted if `hold`). */
function fakeSleeper(options: { hold?: boolean } = {}) {
  const delays: number[] = [];
  const sleep = (ms: number, signal: AbortSignal) => {
    delays.push(ms);
    if (!options.hold) return Promise.resolve();
    return new Promise<void>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  };
  return { delays, sleep };
}

/** Resolves at the next state change equal to `state`. */
function nextState(client: ControlClient, state: StateChange["state"]): Promise<StateChange> {
  return new Promise((resolve) => {
    const off = client.onStateChange((change) => {
      if (change.state !== state) return;
      off();
      resolve(change);
    });
  });
}

async function connectFake(
  server: FakeTorServer,
  options: Partial<ConnectControlOptions> & { log: Logger },
): Promise<{ client: ControlClient; tor: FakeConnection }> {
  const torSide = server.accept().then(async (tor) => {
    await acceptNullAuth(tor);
    return tor;
  });
  const client = await connectControl({
    endpoint: server.endpoint,
    connectTimeoutMs: 5_000,
    ...options,
  });
  return { client, tor: await torSide };
}

Deno.test({
  name: "connectControl() authenticates with NULL and then sends requests",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      const torSide = server.accept();
      const connecting = connectControl({ endpoint: server.endpoint, log });
      const tor = await torSide;
      assert.equal(await acceptNullAuth(tor), "AUTHENTICATE");
      const client = await connecting;
      try {
        assert.equal(client.state, "connected");
        assert.equal(client.name, `127.0.0.1:${server.port}`);
        const reply = client.request("GETINFO version");
        assert.equal(await tor.readLine(), "GETINFO version");
        await tor.write("250-version=0.4.9.11\r\n250 OK\r\n");
        assert.equal((await reply).lines[0]?.text, "version=0.4.9.11");
      } finally {
        await client.close();
        server.close();
      }
      assert.equal(client.state, "closed");
    }),
});

Deno.test({
  name: "the client reconnects with backoff, re-authenticates and re-subscribes after tor drops it",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log, text } = captureLog();
      const sleeper = fakeSleeper();
      const { client, tor } = await connectFake(server, {
        log,
        reconnect: { initialDelayMs: 100, rng: () => 0.5, sleep: sleeper.sleep },
        now: () => Date.UTC(2030, 0, 1),
      });
      const events: Reply[] = [];
      const states: string[] = [];
      client.onStateChange(({ state }) => states.push(state));
      try {
        const subscribing = client.subscribe(["STATUS_CLIENT", "CONF_CHANGED"], (e) =>
          events.push(e));
        assert.equal(await tor.readLine(), "SETEVENTS CONF_CHANGED STATUS_CLIENT");
        await tor.write("250 OK\r\n");
        await subscribing;

        const pending = client.request("GETINFO version");
        await tor.readLine();
        const reconnected = nextState(client, "connected");
        const torAgain = server.accept();
        tor.close(); // tor restarts
        await assert.rejects(pending, ControlSocketClosed);

        const second = await torAgain;
        assert.equal(await acceptNullAuth(second), "AUTHENTICATE");
        assert.equal(await second.readLine(), "SETEVENTS CONF_CHANGED STATUS_CLIENT");
        await second.write("250 OK\r\n");
        await reconnected;
        assert.deepEqual(states, ["disconnected", "connected"]);
        assert.deepEqual(sleeper.delays, [75]);

        await second.write("650 STATUS_CLIENT NOTICE CONSENSUS_ARRIVED\r\n");
        const asked = client.request("SIGNAL ACTIVE");
        assert.equal(await second.readLine(), "SIGNAL ACTIVE");
        await second.write("250 OK\r\n");
        await asked;
        assert.deepEqual(
          events.map((e) =>
            e.lines[0]?.text
          ),
          ["STATUS_CLIENT NOTICE CONSENSUS_ARRIVED"],
        );
        const logged = text();
        assert.match(
          logged,
          /\[warning\] Lost the control connection to tor on 127\.0\.0\.1:\d+: Tor closed the control connection to 127\.0\.0\.1:\d+; events "CONF_CHANGED", "STATUS_CLIENT" sent until it is back are missed/,
        );
        assert.match(
          logged,
          /\[info\] Reconnected to tor on 127\.0\.0\.1:\d+ after 1 attempt\(s\); re-subscribed to "CONF_CHANGED", "STATUS_CLIENT"; events between 2030-01-01T00:00:00\.000Z and 2030-01-01T00:00:00\.000Z were missed/,
        );
      } finally {
        await client.close();
        server.close();
      }
    }),
});

/** A ControlClient whose opener fails `failures` times, then connects to `server`. */
async function flakyClient(
  server: FakeTorServer,
  failures: number,
  extra: Partial<ControlClientOptions> & { log: Logger },
): Promise<{ client: ControlClient; tor: FakeConnection; opens: () => number }> {
  let opens = 0;
  let failing = false;
  const torSide = server.accept().then(async (tor) => (await acceptNullAuth(tor), tor));
  const client = await ControlClient.connect({
    name: "flaky",
    open: (signal) => {
      opens++;
      if (failing && failures-- > 0) {
        return Promise.reject(new ControlConnectError("Cannot connect: connection refused"));
      }
      return Deno.connect({ hostname: "127.0.0.1", port: server.port, signal });
    },
    handshake: torHandshake({ name: "flaky", log: extra.log }),
    ...extra,
  });
  failing = true;
  return { client, tor: await torSide, opens: () => opens };
}

Deno.test({
  name: "the client keeps retrying with capped exponential backoff while tor is down",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log, text } = captureLog();
      const sleeper = fakeSleeper();
      const { client, tor } = await flakyClient(server, 4, {
        log,
        reconnect: { initialDelayMs: 100, maxDelayMs: 300, rng: () => 0, sleep: sleeper.sleep },
      });
      try {
        const reconnected = nextState(client, "connected");
        const torAgain = server.accept();
        tor.close();
        await acceptNullAuth(await torAgain);
        await reconnected;
        assert.deepEqual(sleeper.delays, [50, 100, 150, 150, 150]);
        assert.equal(
          text().match(/Reconnect attempt \d to tor on flaky failed: Cannot connect/g)?.length,
          4,
        );
        assert.match(text(), /Reconnected to tor on flaky after 5 attempt\(s\)$/m);
      } finally {
        await client.close();
        server.close();
      }
    }),
});

Deno.test({
  name: "the client gives up after maxAttempts and reports the closed state with the error",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log, text } = captureLog();
      const sleeper = fakeSleeper();
      const { client, tor, opens } = await flakyClient(server, 100, {
        log,
        reconnect: { maxAttempts: 3, rng: () => 0, sleep: sleeper.sleep },
      });
      try {
        const closed = nextState(client, "closed");
        tor.close();
        const change = await closed;
        assert.ok(change.error instanceof ControlConnectError);
        assert.equal(opens(), 4);
        assert.match(text(), /\[error\] Gave up reconnecting to tor on flaky after 3 attempts/);
        await assert.rejects(client.request("GETINFO version"), ControlSocketClosed);
      } finally {
        await client.close();
        server.close();
      }
    }),
});

Deno.test({
  name: "requests fail at once while disconnected, and close() stops a pending reconnect",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      const sleeper = fakeSleeper({ hold: true });
      const { client, tor, opens } = await flakyClient(server, 0, {
        log,
        reconnect: { sleep: sleeper.sleep },
      });
      const disconnected = nextState(client, "disconnected");
      tor.close();
      await disconnected;
      await assert.rejects(client.request("GETINFO version"), (error) => {
        assert.ok(error instanceof ControlSocketClosed);
        assert.match(error.message, /not connected to tor on flaky \(disconnected\)/);
        return true;
      });
      assert.equal(sleeper.delays.length, 1);
      await client.close();
      assert.equal(client.state, "closed");
      assert.equal(opens(), 1);
      server.close();
    }),
});

Deno.test({
  name: "with reconnect off, a lost connection leaves the client closed",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      const { client, tor } = await connectFake(server, { log, reconnect: false });
      const closed = nextState(client, "closed");
      tor.close();
      assert.ok((await closed).error instanceof ControlSocketClosed);
      await client.close();
      server.close();
    }),
});

Deno.test({
  name: "subscribe() sends the union of event types and unsubscribe() narrows it",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log, text } = captureLog();
      const { client, tor } = await connectFake(server, { log });
      const answer = async (expected: string) => {
        assert.equal(await tor.readLine(), expected);
        await tor.write("250 OK\r\n");
      };
      try {
        const got: string[] = [];
        const a = client.subscribe(["HS_DESC"], (e) => got.push(`a:${e.lines[0]?.text}`));
        await answer("SETEVENTS HS_DESC");
        const subA = await a;
        const b = client.subscribe(["HS_DESC", "STATUS_CLIENT"], (e) =>
          got.push(`b:${e.lines[0]?.text}`));
        await answer("SETEVENTS HS_DESC STATUS_CLIENT");
        const subB = await b;
        const c = await client.subscribe(["HS_DESC"], () => {}); // Union unchanged: no command.
        await tor.write("650 HS_DESC CREATED x UNKNOWN UNKNOWN y\r\n650 CIRC 1 BUILT\r\n");
        const roundTrip = client.request("SIGNAL ACTIVE"); // Its reply comes after both events.
        await answer("SIGNAL ACTIVE");
        await roundTrip;
        const unsubscribingB = subB.unsubscribe();
        await answer("SETEVENTS HS_DESC");
        await unsubscribingB;
        await c.unsubscribe(); // subA still needs HS_DESC: no command.
        const unsubscribingA = subA.unsubscribe();
        await answer("SETEVENTS");
        await unsubscribingA;
        assert.deepEqual(got, [
          "a:HS_DESC CREATED x UNKNOWN UNKNOWN y",
          "b:HS_DESC CREATED x UNKNOWN UNKNOWN y",
        ]);
        assert.match(text(), /\[debug\] Ignored a "CIRC" event: no subscriber/);
      } finally {
        await client.close();
        server.close();
      }
    }),
});

Deno.test({
  name: "subscribe() to an event tor does not know rejects with 552 and subscribes nothing",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      const { client, tor } = await connectFake(server, { log });
      try {
        const bogus = client.subscribe(["BOGUS_EVENT"], () => {});
        await tor.readLine();
        await tor.write('552 Unrecognized event "BOGUS_EVENT"\r\n');
        await assert.rejects(bogus, (e) => e instanceof ControlOperationFailed && e.code === 552);
        const ok = client.subscribe(["HS_DESC"], () => {});
        assert.equal(await tor.readLine(), "SETEVENTS HS_DESC");
        await tor.write("250 OK\r\n");
        await ok;
        await assert.rejects(client.subscribe(["hs_desc"], () => {}), TypeError);
      } finally {
        await client.close();
        server.close();
      }
    }),
});

Deno.test({
  name: "connectControl() rejects a peer that is not a Tor control port",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      server.accept().then(async (peer) => {
        await peer.readLine();
        await peer.write(
          "HTTP/1.0 501 Tor is not an HTTP Proxy\r\nContent-Type: text/html\r\n\r\n",
        );
      });
      await assert.rejects(connectControl({ endpoint: server.endpoint, log }), (error) => {
        assert.ok(error instanceof ControlProtocolError);
        assert.equal(error.kind, "NotTorControlPort");
        assert.match(error.message, /^The endpoint "127\.0\.0\.1:\d+" is not a Tor control port/);
        return true;
      });
      server.close();
    }),
});

Deno.test({
  name: "connectControl() rejects a peer whose valid reply is not PROTOCOLINFO's",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      server.accept().then(async (peer) => {
        await peer.readLine();
        await peer.write("250 OK\r\n");
      });
      await assert.rejects(
        connectControl({ endpoint: server.endpoint, log }),
        (error) => error instanceof ControlProtocolError && error.kind === "NotTorControlPort",
      );
      server.close();
    }),
});

Deno.test({
  name: "connectControl() times out on a peer that never answers",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      const accepted = server.accept();
      const started = performance.now();
      await assert.rejects(
        connectControl({ endpoint: server.endpoint, log, connectTimeoutMs: 300 }),
        (error) => {
          assert.ok(error instanceof ControlTimeoutError, String(error));
          assert.match(error.message, /did not finish within 300 ms: stuck in the handshake/);
          return true;
        },
      );
      assert.ok(performance.now() - started < 2_000);
      await accepted;
      server.close();
    }),
});

Deno.test({
  name: "connectControl() rejects a tor older than the minimum version",
  ...net,
  fn: () =>
    withDeadline(5_000, async () => {
      const server = FakeTorServer.tcp();
      const { log } = captureLog();
      server.accept().then(async (peer) => {
        await peer.readLine();
        await peer.write(protocolInfoReply("NULL", { version: "0.4.2.7" }));
      });
      await assert.rejects(connectControl({ endpoint: server.endpoint, log }), ControlVersionError);
      server.close();
    }),
});

Deno.test({
  name: "connectControl() reports a refused port and a forbidden socket as ControlConnectError",
  permissions: { net: ["127.0.0.1"], read: ["/tmp"], write: ["/tmp"] },
  fn: () =>
    withDeadline(5_000, async () => {
      const { log } = captureLog();
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      await assert.rejects(
        connectControl({ endpoint: { transport: "tcp", hostname: "127.0.0.1", port }, log }),
        (error) => {
          assert.ok(error instanceof ControlConnectError);
          assert.match(
            error.message,
            /^Cannot connect to the tor control port "127\.0\.0\.1:\d+": connection refused/,
          );
          return true;
        },
      );
      await assert.rejects(
        connectControl({
          endpoint: { transport: "unix", path: "/tmp/ob-no-such-dir/control" },
          log,
        }),
        (error) => {
          // This test runs without --allow-net=unix:…; tor_test.ts covers a missing socket file.
          assert.ok(error instanceof ControlConnectError);
          assert.match(
            error.message,
            /^Cannot connect to the tor control socket "unix:\/tmp\/ob-no-such-dir\/control": Deno was not given --allow-net=unix:\/tmp\/ob-no-such-dir\/control/,
          );
          return true;
        },
      );
    }),
});
