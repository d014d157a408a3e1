/**
 * Plans a deployment: from the operator's inputs and an rng, every key and
 * every file of the tree described in `layout.ts`, in memory.
 *
 * Spec: rend-spec-v3 §6 [ONIONADDRESS]; tor `hs_service.c: load_service_keys()`
 * (tor's key files), `hs_ob.c` (`ob_config`); OnionBalance's generator
 * `onionbalance/config_generator/config_generator.py`.
 *
 * Role: pure (no I/O, no clock); randomness comes only from the `rng` given
 * (house style §7.7), so a seeded rng gives the same tree. Keys are drawn in a
 * fixed order: per service, its frontend key (unless imported), then its new
 * backends; in an offline deployment, each service's bundle secret after all
 * keys (so the addresses do not depend on `offline`); then the client
 * authorization keys (`_client_auth.ts`), last. One exception: with a
 * passphrase, the encrypted files (frontend keys, bundles) draw their PBES2
 * salt and IV from the system's randomness (`src/crypto/pkcs8.ts`), so they
 * differ from run to run; everything else still follows the seed. Each
 * backend serves exactly one frontend (OnionBalance's `-n` is per service
 * too), so its `ob_config` has one line. Backend numbers count
 * per tag across services (`node1`, `node2` for service 1, `node3`, `node4`
 * for service 2), so every name is a distinct folder. Secret file contents
 * never show in `console.log` or JSON.
 *
 * Offline (rend-spec-v3 §1.7 "Keeping crypto keys offline"): the identity key
 * is written under `offline/` only, and the balancer's side gets a bundle
 * made with `makeOfflineBundle`, which holds no identity secret (see
 * `_key_custody.ts`).
 *
 * @module
 */

import type { Rng } from "../crypto/mod.ts";
import { accessFiles, drawAccessKeys, withAccess } from "./_client_auth.ts";
import {
  encodeHostnameFile,
  encodeOnionAddress,
  encodeTorPublicKeyFile,
  encodeTorSecretKeyFile,
  HsIdKeypair,
  onionAddressLabel,
  TOR_KEY_FILE_NAMES,
} from "../keys/mod.ts";
import {
  bundleFile,
  frontendKeyFile,
  type KeyCustody,
  makeBundles,
  plannedBundle,
} from "./_key_custody.ts";
import { configYaml } from "./config_yaml.ts";
import { DeployError } from "./errors.ts";
import {
  checkBackendDirPrefix,
  checkServiceTarget,
  checkTag,
  DEPLOY_DEFAULTS,
  DEPLOY_LIMITS,
  type DeploymentInputs,
  type KeyFormat,
  type ServiceInputs,
} from "./inputs.ts";
import {
  type BackendSettings,
  keyFileName,
  LAYOUT,
  type PlannedBackend,
  type PlannedService,
} from "./layout.ts";
import { PlannedFile } from "./planned_file.ts";
import { deploymentReadme } from "./readme.ts";
import { backendTorrc, frontendTorrc, obConfig } from "./torrc.ts";

export { PlannedFile } from "./planned_file.ts";

/** A planned deployment: what `writeDeployment` creates below the output folder. */
export interface DeploymentPlan {
  /** The services and their backends, for summaries. */
  readonly services: readonly PlannedService[];
  /** The backends' settings the files were built with. */
  readonly settings: BackendSettings;
  /** Folders to create (0700), parents first, relative to the output folder. */
  readonly dirs: readonly string[];
  /** Files to write (0600), in writing order: keys and backends first, `config.yaml` last. */
  readonly files: readonly PlannedFile[];
}

/** Options of {@link planDeployment}. */
export interface PlanOptions {
  /** Where new keys come from (`systemRng` in production, `seededRng` in tests). */
  rng: Rng;
}

function bad(message: string): DeployError {
  return new DeployError("BadInput", message);
}

function checkSettings(inputs: DeploymentInputs): BackendSettings {
  const virtualPort = inputs.virtualPort ?? DEPLOY_DEFAULTS.virtualPort;
  if (!Number.isInteger(virtualPort) || virtualPort < 1 || virtualPort > 65535) {
    throw bad(`Cannot use service virtual port "${virtualPort}": expected 1 to 65535`);
  }
  return {
    virtualPort,
    target: checkServiceTarget(inputs.target ?? DEPLOY_DEFAULTS.target),
    backendDirPrefix: checkBackendDirPrefix(
      inputs.backendDirPrefix ?? DEPLOY_DEFAULTS.backendDirPrefix,
    ),
  };
}

/** One service's keys: its frontend key and its new backends' keys. */
interface ServiceKeys {
  frontend: HsIdKeypair;
  format: KeyFormat;
  imported: boolean;
  backends: HsIdKeypair[];
}

