/**
 * The control-port client the balancer holds: requests, event subscriptions, connection state,
 * and reconnection with backoff that re-authenticates and re-subscribes.
 *
 * Spec: control-spec §3.4 SETEVENTS (the set is replaced as a whole, so the client sends the
 * union of all subscriptions), §4.1 "Asynchronous events"; tor `control_events.c`.
 *
 * Role: only moves messages (house style §6.10). It does not know how to authenticate: the
 * `handshake` callback (see `connect.ts`) runs on every new connection before it is used. It owns
 * exactly one {@link ControlConnection} at a time.
 *
 * State transitions (listeners of {@link ControlClient.onStateChange} see each one):
 *
 * ```
 *   connect() ──ok──▶ connected ──connection lost──▶ disconnected ──backoff, reconnect ok──▶ connected
 *       │                 │                              │  ▲                                   (re-auth,
 *     throws            close()                          │  └── attempt failed, back off again    SETEVENTS)
 *                         ▼                              ├── close() or maxAttempts reached ──▶ closed
 *                       closed                           └── reconnect disabled ──────────────▶ closed
 * ```
 *
 * Events tor sends while the connection is down are lost. The client never hides this: it logs a
 * warning naming the subscribed event types when the connection is lost, and an info line with the
 * missed interval when it is back. Requests made while disconnected fail at once with
 * {@link ControlSocketClosed}; the balancer retries on its next round and republishes when it sees
 * `connected` again.
 *
 * @example
 * ```ts ignore
 * import { connectControl } from "./connect.ts";
 * import { Logger } from "../log/mod.ts";
 * const client = await connectControl({
 *   endpoint: { transport: "unix", path: "/run/tor/control" },
 *   log: new Logger({ level: "info" }),
 * });
 * client.onStateChange(({ state }) => {
 *   if (state === "connected") console.log("tor is back: republish");
 * });
 * await client.subscribe(["STATUS_CLIENT"], (event) => console.log(event.lines[0]?.text));
 * await client.close();
 * ```
 *
 * @module
 */

import { randomUnit } from "../crypto/mod.ts";
import type { Logger } from "../log/mod.ts";
import { systemClock } from "../time/mod.ts";
import { backoffDelay, type BackoffOptions, type JitterRng, type Sleeper } from "./backoff.ts";
import {
  ControlConnection,
  type ControlRequester,
  DEFAULT_TIMEOUT_MS,
  type RequestOptions,
} from "./connection.ts";
import {
  ControlAuthError,
  ControlError,
  ControlSocketClosed,
  ControlTimeoutError,
  ControlVersionError,
} from "./errors.ts";
import type { Reply, ReplyFramerOptions } from "./framing.ts";
import { type EventHandler, EventRegistry, type Subscriber } from "./_event_registry.ts";

export { type EventHandler, eventType } from "./_event_registry.ts";

/** Where the client is in its life (see the module diagram). */
export type ConnectionState = "connected" | "disconnected" | "closed";

/** What {@link ControlClient.onStateChange} listeners receive. */
export interface StateChange {
  /** The new state. */
  readonly state: ConnectionState;
  /** Why the connection was lost or the client gave up, when it was not by `close()`. */
  readonly error?: ControlError;
}

/** Opens a socket to tor; aborts when `signal` does. */
export type Opener = (signal: AbortSignal) => Promise<Deno.Conn>;

/** Prepares a fresh connection (authentication, version check) before the client uses it. */
export type Handshake = (connection: ControlConnection, signal: AbortSignal) => Promise<void>;

/** Reconnection policy. */
export interface ReconnectOptions extends BackoffOptions {
  /** Give up after this many failed attempts in a row. Default `Infinity` (never give up). */
  maxAttempts?: number;
  /** Jitter source. Default {@link randomUnit} of the system's randomness. */
  rng?: JitterRng;
  /** How to wait between attempts. Default: the system clock's `sleep`. */
  sleep?: Sleeper;
}

/** Options of {@link ControlClient.connect}. */
export interface ControlClientOptions {
  /** Opens the socket (see `transport.ts`). */
  open: Opener;
  /** Runs on each new connection before use; default none. */
  handshake?: Handshake;
  /** Where connection-state messages go. */
  log: Logger;
  /** How to name tor in messages, e.g. `127.0.0.1:9051`. Default `tor`. */
  name?: string;
  /** Default request deadline in ms. Default 30 000. */
  timeoutMs?: number;
  /** Deadline for opening a socket and completing the handshake, in ms. Default 30 000. */
  connectTimeoutMs?: number;
  /** Reconnection policy, or `false` to stay closed when the connection is lost. Default `{}`. */
  reconnect?: ReconnectOptions | false;
  /** Wall clock in ms, used to report the interval in which events were missed. */
  now?: () => number;
  /** Limits of the reply framer. */
  framer?: ReplyFramerOptions;
}

