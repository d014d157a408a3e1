// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * Deterministic inputs for the benchmarks (`deno task bench`): a microdesc
 * consensus and `md/all` as tor's control port returns them, backend
 * descriptors made with real keys and certificates, a frontend key, the keys
 * of the shared-hosting run, and a fixed clock. The folder format is
 * described in `scripts/bench/README.md`.
 *
 * Spec: dir-spec §3.4.1 (consensus header), §3.9.2 (microdesc router
 * entries), §3.3 (microdescriptors); rend-spec-v3 §2.4–§2.5 (descriptors,
 * built with `src/netdoc/hsdesc` exactly as tor 0.4.9 builds them), §2.2
 * [HASHRING], §2.3 [PUB-SHAREDRANDOM]; param-spec (`hsdir_*`).
 *
 * Role: a tool, not part of the balancer. Every random value comes from
 * `seededRng(seed + label)`, so the same options give the same bytes.
 * The keys it writes are throwaway benchmark keys.
 *
 * Run: `deno run --allow-read --allow-write=/tmp scripts/bench/generate.ts --out DIR
 * [--relays 7000] [--hsdirs 4000] [--seed bench-v1] [--consensus FILE --microdescs FILE...]`.
 * With `--consensus`, that consensus and those microdescriptor files (tor's
 * `cached-microdesc-consensus`, `cached-microdescs`, `cached-microdescs.new`)
 * are used instead of synthetic ones, and the backends and clock follow its
 * valid-after.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { compareBytes, toBase64, toBase64NoPad, toHex } from "../../src/bytes/mod.ts";
import { Ed25519Identity } from "../../src/cert/mod.ts";
import {
  ed25519FromCurve25519,
  publicKeyFromSeed,
  type Rng,
  seededRng,
  sha256,
  x25519PublicKey,
} from "../../src/crypto/mod.ts";
import { encodePkcs8Pem, HsIdKeypair, onionAddressLabel } from "../../src/keys/mod.ts";
import {
  buildHsDesc,
  HsIntroPtSessionIdKey,
  HsSvcNtorKey,
  type IntroPointSource,
  IntroPtNtorKey,
  type LinkSpecifier,
  LinkSpecifiers,
} from "../../src/netdoc/hsdesc/mod.ts";
import { parseMicrodescConsensus } from "../../src/netdoc/consensus.ts";
import { HsTimeline } from "../../src/time/mod.ts";

/** Name and version of the input-folder format (see `README.md`). */
export const INPUT_FORMAT = "onionbalance-bench-input";
/** Version of {@link INPUT_FORMAT}. */
export const INPUT_VERSION = 2;

/** 2030-01-01 13:00:00 UTC: between a time period's start (12:00) and the next SRV (00:00). */
export const DEFAULT_VALID_AFTER = 1893502800;
/** The fixed clock: 25 minutes after valid-after. */
export const CLOCK_OFFSET_SECONDS = 25 * 60;
/**
 * How the next hour's consensus differs (the `next:K` stage), in percent of the relays: relays
 * that left, relays that joined (new identities), relays with a new microdescriptor (a new
 * ntor onion key; same identities). Every relay's `w Bandwidth=` changes too, so hardly any
 * router entry is byte-identical to the hour before. Assumed, not measured: a few percent of
 * relays come and go per hour, and onion keys rotate every 28 days (0.15 % per hour) plus
 * restarts; the figures here are on the high side for one hour.
 */
export const NEXT_HOUR_CHURN = { leftPercent: 2, joinedPercent: 2, newMicrodescPercent: 1 };

/** Backend-set sizes K. */
export const BACKEND_SETS: readonly number[] = [1, 10, 60];

/** Options of {@link generateInputs}. */
export interface GenerateOptions {
  /** Seed of every random value. */
  seed: string;
  /** Relays in the synthetic consensus (ignored with `imported`). */
  relays: number;
  /** Of those, relays with the HSDir flag (all have `pr HSDir=2`). */
  hsDirs: number;
  /** Backend-set sizes; the largest is the number of backends made. */
  sets: readonly number[];
  /** Intro points per backend descriptor. */
  introPointsPerBackend: number;
  /** Frontends of the shared-hosting run. */
  sharedFrontends: number;
  /** Backends per shared-hosting frontend. */
  sharedBackendsPerFrontend: number;
  /** `valid-after` of the synthetic consensus, Unix seconds. */
  validAfter?: number;
  /** A real consensus and microdescriptor files instead of synthetic ones. */
  imported?: { consensus: string; microdescFiles: readonly string[]; source: string };
}

