/**
 * A Tor client's own account of its circuits and streams: the STREAM, CIRC, CIRC_MINOR
 * (purpose changes, such as an intro circuit waiting for its INTRODUCE_ACK) and HS_DESC events
 * of its control port, timed, kept so that a failed request can be explained by
 * what the client saw around it (which circuit the stream was on, which side closed it
 * and why: `REASON` and `REMOTE_REASON`).
 *
 * Spec: control-spec §4.1.1 (CIRC), §4.1.2 (STREAM), §4.1.5 (log messages), §4.1.13
 * (CIRC_MINOR), §4.1.25 (HS_DESC).
 *
 * {@link periodChangeRace} recognises one failure that tor's client makes by itself at a time
 * period boundary, whatever the service publishes: see there.
 *
 * @module
 */

import { connectControl, type ControlClient, type Subscription } from "../../src/control/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";

/** One event, as tor sent it, with the time it arrived. */
export interface TracedEvent {
  at: number;
  text: string;
}

/**
 * The most recent events kept: a 10-minute run at one request a second makes ~20 000, a
 * 60-minute soak with two addresses probed every 5 s ~50 000 (about 200 bytes each).
 */
const KEEP = 200_000;

/** The recent STREAM, CIRC, CIRC_MINOR and HS_DESC events (and INFO log lines) of one tor. */
export class ClientTrace {
  readonly #client: ControlClient;
  readonly #events: TracedEvent[] = [];
  #subscription: Subscription | undefined;

  private constructor(client: ControlClient) {
    this.#client = client;
  }

  /**
   * Connects to the tor on `controlPort` (127.0.0.1) and starts recording; with `info`, tor's
   * info-level log lines too (`INFO` events: verbose, for finding out why a request hung).
   */
  static async open(controlPort: number, options: { info?: boolean } = {}): Promise<ClientTrace> {
    const client = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: controlPort },
      log: new Logger({ level: "critical" }),
      reconnect: false,
    });
    const trace = new ClientTrace(client);
    const types = ["STREAM", "CIRC", "CIRC_MINOR", "HS_DESC", ...(options.info ? ["INFO"] : [])];
    trace.#subscription = await client.subscribe(types, (event) => {
      trace.#events.push({ at: Date.now(), text: event.lines.map((l) => l.text).join(" ") });
      // Trimmed a quarter at a time: a splice per event would move the whole array each time.
      if (trace.#events.length > KEEP * 1.25) trace.#events.splice(0, trace.#events.length - KEEP);
    });
    return trace;
  }

  /** The events from `from` to `to` (ms), each prefixed with its time. */
  between(from: number, to: number): string[] {
    return this.#events
      .filter((e) => e.at >= from && e.at <= to)
      .map((e) => `${new Date(e.at).toISOString()} ${e.text}`);
  }

  /** The events around a request started at `at` that took `ms`: from 3 s before to 1 s after. */
  around(request: { at: number; ms: number }): string[] {
    return this.between(request.at - 3_000, request.at + request.ms + 1_000);
  }

  /** Stops recording and closes the connection. */
  async close(): Promise<void> {
    await this.#subscription?.unsubscribe().catch(() => {});
    await this.#client.close();
  }
}

/**
 * Whether a request failed the way a tor client fails a request that is being introduced when its
 * cached descriptor of the service expires: tor expires a client's cached descriptor when its
 * consensus reaches the next time period (`hs_cache.c: cached_client_descriptor_has_expired()`);
 * when the request's introduction circuit then opens, `hs_client.c: send_introduce1()` finds no
 * descriptor and fetches the new period's; when that arrives it tries the same open circuit again,
 * and if its intro point is not in the new descriptor ("possible if the descriptor was changed
 * while we had this introduction circuit open") it gives up on the request: `STREAM … FAILED
 * REASON=CANT_ATTACH`, SOCKS reply 0x01. A tor service's own descriptors for two periods have
 * different intro points too, so any onion service sees this, for requests caught in that moment.
 *
 * Recognised from the client's events around the request (`events`, from
 * {@link ClientTrace.between}): an `HS_DESC REQUESTED` of `onionAddress` and then a
 * `STREAM … FAILED` with `REASON=CANT_ATTACH` to it, with a time period of the network starting
 * at most 60 s before the request did (`periodStartsMs`: the starts of the periods, ms).
 */
export function periodChangeRace(
  events: readonly string[],
  onionAddress: string,
  requestAt: number,
  periodStartsMs: readonly number[],
): boolean {
  const address = onionAddress.replace(/\.onion$/, "");
  const requested = events.findIndex((e) => e.includes(` HS_DESC REQUESTED ${address} `));
  const failed = events.findIndex((e, i) =>
    i > requested && / STREAM \d+ FAILED /.test(e) && e.includes(`${address}.onion:`) &&
    e.includes(" REASON=CANT_ATTACH")
  );
  const nearStart = periodStartsMs.some((t) => t <= requestAt && requestAt - t <= 60_000);
  return requested >= 0 && failed > requested && nearStart;
}

/**
 * The failed requests among `requests` that {@link periodChangeRace} explains, at most one per
 * period boundary (the first): a second loss at the same boundary is not excused.
 *
 * @param eventsAround The client's events around a request ({@link ClientTrace.around}).
 */
export function racedAtBoundaries<R extends { at: number; ok: boolean }>(
  requests: readonly R[],
  eventsAround: (request: R) => readonly string[],
  onionAddress: string,
  periodStartsMs: readonly number[],
): Set<R> {
  const raced = new Set<R>();
  const excused = new Set<number>();
  for (const r of [...requests].sort((a, b) => a.at - b.at)) {
    if (r.ok || !periodChangeRace(eventsAround(r), onionAddress, r.at, periodStartsMs)) continue;
    const boundary = periodStartsMs.findLast((t) => t <= r.at)!;
    if (excused.has(boundary)) continue;
    excused.add(boundary);
    raced.add(r);
  }
  return raced;
}

/** When the network's time periods started between `from` and `to` (ms). */
export function periodStartsMs(from: number, to: number, lengthMinutes: number): number[] {
  const schedule = { lengthMinutes, rotationOffsetSeconds: lengthMinutes * 30 };
  const starts: number[] = [];
  let period = TimePeriod.containing(Math.floor(from / 1000), schedule).next();
  while (period.start() * 1000 <= to) {
    starts.push(period.start() * 1000);
    period = period.next();
  }
  return starts;
}
