/**
 * Asks the frontend tor of `shared_tor.ts` directly, over a control connection of its own (cookie
 * authentication, control-spec §3.5 AUTHENTICATE with the cookie in hex): how many circuits it
 * holds, by state and purpose (`GETINFO circuit-status`, §3.9), and optionally sets options
 * (`SETCONF`, §3.1) before the balancer starts, to try a torrc change for shared hosting.
 *
 * Why: every HSPOST makes tor build a circuit to the HSDir; a tor that keeps them all open slows
 * down as they pile up, which the balancer's own figures cannot show.
 *
 * @module
 */

/** Sends `commands` after authenticating, then QUIT; returns tor's whole answer. */
async function torControl(
  port: number,
  cookieFile: string,
  commands: readonly string[],
): Promise<string> {
  const cookie = await Deno.readFile(cookieFile);
  const hex = [...cookie].map((b) => b.toString(16).padStart(2, "0")).join("");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: string[] = [];
  try {
    const lines = [`AUTHENTICATE ${hex}`, ...commands, "QUIT"].map((l) => `${l}\r\n`).join("");
    await conn.write(new TextEncoder().encode(lines));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(1 << 16);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(decoder.decode(buffer.subarray(0, n), { stream: true }));
    }
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by tor after QUIT.
    }
  }
  return chunks.join("");
}

/** The frontend tor's circuits by `STATE PURPOSE`, e.g. `{"BUILT HS_SERVICE_HSDIR": 4336}`. */
export async function circuitCounts(
  port: number,
  cookieFile: string,
): Promise<Record<string, number>> {
  const answer = await torControl(port, cookieFile, ["GETINFO circuit-status"]);
  const counts: Record<string, number> = {};
  for (const line of answer.split("\r\n")) {
    const m = /^(?:250[+-]circuit-status=)?\d+ ([A-Z]+) .*PURPOSE=(\S+)/.exec(line);
    if (m === null) continue;
    const key = `${m[1]} ${m[2]}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Sets tor options (`KEY=VALUE` each) with one SETCONF.
 *
 * @throws {Error} When tor refuses them (its answer is in the message).
 */
export async function setConf(
  port: number,
  cookieFile: string,
  settings: readonly string[],
): Promise<void> {
  if (settings.length === 0) return;
  if (settings.some((s) => !/^\w+=[\w.:]+$/.test(s))) {
    throw new TypeError(`Cannot send SETCONF ${settings.join(" ")}: expected KEY=VALUE`);
  }
  const answer = await torControl(port, cookieFile, [`SETCONF ${settings.join(" ")}`]);
  const replies = answer.split("\r\n").filter((l) => /^\d{3} /.test(l));
  if (replies[1] === undefined || !replies[1].startsWith("250")) {
    throw new Error(`tor refused SETCONF ${settings.join(" ")}: ${replies.join(" | ")}`);
  }
}
