/**
 * A fake control client for the daemon tests: it implements only what the
 * balancer uses (`request`, `subscribe`, `onStateChange`) and answers like
 * tor 0.4.9 does: `GETCONF TestingTorNetwork`, `GETINFO` of the microdesc
 * consensus and `md/all` (data replies), `GETINFO net/listeners/socks`,
 * `SIGNAL`, and `HSFETCH` (`250 OK`, then `HS_DESC REQUESTED`, `HS_DESC
 * RECEIVED` or `FAILED`, and `HS_DESC_CONTENT` with the descriptor or an empty
 * body, matching the address and the HSDir, as tor's `hs_client.c` emits them), and a
 * Poster that records HSPOSTs and answers as the test says.
 *
 * @module
 */

import type { Poster } from "../../src/balancer/mod.ts";
import { Logger, type LogRecord } from "../../src/log/mod.ts";
import {
  ControlOperationFailed,
  type HsClient,
  type Reply,
  type ReplyLine,
  type StateChange,
  type Subscription,
} from "../../src/control/mod.ts";

/** What the fake tor does for one HSFETCH. */
export type FetchAnswer =
  | { descriptor: string; descriptorId: string; hsDir?: string }
  | { failed: string; descriptorId?: string; hsDir?: string };

/** A promise the test resolves when it wants. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

/** A promise with its resolver. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const OK: Reply = { status: 250, lines: [{ status: 250, divider: " ", text: "OK" }] };

function dataReply(key: string, value: string): Reply {
  return {
    status: 250,
    lines: [
      {
        status: 250,
        divider: "+",
        text: `${key}=`,
        data: value.endsWith("\n") ? value : `${value}\n`,
      },
      { status: 250, divider: " ", text: "OK" },
    ],
  };
}

interface Sub {
  types: ReadonlySet<string>;
  handler: (reply: Reply) => void;
}

/** The fake (see the module comment). */
export class FakeTor implements HsClient {
  /** Every command received, in order. */
  readonly commands: string[] = [];
  /** The consensus text; undefined makes tor answer 551 as when it has none. */
  consensus: string | undefined;
  /** `md/all`. */
  microdescs = "";
  /** `GETCONF TestingTorNetwork`. */
  testingNetwork = false;
  /** `GETCONF DisableNetwork`. */
  disableNetwork = false;
  /** `GETINFO status/bootstrap-phase`. */
  bootstrapPhase = 'NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"';
  /** `GETINFO net/listeners/socks` (none: health checks switch off). */
  socksListeners: string[] = [];
  /** The HSDir named in HSFETCH events unless an answer names one (`$FP~nick`). */
  defaultHsDir = `$${"AB".repeat(20)}~hsdir`;
  /** How HSFETCH of an address (without `.onion`) ends; may wait for the test. */
  onFetch: (address: string) => FetchAnswer | Promise<FetchAnswer> = () => ({
    failed: "NOT_FOUND",
  });
  readonly #subs = new Set<Sub>();
  readonly #stateListeners = new Set<(change: StateChange) => void>();
  #fetchesInFlight = 0;

  /** HSFETCHes whose events have not all been sent yet. */
  get fetchesInFlight(): number {
    return this.#fetchesInFlight;
  }

