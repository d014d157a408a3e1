/**
 * Framing of the Tor control protocol: bytes from tor → {@link Reply} values, and commands →
 * bytes for tor.
 *
 * Spec: control-spec §2.3 "Replies from Tor to the controller", §2.4 "General-use tokens"
 * (CmdData), §4 "Replies"; tor `control_proto.c: write_escaped_data, read_escaped_data`.
 * <https://spec.torproject.org/control-spec/>
 *
 * Role: pure code, no sockets (stem `ControlMessage.from_str`). The client feeds every chunk it
 * reads into one {@link ReplyFramer}; tests feed it transcripts. It is strict the way stem is:
 * every line must end in CRLF, start with three digits and one of `-`, `+`, space, and all lines
 * of one reply share the status code. Anything else throws a {@link ControlProtocolError} at once
 * instead of waiting for more bytes, and line and reply sizes are capped, so a garbage peer ends
 * in an error, never a hang or unbounded memory.
 *
 * Data blocks (`NNN+…` lines) are dot-unstuffed and returned with LF line ends: the block's
 * lines each followed by `"\n"`. Tor always ends a block with a line break
 * (`control_proto.c: write_escaped_data`), so a tor value `"a\nb\n"` comes back unchanged, and a
 * value without a final newline comes back with one.
 *
 * @module
 */

import { ControlProtocolError } from "./errors.ts";

/** The character after a reply line's status code. */
export type ReplyDivider = "-" | "+" | " ";

/** One line of a reply. */
export interface ReplyLine {
  /** The three-digit status code, e.g. 250. */
  readonly status: number;
  /** `-` mid-reply line, `+` line followed by a data block, ` ` final line. */
  readonly divider: ReplyDivider;
  /** The text after the divider, e.g. `version=0.4.9.11`. */
  readonly text: string;
  /** For `+` lines only: the data block, dot-unstuffed, each line ending in `"\n"`. */
  readonly data?: string;
}

/** A complete reply or asynchronous event (status 650). */
export interface Reply {
  /** The status code shared by all lines. */
  readonly status: number;
  /** The lines, the last one having the ` ` divider. */
  readonly lines: readonly ReplyLine[];
}

/** Limits of a {@link ReplyFramer}. */
export interface ReplyFramerOptions {
  /** Longest line accepted, in bytes, CRLF included. Default 1 MiB. */
  maxLineBytes?: number;
  /** Largest reply accepted, in bytes. Default 256 MiB (a full `md/all` is tens of MB). */
  maxReplyBytes?: number;
}

/** Status code of asynchronous events. */
export const EVENT_STATUS = 650;

const CR = 0x0d;
const LF = 0x0a;
const HEADER = /^([0-9]{3})([-+ ])/;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Shows at most 60 characters of a bad line in an error message, quoted and escaped. */
function excerpt(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}

/**
 * Incremental parser from the bytes tor sends to complete replies.
 *
 * @example
 * ```ts
 * import { ReplyFramer } from "./framing.ts";
 * const framer = new ReplyFramer();
 * const bytes = new TextEncoder().encode("250-version=0.4.9.11\r\n250 OK\r\n");
 * const [reply] = framer.push(bytes);
 * if (reply?.lines[0]?.text !== "version=0.4.9.11") throw new Error("unexpected");
 * ```
 */
export class ReplyFramer {
  readonly #maxLineBytes: number;
  readonly #maxReplyBytes: number;
  /** The incomplete last line: `#buffer[0, #buffered)`, grown by `#append()`. */
  #buffer: Uint8Array = new Uint8Array(0);
  #buffered = 0;
  #lines: ReplyLine[] = [];
  #status: number | undefined;
  #replyBytes = 0;
  #dataHeader: { status: number; text: string } | undefined;
  #dataLines: string[] = [];
  #failed: ControlProtocolError | undefined;

  /** @param options Size limits. */
  constructor(options: ReplyFramerOptions = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    this.#maxReplyBytes = options.maxReplyBytes ?? 256 * 1024 * 1024;
  }

  /** Bytes received that do not yet form a complete reply (0 between replies). */
  get pendingBytes(): number {
    return this.#replyBytes + this.#buffered;
  }

  /** The status code of the reply being received, if one is incomplete. */
  get pendingStatus(): number | undefined {
    return this.#status;
  }

