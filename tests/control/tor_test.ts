/**
 * The control client against a real tor 0.4.9 started by this file (loopback only,
 * `DisableNetwork 1`): the four authentication methods over TCP and over a Unix socket, the
 * typed commands, tor killed during a request, and tor restarted.
 *
 * Unix-socket cases run in a child `deno run` (see `_unix_probe.ts`) because Deno 2.9 needs
 * `--allow-net=unix:<exact path>`, which the test task cannot grant for a temp path.
 */
import assert from "node:assert/strict";
import {
  type AuthMethod,
  type AuthOptions,
  connectControl,
  ControlAuthError,
  type ControlClient,
  ControlOperationFailed,
  ControlSocketClosed,
  ControlTimeoutError,
  getAllMicrodescs,
  getBootstrapPhase,
  getInfo,
  getMicrodescConsensus,
  getSocksListeners,
  getVersion,
  hsFetch,
  hsPost,
  type Reply,
  signal,
} from "../../src/control/mod.ts";
import { captureLog, withDeadline } from "./_helpers.ts";
import { freePort, TorProcess } from "./_tor_process.ts";

const PASSWORD_ENV = "OB_TEST_CONTROL_PASSWORD";
const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";
const PROBE = new URL("./_unix_probe.ts", import.meta.url).pathname;
const permissions = {
  run: ["tor", "deno"],
  read: ["/tmp"],
  write: ["/tmp"],
  net: ["127.0.0.1"],
  env: [PASSWORD_ENV],
};
const decoder = new TextDecoder();

async function connectTcp(tor: TorProcess, auth: Omit<AuthOptions, "signal"> = {}) {
  const { log, text } = captureLog();
  const client = await connectControl({
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port: tor.port },
    log,
    auth,
    reconnect: false,
    connectTimeoutMs: 5_000,
  });
  return { client, logText: text };
}

/** The method the handshake used, from its debug line. */
function methodUsed(logText: string): string | undefined {
  return /Authenticated to tor 0\.4\.\S+ on \S+ with ([A-Z]+)/.exec(logText)?.[1];
}

interface ProbeResult {
  ok: boolean;
  version?: string;
  methodUsed?: string;
  name?: string;
  kind?: string;
  message?: string;
}

/** Runs `_unix_probe.ts` in a child deno with only the grants a Unix socket needs. */
async function probeUnix(
  input: { path: string; method?: AuthMethod; passwordFile?: string; passwordEnv?: string },
  extra: { readable?: string[]; env?: Record<string, string> } = {},
): Promise<ProbeResult> {
  const args = [
    "run",
    "--quiet",
    "--cached-only",
    "--frozen",
    "--no-prompt",
    `--allow-net=unix:${input.path}`,
    `--allow-read=${[input.path, ...(extra.readable ?? [])].join(",")}`,
    `--allow-write=${input.path}`,
    ...(input.passwordEnv ? [`--allow-env=${input.passwordEnv}`] : []),
    PROBE,
    JSON.stringify(input),
  ];
  const output = await new Deno.Command("deno", {
    args,
    stdout: "piped",
    stderr: "piped",
    env: extra.env ?? {},
    signal: AbortSignal.timeout(20_000),
  }).output();
  const stdout = decoder.decode(output.stdout).trim();
  assert.ok(
    stdout.startsWith("{"),
    `probe printed nothing; stderr: ${decoder.decode(output.stderr)}`,
  );
  return JSON.parse(stdout) as ProbeResult;
}