function checkService(service: ServiceInputs, index: number): void {
  checkTag(service.tag);
  const { backends } = service;
  if (!Number.isInteger(backends) || backends < 0 || backends > DEPLOY_LIMITS.backends) {
    throw bad(
      `Cannot generate "${backends}" backends for service ${index}: expected 0 to ${DEPLOY_LIMITS.backends}`,
    );
  }
  if (backends + (service.instances?.length ?? 0) === 0) {
    throw bad(
      `Cannot plan service ${index} without backends: generate one or adopt one by address`,
    );
  }
}

/**
 * Draws the keys in a fixed order: per service, its frontend key (unless
 * imported), then its backends'. Encrypted keys are always PEM.
 */
function drawKeys(
  services: readonly ServiceInputs[],
  rng: Rng,
  options: { keyFormat: KeyFormat; encrypt: boolean },
): ServiceKeys[] {
  return services.map((service) => {
    const frontend = service.key?.keypair ?? HsIdKeypair.generate(rng);
    return {
      frontend,
      format: options.encrypt ? "pem" : service.key?.format ?? options.keyFormat,
      imported: service.key !== undefined,
      backends: Array.from({ length: service.backends }, () => HsIdKeypair.generate(rng)),
    };
  });
}

/** Refuses a frontend used twice, and adopted addresses that are frontends or listed twice. */
function checkAddresses(services: readonly ServiceInputs[], keys: readonly ServiceKeys[]): void {
  const frontends = new Map<string, number>();
  for (const [i, key] of keys.entries()) {
    const address = encodeOnionAddress(key.frontend.public);
    const other = frontends.get(address);
    if (other !== undefined) {
      throw bad(`Cannot use the same frontend key ${address} for services ${other} and ${i + 1}`);
    }
    frontends.set(address, i + 1);
  }
  for (const [i, service] of services.entries()) {
    const seen = new Set<string>();
    for (const instance of service.instances ?? []) {
      const address = encodeOnionAddress(instance);
      const frontend = frontends.get(address);
      if (frontend !== undefined) {
        throw bad(
          `Cannot adopt ${address} as a backend of service ${
            i + 1
          }: it is the frontend of service ${frontend}`,
        );
      }
      if (seen.has(address)) throw bad(`Cannot adopt ${address} twice for service ${i + 1}`);
      seen.add(address);
    }
  }
}

/** Names every backend (`<tag><n>`, numbered per tag across services) and builds the summaries. */
function planServices(
  services: readonly ServiceInputs[],
  keys: readonly ServiceKeys[],
  settings: BackendSettings,
  custody: KeyCustody,
): PlannedService[] {
  const next = new Map<string, number>();
  const names = new Set<string>();
  const name = (tag: string) => {
    const n = (next.get(tag) ?? 0) + 1;
    next.set(tag, n);
    const out = `${tag}${n}`;
    if (names.has(out)) {
      throw bad(`Cannot name two backends "${out}": choose tags that differ more`);
    }
    names.add(out);
    return out;
  };
  const prefix = settings.backendDirPrefix === "/" ? "" : settings.backendDirPrefix;
  return services.map((service, i) => {
    const key = keys[i]!;
    const backends: PlannedBackend[] = key.backends.map((backend) => {
      const n = name(service.tag);
      return {
        name: n,
        address: encodeOnionAddress(backend.public),
        kind: "generated",
        hiddenServiceDir: `${prefix}/${n}`,
      };
    });
    for (const instance of service.instances ?? []) {
      backends.push({
        name: name(service.tag),
        address: encodeOnionAddress(instance),
        kind: "adopted",
      });
    }
    const label = onionAddressLabel(key.frontend.public);
    const bundle = custody.offline?.bundles[i];
    return {
      index: i + 1,
      address: encodeOnionAddress(key.frontend.public),
      keyFile: bundle === undefined
        ? keyFileName(label)
        : `${LAYOUT.offlineDir}/${keyFileName(label)}`,
      keyFormat: key.format,
      encrypted: custody.encrypted,
      imported: key.imported,
      backends,
      ...(bundle === undefined ? {} : { bundle: plannedBundle(label, bundle, custody) }),
    };
  });
}