/** The default options: the issue's ~7,000 relays, ~4,000 HSDirs, K ∈ {1, 10, 60}, 1,000 × 3. */
export const DEFAULT_OPTIONS: GenerateOptions = {
  seed: "bench-v1",
  relays: 7000,
  hsDirs: 4000,
  sets: BACKEND_SETS,
  introPointsPerBackend: 3,
  sharedFrontends: 1000,
  sharedBackendsPerFrontend: 3,
};

/** `manifest.json`: what is in the folder. */
export interface InputManifest {
  format: typeof INPUT_FORMAT;
  version: typeof INPUT_VERSION;
  /** How the network documents were made. */
  source: string;
  /** Options the folder was generated with (the network part is absent when imported). */
  options: Omit<GenerateOptions, "imported"> & { imported?: string };
  /** Relays in the consensus, and of those with the HSDir flag. */
  relays: number;
  hsDirFlag: number;
  /** `valid-after` of the consensus, Unix seconds. */
  validAfter: number;
  /** The frontend of the single-service stages. */
  frontend: { address: string; key: string };
  /** Backends in order; a set of size K is the first K. */
  backends: { address: string; key: string; descriptor: string }[];
  /** Backend addresses per set size K. */
  sets: Record<string, string[]>;
  /**
   * A later descriptor of the first backend with three new intro points (its
   * tor rotated them), for the republish stage.
   */
  rotated: { address: string; descriptor: string };
  /**
   * The next hour (the `next:K` stage): its consensus and `md/all` ({@link NEXT_HOUR_CHURN}),
   * its clock (one hour later), and what changed.
   */
  next: {
    consensus: string;
    microdescs: string;
    now: number;
    relays: number;
    left: number;
    joined: number;
    newMicrodescs: number;
  };
  /** Shared hosting: frontend i uses backends (n·i + j) mod |backends|, j < n. */
  shared: { frontends: { address: string; key: string }[]; backendsPerFrontend: number };
}

/** `clock.json`: the fixed clock both implementations run on. */
export interface InputClock {
  /** Unix seconds. */
  now: number;
  /** The same instant, ISO 8601. */
  iso: string;
}

/** A generated input folder, in memory: relative path → content. */
export interface GeneratedInputs {
  manifest: InputManifest;
  clock: InputClock;
  files: Map<string, string>;
}

const MODERN_PR = "Conflux=1 Cons=1-2 Desc=1-2 DirCache=2 FlowCtrl=1-2 HSDir=2 HSIntro=4-5 " +
  "HSRend=1-2 Link=1-5 LinkAuth=1,3 Microdesc=1-2 Padding=2 Relay=1-4";
const VERSIONS = ["Tor 0.4.8.13", "Tor 0.4.8.14", "Tor 0.4.8.16", "Tor 0.4.9.1-alpha"];
const AUTHORITIES = [
  "moria1",
  "tor26",
  "dizum",
  "gabelmoo",
  "dannenberg",
  "maatuska",
  "longclaw",
  "bastet",
  "faravahar",
];

/** `YYYY-MM-DD HH:MM:SS` (UTC) of Unix seconds. */
export function consensusTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}

/** A uniform integer in [0, n) (n < 2^16 is enough here; the bias of 32-bit modulo is irrelevant). */
function below(rng: Rng, n: number): number {
  return new DataView(rng(4).buffer).getUint32(0) % n;
}

function armor(type: string, bytes: Uint8Array): string {
  const lines = toBase64(bytes).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}

function ipv4(rng: Rng): string {
  return Array.from(rng(4), (b) => String(1 + (b % 254))).join(".");
}

function ipv6(rng: Rng): string {
  const words = Array.from({ length: 6 }, () => toHex(rng(2)).replace(/^0+(?=.)/, ""));
  return `2001:db8:${words.join(":")}`;
}

