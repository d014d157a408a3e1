/**
 * Turns a loaded config into frontend services and backends, and applies a
 * reloaded config while keeping the state of what did not change.
 *
 * @module
 */

import type { BalancerConfig, ServiceConfig } from "../config/mod.ts";
import { ConfigError } from "../config/mod.ts";
import { BundleError, loadOfflineBundle } from "../custody/mod.ts";
import {
  credentialPassphrase,
  KeyError,
  loadIdentityKey,
  onionAddressLabel,
  PassphraseError,
  readPassphraseFile,
} from "../keys/mod.ts";
import { Backend } from "./backend.ts";
import { type FrontendDeps, type FrontendOptions, FrontendService } from "./frontend.ts";
import { type FrontendKeys, publicKeyOf } from "./frontend_keys.ts";
import { type AuthorizedClient, type ClientAccess, NO_CLIENT_ACCESS } from "./client_access.ts";

/** Where the passphrase of an encrypted key or bundle may come from, besides the config. */
export interface PassphraseSources {
  /** `--passphrase-file`: for every encrypted key without a `passphrase-file` of its own. */
  file?: string;
  /** The environment (`CREDENTIALS_DIRECTORY`, set by systemd). */
  env: { get(name: string): string | undefined };
  /** Asks on the terminal, when there is one; undefined when there is none. */
  prompt?: (question: string) => Promise<Uint8Array | undefined>;
}

const NO_SOURCES: PassphraseSources = { env: { get: () => undefined } };

/** The per-service settings a config implies. */
export function frontendOptions(config: BalancerConfig): FrontendOptions {
  const t = config.tuning;
  return {
    perBackend: t.introPointsPerInstance,
    distinct: t.distinctDescriptors,
    republishIntervalMs: t.republishIntervalSeconds * 1000,
    staleAfterMs: t.instanceStaleAfterSeconds * 1000,
    keysWarningMs: t.offlineKeysWarningSeconds * 1000,
  };
}

/**
 * Loads each service's key (detecting its format per key) or offline key
 * bundle, asking for a passphrase only when the file is encrypted, and checks
 * what only the keys reveal, so that the daemon refuses such a config at start
 * and on reload, before it talks to tor.
 *
 * @throws {ConfigError} When a key or bundle cannot be loaded (or decrypted),
 *   a service lists its own address as an instance, or two services have the same key.
 */
export async function loadServiceKeys(
  config: BalancerConfig,
  sources: PassphraseSources = NO_SOURCES,
): Promise<FrontendKeys[]> {
  const keys: FrontendKeys[] = [];
  for (const service of config.services) {
    try {
      keys.push(await loadKeys(service, sources));
    } catch (cause) {
      if (
        !(cause instanceof KeyError || cause instanceof BundleError ||
          cause instanceof PassphraseError)
      ) {
        throw cause;
      }
      const what = service.keyKind === "key" ? "key" : "offline key bundle";
      throw new ConfigError(
        service.location,
        `Cannot load the ${what} of this service: ${cause.message}`,
        { cause },
      );
    }
  }
  checkServiceAddresses(config, keys);
  return keys;
}

/** One service's keys; the passphrase is looked for only when the file turns out encrypted. */
async function loadKeys(service: ServiceConfig, sources: PassphraseSources): Promise<FrontendKeys> {
  const load = async (passphrase?: Uint8Array): Promise<FrontendKeys> => {
    if (service.keyKind === "key") {
      const loaded = await loadIdentityKey(service.keyPath, { passphrase });
      return { kind: "key", keypair: loaded.keypair };
    }
    const bundle = await loadOfflineBundle(service.keyPath, { passphrase });
    return { kind: "offline", bundle, path: service.keyPath };
  };
  try {
    return await load();
  } catch (error) {
    const encrypted = (error instanceof KeyError && error.kind === "PassphraseRequired") ||
      (error instanceof BundleError && error.kind === "Passphrase" &&
        error.cause instanceof KeyError && error.cause.kind === "PassphraseRequired");
    if (!encrypted) throw error;
  }
  const passphrase = await passphraseFor(service, sources);
  try {
    return await load(passphrase);
  } finally {
    passphrase.fill(0);
  }
}

/**
 * The passphrase of an encrypted key or bundle: the service's `passphrase-file`, else
 * `--passphrase-file`, else the systemd credential, else the terminal.
 *
 * @throws {PassphraseError} When a named file cannot be used, or no source has one.
 */
