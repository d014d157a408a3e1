/**
 * The HTTP server of one backend: answers every request with the backend's name.
 *
 * Run as its own process, so it outlives the command that started it:
 * `deno run --allow-net=127.0.0.1 backend_http.ts <name> <port> [<tor control port>]`.
 * When a tor control port is given, the server exits once that port, after having answered,
 * stops accepting connections: the server goes away with its backend tor (which itself exits
 * with its owner through `__OwningControllerProcess` in tests and the demo).
 *
 * Role: test tooling; listens on and connects to 127.0.0.1 only.
 *
 * @module
 */

/** The body a backend answers with: its name and a newline. */
export function backendBody(name: string): string {
  return `${name}\n`;
}

/** Starts the server on 127.0.0.1:`port`. */
export function serveBackend(name: string, port: number): Deno.HttpServer {
  return Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    () => new Response(backendBody(name), { headers: { "content-type": "text/plain" } }),
  );
}

async function answers(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Exits the process once `port` has answered and then stops answering. */
function exitWithPort(port: number): void {
  let seen = false;
  setInterval(async () => {
    const up = await answers(port);
    if (up) seen = true;
    else if (seen) Deno.exit(0);
  }, 2_000);
}

if (import.meta.main) {
  const [name, port, watch] = Deno.args;
  if (name === undefined || !/^\d+$/.test(port ?? "") || !/^(\d+)?$/.test(watch ?? "")) {
    throw new TypeError("usage: backend_http.ts <name> <port> [<tor control port>]");
  }
  serveBackend(name, Number(port));
  if (watch !== undefined) exitWithPort(Number(watch));
}