Deno.test({
  name:
    "the client authenticates to a real tor 0.4.9 with NULL, HASHEDPASSWORD, COOKIE and SAFECOOKIE",
  permissions,
  fn: async (t) => {
    const [protectedTor, openTor] = await withDeadline(
      15_000,
      () =>
        Promise.all([
          TorProcess.start({ auth: "cookie+password" }),
          TorProcess.start({ auth: "none" }),
        ]),
    );
    const step = (name: string, body: () => Promise<void>) =>
      t.step(name, () => withDeadline(20_000, body));
    try {
      await step("NULL over TCP", async () => {
        const { client, logText } = await connectTcp(openTor);
        assert.equal(await getVersion(client), "0.4.9.11");
        assert.equal(methodUsed(logText()), "NULL");
        await client.close();
      });
      await step("HASHEDPASSWORD from a file over TCP", async () => {
        const { client, logText } = await connectTcp(protectedTor, {
          password: { passwordFile: protectedTor.passwordFile },
        });
        assert.equal(await getVersion(client), "0.4.9.11");
        assert.equal(methodUsed(logText()), "HASHEDPASSWORD");
        await client.close();
      });
      await step("HASHEDPASSWORD from an environment variable over TCP", async () => {
        Deno.env.set(PASSWORD_ENV, protectedTor.password);
        try {
          const { client, logText } = await connectTcp(protectedTor, {
            password: { passwordEnv: PASSWORD_ENV },
          });
          assert.equal(methodUsed(logText()), "HASHEDPASSWORD");
          await client.close();
        } finally {
          Deno.env.delete(PASSWORD_ENV);
        }
      });
      await step("COOKIE over TCP", async () => {
        const { client, logText } = await connectTcp(protectedTor, { method: "COOKIE" });
        assert.equal(await getVersion(client), "0.4.9.11");
        assert.equal(methodUsed(logText()), "COOKIE");
        await client.close();
      });
      await step("SAFECOOKIE over TCP (chosen by default, server hash verified)", async () => {
        const { client, logText } = await connectTcp(protectedTor);
        assert.equal(await getVersion(client), "0.4.9.11");
        assert.equal(methodUsed(logText()), "SAFECOOKIE");
        await client.close();
      });
      await step("NULL over a Unix socket", async () => {
        const result = await probeUnix({ path: openTor.socketPath });
        assert.deepEqual(result, { ok: true, version: "0.4.9.11", methodUsed: "NULL" });
      });
      await step("HASHEDPASSWORD from a file over a Unix socket", async () => {
        const result = await probeUnix(
          { path: protectedTor.socketPath, passwordFile: protectedTor.passwordFile },
          { readable: [protectedTor.passwordFile] },
        );
        assert.deepEqual(result, { ok: true, version: "0.4.9.11", methodUsed: "HASHEDPASSWORD" });
      });
      await step("HASHEDPASSWORD from an environment variable over a Unix socket", async () => {
        const result = await probeUnix(
          { path: protectedTor.socketPath, passwordEnv: PASSWORD_ENV },
          { env: { [PASSWORD_ENV]: protectedTor.password } },
        );
        assert.deepEqual(result, { ok: true, version: "0.4.9.11", methodUsed: "HASHEDPASSWORD" });
      });
      await step("COOKIE over a Unix socket", async () => {
        const result = await probeUnix(
          { path: protectedTor.socketPath, method: "COOKIE" },
          { readable: [protectedTor.cookieFile] },
        );
        assert.deepEqual(result, { ok: true, version: "0.4.9.11", methodUsed: "COOKIE" });
      });
      await step("SAFECOOKIE over a Unix socket", async () => {
        const result = await probeUnix(
          { path: protectedTor.socketPath },
          { readable: [protectedTor.cookieFile] },
        );
        assert.deepEqual(result, { ok: true, version: "0.4.9.11", methodUsed: "SAFECOOKIE" });
      });
      await step("a missing socket file is a ControlConnectError naming the path", async () => {
        const path = `${protectedTor.dir}/no-such-socket`;
        const result = await probeUnix({ path });
        assert.equal(result.name, "ControlConnectError");
        assert.equal(
          result.message,
          `Cannot connect to the tor control socket "unix:${path}": no such socket file (is tor running with this ControlSocket?)`,
        );
      });
      await step(
        "an unreadable cookie over a Unix socket is a clear ControlAuthError",
        async () => {
          const result = await probeUnix({ path: protectedTor.socketPath, method: "COOKIE" });
          assert.equal(result.kind, "CookieUnreadable");
          assert.match(
            result.message ?? "",
            /^Cannot read tor's auth cookie ".*control_auth_cookie": Deno was not given --allow-read/,
          );
        },
      );
      await step("a wrong password is rejected with ControlAuthError", async () => {
        const wrong = `${protectedTor.dir}/wrong-password`;
        await Deno.writeTextFile(wrong, "not the password\n", { mode: 0o600 });
        await assert.rejects(
          connectTcp(protectedTor, { password: { passwordFile: wrong } }),
          (error) => {
            assert.ok(error instanceof ControlAuthError);
            assert.equal(error.kind, "Rejected");
            assert.match(
              error.message,
              /^Tor rejected HASHEDPASSWORD authentication \(wrong password\?\): 515 /,
            );
            return true;
          },
        );
      });
      await step(
        "a missing cookie file and a cookie of the wrong size are clear errors",
        async () => {
          await assert.rejects(
            connectTcp(protectedTor, { cookieFile: `${protectedTor.dir}/missing-cookie` }),
            (error) =>
              error instanceof ControlAuthError && error.kind === "CookieUnreadable" &&
              /missing-cookie": no such file/.test(error.message),
          );
          const short = `${protectedTor.dir}/short-cookie`;
          await Deno.writeFile(short, new Uint8Array(16));
          await assert.rejects(
            connectTcp(protectedTor, { method: "COOKIE", cookieFile: short }),
            (error) => error instanceof ControlAuthError && error.kind === "CookieWrongSize",
          );
        },
      );
      await step("a cookie from another tor fails SAFECOOKIE's server-hash check", async () => {
        const other = `${protectedTor.dir}/other-cookie`;
        await Deno.writeFile(other, crypto.getRandomValues(new Uint8Array(32)));
        await assert.rejects(
          connectTcp(protectedTor, { cookieFile: other }),
          (error) => error instanceof ControlAuthError && error.kind === "ServerHashMismatch",
        );
      });
      await step("forcing HASHEDPASSWORD without a password source asks for one", async () => {
        await assert.rejects(
          connectTcp(protectedTor, { method: "HASHEDPASSWORD" }),
          (error) => error instanceof ControlAuthError && error.kind === "PasswordRequired",
        );
      });
      await step("the typed commands work against tor", () => typedCommands(protectedTor));
    } finally {
      await Promise.all([protectedTor.stop(), openTor.stop()]);
    }
  },
});

