/**
 * One frontend service: its key, and for each of its two descriptors
 * (rend-spec's first/current and second/next) what was last published where.
 *
 * Spec: rend-spec-v3 [WHERE-HSDESC], [FIRSTDESCUPLOAD], [SECONDDESCUPLOAD];
 * tor `hs_service.c: set_descriptor_revision_counter()`, `upload_descriptor_to_all()`.
 *
 * When do we publish a descriptor? On every {@link FrontendService.maintain}
 * call (the daemon calls it after each fetch, consensus or connection change,
 * and on a timer), per slot:
 * 1. never published in this process → publish;
 * 2. its time period or SRV changed (period rotation, new SRV) → publish;
 * 3. its responsible HSDirs changed (new consensus) → publish;
 * 4. the chosen intro points changed (a backend came, went, or rotated) → publish;
 * 5. older than `republish-interval` → publish;
 * 6. otherwise, retry each failed HSDir upload whose backoff has run out.
 * Nothing is published without a live consensus or without a usable backend
 * (the descriptors already on the HSDirs stay until they expire).
 *
 * @module
 */

import type { HsBlindIdKey, HsIdKey } from "../keys/mod.ts";
import { blindPublicKey, obRevisionCounter } from "../keys/mod.ts";
import {
  CertCache,
  type HsDescIntroPoint,
  HsDescSigningKeypair,
  MAX_INTRO_POINTS,
} from "../netdoc/hsdesc/mod.ts";
import type { DescriptorSlot, DescriptorTimes, TimePeriod } from "../time/mod.ts";
import { type Backend, type IntroPointId, introPointId } from "./backend.ts";
import type { AuthorizedClient } from "./client_access.ts";
import { buildGroups } from "./frontend_build.ts";
import type { FrontendDeps, FrontendOptions, LeftOut } from "./frontend_deps.ts";
import {
  type BundleStatus,
  bundleStatus,
  type DescriptorSigner,
  type FrontendKeys,
  publicKeyOf,
  revisionKeyOf,
  runOutWarning,
  RunOutWarnings,
  signerFor,
} from "./frontend_keys.ts";
import type { NetworkView, Relay } from "./network.ts";
import { nextDueOf, planUploads, type PublishedSlot, publishReason, sourcesOf } from "./publish.ts";
import { chooseIntroPoints, planDescriptors } from "./selection.ts";
import { type HsDirUpload, Uploader } from "./uploads.ts";

export type { FrontendDeps, FrontendOptions, LeftOut, Poster } from "./frontend_deps.ts";

const DEFAULT_KEYS_WARNING_MS = 7 * 86_400_000;

const NONE_LEFT_OUT: LeftOut = () => undefined;

const SLOTS: readonly DescriptorSlot[] = ["first", "second"];

/** Time periods whose signing key a frontend keeps (the two slots' periods, and one spare). */
const KEPT_SIGNERS = 3;

/** A frontend onion service and its published descriptors. */
export class FrontendService {
  /** The frontend's address, 56 characters without `.onion`. */
  readonly address: string;
  /** `KP_hs_id`. */
  readonly identity: HsIdKey;
  /** The operator's name for it (config `name`), the `service` label of its metrics. */
  name: string | undefined;
  /** Its backends (shared objects: one backend may serve several frontends). */
  backends: Backend[];
  /** Settings. */
  options: FrontendOptions;
  /** Last publish per slot. */
  readonly published = new Map<DescriptorSlot, PublishedSlot>();
  /** Last publish attempt per slot (ms), for OnionBalance's status keys. */
  readonly lastAttemptAt = new Map<DescriptorSlot, number>();
  /**
   * Per slot, why its descriptor cannot be made now (an offline bundle that does not cover
   * the slot's period); absent when it can.
   */
  readonly unpublishable = new Map<DescriptorSlot, { period: TimePeriod; reason: string }>();
  #keys: FrontendKeys;
  readonly #deps: FrontendDeps;
  readonly #uploader: Uploader;
  readonly #lastCounter = new Map<string, bigint>();
  /**
   * Per time period: the descriptor signing key and the certificates made
   * under it. Like tor, one signing key serves a period's descriptor for its
   * whole life, so a republish re-certifies only intro points it has not
   * certified before. The last {@link KEPT_SIGNERS} periods are kept.
   */
  readonly #signers = new Map<string, CertCache>();
  #building = false;
  #forcedReason: string | undefined;
  readonly #runOut = new RunOutWarnings();
  #clients: readonly AuthorizedClient[] = [];