/** One relay: its consensus entry and its microdescriptor. */
interface SynthRelay {
  rsaId: Uint8Array;
  entry: string;
  microdesc: string;
}

function synthRelay(rng: Rng, index: number, hsDir: boolean, validAfter: number): SynthRelay {
  const rsaId = rng(20);
  const exit = below(rng, 100) < 15;
  const family = below(rng, 100) < 10
    ? `family ${
      Array.from({ length: 2 + below(rng, 4) }, () => `$${toHex(rng(20)).toUpperCase()}`)
        .join(" ")
    }\n`
    : "";
  // The RSA onion key is random bytes in the shape of a 1024-bit key's DER:
  // neither OnionBalance nor this project parses it.
  const microdesc = "onion-key\n" +
    armor("RSA PUBLIC KEY", new Uint8Array([0x30, 0x81, 0x89, ...rng(137)])) +
    `ntor-onion-key ${toBase64(x25519PublicKey(rng(32)))}\n` +
    family +
    (exit ? "p accept 20-23,43,53,79-81,88,110,143,194,220,389,443,464,531,543-544,554\n" : "") +
    `id ed25519 ${toBase64NoPad(publicKeyFromSeed(rng(32)))}\n`;
  const flags = [
    "Fast",
    ...(hsDir || below(rng, 3) === 0 ? ["Guard"] : []),
    ...(exit ? ["Exit"] : []),
    ...(hsDir ? ["HSDir"] : []),
    "Running",
    ...(hsDir || below(rng, 2) === 0 ? ["Stable"] : []),
    "V2Dir",
    "Valid",
  ];
  const published = consensusTime(validAfter - 3600 * (1 + below(rng, 17)) - below(rng, 3600));
  const orPort = [443, 9001, 9001, 8443][below(rng, 4)]!;
  const entry = [
    `r bench${index.toString(36)} ${toBase64NoPad(rsaId)} ${published} ${ipv4(rng)} ${orPort} 0`,
    ...(below(rng, 10) < 3 ? [`a [${ipv6(rng)}]:${orPort}`] : []),
    `m ${toBase64NoPad(sha256(microdesc))}`,
    `s ${flags.join(" ")}`,
    `v ${VERSIONS[below(rng, VERSIONS.length)]}`,
    `pr ${MODERN_PR}`,
    `w Bandwidth=${1 + below(rng, 60000)}`,
  ].join("\n") + "\n";
  return { rsaId, entry, microdesc };
}

/**
 * A synthetic microdesc consensus (sorted by RSA identity, as tor writes it)
 * and its microdescriptors.
 */
