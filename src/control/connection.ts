/**
 * One open control connection: a single reader loop, a FIFO of pending requests with deadlines,
 * event hand-off, and reject-all on close.
 *
 * Spec: control-spec §2.1 (tor answers commands in order, one reply each), §4.1 (asynchronous
 * events may arrive between a command and its reply).
 *
 * Role: used by `client.ts` (which adds reconnection) and by the authentication handshake. It only
 * moves messages: it knows no command but the first word of each, which it uses in error messages
 * (never the arguments, which may hold an authentication secret). Every request has a deadline,
 * which starts when every earlier request has been answered (tor answers in order: a deep queue
 * that keeps moving is healthy), and may carry the caller's `AbortSignal`. Because replies carry no request id, a
 * request that times out leaves the stream's position unknown, so the connection is closed
 * (porsager `connection.js` does the same on a connect timeout); the client's reconnect then
 * starts from a clean state.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import {
  ControlError,
  ControlOperationFailed,
  ControlProtocolError,
  ControlSocketClosed,
  ControlTimeoutError,
} from "./errors.ts";
import { encodeCommand, EVENT_STATUS, type Reply, ReplyFramer } from "./framing.ts";
import type { ReplyFramerOptions } from "./framing.ts";

/** Per-request options. */
export interface RequestOptions {
  /** Data block of a `+` command (e.g. the descriptor of `+HSPOST`). */
  data?: string;
  /** Cancels the request; the caller gets `signal.reason`. */
  signal?: AbortSignal;
  /** Deadline in milliseconds; default the connection's `timeoutMs`. */
  timeoutMs?: number;
}

/** Anything that sends a command and resolves with tor's (successful) reply. */
export interface ControlRequester {
  /**
   * Sends one command and waits for its reply.
   *
   * @param command The command line without CRLF, e.g. `GETINFO version`.
   * @param options Data block, cancellation and deadline.
   * @returns The reply, whose status is 2xx.
   * @throws {ControlOperationFailed} If tor answers with a 4xx or 5xx status.
   * @throws {ControlTimeoutError} If the deadline passes first.
   * @throws {ControlSocketClosed} If the connection is or gets closed first.
   * @throws {ControlProtocolError} If tor's reply stream is malformed.
   */
  request(command: string, options?: RequestOptions): Promise<Reply>;
}

/** Options of {@link ControlConnection}. */
export interface ControlConnectionOptions {
  /** Where warnings (dropped partial replies, handler errors) go. */
  log: Logger;
  /** Receives every asynchronous (650) reply. Exceptions it throws are logged. */
  onEvent?: (event: Reply) => void;
  /** Called once when the connection closes, with the reason. */
  onClose?: (reason: ControlError) => void;
  /** Default request deadline in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Limits of the reply framer. */
  framer?: ReplyFramerOptions;
  /** How to name the peer in messages, e.g. `127.0.0.1:9051`. */
  name?: string;
}

interface Pending {
  readonly keyword: string;
  /** Answers the caller; later calls do nothing. */
  readonly settle: (outcome: { reply: Reply } | { error: unknown }) => void;
  /** The caller already got a timeout or abort; the reply, when it comes, is dropped. */
  abandoned: boolean;
  /** Starts the deadline: called when the request becomes the oldest one unanswered. */
  readonly arm: () => void;
  /** Stops the deadline (the reply came, or the connection closed). */
  readonly disarm: () => void;
}

/** Default request deadline. */
export const DEFAULT_TIMEOUT_MS = 30_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A control connection over an already connected socket.
 *
 * @example
 * ```ts ignore
 * import { ControlConnection } from "./connection.ts";
 * import { Logger } from "../log/mod.ts";
 * const socket = await Deno.connect({ hostname: "127.0.0.1", port: 9051 });
 * const conn = new ControlConnection(socket, { log: new Logger() });
 * const reply = await conn.request("PROTOCOLINFO 1");
 * await conn.close();
 * ```
 */
export class ControlConnection implements ControlRequester {
  /** The peer's name in messages. */
  readonly name: string;
  readonly #socket: Deno.Conn;
  readonly #framer: ReplyFramer;
  readonly #pending: Pending[] = [];
  readonly #log: Logger;
  readonly #onEvent: ((event: Reply) => void) | undefined;
  readonly #onClose: ((reason: ControlError) => void) | undefined;
  readonly #timeoutMs: number;
  readonly #reading: Promise<void>;
  #writing: Promise<void> = Promise.resolve();
  #closeReason: ControlError | undefined;

  /**
   * Starts the reader loop on `socket`; the connection owns and closes the socket.
   *
   * @param socket A connected TCP or Unix socket.
   * @param options Logger, event and close callbacks, deadline, limits.
   */
  constructor(socket: Deno.Conn, options: ControlConnectionOptions) {
    this.#socket = socket;
    this.#log = options.log;
    this.#onEvent = options.onEvent;
    this.#onClose = options.onClose;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#framer = new ReplyFramer(options.framer);
    this.name = options.name ?? "tor";
    this.#reading = this.#readLoop();
  }

  /** Why the connection closed, or undefined while it is open. */
  get closeReason(): ControlError | undefined {
    return this.#closeReason;
  }

  /** Resolves once the connection is closed and its reader loop has ended. */
  get done(): Promise<void> {
    return this.#reading;
  }

