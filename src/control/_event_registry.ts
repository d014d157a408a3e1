/**
 * The set of event subscriptions of one client: which handlers want which event types, the union
 * tor must be told about, and delivery of each 650 reply to its handlers.
 *
 * Spec: control-spec §3.4 SETEVENTS (one set per connection, replaced as a whole), §4.1
 * (the event keyword is the first word of the first line).
 *
 * Role: private to `src/control/`; `client.ts` owns one and sends SETEVENTS with {@link
 * EventRegistry.types} when it changes and after each reconnect. Handler exceptions are logged,
 * never propagated into the reader loop; an event nobody subscribed to is logged at debug level.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { Reply } from "./framing.ts";

/** Receives the raw 650 replies of the subscribed event types. */
export type EventHandler = (event: Reply) => void;

/** One registered handler and its event types. */
export interface Subscriber {
  readonly types: ReadonlySet<string>;
  readonly handler: EventHandler;
}

/** The first word of an event's first line, e.g. `HS_DESC` or `CONF_CHANGED`. */
export function eventType(event: Reply): string {
  return (event.lines[0]?.text ?? "").split(" ", 1)[0] ?? "";
}

/** Handlers by event type. */
export class EventRegistry {
  readonly #subscribers = new Set<Subscriber>();
  readonly #log: Logger;

  /** @param log Where handler failures and unclaimed events are reported. */
  constructor(log: Logger) {
    this.#log = log;
  }

  /** The sorted union of all subscribed event types. */
  types(): string[] {
    const all = new Set<string>();
    for (const subscriber of this.#subscribers) for (const type of subscriber.types) all.add(type);
    return [...all].sort();
  }

  /** Adds a handler; returns it and whether the union of types grew. */
  add(types: readonly string[], handler: EventHandler): { subscriber: Subscriber; grew: boolean } {
    const before = this.types().length;
    const subscriber = { types: new Set(types), handler };
    this.#subscribers.add(subscriber);
    return { subscriber, grew: this.types().length !== before };
  }

  /** Removes a handler; returns whether the union of types shrank (false if it was not there). */
  delete(subscriber: Subscriber): boolean {
    if (!this.#subscribers.delete(subscriber)) return false;
    const remaining = this.types();
    return [...subscriber.types].some((type) => !remaining.includes(type));
  }

  /** Hands `event` to every handler subscribed to its type. */
  dispatch(event: Reply): void {
    const type = eventType(event);
    let delivered = false;
    for (const subscriber of [...this.#subscribers]) {
      if (!subscriber.types.has(type)) continue;
      delivered = true;
      try {
        subscriber.handler(event);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.#log.error(`A handler of "${type}" events failed: ${message}`);
      }
    }
    if (!delivered) this.#log.debug(`Ignored a "${type}" event: no subscriber`);
  }
}
