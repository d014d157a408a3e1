/**
 * Synthetic inputs for the balancer tests: a microdesc consensus and its
 * `md/all` text (N relays with the HSDir flag, `pr HSDir=2` and an ed25519
 * identity in each microdescriptor, plus a few relays that must stay off the
 * ring), backend keys, intro points, and backend descriptors built with
 * {@link buildHsDesc}.
 *
 * Provenance: generated here from seeded randomness; the document layout
 * follows dir-spec §3.4.1 (header), §3.9.2 (microdesc router entries) and
 * §3.3 (microdescriptors), in the form `GETINFO` returns them.
 *
 * @module
 */

import { toBase64, toBase64NoPad, toHex } from "../../src/bytes/mod.ts";
import { benchIntroPoint, consensusTime } from "../../scripts/bench/generate.ts";
import { type Rng, seededRng, sha256 } from "../../src/crypto/mod.ts";
import { HsIdKeypair, onionAddressLabel } from "../../src/keys/mod.ts";
import {
  buildHsDesc,
  decodeHsDesc,
  type HsDesc,
  type IntroPointSource,
} from "../../src/netdoc/mod.ts";
import { Backend, NetworkView } from "../../src/balancer/mod.ts";
import type { TimePeriod } from "../../src/time/mod.ts";

/** 2030-01-01 13:00:00 UTC: time period 21915, between TP start (12:00) and the next SRV. */
export const VALID_AFTER = 1893502800;

/** Options of {@link networkDocuments}. */
export interface NetworkOptions {
  /** Relays on the v3 HSDir ring (default 30). */
  hsDirs?: number;
  /** `valid-after`, Unix seconds (default {@link VALID_AFTER}). */
  validAfter?: number;
  /** fresh-until − valid-after, seconds (default 3600). */
  votingIntervalSeconds?: number;
  /** The `params` line (default: none, so tor's defaults 2/4/3). */
  params?: Readonly<Record<string, number>>;
  /** Whether the SRV lines are present (default true). */
  srvs?: boolean;
  /** Seed of every random value (default "network"). */
  seed?: string;
}

/** One relay of the fixture network. */
export interface FixtureRelay {
  nickname: string;
  /** 40 uppercase hex digits. */
  fingerprint: string;
  /** Whether it belongs on the v3 HSDir ring. */
  onRing: boolean;
}

/** The two control-port answers, and the relays behind them. */
export interface NetworkDocuments {
  /** `GETINFO dir/status-vote/current/consensus-microdesc`. */
  consensus: string;
  /** `GETINFO md/all`. */
  microdescs: string;
  /** Every relay in consensus order. */
  relays: FixtureRelay[];
}

const PROTOCOLS =
  "Cons=1-2 Desc=1-2 DirCache=2 FlowCtrl=1-2 HSDir=2 HSIntro=4-5 HSRend=1-2 Link=1-5 " +
  "LinkAuth=1,3 Microdesc=1-2 Padding=2 Relay=1-4";

export { consensusTime };

/** A relay entry and its microdescriptor (`ed25519: false` leaves out the `id ed25519` line). */
function relayEntry(
  rng: Rng,
  nickname: string,
  shape: { flags: string; pr: string; ed25519: boolean; withMicrodesc: boolean },
): { entry: string; microdesc: string; relay: FixtureRelay } {
  const rsaId = rng(20);
  const microdesc = "onion-key\n" +
    `ntor-onion-key ${toBase64NoPad(rng(32))}\n` +
    (shape.ed25519 ? `id ed25519 ${toBase64NoPad(rng(32))}\n` : "");
  const digest = shape.withMicrodesc ? toBase64NoPad(sha256(microdesc)) : toBase64NoPad(rng(32));
  const entry = [
    `r ${nickname} ${toBase64NoPad(rsaId)} 2030-01-01 12:00:00 10.0.0.1 9001 0`,
    `m ${digest}`,
    `s ${shape.flags}`,
    "v Tor 0.4.9.11",
    `pr ${shape.pr}`,
    "w Bandwidth=1000",
  ].join("\n");
  return {
    entry,
    microdesc: shape.withMicrodesc ? microdesc : "",
    relay: {
      nickname,
      fingerprint: toHex(rsaId).toUpperCase(),
      onRing: shape.flags.includes("HSDir") && shape.pr.includes("HSDir=2") && shape.ed25519 &&
        shape.withMicrodesc,
    },
  };
}

/**
 * A microdesc consensus and `md/all` text: `hsDirs` relays that qualify as
 * v3 HSDirs, and four that do not (no HSDir flag; `HSDir=1` only; no
 * `id ed25519`; microdescriptor missing from `md/all`).
 */
