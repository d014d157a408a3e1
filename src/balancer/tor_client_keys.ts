/**
 * The client keys of restricted backends, given to the balancer's tor (`ONION_CLIENT_AUTH_ADD`)
 * so that its health checks through tor's SOCKS port can reach them, and taken back
 * (`ONION_CLIENT_AUTH_REMOVE`) when a reload drops a backend. A restarted tor has forgotten them:
 * {@link TorClientKeys.forget} makes the next {@link TorClientKeys.giveIfDue} give them all again.
 *
 * Spec: control-spec ONION_CLIENT_AUTH_ADD, ONION_CLIENT_AUTH_REMOVE.
 *
 * @module
 */

import { type HsClient, onionClientAuthAdd, onionClientAuthRemove } from "../control/mod.ts";
import { errorMessage, type Logger } from "../log/mod.ts";
import type { Backend } from "./backend.ts";

/** How long after a failed ONION_CLIENT_AUTH_ADD the daemon tries again (ms). */
const CLIENT_AUTH_RETRY_MS = 60_000;

/** What the balancer's tor holds of the restricted backends' client keys. */
export class TorClientKeys {
  readonly #client: HsClient;
  readonly #log: Logger;
  /** Whether tor holds the client keys of the restricted backends (false: give them). */
  #given = false;
  /** After a failure to give them, not before this time (ms): one error a minute at most. */
  #retryAt = 0;
  /** The client keys given to tor: backend address → public key. */
  readonly #held = new Map<string, string>();

  constructor(client: HsClient, log: Logger) {
    this.#client = client;
    this.#log = log;
  }

  /** The configured keys may have changed (a reload): compare them with tor's at the next tick. */
  recheck(): void {
    this.#given = false;
    this.#retryAt = 0;
  }

  /** tor restarted: it holds none of them any more. */
  forget(): void {
    this.recheck();
    this.#held.clear();
  }

  /**
   * Gives tor the client key of every restricted backend of `backends` and takes back the keys
   * of backends no longer there, unless that is done or a failure was less than a minute ago.
   * A failure is logged and tried again a minute later.
   */
  async giveIfDue(backends: readonly Backend[], now: number): Promise<void> {
    if (this.#given || now < this.#retryAt) return;
    const wanted = new Map<string, Backend>();
    for (const b of backends) if (b.clientKey !== undefined) wanted.set(b.address, b);
    try {
      for (const [address, backend] of wanted) {
        const { file, key } = backend.clientKey!;
        const id = key.public.toBytes().join(",");
        if (this.#held.get(address) === id) continue;
        const secret = key.secret();
        try {
          await onionClientAuthAdd(this.#client, address, secret, { timeoutMs: 10_000 });
        } finally {
          secret.fill(0);
        }
        this.#held.set(address, id);
        this.#log.info(`Gave tor the client key of restricted backend ${address}.onion (${file})`);
      }
      for (const address of [...this.#held.keys()]) {
        if (wanted.has(address)) continue;
        await onionClientAuthRemove(this.#client, address, { timeoutMs: 10_000 });
        this.#held.delete(address);
      }
      this.#given = true;
    } catch (error) {
      this.#retryAt = now + CLIENT_AUTH_RETRY_MS;
      this.#log.error(
        `Cannot give tor the client keys of restricted backends (trying again in ` +
          `${CLIENT_AUTH_RETRY_MS / 1000} s): ${errorMessage(error)}`,
      );
    }
  }
}