  /**
   * Consumes a chunk of bytes and returns the replies it completes, in order.
   *
   * @param chunk Bytes as read from the socket, split anywhere.
   * @returns The replies completed by this chunk (often none or one).
   * @throws {ControlProtocolError} On the first malformed line; the framer stays failed.
   */
  push(chunk: Uint8Array): Reply[] {
    if (this.#failed) throw this.#failed;
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof ControlProtocolError) this.#failed = error;
      throw error;
    }
  }

  #push(chunk: Uint8Array): Reply[] {
    const from = this.#buffered;
    this.#append(chunk);
    const buffer = this.#buffer.subarray(0, this.#buffered);
    const replies: Reply[] = [];
    let start = 0;
    for (let i = from; i < buffer.length; i++) {
      if (buffer[i] !== LF) continue;
      if (i === start || buffer[i - 1] !== CR) {
        const line = decoder.decode(buffer.subarray(start, i));
        throw new ControlProtocolError(
          "BareLineFeed",
          `Cannot parse control reply: line ${excerpt(line)} ends in LF without CR`,
        );
      }
      this.#checkLineLength(i + 1 - start);
      const reply = this.#line(decoder.decode(buffer.subarray(start, i - 1)), i + 1 - start);
      if (reply) replies.push(reply);
      start = i + 1;
    }
    if (start > 0) {
      this.#buffer.copyWithin(0, start, this.#buffered);
      this.#buffered -= start;
    }
    this.#checkLineLength(this.#buffered);
    return replies;
  }

  /**
   * Appends `chunk` to the incomplete line, doubling the buffer when it is full. Copying the
   * whole line again for every chunk made a long line arriving in small chunks cost quadratic
   * time (a 1 MiB line in 16-byte reads took 10 s or more); this is linear.
   */
  #append(chunk: Uint8Array): void {
    const needed = this.#buffered + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.#buffer.length));
      grown.set(this.#buffer.subarray(0, this.#buffered));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#buffered);
    this.#buffered = needed;
  }

  #checkLineLength(bytes: number): void {
    if (bytes > this.#maxLineBytes) {
      throw new ControlProtocolError(
        "LineTooLong",
        `Cannot parse control reply: a line is longer than ${this.#maxLineBytes} bytes`,
      );
    }
  }

  /** Handles one line (without CRLF); returns a reply when the line completes one. */
  #line(line: string, bytes: number): Reply | undefined {
    this.#replyBytes += bytes;
    if (this.#replyBytes > this.#maxReplyBytes) {
      throw new ControlProtocolError(
        "ReplyTooLarge",
        `Cannot parse control reply: a reply is larger than ${this.#maxReplyBytes} bytes`,
      );
    }
    if (this.#dataHeader) {
      this.#dataLine(line);
      return undefined;
    }
    const match = HEADER.exec(line);
    if (!match) {
      throw new ControlProtocolError(
        "MalformedLine",
        `Cannot parse control reply: line ${
          excerpt(line)
        } does not start with a status code and divider`,
      );
    }
    const status = Number(match[1]);
    const divider = match[2] as ReplyDivider;
    if (this.#status !== undefined && status !== this.#status) {
      throw new ControlProtocolError(
        "MixedStatus",
        `Cannot parse control reply: line ${
          excerpt(line)
        } has status ${status} inside a ${this.#status} reply`,
      );
    }
    this.#status = status;
    const text = line.slice(4);
    if (divider === "+") {
      this.#dataHeader = { status, text };
      return undefined;
    }
    this.#lines.push({ status, divider, text });
    if (divider === "-") return undefined;
    const reply = { status, lines: this.#lines };
    this.#lines = [];
    this.#status = undefined;
    this.#replyBytes = 0;
    return reply;
  }

  /** control-spec §2.4 CmdData: "." ends the block; a leading "." is removed. */
  #dataLine(line: string): void {
    if (line !== ".") {
      this.#dataLines.push(line.startsWith(".") ? line.slice(1) : line);
      return;
    }
    const header = this.#dataHeader!;
    const data = this.#dataLines.map((l) => `${l}\n`).join("");
    this.#lines.push({ status: header.status, divider: "+", text: header.text, data });
    this.#dataHeader = undefined;
    this.#dataLines = [];
  }
}

/**
 * Parses text holding complete replies (a transcript), as stem's `ControlMessage.from_str`.
 *
 * @param text The bytes tor sent, as a string with CRLF line ends.
 * @returns Every reply, in order.
 * @throws {ControlProtocolError} If the text is malformed or ends inside a reply.
 */
export function parseReplies(text: string): Reply[] {
  const framer = new ReplyFramer();
  const replies = framer.push(encoder.encode(text));
  if (framer.pendingBytes > 0) {
    throw new ControlProtocolError(
      "MalformedReply",
      `Cannot parse control reply: the text ends inside a reply (${framer.pendingBytes} bytes)`,
    );
  }
  return replies;
}

/**
 * Parses text holding exactly one reply.
 *
 * @param text One reply with CRLF line ends, e.g. `"250 OK\r\n"`.
 * @returns The reply.
 * @throws {ControlProtocolError} If the text is malformed or is not exactly one reply.
 */
export function parseReply(text: string): Reply {
  const replies = parseReplies(text);
  if (replies.length !== 1) {
    throw new ControlProtocolError(
      "MalformedReply",
      `Cannot parse control reply: expected one reply, found ${replies.length}`,
    );
  }
  return replies[0]!;
}

/**
 * Encodes a command for tor: the command line plus CRLF and, for `+` commands, a CmdData block
 * (control-spec §2.2, §2.4): lines end in CRLF, a line starting with "." gets another ".", and a
 * line holding only "." ends the block.
 *
 * @param line The command line without CRLF, e.g. `GETINFO version` or `+HSPOST …`.
 * @param data The data of a `+` command; LF or CRLF line ends.
 * @returns The bytes to write.
 * @throws {TypeError} If `line` contains CR, LF or NUL (which would inject a second command), if
 *   `data` is given for a command not starting with `+` or missing for one that does, or if `data`
 *   contains NUL or a CR that is not part of CRLF.
 */
export function encodeCommand(line: string, data?: string): Uint8Array {
  if (/[\r\n\0]/.test(line)) {
    throw new TypeError(`Cannot encode control command: it contains CR, LF or NUL`);
  }
  const multiLine = line.startsWith("+");
  if (multiLine !== (data !== undefined)) {
    throw new TypeError(
      `Cannot encode control command: data must be given exactly for "+" commands`,
    );
  }
  if (data === undefined) return encoder.encode(`${line}\r\n`);
  if (/\0|\r(?!\n)/.test(data)) {
    throw new TypeError(`Cannot encode control command data: it contains NUL or a bare CR`);
  }
  const lines = data.replaceAll("\r\n", "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const body = lines.map((l) => `${l.startsWith(".") ? "." : ""}${l}\r\n`).join("");
  return encoder.encode(`${line}\r\n${body}.\r\n`);
}