export function networkDocuments(options: NetworkOptions = {}): NetworkDocuments {
  const rng = seededRng(options.seed ?? "network");
  // Separate streams, so that adding relays keeps the SRVs.
  const srvRng = seededRng(`${options.seed ?? "network"} srv`);
  const validAfter = options.validAfter ?? VALID_AFTER;
  const interval = options.votingIntervalSeconds ?? 3600;
  const onRing = { flags: "Fast HSDir Running Stable V2Dir Valid", pr: PROTOCOLS };
  const shapes = [
    ...Array.from({ length: options.hsDirs ?? 30 }, () => ({
      ...onRing,
      ed25519: true,
      withMicrodesc: true,
    })),
    { flags: "Fast Running Stable V2Dir Valid", pr: PROTOCOLS, ed25519: true, withMicrodesc: true },
    { ...onRing, pr: "HSDir=1 Link=1-5", ed25519: true, withMicrodesc: true },
    { ...onRing, ed25519: false, withMicrodesc: true },
    { ...onRing, ed25519: true, withMicrodesc: false },
  ];
  const entries = shapes.map((shape, i) => relayEntry(rng, `relay${i}`, shape));
  const params = Object.entries(options.params ?? {}).map(([k, v]) => `${k}=${v}`);
  const header = [
    "network-status-version 3 microdesc",
    "vote-status consensus",
    "consensus-method 33",
    `valid-after ${consensusTime(validAfter)}`,
    `fresh-until ${consensusTime(validAfter + interval)}`,
    `valid-until ${consensusTime(validAfter + 3 * interval)}`,
    "voting-delay 300 300",
    "known-flags Authority Exit Fast Guard HSDir Running Stable V2Dir Valid",
    ...(params.length > 0 ? [`params ${params.join(" ")}`] : []),
    ...(options.srvs === false ? [] : [
      `shared-rand-previous-value 9 ${toBase64(srvRng(32))}`,
      `shared-rand-current-value 9 ${toBase64(srvRng(32))}`,
    ]),
  ];
  const consensus = [
    ...header,
    ...entries.map((e) => e.entry),
    "directory-footer",
    "bandwidth-weights Wbd=0",
    "",
  ].join("\n");
  return {
    consensus,
    microdescs: entries.map((e) => e.microdesc).join(""),
    relays: entries.map((e) => e.relay),
  };
}

/** A {@link NetworkView} of {@link networkDocuments}. */
export function networkView(options: NetworkOptions = {}): NetworkView {
  const docs = networkDocuments(options);
  return NetworkView.fromDocuments(docs.consensus, docs.microdescs, { isTestingNetwork: false });
}

/** A backend instance: its keypair, address and a fresh {@link Backend}. */
export interface FixtureBackend {
  identity: HsIdKeypair;
  address: string;
  backend: Backend;
}

/** The backend `label`'s keys (deterministic). */
export function fixtureBackend(label: string): FixtureBackend {
  const identity = HsIdKeypair.fromSeed(seededRng(`backend ${label}`)(32));
  const address = onionAddressLabel(identity.public);
  return { identity, address, backend: new Backend(address, identity.public) };
}

/** A frontend keypair (deterministic). */
export function frontendKey(label = "frontend"): HsIdKeypair {
  return HsIdKeypair.fromSeed(seededRng(`frontend ${label}`)(32));
}

/** An intro point as tor would make it, its keys derived from `label`; certs expire at `expirationHours`. */
export function introPoint(label: string, expirationHours: number): IntroPointSource {
  return benchIntroPoint(seededRng(`intro ${label}`), expirationHours);
}

/** Options of {@link backendDescriptor}. */
export interface BackendDescriptorOptions {
  /** The time period it is for. */
  period: TimePeriod;
  /** `revision-counter`. */
  revisionCounter: bigint;
  /** When it is built (and certs are valid from). */
  now: Date;
  /** Intro points, e.g. from {@link introPoint}. */
  introPoints: readonly IntroPointSource[];
}

/** A backend's descriptor text, as its tor would upload it. */
export async function backendDescriptor(
  identity: HsIdKeypair,
  options: BackendDescriptorOptions,
): Promise<string> {
  const built = await buildHsDesc(
    { identity, ...options },
    { rng: seededRng(`descriptor ${options.revisionCounter}`) },
  );
  return built.text;
}

/** {@link backendDescriptor}, decoded and checked as the balancer would. */
export async function decodedBackendDescriptor(
  identity: HsIdKeypair,
  options: BackendDescriptorOptions,
): Promise<HsDesc> {
  return await decodeHsDesc(await backendDescriptor(identity, options), {
    identity: identity.public,
    periods: [options.period],
    now: options.now,
  });
}

/** Intro-point labels `"<backend>/<i>"` for `count` intro points. */
export function introLabels(backend: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${backend}/${i}`);
}

/** Cert expiry (hours since the epoch) 54 h after `seconds`, like tor's. */
export function expiryAfter(seconds: number): number {
  return Math.ceil(seconds / 3600) + 54;
}

/**
 * Gives `b`'s {@link Backend} its first descriptor, as a fetch at `nowMs` would: revision 1,
 * `count` intro points, for the clients' period of `view`.
 */
export async function acceptFirstDescriptor(
  b: FixtureBackend,
  view: NetworkView,
  nowMs: number,
  count = 3,
): Promise<void> {
  b.backend.accept(
    await decodedBackendDescriptor(b.identity, {
      period: view.timeline.fetch().period,
      revisionCounter: 1n,
      now: new Date(nowMs),
      introPoints: introLabels(b.address, count).map((l) =>
        introPoint(l, expiryAfter(nowMs / 1000))
      ),
    }),
    nowMs,
  );
}