async function typedCommands(tor: TorProcess): Promise<void> {
  const { client } = await connectTcp(tor);
  try {
    const values = await getInfo(client, ["version", "status/bootstrap-phase", "config-text"]);
    assert.equal(values.get("version"), "0.4.9.11");
    assert.match(values.get("config-text")!, /^ControlPort 127\.0\.0\.1:auto\n/m);
    const phase = await getBootstrapPhase(client);
    assert.equal(phase.tag, "starting");
    assert.deepEqual(await getSocksListeners(client), []);
    assert.equal(await getAllMicrodescs(client), "");
    await assert.rejects(
      getMicrodescConsensus(client),
      (e) => e instanceof ControlOperationFailed && e.code === 551,
    );
    await assert.rejects(
      getInfo(client, ["version", "nonexistent/key"]),
      (e) => e instanceof ControlOperationFailed && e.code === 552,
    );
    await assert.rejects(
      client.subscribe(["BOGUS_EVENT"], () => {}),
      (e) => e instanceof ControlOperationFailed && e.code === 552,
    );
    await signal(client, "ACTIVE");
    await assert.rejects(
      hsFetch(client, ADDRESS, { servers: ["0".repeat(40)] }),
      (e) => e instanceof ControlOperationFailed && e.code === 552,
    );
    // No consensus under DisableNetwork: tor says 250 OK and never sends an event.
    await assert.rejects(hsFetch(client, ADDRESS, { timeoutMs: 300 }), ControlTimeoutError);
    await assert.rejects(
      hsPost(client, "hs-descriptor 3\n", { address: ADDRESS, hsDir: "A".repeat(40) }),
      (e) => e instanceof ControlOperationFailed && e.code === 552,
    );
    // Our dot-stuffed data block reaches tor's descriptor parser, which rejects this one.
    await assert.rejects(
      client.request(`+HSPOST HSADDRESS=${ADDRESS}`, { data: "hs-descriptor 3\n.dot line\n" }),
      (e) => e instanceof ControlOperationFailed && e.code === 554,
    );
  } finally {
    await client.close();
  }
}