async function passphraseFor(
  service: ServiceConfig,
  sources: PassphraseSources,
): Promise<Uint8Array> {
  const file = service.passphraseFile ?? sources.file;
  if (file !== undefined) return await readPassphraseFile(file);
  const credential = await credentialPassphrase(service.passphraseCredential, sources.env);
  if (credential !== undefined) return credential;
  const typed = await sources.prompt?.(`Passphrase of ${service.keyPath}: `);
  if (typed !== undefined && typed.length > 0) return typed;
  throw new PassphraseError(
    "NoCredential",
    `${service.keyPath} is encrypted and no passphrase was given: set "passphrase-file" in ` +
      `config.yaml, pass --passphrase-file, or provide the systemd credential ` +
      `"${service.passphraseCredential}" (LoadCredentialEncrypted=)`,
  );
}

/**
 * Checks the services' addresses (`keys[i]` is the key of service i): no two
 * services share a key, and no service lists its own address as an instance
 * (its descriptor would point at itself and clients would loop).
 *
 * @throws {ConfigError} Naming the place in the file of the offending entry.
 */
export function checkServiceAddresses(
  config: BalancerConfig,
  keys: readonly FrontendKeys[],
): void {
  const seen = new Set<string>();
  config.services.forEach((serviceConfig, i) => {
    const address = onionAddressLabel(publicKeyOf(keys[i]!));
    if (seen.has(address)) {
      throw new ConfigError(serviceConfig.location, `Service ${address}.onion is configured twice`);
    }
    seen.add(address);
    const own = serviceConfig.instances.find((inst) => inst.address === address);
    if (own !== undefined) {
      throw new ConfigError(
        own.location,
        `The frontend's own address ${address}.onion is listed as an instance of itself`,
      );
    }
  });
}

/**
 * Builds the services of `config`, reusing `previous` services (same key) and
 * backends (same address) so that a reload keeps their state.
 *
 * @throws {ConfigError} As {@link checkServiceAddresses} (the daemon has
 *   already checked, through {@link loadServiceKeys}).
 */
export function buildServices(
  config: BalancerConfig,
  keys: readonly FrontendKeys[],
  deps: FrontendDeps,
  previous: readonly FrontendService[] = [],
  access: ClientAccess = NO_CLIENT_ACCESS,
): FrontendService[] {
  const backends = new Map<string, Backend>();
  for (const old of previous) for (const b of old.backends) backends.set(b.address, b);
  const options = frontendOptions(config);
  checkServiceAddresses(config, keys);
  return config.services.map((serviceConfig: ServiceConfig, i) => {
    const serviceKeys = keys[i]!;
    const address = onionAddressLabel(publicKeyOf(serviceKeys));
    const serviceBackends = serviceConfig.instances.map((inst) => {
      let backend = backends.get(inst.address);
      if (backend === undefined) {
        backend = new Backend(inst.address, inst.identity);
        backends.set(inst.address, backend);
      }
      if (inst.name !== undefined) backend.name = inst.name;
      backend.clientKey = access.backendKeys.get(inst.address);
      return backend;
    });
    const clients: readonly AuthorizedClient[] = access.clients[i] ?? [];
    const kept = previous.find((s) => s.address === address);
    if (kept !== undefined) {
      kept.backends = serviceBackends;
      kept.options = options;
      if (!sameKeys(kept.keys, serviceKeys)) kept.keys = serviceKeys;
      kept.authorizedClients = clients;
      kept.name = serviceConfig.name;
      return kept;
    }
    const service = new FrontendService(
      { address, keys: serviceKeys, backends: serviceBackends, options },
      deps,
    );
    service.authorizedClients = clients;
    service.name = serviceConfig.name;
    return service;
  });
}

/** Whether a reload leaves a service's keys as they were (the same key, or the same bundle). */
function sameKeys(a: FrontendKeys, b: FrontendKeys): boolean {
  if (a.kind === "key" && b.kind === "key") return true; // same address: the same key
  if (a.kind === "offline" && b.kind === "offline") {
    return a.bundle.firstPeriod === b.bundle.firstPeriod &&
      a.bundle.createdAt === b.bundle.createdAt &&
      a.bundle.certs.length === b.bundle.certs.length &&
      a.bundle.certs.every((c, i) => c.certifiedKey.equals(b.bundle.certs[i]!.certifiedKey));
  }
  return false;
}