export function synthNetwork(
  seed: string,
  options: { relays: number; hsDirs: number; validAfter: number },
): { consensus: string; microdescs: string[] } {
  const rng = seededRng(`${seed} network`);
  const order = Array.from({ length: options.relays }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = below(rng, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const hsDirSet = new Set(order.slice(0, Math.min(options.hsDirs, options.relays)));
  const relays = Array.from(
    { length: options.relays },
    (_, i) => synthRelay(rng, i, hsDirSet.has(i), options.validAfter),
  );
  relays.sort((a, b) => compareBytes(a.rsaId, b.rsaId));
  const va = options.validAfter;
  const header = [
    "network-status-version 3 microdesc",
    "vote-status consensus",
    "consensus-method 34",
    `valid-after ${consensusTime(va)}`,
    `fresh-until ${consensusTime(va + 3600)}`,
    `valid-until ${consensusTime(va + 3 * 3600)}`,
    "voting-delay 300 300",
    "client-versions 0.4.8.13,0.4.8.14,0.4.8.16,0.4.9.1-alpha",
    "server-versions 0.4.8.13,0.4.8.14,0.4.8.16,0.4.9.1-alpha",
    "known-flags Authority BadExit Exit Fast Guard HSDir MiddleOnly Running Stable StaleDesc " +
    "Sybil V2Dir Valid",
    "recommended-client-protocols Cons=2 Desc=2 DirCache=2 HSDir=2 HSIntro=4 HSRend=2 Link=4-5 " +
    "Microdesc=2 Relay=2",
    "recommended-relay-protocols Cons=2 Desc=2 DirCache=2 HSDir=2 HSIntro=4 HSRend=2 Link=4-5 " +
    "LinkAuth=3 Microdesc=2 Relay=2",
    "required-client-protocols Cons=2 Desc=2 Link=4 Microdesc=2 Relay=2",
    "required-relay-protocols Cons=2 Desc=2 DirCache=2 HSDir=2 HSIntro=4 HSRend=2 Link=4-5 " +
    "LinkAuth=3 Microdesc=2 Relay=2",
    "params CircuitPriorityHalflifeMsec=30000 DoSCircuitCreationEnabled=1 " +
    "DoSConnectionEnabled=1 NumDirectoryGuards=3 NumEntryGuards=1 cc_alg=2 hsdir_spread_store=4",
    `shared-rand-previous-value 9 ${toBase64(rng(32))}`,
    `shared-rand-current-value 9 ${toBase64(rng(32))}`,
  ].join("\n") + "\n";
  const authorities = AUTHORITIES.map((name) => ({
    name,
    id: toHex(rng(20)).toUpperCase(),
    signingKey: toHex(rng(20)).toUpperCase(),
    address: ipv4(rng),
  }));
  const sources = authorities.map((a) =>
    `dir-source ${a.name} ${a.id} ${a.address} ${a.address} 80 443\n` +
    `contact ${a.name} operators\n` +
    `vote-digest ${toHex(rng(20)).toUpperCase()}\n`
  ).join("");
  const footer = "directory-footer\n" +
    "bandwidth-weights Wbd=0 Wbe=0 Wbg=4131 Wbm=10000 Wdb=10000 Web=10000 Wed=10000 Wee=10000 " +
    "Weg=10000 Wem=10000 Wgb=10000 Wgd=0 Wgg=5869 Wgm=5869 Wmb=10000 Wmd=0 Wme=0 Wmg=4131 " +
    "Wmm=10000\n" +
    authorities.map((a) =>
      `directory-signature sha256 ${a.id} ${a.signingKey}\n` + armor("SIGNATURE", rng(256))
    ).join("");
  return {
    consensus: header + sources + relays.map((r) => r.entry).join("") + footer,
    microdescs: relays.map((r) => r.microdesc),
  };
}

/** The base64 RSA identity (second field of the `r` line) of a router entry, as bytes. */
function entryRsaId(entry: string): Uint8Array {
  const field = entry.slice(2, entry.indexOf("\n")).split(" ")[1] ?? "";
  return Uint8Array.from(
    atob(field + "=".repeat((4 - (field.length % 4)) % 4)),
    (c) => c.charCodeAt(0),
  );
}

/**
 * The consensus of the hour after `consensusText` and its microdescriptors:
 * valid-after one hour later, the same SRVs (same day), {@link NEXT_HOUR_CHURN}
 * applied, entries sorted by RSA identity. Works on an imported consensus too
 * (the joining relays are synthetic).
 */
export function nextHourNetwork(
  seed: string,
  consensusText: string,
  microdescs: readonly string[],
  options: { hsDirShare: number },
): {
  consensus: string;
  microdescs: string[];
  left: number;
  joined: number;
  newMicrodescs: number;
} {
  const rng = seededRng(`${seed} next hour`);
  const byDigest = new Map(microdescs.map((md) => [toBase64NoPad(sha256(md)), md]));
  const firstEntry = consensusText.indexOf("\nr ") + 1;
  const footerAt = consensusText.indexOf("\ndirectory-footer") + 1;
  const validAfter = parseMicrodescConsensus(consensusText).validAfter;
  const next = validAfter + 3600;
  const header = consensusText.slice(0, firstEntry)
    .replace(/^valid-after .*$/m, `valid-after ${consensusTime(next)}`)
    .replace(/^fresh-until .*$/m, `fresh-until ${consensusTime(next + 3600)}`)
    .replace(/^valid-until .*$/m, `valid-until ${consensusTime(next + 3 * 3600)}`);
  const entries = consensusText.slice(firstEntry, footerAt).split(/(?=^r )/m);
  const out: { rsaId: Uint8Array; entry: string; microdesc?: string }[] = [];
  let left = 0;
  let newMicrodescs = 0;
  const percent = () => below(rng, 10_000) / 100;
  for (const entry of entries) {
    const roll = percent();
    if (roll < NEXT_HOUR_CHURN.leftPercent) {
      left++;
      continue;
    }
    let text = entry.replace(/^w Bandwidth=\d+/m, `w Bandwidth=${1 + below(rng, 60000)}`);
    const digest = /^m (\S+)/m.exec(entry)?.[1];
    let microdesc = digest === undefined ? undefined : byDigest.get(digest);
    if (
      microdesc !== undefined &&
      roll < NEXT_HOUR_CHURN.leftPercent + NEXT_HOUR_CHURN.newMicrodescPercent
    ) {
      newMicrodescs++;
      microdesc = microdesc.replace(
        /^ntor-onion-key \S+$/m,
        `ntor-onion-key ${toBase64(x25519PublicKey(rng(32)))}`,
      );
      text = text.replace(/^m \S+$/m, `m ${toBase64NoPad(sha256(microdesc))}`);
    }
    out.push({ rsaId: entryRsaId(text), entry: text, microdesc });
  }
  const joined = Math.round((entries.length * NEXT_HOUR_CHURN.joinedPercent) / 100);
  for (let i = 0; i < joined; i++) {
    const hsDir = below(rng, 10_000) < options.hsDirShare * 10_000;
    const relay = synthRelay(rng, entries.length + i, hsDir, next);
    out.push({ rsaId: relay.rsaId, entry: relay.entry, microdesc: relay.microdesc });
  }
  out.sort((a, b) => compareBytes(a.rsaId, b.rsaId));
  return {
    consensus: header + out.map((e) => e.entry).join("") + consensusText.slice(footerAt),
    microdescs: out.flatMap((e) => (e.microdesc === undefined ? [] : [e.microdesc])),
    left,
    joined,
    newMicrodescs,
  };
}

/**
 * The microdescriptors of tor's cache files (`cached-microdescs` and its
 * journal `.new`): annotations (`@last-listed …`) dropped, each
 * microdescriptor once, in first-seen order — what `GETINFO md/all` lists.
 */
export function microdescsFromCacheFiles(files: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const file of files) {
    const lines = file.replace(/\r\n/g, "\n").split("\n").filter((l) => !l.startsWith("@"));
    const text = lines.join("\n");
    const starts: number[] = [];
    const re = /(^|\n)onion-key(?=[ \n]|$)/g;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) starts.push(m.index + m[1]!.length);
    for (const [i, start] of starts.entries()) {
      let body = text.slice(start, starts[i + 1] ?? text.length);
      body = body.replace(/\n*$/, "\n");
      if (!seen.has(body)) {
        seen.add(body);
        out.push(body);
      }
    }
  }
  return out;
}

