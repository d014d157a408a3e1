/**
 * The HTTP listener of the metrics: `GET /metrics` answers the Prometheus text format, anything
 * else 404 (405 for another method on `/metrics`).
 *
 * Spec: Prometheus exposition formats (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Role: `src/cli/run.ts` starts one when `metrics-listen` is set and closes it when the daemon
 * stops. Where it may listen (loopback unless `metrics-allow-remote`) is decided by the config.
 *
 * @module
 */

/** What the server serves: the page and its Content-Type. */
export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}

/** A listening metrics endpoint. */
export class MetricsServer {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #abort: AbortController;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>, abort: AbortController) {
    this.#server = server;
    this.#abort = abort;
  }

  /**
   * Listens on `hostname:port` (port 0: any free port; see {@link port}).
   *
   * @throws {Deno.errors.AddrInUse} When the port is taken; `NotCapable` when not permitted.
   */
  static listen(where: { hostname: string; port: number }, source: MetricsSource): MetricsServer {
    const abort = new AbortController();
    const server = Deno.serve({
      hostname: where.hostname,
      port: where.port,
      signal: abort.signal,
      onListen: () => {},
      onError: () => new Response("Cannot make the metrics page\n", { status: 500 }),
    }, async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname !== "/metrics") return new Response("Not found\n", { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD") {
        return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET" } });
      }
      const text = await source.text();
      return new Response(request.method === "HEAD" ? null : text, {
        headers: { "content-type": source.contentType },
      });
    });
    return new MetricsServer(server, abort);
  }

  /** The port it listens on. */
  get port(): number {
    return this.#server.addr.port;
  }

  /** Stops listening and waits for the connections under way to end. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#server.finished;
  }
}
