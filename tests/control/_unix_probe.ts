/**
 * Connects to tor over a Unix socket and prints one JSON line with the outcome.
 *
 * Run by `tor_test.ts` as a child `deno run` process, because Deno 2.9 needs
 * `--allow-net=unix:<exact path>` for a Unix socket and the test task only grants loopback
 * addresses. The child gets exactly the grants the compiled balancer would need:
 *
 *   deno run --allow-net=unix:<socket> --allow-read=<socket>,<cookie or password file>
 *            --allow-write=<socket> [--allow-env=<VAR>] _unix_probe.ts '<json>'
 *
 * JSON input: `{ path, method?, passwordFile?, passwordEnv? }`.
 * Output: `{ ok: true, version, methodUsed }` or `{ ok: false, name, kind?, message }`.
 *
 * @module
 */

import { type AuthMethod, connectControl, getVersion } from "../../src/control/mod.ts";
import { Logger } from "../../src/log/mod.ts";

interface ProbeInput {
  path: string;
  method?: AuthMethod;
  passwordFile?: string;
  passwordEnv?: string;
}

function print(value: unknown): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(value)}\n`));
}

const input = JSON.parse(Deno.args[0] ?? "{}") as ProbeInput;
const debug: string[] = [];
const log = new Logger({ level: "debug", sink: (_line, record) => debug.push(record.message) });
const password = input.passwordFile
  ? { passwordFile: input.passwordFile }
  : input.passwordEnv
  ? { passwordEnv: input.passwordEnv }
  : undefined;
try {
  const client = await connectControl({
    endpoint: { transport: "unix", path: input.path },
    log,
    auth: { method: input.method, password },
    reconnect: false,
    connectTimeoutMs: 5_000,
  });
  const version = await getVersion(client);
  await client.close();
  const methodUsed = /with ([A-Z]+)$/.exec(debug.find((m) => m.startsWith("Authenticated")) ?? "")
    ?.[1];
  print({ ok: true, version, methodUsed });
} catch (error) {
  const e = error as Error & { kind?: string };
  print({ ok: false, name: e.name, kind: e.kind, message: e.message });
}