  constructor(
    init: { address: string; keys: FrontendKeys; backends: Backend[]; options: FrontendOptions },
    deps: FrontendDeps,
  ) {
    this.address = init.address;
    this.#keys = init.keys;
    this.identity = publicKeyOf(init.keys);
    this.backends = init.backends;
    this.options = init.options;
    this.#deps = deps;
    this.#uploader = new Uploader(init.address, deps);
  }

  /** Where the descriptor keys come from. */
  get keys(): FrontendKeys {
    return this.#keys;
  }

  /**
   * Replaces the keys (a reload with a renewed bundle) and republishes: a new bundle has
   * other signing keys.
   *
   * @throws {RangeError} When the keys are for another address.
   */
  set keys(keys: FrontendKeys) {
    if (!publicKeyOf(keys).equals(this.identity)) {
      throw new RangeError(`Cannot replace the keys of ${this.address}.onion with another key`);
    }
    if (keys === this.#keys) return;
    this.#keys = keys;
    this.#signers.clear();
    this.requestRepublish("the offline key bundle changed");
  }

  /**
   * The clients every descriptor is encrypted to (client authorization); empty for a public
   * service.
   */
  get authorizedClients(): readonly AuthorizedClient[] {
    return this.#clients;
  }

  /** Replaces the authorized clients; a different set republishes both descriptors at once. */
  set authorizedClients(clients: readonly AuthorizedClient[]) {
    const ids = (list: readonly AuthorizedClient[]) =>
      new Set(list.map((c) => c.key.toBytes().join(",")));
    const before = ids(this.#clients);
    const after = ids(clients);
    this.#clients = clients;
    if (before.size === after.size && [...after].every((id) => before.has(id))) return;
    if (this.published.size > 0) {
      this.requestRepublish(`the authorized clients changed (${clients.length} now)`);
    }
  }

  /** Republishes both descriptors at the next {@link maintain}, e.g. after tor restarted. */
  requestRepublish(reason: string): void {
    this.#forcedReason = reason;
  }

  /** Backends usable at `nowMs` (and not left out by `leftOut`), and why the others are not. */
  usableBackends(
    nowMs: number,
    leftOut: LeftOut = NONE_LEFT_OUT,
  ): { usable: Backend[]; skipped: Map<string, string> } {
    const usable: Backend[] = [];
    const skipped = new Map<string, string>();
    for (const backend of this.backends) {
      const reason = backend.unusableReason(nowMs, { staleAfterMs: this.options.staleAfterMs }) ??
        leftOut(backend);
      if (reason === undefined) usable.push(backend);
      else skipped.set(backend.address, reason);
    }
    return { usable, skipped };
  }

  /**
   * Publishes or retries what is due (see the module comment), with the
   * usable backends not left out by `leftOut`. Returns when the descriptors
   * are built and their uploads started; results arrive later.
   */
  async maintain(view: NetworkView, nowMs: number, leftOut = NONE_LEFT_OUT): Promise<void> {
    if (this.#building) return;
    this.#building = true;
    try {
      const warning = this.#runOut.due(this.keysStatus(nowMs), nowMs);
      if (warning !== undefined) this.#deps.log.warning(runOutWarning(this.address, warning));
      const { usable } = this.usableBackends(nowMs, leftOut);
      const forced = this.#forcedReason;
      for (const slot of SLOTS) await this.#maintainSlot(slot, view, usable, nowMs, forced);
      if (forced !== undefined && this.#forcedReason === forced) this.#forcedReason = undefined;
    } finally {
      this.#building = false;
    }
  }

  async #maintainSlot(
    slot: DescriptorSlot,
    view: NetworkView,
    usable: Backend[],
    nowMs: number,
    forced: string | undefined,
  ): Promise<void> {
    const times = view.timeline.descriptor(slot);
    const signer = signerFor(this.#keys, times.period, new Date(nowMs));
    if (!signer.ok) {
      this.#cannotPublish(slot, times, signer.reason);
      return;
    }
    this.unpublishable.delete(slot);
    const blinded = blindPublicKey(signer.identity, times.period); // from the secret when held
    const hsDirs = view.responsible(blinded, times, "store");
    const previous = this.published.get(slot);
    const chosen = chooseIntroPoints(
      usable.map((b) => ({ backend: b.address, introPoints: b.introPoints })),
      {
        perBackend: this.options.perBackend,
        idOf: introPointId,
        previous: new Set(previous?.groups.flat()),
      },
    );
    const groups = planDescriptors(chosen, {
      maxPerDescriptor: MAX_INTRO_POINTS,
      fetchSlots: view.params.nReplicas * view.params.spreadFetch,
      distinct: this.options.distinct,
    });
    if (groups.length === 0 || hsDirs.length === 0) return;
    const groupIds = groups.map((g) => g.map(introPointId));
    const reason = forced ??
      publishReason(previous, { times, hsDirs, groupIds }, nowMs, this.options);
    if (reason !== undefined) {
      const plan = { times, blinded, hsDirs, groups, groupIds, reason, signer };
      await this.#publish(slot, plan, usable, view, nowMs);
    } else if (previous !== undefined) {
      this.#retryFailed(previous, nowMs);
    }
  }

  async #publish(
    slot: DescriptorSlot,
    plan: {
      times: DescriptorTimes;
      blinded: HsBlindIdKey;
      hsDirs: Relay[];
      groups: HsDescIntroPoint[][];
      groupIds: IntroPointId[][];
      reason: string;
      signer: DescriptorSigner & { ok: true };
    },
    usable: Backend[],
    view: NetworkView,
    nowMs: number,
  ): Promise<void> {
    const { times, hsDirs, reason } = plan;
    const counter = await this.#nextRevisionCounter(times, nowMs);
    const sources = sourcesOf(usable, nowMs);
    const signer = this.#signerFor(plan.times, plan.signer);
    const built = await buildGroups(plan, {
      counter,
      usable,
      sources,
      nowMs,
      signer,
      authorizedClients: this.#clients.map((c) => c.key),
      rng: this.#deps.rng,
      log: this.#deps.log,
    });
    const published = new Set(built.flatMap((b) => b.introPoints.map(introPointId)));
    for (const id of [...sources.keys()]) if (!published.has(id)) sources.delete(id);
    const slotState: PublishedSlot = {
      times,
      groups: plan.groupIds,
      introPointCounts: built.map((b) => b.introPoints.length),
      introPointKeys: built.map((b) => b.introPoints.map(introPointId)),
      sameRelay: built.map((b) => b.sameRelay),
      sources,
      descriptors: built.map((b) => b.text),
      revisionCounter: counter,
      builtAt: nowMs,
      reason,
      // The HSDirs clients pick from (not always the first spread_fetch of each replica).
      uploads: planUploads(hsDirs, view.responsible(plan.blinded, times, "fetch"), built.length),
    };
    this.published.set(slot, slotState);
    this.lastAttemptAt.set(slot, nowMs);
    this.#deps.metrics?.publish(this.address, slot, reason);
    const sameRelay = slotState.sameRelay.reduce((a, b) => a + b, 0);
    this.#deps.log.info(
      `Publishing the ${slot} descriptor of ${this.address}.onion (${times.period}, revision ${counter}) ` +
        `to ${hsDirs.length} HSDirs: ${reason}; ${built.length} descriptor(s) with ` +
        `${slotState.introPointCounts.join("+")} intro points` +
        (sameRelay > 0 ? ` (${sameRelay} left out: their relay carries another one)` : ""),
    );
    for (const upload of slotState.uploads) this.#upload(slotState, upload, nowMs);
  }

  /**
   * The signing key (with its certificate cache) of `times.period`: the offline bundle's, or
   * one drawn on first use.
   */
  #signerFor(times: DescriptorTimes, descriptorSigner: DescriptorSigner & { ok: true }): CertCache {
    const key = times.period.key;
    let signer = this.#signers.get(key);
    if (signer === undefined) {
      signer = new CertCache(
        descriptorSigner.signingKey ?? HsDescSigningKeypair.generate(this.#deps.rng),
      );
      this.#signers.set(key, signer);
      // Periods come in order: the oldest entries are the ones no slot uses any more.
      for (const old of [...this.#signers.keys()].slice(0, -KEPT_SIGNERS)) {
        this.#signers.delete(old);
      }
    }
    return signer;
  }

  /** OnionBalance's OPE counter, forced strictly above the last one used for this blinded key. */
  async #nextRevisionCounter(times: DescriptorTimes, nowMs: number): Promise<bigint> {
    const key = times.period.key;
    const revisionKey = revisionKeyOf(this.#keys);
    const ope = (await obRevisionCounter(revisionKey, {
      now: Math.floor(nowMs / 1000),
      srvRunStart: times.srvRunStart,
    })).toBigInt();
    revisionKey.fill(0);
    const last = this.#lastCounter.get(key);
    const counter = last !== undefined && ope <= last ? last + 1n : ope;
    this.#lastCounter.set(key, counter);
    return counter;
  }

  /**
   * The offline bundle's span and what is left of it at `nowMs`, or undefined for a key
   * (`bundleStatus`).
   */
  keysStatus(nowMs: number): BundleStatus | undefined {
    return bundleStatus(this.#keys, nowMs, this.options.keysWarningMs ?? DEFAULT_KEYS_WARNING_MS);
  }

  /**
   * Records and logs (once per slot and period) that a slot's descriptor cannot be made. What
   * was published before stays on the HSDirs until it expires.
   */
  #cannotPublish(slot: DescriptorSlot, times: DescriptorTimes, reason: string): void {
    const period = times.period;
    // A record of another period is not this slot's descriptor any more; its pending uploads
    // are dropped (#isCurrent).
    const published = this.published.get(slot);
    if (published !== undefined && !published.times.period.equals(period)) {
      this.published.delete(slot);
    }
    const before = this.unpublishable.get(slot);
    this.unpublishable.set(slot, { period, reason });
    if (before !== undefined && before.period.equals(period) && before.reason === reason) return;
    this.#deps.log.error(
      `Cannot publish the ${slot} descriptor of ${this.address}.onion (${period}): ${reason}. ` +
        `Make a new offline key bundle on the machine that holds the identity key ` +
        `(onionbalance keys offline) and reload.`,
    );
    this.#deps.onChange?.();
  }

  #upload(slot: PublishedSlot, upload: HsDirUpload, nowMs: number): void {
    const descriptor = slot.descriptors[upload.group] ?? slot.descriptors[0]!;
    // A newer descriptor may replace this one before the upload's turn comes.
    this.#uploader.start(descriptor, upload, nowMs, () => this.#isCurrent(slot));
  }

  /**
   * Uploads the slot's descriptor to `hsDir` again now (the audit found its copy there missing
   * or stale). False when the slot has no upload there, or one is under way.
   */
  reupload(slot: DescriptorSlot, hsDir: string): boolean {
    const published = this.published.get(slot);
    const upload = published?.uploads.find((u) => u.relay.fingerprint === hsDir);
    if (published === undefined || upload === undefined || upload.status === "pending") {
      return false;
    }
    this.#upload(published, upload, this.#deps.clock.now());
    return true;
  }

  #isCurrent(slot: PublishedSlot): boolean {
    return [...this.published.values()].includes(slot);
  }

  #retryFailed(slot: PublishedSlot, nowMs: number): void {
    for (const upload of slot.uploads) {
      if (upload.status === "failed" && (upload.nextRetryAt ?? 0) <= nowMs) {
        this.#upload(slot, upload, nowMs);
      }
    }
  }

  /** The earliest time (ms) a retry or republish of this service is due, if any. */
  nextDueAt(): number | undefined {
    return nextDueOf(this.published.values(), this.options.republishIntervalMs);
  }
}