/** Resolves at the next state change equal to `state`. */
function nextState(client: ControlClient, state: string): Promise<void> {
  return new Promise((resolve) => {
    const off = client.onStateChange((change) => {
      if (change.state !== state) return;
      off();
      resolve();
    });
  });
}

/** Sends SETCONF and waits for the CONF_CHANGED event it causes. */
async function confChanged(client: ControlClient, events: Reply[], value: number): Promise<void> {
  const before = events.length;
  await client.request(`SETCONF MaxCircuitDirtiness=${value}`);
  const deadline = performance.now() + 5_000;
  while (events.length === before && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(events.at(-1)?.lines.map((l) => l.text), [
    "CONF_CHANGED",
    `MaxCircuitDirtiness=${value}`,
    "OK",
  ]);
}

Deno.test({
  name: "the client survives tor being killed and restarted: typed error, reconnect, events again",
  permissions,
  fn: async (t) => {
    const tor = await withDeadline(
      15_000,
      () => TorProcess.start({ auth: "cookie+password", controlPort: freePort() }),
    );
    const { log, text } = captureLog();
    const events: Reply[] = [];
    let client: ControlClient | undefined;
    try {
      await t.step("connect and receive events", () =>
        withDeadline(10_000, async () => {
          client = await connectControl({
            endpoint: { transport: "tcp", hostname: "127.0.0.1", port: tor.port },
            log,
            reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
            connectTimeoutMs: 5_000,
          });
          await client.subscribe(["CONF_CHANGED"], (event) => events.push(event));
          await confChanged(client, events, 700);
        }));
      await t.step(
        "tor killed during a request → ControlSocketClosed",
        () =>
          withDeadline(10_000, async () => {
            // Without HSADDRESS, tor 0.4.9 never answers an HSPOST (`handle_control_hspost`).
            const unanswered = client!.request("+HSPOST", {
              data: "hs-descriptor 3\n",
              timeoutMs: 60_000,
            });
            const disconnected = nextState(client!, "disconnected");
            const rejected = assert.rejects(unanswered, (error) => {
              assert.ok(error instanceof ControlSocketClosed);
              assert.match(
                error.message,
                /^(Tor closed|Lost) the control connection to 127\.0\.0\.1:\d+/,
              );
              return true;
            });
            await new Promise((resolve) => setTimeout(resolve, 50)); // Let tor read the HSPOST.
            await tor.kill();
            await rejected;
            await disconnected;
            await assert.rejects(client!.request("GETINFO version"), ControlSocketClosed);
          }),
      );
      await t.step(
        "tor restarted → the client re-authenticates, re-subscribes and gets events",
        () =>
          withDeadline(15_000, async () => {
            const reconnected = nextState(client!, "connected");
            await tor.restart(); // New process, new cookie, same port.
            await reconnected;
            assert.equal(await getVersion(client!), "0.4.9.11");
            await confChanged(client!, events, 800);
            const logged = text();
            assert.match(
              logged,
              /\[warning\] Lost the control connection .*events "CONF_CHANGED" sent until it is back are missed/,
            );
            assert.match(
              logged,
              /\[info\] Reconnected to tor on 127\.0\.0\.1:\d+ after \d+ attempt\(s\); re-subscribed to "CONF_CHANGED"/,
            );
          }),
      );
    } finally {
      await client?.close();
      await tor.stop();
    }
  },
});