/** A generated backend's torrc and its HiddenServiceDir files. */
function backendFiles(
  service: PlannedService,
  backend: PlannedBackend,
  keypair: HsIdKeypair,
  settings: BackendSettings,
): PlannedFile[] {
  const dir = `${backend.name}/${LAYOUT.hiddenServiceDir}`;
  return [
    new PlannedFile(`${dir}/${TOR_KEY_FILE_NAMES.secret}`, encodeTorSecretKeyFile(keypair), true),
    new PlannedFile(
      `${dir}/${TOR_KEY_FILE_NAMES.public}`,
      encodeTorPublicKeyFile(keypair.public),
      false,
    ),
    new PlannedFile(
      `${dir}/${TOR_KEY_FILE_NAMES.hostname}`,
      encodeHostnameFile(keypair.public),
      false,
    ),
    new PlannedFile(`${dir}/${LAYOUT.obConfig}`, obConfig([service.address]), false),
    new PlannedFile(
      `${backend.name}/${LAYOUT.backendTorrc}`,
      backendTorrc(service, backend, settings),
      false,
    ),
  ];
}

/**
 * Plans the whole tree.
 *
 * @param inputs The services, the backends' settings, the key custody choices
 *   (`offline`, `passphrase`), and client authorization (`clients`, `restrictBackends`).
 * @param options The rng for new keys, bundle secrets and client keys.
 * @returns The planned services, folders and files.
 * @throws {DeployError} `BadInput` for an unusable input: no service, a bad
 *   tag, port, target or folder, a service without any backend, a frontend key
 *   used twice, an adopted address that is a frontend or listed twice, two
 *   backends with the same name, an empty passphrase, a key in tor's format to
 *   encrypt or write as PEM, an offline span that is empty, too long, or
 *   given both or neither as days and periods, a number of clients out of
 *   range, or restricted backends when none is generated.
 *
 * @example
 * ```ts
 * import { planDeployment } from "./plan.ts";
 * import { seededRng } from "../crypto/mod.ts";
 * const plan = planDeployment({ services: [{ backends: 2, tag: "node" }] }, {
 *   rng: seededRng("example"),
 * });
 * plan.services[0]?.backends.map((b) => b.name); // ["node1", "node2"]
 * ```
 */
export function planDeployment(inputs: DeploymentInputs, options: PlanOptions): DeploymentPlan {
  const settings = checkSettings(inputs);
  const { services } = inputs;
  if (services.length < 1 || services.length > DEPLOY_LIMITS.services) {
    throw bad(`Cannot plan ${services.length} services: expected 1 to ${DEPLOY_LIMITS.services}`);
  }
  services.forEach((service, i) => checkService(service, i + 1));
  const { passphrase, offline } = inputs;
  if (passphrase !== undefined && passphrase.length === 0) {
    throw bad("Cannot encrypt the keys with an empty passphrase");
  }
  const keys = drawKeys(services, options.rng, {
    keyFormat: inputs.keyFormat ?? DEPLOY_DEFAULTS.keyFormat,
    encrypt: passphrase !== undefined,
  });
  checkAddresses(services, keys);
  const custody: KeyCustody = { encrypted: passphrase !== undefined };
  if (offline !== undefined) {
    custody.offline = {
      bundles: makeBundles(keys.map((k) => k.frontend), offline, options.rng),
      request: offline.periods === undefined
        ? { days: offline.days ?? 0 }
        : { periods: offline.periods },
    };
  }
  const access = drawAccessKeys(inputs, options.rng);
  const planned = withAccess(
    planServices(services, keys, settings, custody),
    services.map((s) => s.tag),
    access,
  );
  const dirs: string[] = offline === undefined ? [] : [LAYOUT.offlineDir];
  const files: PlannedFile[] = [];
  for (const [i, service] of planned.entries()) {
    files.push(frontendKeyFile(service, keys[i]!.frontend, passphrase));
    const bundle = custody.offline?.bundles[i];
    if (service.bundle !== undefined && bundle !== undefined) {
      files.push(bundleFile(service.bundle.file, bundle, passphrase));
    }
    const generated = service.backends.filter((b) => b.kind === "generated");
    for (const [j, backend] of generated.entries()) {
      dirs.push(backend.name, `${backend.name}/${LAYOUT.hiddenServiceDir}`);
      files.push(...backendFiles(service, backend, keys[i]!.backends[j]!, settings));
    }
  }
  const clientAuth = accessFiles(planned, access);
  dirs.push(...clientAuth.dirs);
  files.push(...clientAuth.files);
  files.push(
    new PlannedFile(LAYOUT.frontendTorrc, frontendTorrc(planned), false),
    new PlannedFile(LAYOUT.readme, deploymentReadme(planned, settings), false),
    new PlannedFile(LAYOUT.config, configYaml(planned, settings), false),
  );
  return { services: planned, settings, dirs, files };
}

/** Wipes the secret contents of a plan (call once it is written or given up). */
export function wipePlan(plan: DeploymentPlan): void {
  for (const file of plan.files) if (file.secret) file.wipe();
}