/** `GETINFO md/all`: microdescriptors concatenated; tor's reply loses the last final newline. */
export function mdAllText(microdescs: readonly string[]): string {
  return microdescs.join("").replace(/\n$/, "");
}

/** An intro point as a tor 0.4.9 backend makes one: real x25519/ed25519 keys, tor's link-specifier order. */
export function benchIntroPoint(rng: Rng, expirationHours: number): IntroPointSource {
  const encKey = x25519PublicKey(rng(32));
  const port = 9001;
  const specs: LinkSpecifier[] = [
    { kind: "ipv4", address: ipv4(rng), port },
    { kind: "legacy-id", rsaId: rng(20) },
    { kind: "ed25519-id", ed25519Id: publicKeyFromSeed(rng(32)) },
  ];
  if (below(rng, 10) < 3) specs.push({ kind: "ipv6", address: ipv6(rng), port });
  return {
    linkSpecifiers: LinkSpecifiers.encode(specs),
    onionKey: IntroPtNtorKey.fromBytes(x25519PublicKey(rng(32))),
    authKey: HsIntroPtSessionIdKey.fromBytes(publicKeyFromSeed(rng(32))),
    authKeyCert: { expirationHours },
    encKey: HsSvcNtorKey.fromBytes(encKey),
    encKeyCert: {
      certifiedKey: Ed25519Identity.fromBytes(ed25519FromCurve25519(encKey, 0)),
      expirationHours,
    },
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Generates a whole input folder in memory.
 *
 * @throws {NetdocSyntaxError} When an imported consensus cannot be parsed.
 */
export async function generateInputs(options: GenerateOptions): Promise<GeneratedInputs> {
  const files = new Map<string, string>();
  let consensusText: string;
  let microdescs: string[];
  if (options.imported !== undefined) {
    consensusText = options.imported.consensus;
    microdescs = microdescsFromCacheFiles(options.imported.microdescFiles);
  } else {
    const synth = synthNetwork(options.seed, {
      relays: options.relays,
      hsDirs: options.hsDirs,
      validAfter: options.validAfter ?? DEFAULT_VALID_AFTER,
    });
    consensusText = synth.consensus;
    microdescs = synth.microdescs;
  }
  files.set("consensus-microdesc.txt", consensusText);
  files.set("md-all.txt", mdAllText(microdescs));
  const consensus = parseMicrodescConsensus(consensusText);
  const now = consensus.validAfter + CLOCK_OFFSET_SECONDS;
  const clock: InputClock = { now, iso: new Date(now * 1000).toISOString() };
  const timeline = HsTimeline.fromConsensus(consensus);

  const frontend = HsIdKeypair.fromSeed(seededRng(`${options.seed} frontend`)(32));
  files.set("frontend.pem", encodePkcs8Pem(frontend));

  // Backends publish for the period a client fetches (tor's current descriptor
  // in that segment), built 20 minutes before the clock, intro certs valid 54 h.
  const builtAt = now - 20 * 60;
  const expirationHours = Math.floor(builtAt / 3600) + 54;
  const period = timeline.fetch().period;
  const backends: InputManifest["backends"] = [];
  const count = Math.max(...options.sets);
  for (let i = 0; i < count; i++) {
    const rng = seededRng(`${options.seed} backend ${i}`);
    const identity = HsIdKeypair.fromSeed(rng(32));
    const introPoints = Array.from(
      { length: options.introPointsPerBackend },
      () => benchIntroPoint(rng, expirationHours),
    );
    const built = await buildHsDesc({
      identity,
      period,
      revisionCounter: 100_000 + i,
      now: new Date(builtAt * 1000),
      introPoints,
      flowControl: { versions: "1-2", sendmeInc: 31 },
    }, { rng });
    const name = `backends/${pad(i, 2)}`;
    files.set(`${name}.pem`, encodePkcs8Pem(identity));
    files.set(`${name}.desc`, built.text);
    backends.push({
      address: onionAddressLabel(identity.public),
      key: `${name}.pem`,
      descriptor: `${name}.desc`,
    });
  }
  // The first backend's next descriptor: every intro point rotated, a higher revision counter.
  const rotated = await (async () => {
    const rng = seededRng(`${options.seed} backend 0`);
    const identity = HsIdKeypair.fromSeed(rng(32));
    const next = seededRng(`${options.seed} backend 0 rotated`);
    const built = await buildHsDesc({
      identity,
      period,
      revisionCounter: 200_000,
      now: new Date((builtAt + 60) * 1000),
      introPoints: Array.from(
        { length: options.introPointsPerBackend },
        () => benchIntroPoint(next, expirationHours),
      ),
      flowControl: { versions: "1-2", sendmeInc: 31 },
    }, { rng: next });
    files.set("backends/00.rotated.desc", built.text);
    return { address: onionAddressLabel(identity.public), descriptor: "backends/00.rotated.desc" };
  })();
  const nextHour = nextHourNetwork(options.seed, consensusText, microdescs, {
    hsDirShare: consensus.relays.filter((r) => r.flags.has("HSDir")).length /
      Math.max(1, consensus.relays.length),
  });
  files.set("next/consensus-microdesc.txt", nextHour.consensus);
  files.set("next/md-all.txt", mdAllText(nextHour.microdescs));
  const next: InputManifest["next"] = {
    consensus: "next/consensus-microdesc.txt",
    microdescs: "next/md-all.txt",
    now: now + 3600,
    relays: parseMicrodescConsensus(nextHour.consensus).relays.length,
    left: nextHour.left,
    joined: nextHour.joined,
    newMicrodescs: nextHour.newMicrodescs,
  };
  const shared: InputManifest["shared"]["frontends"] = [];
  for (let i = 0; i < options.sharedFrontends; i++) {
    const key = HsIdKeypair.fromSeed(seededRng(`${options.seed} shared frontend ${i}`)(32));
    const name = `shared/${pad(i, 4)}.pem`;
    files.set(name, encodePkcs8Pem(key));
    shared.push({ address: onionAddressLabel(key.public), key: name });
  }
  const { imported, ...rest } = options;
  const manifest: InputManifest = {
    format: INPUT_FORMAT,
    version: INPUT_VERSION,
    source: imported?.source ?? `synthetic (seed "${options.seed}")`,
    options: imported === undefined ? rest : { ...rest, imported: imported.source },
    relays: consensus.relays.length,
    hsDirFlag: consensus.relays.filter((r) => r.flags.has("HSDir")).length,
    validAfter: consensus.validAfter,
    frontend: { address: onionAddressLabel(frontend.public), key: "frontend.pem" },
    backends,
    sets: Object.fromEntries(
      options.sets.map((k) => [String(k), backends.slice(0, k).map((b) => b.address)]),
    ),
    rotated,
    next,
    shared: { frontends: shared, backendsPerFrontend: options.sharedBackendsPerFrontend },
  };
  return { manifest, clock, files };
}

/** Writes a generated folder to `dir` (created; existing files are overwritten). */
export async function writeInputs(dir: string, inputs: GeneratedInputs): Promise<void> {
  for (const sub of ["backends", "shared", "next"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  for (const [path, content] of inputs.files) await Deno.writeTextFile(`${dir}/${path}`, content);
  await Deno.writeTextFile(`${dir}/clock.json`, JSON.stringify(inputs.clock, null, 2) + "\n");
  // The manifest last: its presence marks a complete folder.
  await Deno.writeTextFile(
    `${dir}/manifest.json`,
    JSON.stringify(inputs.manifest, null, 2) + "\n",
  );
}

/** Reads a folder's manifest and clock. */
export async function readInputs(
  dir: string,
): Promise<{ manifest: InputManifest; clock: InputClock }> {
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)) as InputManifest;
  if (manifest.format !== INPUT_FORMAT || manifest.version !== INPUT_VERSION) {
    throw new Error(`Cannot use bench input "${dir}": not a ${INPUT_FORMAT} v${INPUT_VERSION}`);
  }
  const clock = JSON.parse(await Deno.readTextFile(`${dir}/clock.json`)) as InputClock;
  return { manifest, clock };
}

/** The generator options of a command line (see the module comment). */
export async function optionsFromArgs(
  args: string[],
): Promise<{ out: string; options: GenerateOptions }> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      relays: { type: "string" },
      hsdirs: { type: "string" },
      seed: { type: "string" },
      consensus: { type: "string" },
      microdescs: { type: "string", multiple: true },
    },
    strict: true,
  });
  if (values.out === undefined) throw new TypeError("Cannot generate: --out DIR is required");
  const options: GenerateOptions = {
    ...DEFAULT_OPTIONS,
    seed: values.seed ?? DEFAULT_OPTIONS.seed,
    relays: Number(values.relays ?? DEFAULT_OPTIONS.relays),
    hsDirs: Number(values.hsdirs ?? DEFAULT_OPTIONS.hsDirs),
  };
  if (values.consensus !== undefined) {
    const microdescFiles = await Promise.all(
      (values.microdescs ?? []).map((f) => Deno.readTextFile(f)),
    );
    options.imported = {
      consensus: await Deno.readTextFile(values.consensus),
      microdescFiles,
      source: `imported: ${values.consensus} with ${(values.microdescs ?? []).join(", ")}`,
    };
  }
  return { out: values.out, options };
}

if (import.meta.main) {
  const { out, options } = await optionsFromArgs(Deno.args);
  const started = performance.now();
  const inputs = await generateInputs(options);
  await writeInputs(out, inputs);
  console.log(
    `Wrote ${out}: ${inputs.manifest.relays} relays (${inputs.manifest.hsDirFlag} HSDir), ` +
      `${inputs.manifest.backends.length} backends, ${inputs.manifest.shared.frontends.length} ` +
      `shared-hosting frontends, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