  /** {@inheritDoc ControlRequester.request} */
  request(command: string, options: RequestOptions = {}): Promise<Reply> {
    const keyword = (command.replace(/^\+/, "").split(" ", 1)[0] ?? "").toUpperCase();
    if (this.#closeReason) {
      return Promise.reject(
        new ControlSocketClosed(
          `Cannot send "${keyword}": the control connection to ${this.name} is closed`,
          { cause: this.#closeReason },
        ),
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeCommand(command, options.data);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const signal = options.signal;
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => this.#abandon(pending, false, timeoutMs, signal?.reason);
      const pending: Pending = {
        keyword,
        abandoned: false,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener("abort", onAbort);
          if ("reply" in outcome) resolve(outcome.reply);
          else reject(outcome.error);
        },
        arm: () => {
          timer ??= setTimeout(() => this.#abandon(pending, true, timeoutMs, undefined), timeoutMs);
        },
        disarm: () => clearTimeout(timer),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.push(pending);
      // tor answers in order: a request's deadline runs from when every earlier one was answered,
      // so a long but moving queue (hundreds of HSPOSTs) does not time out; a stuck one does.
      if (this.#pending.length === 1) pending.arm();
      this.#write(bytes);
    });
  }

  /**
   * Closes the connection: every pending request is rejected with {@link ControlSocketClosed}.
   * Resolves when the reader loop has ended. Calling it again does nothing.
   */
  async close(): Promise<void> {
    this.#shutdown(
      new ControlSocketClosed(`The control connection to ${this.name} was closed by the client`),
    );
    await this.#reading;
    await this.#writing;
  }

  /** The caller's deadline passed or its signal fired: answer it now, drop the reply later. */
  #abandon(pending: Pending, timedOut: boolean, timeoutMs: number, reason: unknown): void {
    pending.abandoned = true;
    if (!timedOut) {
      pending.settle({ error: reason });
      return;
    }
    const error = new ControlTimeoutError(
      `Tor did not answer "${pending.keyword}" on ${this.name} within ${timeoutMs} ms`,
      timeoutMs,
    );
    pending.settle({ error });
    this.#log.warning(
      `${error.message}; closing the connection, whose replies can no longer be matched`,
    );
    this.#shutdown(error);
  }

  #write(bytes: Uint8Array): void {
    this.#writing = this.#writing.then(async () => {
      let offset = 0;
      while (offset < bytes.length && !this.#closeReason) {
        offset += await this.#socket.write(bytes.subarray(offset));
      }
    }).catch((error) => {
      this.#shutdown(
        new ControlSocketClosed(
          `Cannot write to the control connection to ${this.name}: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      );
    });
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let reason: ControlError;
    try {
      while (true) {
        const n = await this.#socket.read(buffer);
        if (n === null) {
          const where = this.#framer.pendingBytes > 0 ? " in the middle of a reply" : "";
          reason = new ControlSocketClosed(
            `Tor closed the control connection to ${this.name}${where}`,
          );
          break;
        }
        for (const reply of this.#framer.push(buffer.subarray(0, n))) this.#dispatch(reply);
        if (this.#closeReason) return;
      }
    } catch (error) {
      if (this.#closeReason) return; // We closed the socket; the pending read was interrupted.
      reason = error instanceof ControlError ? error : new ControlSocketClosed(
        `Lost the control connection to ${this.name}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    this.#shutdown(reason);
  }

  #dispatch(reply: Reply): void {
    if (reply.status === EVENT_STATUS) {
      try {
        this.#onEvent?.(reply);
      } catch (error) {
        this.#log.error(`An event handler failed: ${messageOf(error)}`);
      }
      return;
    }
    const pending = this.#pending.shift();
    pending?.disarm();
    this.#pending[0]?.arm();
    if (!pending) {
      throw new ControlProtocolError(
        "UnexpectedReply",
        `Cannot match a reply from ${this.name}: status ${reply.status} arrived with no request pending`,
      );
    }
    if (pending.abandoned) {
      this.#log.debug(`Dropped the late reply to "${pending.keyword}" (status ${reply.status})`);
      return;
    }
    if (reply.status >= 200 && reply.status < 300) {
      pending.settle({ reply });
      return;
    }
    const text = reply.lines[0]?.text ?? "";
    pending.settle({
      error: new ControlOperationFailed(
        reply.status,
        text,
        `Tor refused "${pending.keyword}": ${reply.status} ${text}`,
      ),
    });
  }

  #shutdown(reason: ControlError): void {
    if (this.#closeReason) return;
    this.#closeReason = reason;
    try {
      this.#socket.close();
    } catch {
      // Already closed by the runtime.
    }
    if (this.#framer.pendingBytes > 0) {
      const what = this.#framer.pendingStatus === EVENT_STATUS ? "event" : "reply";
      this.#log.warning(
        `Dropped ${this.#framer.pendingBytes} bytes of an incomplete ${what} from ${this.name} when the connection closed`,
      );
    }
    const failWith = reason instanceof ControlSocketClosed || reason instanceof ControlProtocolError
      ? reason
      : new ControlSocketClosed(
        `The control connection to ${this.name} was closed: ${reason.message}`,
        {
          cause: reason,
        },
      );
    for (const pending of this.#pending.splice(0)) {
      pending.disarm();
      pending.settle({ error: failWith });
    }
    try {
      this.#onClose?.(reason);
    } catch (error) {
      this.#log.error(`A close handler failed: ${messageOf(error)}`);
    }
  }
}