/** A live event subscription. */
export interface Subscription {
  /** The event types this subscription receives. */
  readonly eventTypes: readonly string[];
  /** Stops delivery and narrows tor's event set if no one else needs these types. */
  unsubscribe(): Promise<void>;
  /** Same as {@link Subscription.unsubscribe}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const EVENT_TYPE = /^[A-Z][A-Z0-9_]*$/;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A reconnecting control-port client; see the module documentation. */
export class ControlClient implements ControlRequester {
  /** How tor is named in messages. */
  readonly name: string;
  readonly #options: ControlClientOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #events: EventRegistry;
  readonly #stateListeners = new Set<(change: StateChange) => void>();
  readonly #stop = new AbortController();
  #current: ControlConnection | undefined;
  #state: ConnectionState = "disconnected";
  #reconnecting: Promise<void> = Promise.resolve();

  private constructor(options: ControlClientOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#events = new EventRegistry(options.log);
    this.#now = options.now ?? Date.now;
    this.name = options.name ?? "tor";
  }

  /**
   * Opens the first connection and runs the handshake on it.
   *
   * @param options Opener, handshake, logger, deadlines and reconnection policy.
   * @returns A connected client.
   * @throws {ControlError} Whatever the opener or handshake throws (connect, auth, version,
   *   timeout); the first connection is not retried.
   */
  static async connect(options: ControlClientOptions): Promise<ControlClient> {
    const client = new ControlClient(options);
    client.#adopt(await client.#connectOnce());
    client.#setState({ state: "connected" });
    return client;
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** {@inheritDoc ControlRequester.request} */
  request(command: string, options?: RequestOptions): Promise<Reply> {
    const current = this.#current;
    if (!current) {
      const keyword = command.replace(/^\+/, "").split(" ", 1)[0] ?? "";
      return Promise.reject(
        new ControlSocketClosed(
          `Cannot send "${keyword}": not connected to tor on ${this.name} (${this.#state})`,
        ),
      );
    }
    return current.request(command, options);
  }

  /**
   * Calls `listener` on every state change until the returned function is called.
   *
   * @param listener Receives the new state and, on loss, the reason.
   * @returns A function that removes the listener.
   */
  onStateChange(listener: (change: StateChange) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * Delivers every event of the given types to `handler`. Sends `SETEVENTS` with the union of all
   * subscriptions when that union grows, and again after every reconnect.
   *
   * @param eventTypes Event keywords, e.g. `["HS_DESC", "HS_DESC_CONTENT"]`.
   * @param handler Called with each raw 650 reply; exceptions are logged.
   * @returns The subscription.
   * @throws {TypeError} If an event type is not an upper-case keyword.
   * @throws {ControlOperationFailed} If tor does not know an event type (552); nothing is subscribed.
   */
  async subscribe(eventTypes: readonly string[], handler: EventHandler): Promise<Subscription> {
    for (const type of eventTypes) {
      if (!EVENT_TYPE.test(type)) {
        throw new TypeError(`Cannot subscribe to event "${type}": not an event keyword`);
      }
    }
    const { subscriber, grew } = this.#events.add(eventTypes, handler);
    if (this.#current && grew) {
      try {
        await this.request(setEventsCommand(this.#events.types()));
      } catch (error) {
        this.#events.delete(subscriber);
        throw error;
      }
    }
    const unsubscribe = () => this.#unsubscribe(subscriber);
    return { eventTypes: [...eventTypes], unsubscribe, [Symbol.asyncDispose]: unsubscribe };
  }

  /**
   * Stops reconnecting, closes the connection and rejects every pending request with
   * {@link ControlSocketClosed}. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return await this.#reconnecting;
    this.#stop.abort(new ControlSocketClosed(`The client for tor on ${this.name} was closed`));
    const current = this.#current;
    this.#current = undefined;
    await current?.close();
    await this.#reconnecting;
    this.#setState({ state: "closed" });
  }

  async #unsubscribe(subscriber: Subscriber): Promise<void> {
    if (!this.#events.delete(subscriber) || !this.#current) return;
    try {
      await this.request(setEventsCommand(this.#events.types()));
    } catch (error) {
      this.#log.debug(`Could not narrow the event set on ${this.name}: ${messageOf(error)}`);
    }
  }

  /** Opens a socket, runs the handshake and re-issues SETEVENTS, within `connectTimeoutMs`. */
  async #connectOnce(): Promise<ControlConnection> {
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, this.#stop.signal]);
    let connection: ControlConnection | undefined;
    let stage = "opening the socket";
    try {
      const socket = await this.#options.open(signal);
      stage = "in the handshake (is it a Tor control port?)";
      const opened: ControlConnection = new ControlConnection(socket, {
        log: this.#log,
        name: this.name,
        timeoutMs: this.#options.timeoutMs,
        framer: this.#options.framer,
        onEvent: (event) => this.#events.dispatch(event),
        onClose: (reason) => this.#connectionClosed(opened, reason),
      });
      connection = opened;
      await this.#options.handshake?.(opened, signal);
      const types = this.#events.types();
      if (types.length > 0) await opened.request(setEventsCommand(types), { signal });
      return opened;
    } catch (error) {
      await connection?.close();
      if (timeout.aborted && !(error instanceof ControlError)) {
        throw new ControlTimeoutError(
          `Connecting to tor on ${this.name} did not finish within ${timeoutMs} ms: stuck ${stage}`,
          timeoutMs,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Makes `connection` current, unless it closed after its handshake (then throws why). */
  #adopt(connection: ControlConnection): void {
    if (connection.closeReason) throw connection.closeReason;
    this.#current = connection;
  }

  #connectionClosed(connection: ControlConnection, reason: ControlError): void {
    if (connection !== this.#current) return; // A handshake that failed, or after close().
    this.#current = undefined;
    if (this.#stop.signal.aborted) return;
    const types = this.#events.types();
    const missed = types.length > 0
      ? `; events ${types.map((t) => `"${t}"`).join(", ")} sent until it is back are missed`
      : "";
    this.#log.warning(
      `Lost the control connection to tor on ${this.name}: ${reason.message}${missed}`,
    );
    this.#setState({ state: "disconnected", error: reason });
    const policy = this.#options.reconnect ?? {};
    if (policy === false) {
      this.#setState({ state: "closed", error: reason });
      return;
    }
    this.#reconnecting = this.#reconnectLoop(policy, this.#now());
  }

  async #reconnectLoop(policy: ReconnectOptions, lostAt: number): Promise<void> {
    const maxAttempts = policy.maxAttempts ?? Infinity;
    const wait = policy.sleep ?? systemClock.sleep;
    const rng = policy.rng ?? (() => randomUnit());
    let lastError: ControlError | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      try {
        await wait(backoffDelay(attempt, rng, policy), this.#stop.signal);
        const connection = await this.#connectOnce();
        if (this.#stop.signal.aborted) return await connection.close();
        this.#adopt(connection);
        this.#logReconnected(attempt + 1, lostAt);
        this.#setState({ state: "connected" });
        return;
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        lastError = error instanceof ControlError
          ? error
          : new ControlSocketClosed(messageOf(error), { cause: error });
        // A refused password or a too-old tor needs the operator; a tor still starting does not.
        const operatorError = lastError instanceof ControlAuthError ||
          lastError instanceof ControlVersionError;
        this.#log.log(
          operatorError ? "error" : "warning",
          `Reconnect attempt ${attempt + 1} to tor on ${this.name} failed: ${lastError.message}`,
        );
      }
    }
    this.#log.error(`Gave up reconnecting to tor on ${this.name} after ${maxAttempts} attempts`);
    this.#setState({ state: "closed", ...(lastError ? { error: lastError } : {}) });
  }

  #logReconnected(attempts: number, lostAt: number): void {
    const types = this.#events.types();
    const events = types.length > 0
      ? `; re-subscribed to ${types.map((t) => `"${t}"`).join(", ")}; events between ${
        new Date(lostAt).toISOString()
      } and ${new Date(this.#now()).toISOString()} were missed`
      : "";
    this.#log.info(`Reconnected to tor on ${this.name} after ${attempts} attempt(s)${events}`);
  }

  #setState(change: StateChange): void {
    if (this.#state === change.state && change.state !== "disconnected") return;
    this.#state = change.state;
    for (const listener of [...this.#stateListeners]) {
      try {
        listener(change);
      } catch (error) {
        this.#log.error(`A connection-state listener failed: ${messageOf(error)}`);
      }
    }
  }
}

/**
 * The SETEVENTS command line for a set of event types (control-spec §3.4).
 *
 * @param eventTypes Event keywords; none turns all events off.
 * @returns E.g. `SETEVENTS HS_DESC STATUS_CLIENT`.
 */
export function setEventsCommand(eventTypes: readonly string[]): string {
  return ["SETEVENTS", ...eventTypes].join(" ");
}