  /** Event types someone is subscribed to. */
  get subscribedTypes(): string[] {
    return [...new Set([...this.#subs].flatMap((s) => [...s.types]))].sort();
  }

  /** HSFETCH commands received, as addresses. */
  get fetched(): string[] {
    return this.commands.filter((c) => c.startsWith("HSFETCH ")).map((c) => c.split(" ")[1]!);
  }

  /** When true, ONION_CLIENT_AUTH_ADD/REMOVE are refused (512). */
  clientAuthFails = false;

  request(command: string): Promise<Reply> {
    this.commands.push(command);
    const [verb, ...args] = command.split(" ");
    switch (verb) {
      case "GETCONF": {
        const value = args[0] === "DisableNetwork" ? this.disableNetwork : this.testingNetwork;
        return Promise.resolve({
          status: 250,
          lines: [{ status: 250, divider: " ", text: `${args[0]}=${value ? 1 : 0}` }],
        });
      }
      case "GETINFO":
        return this.#getInfo(args[0] ?? "");
      case "SIGNAL":
        return Promise.resolve(OK);
      case "ONION_CLIENT_AUTH_ADD":
      case "ONION_CLIENT_AUTH_REMOVE":
        if (this.clientAuthFails) {
          return Promise.reject(new ControlOperationFailed(512, "Failed", "refused"));
        }
        return Promise.resolve(OK);
      case "HSFETCH": {
        const server = args.find((a) => a.startsWith("SERVER="))?.slice("SERVER=".length);
        this.#fetch(args[0] ?? "", server);
        return Promise.resolve(OK);
      }
      default:
        return Promise.reject(new Error(`FakeTor: unexpected command ${JSON.stringify(command)}`));
    }
  }

  #getInfo(key: string): Promise<Reply> {
    switch (key) {
      case "dir/status-vote/current/consensus-microdesc":
        if (this.consensus === undefined) {
          return Promise.reject(
            new ControlOperationFailed(551, "Could not open cached consensus", "No consensus"),
          );
        }
        return Promise.resolve(dataReply(key, this.consensus));
      case "md/all":
        return Promise.resolve(dataReply(key, this.microdescs));
      case "status/bootstrap-phase":
        return Promise.resolve({
          status: 250,
          lines: [
            { status: 250, divider: "-", text: `${key}=${this.bootstrapPhase}` },
            { status: 250, divider: " ", text: "OK" },
          ],
        });
      case "net/listeners/socks":
        return Promise.resolve({
          status: 250,
          lines: [
            {
              status: 250,
              divider: "-",
              text: `${key}=${this.socksListeners.map((l) => `"${l}"`).join(" ")}`,
            },
            { status: 250, divider: " ", text: "OK" },
          ],
        });
      default:
        return Promise.reject(new Error(`FakeTor: unexpected GETINFO ${key}`));
    }
  }

  /** Answers an HSFETCH; with `server` (its `SERVER=`), the events name that HSDir. */
  #fetch(address: string, server?: string): void {
    this.#fetchesInFlight++;
    void (async () => {
      try {
        const answer = await this.onFetch(address);
        await Promise.resolve(); // after the 250 OK, as tor does
        const hsDir = server === undefined ? answer.hsDir ?? this.defaultHsDir : `$${server}`;
        const id = answer.descriptorId ?? "x".repeat(43);
        this.emitLine(`HS_DESC REQUESTED ${address} NO_AUTH ${hsDir} ${id}`);
        if ("failed" in answer) {
          this.emitLine(`HS_DESC FAILED ${address} NO_AUTH ${hsDir} ${id} REASON=${answer.failed}`);
          this.emit([{
            status: 650,
            divider: "+",
            text: `HS_DESC_CONTENT ${address} ${id} ${hsDir}`,
            data: "",
          }, { status: 650, divider: " ", text: "OK" }]);
        } else {
          this.emitLine(`HS_DESC RECEIVED ${address} NO_AUTH ${hsDir} ${id}`);
          this.emit([{
            status: 650,
            divider: "+",
            text: `HS_DESC_CONTENT ${address} ${id} ${hsDir}`,
            data: answer.descriptor,
          }, { status: 650, divider: " ", text: "OK" }]);
        }
      } finally {
        this.#fetchesInFlight--;
      }
    })();
  }

  /** Sends a one-line event (`650 <text>`). */
  emitLine(text: string): void {
    this.emit([{ status: 650, divider: " ", text }]);
  }

  /** Sends an event to every subscriber of its type. */
  emit(lines: ReplyLine[]): void {
    const type = lines[0]!.text.split(" ")[0]!;
    for (const sub of [...this.#subs]) {
      if (sub.types.has(type)) sub.handler({ status: 650, lines });
    }
  }

  subscribe(eventTypes: readonly string[], handler: (reply: Reply) => void): Promise<Subscription> {
    const sub: Sub = { types: new Set(eventTypes), handler };
    this.#subs.add(sub);
    const unsubscribe = () => {
      this.#subs.delete(sub);
      return Promise.resolve();
    };
    return Promise.resolve({
      eventTypes: [...eventTypes],
      unsubscribe,
      [Symbol.asyncDispose]: unsubscribe,
    });
  }

  onStateChange(listener: (change: StateChange) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Tells every state listener the connection changed state. */
  setState(state: StateChange["state"]): void {
    for (const listener of [...this.#stateListeners]) listener({ state });
  }
}

/** One HSPOST as the fake tor saw it. */
export interface Post {
  descriptor: string;
  address: string;
  hsDir: string;
}

/** A Poster that records uploads and answers as the test says (default: uploaded). */
export class FakePoster {
  readonly posts: Post[] = [];
  answer: (post: Post) => Awaited<ReturnType<Poster>> = () => ({ status: "uploaded" });
  #pending = 0;

  readonly post: Poster = async (descriptor, target) => {
    const post = { descriptor, ...target };
    this.posts.push(post);
    this.#pending++;
    try {
      await Promise.resolve();
      return this.answer(post);
    } finally {
      this.#pending--;
    }
  };

  /** Lets queued uploads run until none is pending (macrotask turns, no clock involved). */
  async settle(): Promise<void> {
    let seen = -1;
    while (this.#pending > 0 || seen !== this.posts.length) {
      seen = this.posts.length;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /** Posts made since `from`. */
  since(from: number): Post[] {
    return this.posts.slice(from);
  }
}

/** A logger at debug level that keeps every message (onion addresses not redacted). */
export function captureLog(): { log: Logger; records: LogRecord[]; text: () => string } {
  const records: LogRecord[] = [];
  const log = new Logger({
    level: "debug",
    safeLogging: false,
    sink: (_line, record) => records.push(record),
  });
  return { log, records, text: () => records.map((r) => `[${r.level}] ${r.message}`).join("\n") };
}

/**
 * Yields to the event loop (macrotask turns, no clock) until `ready()` holds;
 * fails after `turns` turns.
 */
export async function until(ready: () => boolean, what: string, turns = 5000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`Gave up waiting for ${what}`);
}
