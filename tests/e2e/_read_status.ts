/**
 * Reads the balancer's status socket once and prints the JSON: run as a child
 * process, because Deno grants a Unix socket only by its exact path
 * (`--allow-net=unix:<path>` plus read and write on it).
 *
 * Usage: deno run --allow-read=P --allow-write=P --allow-net=unix:P _read_status.ts P
 *
 * @module
 */

const path = Deno.args[0];
if (path === undefined) throw new TypeError("usage: _read_status.ts <socket path>");
const conn = await Deno.connect({ transport: "unix", path });
const text = await new Response(conn.readable).text();
await Deno.stdout.write(new TextEncoder().encode(text));
