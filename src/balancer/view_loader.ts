/**
 * Keeps the daemon's network view current: reads tor's consensus and
 * microdescriptors when a new consensus arrived, when tor came back, or every
 * 15 minutes, and tells the daemon when the time period changed.
 *
 * Spec: rend-spec-v3 [FETCHUPLOADDESC] (time periods and the ring come from
 * the consensus, not from a clock); control-spec GETINFO dir/status-vote/current/consensus-microdesc.
 *
 * @module
 */

import type { HsClient } from "../control/mod.ts";
import { errorMessage, type Logger } from "../log/mod.ts";
import type { NetworkView } from "./network.ts";
import { describeConsensusWait, isTestingNetwork, loadNetworkView } from "./tor.ts";

const VIEW_RETRY_MS = 5_000;
const VIEW_MAX_AGE_MS = 15 * 60_000;

/** What the loader works with. */
export interface ViewLoaderDeps {
  client: HsClient;
  log: Logger;
  /** Force testing-network time periods; otherwise asked from tor once. */
  isTestnet?: boolean;
  /** Says what the daemon waits for (logged at each change, and every minute). */
  waitFor: (what: string, now: number) => void;
  /** A view of a later time period than the one before was loaded. */
  onPeriodChange: (view: NetworkView, now: number) => void;
}

/** The network view and when to read it again. */
export class ViewLoader {
  readonly #deps: ViewLoaderDeps;
  #view?: NetworkView;
  #loadedAt = 0;
  #stale = true;
  #retryAt = 0;
  #testnet?: boolean;

  constructor(deps: ViewLoaderDeps) {
    this.#deps = deps;
  }

  /** The view last loaded, if any. */
  get view(): NetworkView | undefined {
    return this.#view;
  }

  /** Reads the view again at the next {@link live} (a consensus arrived, tor came back). */
  markStale(): void {
    this.#stale = true;
    this.#retryAt = 0;
  }

  /** The view, read again first when stale; undefined while tor has no live consensus. */
  async live(now: number): Promise<NetworkView | undefined> {
    if ((this.#stale || now - this.#loadedAt > VIEW_MAX_AGE_MS) && now >= this.#retryAt) {
      await this.#load(now);
    }
    const view = this.#view;
    if (view === undefined) return undefined;
    if (!view.isLive(Math.floor(now / 1000))) {
      this.#deps.waitFor("a live consensus (the one tor has is more than 24 h out of date)", now);
      return undefined;
    }
    return view;
  }

  /** When the next read is due (a retry after a failed read), if one is pending. */
  nextDueAt(): number | undefined {
    return this.#stale ? this.#retryAt : undefined;
  }

  async #load(now: number): Promise<void> {
    const { client, log } = this.#deps;
    try {
      this.#testnet ??= this.#deps.isTestnet || await isTestingNetwork(client);
      const view = await loadNetworkView(client, {
        isTestingNetwork: this.#testnet,
        previous: this.#view,
      });
      const before = this.#view?.timeline.currentPeriod.number;
      this.#view = view;
      this.#loadedAt = now;
      this.#stale = false;
      if (before !== undefined && view.timeline.currentPeriod.number > before) {
        this.#deps.onPeriodChange(view, now);
      }
      log.info(
        `Consensus valid-after ${new Date(view.consensus.validAfter * 1000).toISOString()}: ` +
          `${view.relays.length} relays, ${view.hsDirs.length} v3 HSDirs, current ${view.timeline.currentPeriod}` +
          (view.relaysWithoutMicrodesc > 0
            ? `, ${view.relaysWithoutMicrodesc} without microdescriptor`
            : ""),
      );
    } catch (error) {
      this.#retryAt = now + VIEW_RETRY_MS;
      log.debug(`Cannot read tor's consensus: ${errorMessage(error)}`);
      this.#deps.waitFor(`tor's consensus: ${await describeConsensusWait(client, error)}`, now);
    }
  }
}
