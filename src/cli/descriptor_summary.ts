/**
 * What `onionbalance descriptor decode` prints: a decoded descriptor as plain
 * JSON values (`--json`) or as text.
 *
 * Spec: rend-spec-v3 §2.4–§2.5 (the fields shown).
 *
 * Role: pure formatting. Keys print as tor prints them (ed25519 in base64
 * without padding, curve25519 with padding, RSA ids as `$HEX`). Nothing
 * secret is in a descriptor summary.
 *
 * @module
 */

import { toBase64, toBase64NoPad, toHex } from "../bytes/mod.ts";
import type { HsDesc, HsDescIntroPoint, LinkSpecifier } from "../netdoc/mod.ts";

/** The decoded descriptor as plain JSON values. */
export interface DescriptorSummary {
  address: string;
  timePeriod: { number: number; lengthMinutes: number };
  blindedKey: string;
  lifetimeMinutes: number;
  revisionCounter: string;
  signingKey: string;
  signingKeyCertExpires: string;
  authClientLines: number;
  clientAuthUsed: boolean;
  create2Formats: number[];
  introAuthRequired: string[] | null;
  singleOnionService: boolean;
  flowControl: { versions: string; sendmeInc: number } | null;
  powParams: { type: string; seed: string; suggestedEffort: number; expires: string } | null;
  introductionPoints: IntroPointSummary[];
  rejectedIntroductionPoints: { line: number; error: string }[];
}

/** One intro point as plain JSON values. */
export interface IntroPointSummary {
  line: number;
  linkSpecifiers: Record<string, string | number>[];
  onionKey: string;
  authKey: string;
  authKeyCertExpires: string;
  encKey: string;
  encKeyCertKey: string;
  encKeyCertExpires: string;
  legacyKey: boolean;
}

/**
 * The decoded descriptor as plain JSON values (the `--json` output).
 *
 * @param desc The checked descriptor.
 * @param address The address as the user gave it.
 * @returns Plain values: keys as base64, times as ISO 8601, the revision counter as a decimal string.
 */
export function summarizeDescriptor(desc: HsDesc, address: string): DescriptorSummary {
  const { outer, middle, inner } = desc;
  const pow = inner.powParams;
  return {
    address: `${address.replace(/\.onion$/i, "").toLowerCase()}.onion`,
    timePeriod: { number: desc.period.number, lengthMinutes: desc.period.lengthMinutes },
    blindedKey: toBase64NoPad(desc.blindedKey.toBytes()),
    lifetimeMinutes: outer.lifetimeMinutes,
    revisionCounter: outer.revisionCounter.toString(),
    signingKey: outer.signingKey.toString(),
    signingKeyCertExpires: outer.signingKeyCert.expiresAt.toISOString(),
    authClientLines: middle.authClients.length,
    clientAuthUsed: desc.clientAuthUsed,
    create2Formats: [...inner.create2Formats],
    introAuthRequired: inner.introAuthRequired ? [...inner.introAuthRequired] : null,
    singleOnionService: inner.singleOnionService,
    flowControl: inner.flowControl ? { ...inner.flowControl } : null,
    powParams: pow
      ? {
        type: pow.type,
        seed: toBase64(pow.seed),
        suggestedEffort: pow.suggestedEffort,
        expires: pow.expiration.toISOString(),
      }
      : null,
    introductionPoints: inner.introPoints.map(summarizeIntroPoint),
    rejectedIntroductionPoints: inner.rejectedIntroPoints.map((r) => ({
      line: r.line,
      error: r.error.message,
    })),
  };
}

function summarizeIntroPoint(ip: HsDescIntroPoint): IntroPointSummary {
  return {
    line: ip.line,
    linkSpecifiers: ip.linkSpecifiers.specifiers.map(summarizeLinkSpecifier),
    onionKey: ip.onionKey.toString(),
    authKey: ip.authKey.toString(),
    authKeyCertExpires: ip.authKeyCert.expiresAt.toISOString(),
    encKey: ip.encKey.toString(),
    encKeyCertKey: ip.encKeyCert.certifiedKey.toString(),
    encKeyCertExpires: ip.encKeyCert.expiresAt.toISOString(),
    legacyKey: ip.legacy !== undefined,
  };
}

function summarizeLinkSpecifier(spec: LinkSpecifier): Record<string, string | number> {
  switch (spec.kind) {
    case "ipv4":
    case "ipv6":
      return { type: spec.kind, address: spec.address, port: spec.port };
    case "legacy-id":
      return { type: "legacy", fingerprint: toHex(spec.rsaId).toUpperCase() };
    case "ed25519-id":
      return { type: "ed25519", identity: toBase64NoPad(spec.ed25519Id) };
    case "unknown":
      return { type: spec.type, data: toHex(spec.data) };
  }
}

/**
 * The text output: one field per line, then each intro point.
 *
 * @param s The summary.
 * @returns Lines ending in `\n`.
 */
export function formatDescriptorSummary(s: DescriptorSummary): string {
  const yesNo = (b: boolean) => (b ? "yes" : "no");
  const lines = [
    `Descriptor for ${s.address}`,
    `  time period:          ${s.timePeriod.number} (${s.timePeriod.lengthMinutes} min)`,
    `  blinded key:          ${s.blindedKey}`,
    `  lifetime:             ${s.lifetimeMinutes} min`,
    `  revision counter:     ${s.revisionCounter}`,
    `  signing key:          ${s.signingKey}`,
    `  signing-key cert:     expires ${s.signingKeyCertExpires}`,
    `  client auth:          ${
      s.clientAuthUsed ? "used" : "not needed"
    } (${s.authClientLines} auth-client lines)`,
    `  create2-formats:      ${s.create2Formats.join(" ")}`,
    `  intro-auth-required:  ${s.introAuthRequired?.join(" ") ?? "no"}`,
    `  single onion service: ${yesNo(s.singleOnionService)}`,
    `  flow-control:         ${
      s.flowControl ? `${s.flowControl.versions} ${s.flowControl.sendmeInc}` : "none"
    }`,
    `  pow-params:           ${
      s.powParams
        ? `${s.powParams.type} seed ${s.powParams.seed} effort ${s.powParams.suggestedEffort} expires ${s.powParams.expires}`
        : "none"
    }`,
    `  introduction points:  ${s.introductionPoints.length}`,
  ];
  s.introductionPoints.forEach((ip, i) => {
    lines.push(
      `  [${i + 1}] line ${ip.line}`,
      `      relay:            ${ip.linkSpecifiers.map(formatLinkSpecifier).join(", ")}`,
      `      onion-key (ntor): ${ip.onionKey}`,
      `      auth-key:         ${ip.authKey} (cert expires ${ip.authKeyCertExpires})`,
      `      enc-key (ntor):   ${ip.encKey}`,
      `      enc-key-cert:     ${ip.encKeyCertKey} (expires ${ip.encKeyCertExpires})`,
    );
    if (ip.legacyKey) lines.push("      legacy-key:       present (not verified)");
  });
  for (const r of s.rejectedIntroductionPoints) {
    lines.push(`  dropped intro point at line ${r.line}: ${r.error}`);
  }
  return `${lines.join("\n")}\n`;
}

function formatLinkSpecifier(spec: Record<string, string | number>): string {
  switch (spec.type) {
    case "ipv4":
      return `${spec.address}:${spec.port}`;
    case "ipv6":
      return `[${spec.address}]:${spec.port}`;
    case "legacy":
      return `$${spec.fingerprint}`;
    case "ed25519":
      return `ed25519 ${spec.identity}`;
    default:
      return `type ${spec.type} ${spec.data}`;
  }
}
