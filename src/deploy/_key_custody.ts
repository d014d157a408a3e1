/**
 * Key custody in a planned deployment: the frontend key file (plain or
 * encrypted) and, offline, each service's key bundle.
 *
 * Spec: rend-spec-v3 §1.7 "Keeping crypto keys offline"; RFC 5958 / RFC 8018
 * (PKCS#8 `ENCRYPTED PRIVATE KEY`, PBES2) through `src/keys`.
 *
 * Role: private to `src/deploy/` (`plan.ts` calls it). Pure apart from the
 * PBES2 salt and IV, which `src/keys` draws from the system's randomness:
 * encrypted files are not reproducible from the plan's rng. Bundle secrets
 * come from the plan's rng. Messages never hold key material.
 *
 * @module
 */

import type { Rng } from "../crypto/mod.ts";
import {
  BundleError,
  describeSpan,
  encodeOfflineBundle,
  makeOfflineBundle,
  type OfflineKeyBundle,
  scheduleFor,
} from "../custody/mod.ts";
import {
  encodeEncryptedPkcs8Pem,
  encodePkcs8Pem,
  encodeTorSecretKeyFile,
  type HsIdKeypair,
} from "../keys/mod.ts";
import { DeployError } from "./errors.ts";
import type { OfflineInputs } from "./inputs.ts";
import { bundleFileName, type PlannedBundle, type PlannedService } from "./layout.ts";
import { PlannedFile } from "./planned_file.ts";

function bad(message: string): DeployError {
  return new DeployError("BadInput", message);
}

/**
 * Makes each service's offline key bundle, in service order, with the plan's
 * rng for its secret (rend-spec-v3 §1.7).
 *
 * @throws {DeployError} `BadInput` when the span is empty or too long, or
 *   given both or neither as days and periods, or the period length is not positive.
 */
export function makeBundles(
  frontends: readonly HsIdKeypair[],
  offline: OfflineInputs,
  rng: Rng,
): OfflineKeyBundle[] {
  try {
    const schedule = scheduleFor(offline.lengthMinutes);
    return frontends.map((frontend) =>
      makeOfflineBundle(frontend, {
        ...(offline.days === undefined ? {} : { days: offline.days }),
        ...(offline.periods === undefined ? {} : { periods: offline.periods }),
        from: offline.from,
        now: offline.now,
        schedule,
        rng,
      })
    );
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    throw new DeployError("BadInput", error.message, { cause: error });
  }
}

/** What the services' summaries need from the key custody choices. */
export interface KeyCustody {
  /** In an offline deployment: each service's bundle, and the span as requested. */
  offline?: { bundles: readonly OfflineKeyBundle[]; request: PlannedBundle["request"] };
  /** Whether the frontend keys and bundles are encrypted. */
  encrypted: boolean;
}

/** The summary of a service's bundle, for the README, config.yaml and the command's output. */
export function plannedBundle(
  label: string,
  bundle: OfflineKeyBundle,
  custody: KeyCustody,
): PlannedBundle {
  return {
    file: bundleFileName(label),
    span: describeSpan(bundle),
    endsAt: bundle.endsAt,
    lengthMinutes: bundle.schedule.lengthMinutes,
    request: custody.offline?.request ?? { periods: bundle.certs.length },
    encrypted: custody.encrypted,
  };
}

/**
 * The frontend key file's content in its format, encrypted when a passphrase is given.
 *
 * @throws {DeployError} `BadInput` when the key has no seed (tor's format) and
 *   is to be encrypted or written as PEM.
 */
export function frontendKeyFile(
  service: PlannedService,
  frontend: HsIdKeypair,
  passphrase: Uint8Array | undefined,
): PlannedFile {
  if (passphrase !== undefined && !frontend.hasSeed) {
    throw bad(
      `Cannot encrypt the key of service ${service.index}: it is in tor's format, which holds no ` +
        "seed, and only a PEM key can be encrypted",
    );
  }
  if (service.keyFormat === "pem" && !frontend.hasSeed) {
    throw bad(
      `Cannot write the key of service ${service.index} as PEM: it is in tor's format, which holds no seed`,
    );
  }
  const data = passphrase !== undefined
    ? encodeEncryptedPkcs8Pem(frontend, passphrase)
    : service.keyFormat === "pem"
    ? encodePkcs8Pem(frontend)
    : encodeTorSecretKeyFile(frontend);
  return new PlannedFile(service.keyFile, data, true);
}

/** The bundle file of a service, encrypted when a passphrase is given (it holds secrets). */
export function bundleFile(
  file: string,
  bundle: OfflineKeyBundle,
  passphrase: Uint8Array | undefined,
): PlannedFile {
  const text = encodeOfflineBundle(bundle, passphrase === undefined ? {} : { passphrase });
  return new PlannedFile(file, text, true);
}
