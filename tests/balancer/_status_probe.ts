/**
 * Runs a {@link StatusServer} on a Unix socket and prints one JSON line with
 * what happened.
 *
 * Run as a child `deno run` process by `status_test.ts` and
 * `tests/cli/status_command_test.ts`, because Deno 2.9 needs
 * `--allow-net=unix:<exact path>` (plus read and write on that path) for a
 * Unix socket, and the test task cannot grant that for a temporary path:
 *
 *   deno run --allow-net=unix:<socket> --allow-read=<socket> --allow-write=<socket> \
 *     _status_probe.ts '<json>'
 *
 * JSON input: `{ mode, path, report }`, where `report` is the text the server
 * answers with, and `mode` is
 * - `"self"`: serve, connect 3 times one after another and 3 times at once,
 *   read each answer to the end, close; prints `{ ok, documents, calls,
 *   existedWhileOpen, removedOnClose }`;
 * - `"serve"`: serve, print `{ ready: true }`, keep serving until standard
 *   input ends, close; prints `{ ok, calls, removedOnClose }`;
 * - `"listen"`: only try to listen and close; prints `{ ok }` or
 *   `{ ok: false, name, message }`.
 *
 * @module
 */

import { StatusServer } from "../../src/balancer/mod.ts";

interface ProbeInput {
  mode: "self" | "serve" | "listen";
  path: string;
  report: string;
}

function print(value: unknown): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(value)}\n`));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function readAll(path: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    return await new Response(conn.readable).text();
  } finally {
    try {
      conn.close();
    } catch {
      // The readable stream closed it already.
    }
  }
}

const input = JSON.parse(Deno.args[0] ?? "{}") as ProbeInput;
let calls = 0;
try {
  const server = await StatusServer.listen(input.path, () => (calls++, input.report));
  if (input.mode === "listen") {
    await server.close();
    print({ ok: true });
  } else if (input.mode === "serve") {
    print({ ready: true });
    for await (const _ of Deno.stdin.readable) {
      // Serve until the parent closes our standard input.
    }
    await server.close();
    print({ ok: true, calls, removedOnClose: !(await exists(input.path)) });
  } else {
    const documents: string[] = [];
    for (let i = 0; i < 3; i++) documents.push(await readAll(input.path));
    documents.push(...await Promise.all([1, 2, 3].map(() => readAll(input.path))));
    const existedWhileOpen = await exists(input.path);
    await server.close();
    print({
      ok: true,
      documents,
      calls,
      existedWhileOpen,
      removedOnClose: !(await exists(input.path)),
    });
  }
} catch (error) {
  const e = error as Error;
  print({ ok: false, name: e.name, message: e.message });
}
