/**
 * Turns a loaded config into frontend services and backends, and applies a
 * reloaded config while keeping the state of what did not change.
 *
 * @module
 */

import type { BalancerConfig, ServiceConfig } from "../config/mod.ts";
import { ConfigError } from "../config/mod.ts";
import { type HsIdKeypair, KeyError, loadIdentityKey, onionAddressLabel } from "../keys/mod.ts";
import { Backend } from "./backend.ts";
import { type FrontendDeps, type FrontendOptions, FrontendService } from "./frontend.ts";

/** The per-service settings a config implies. */
export function frontendOptions(config: BalancerConfig): FrontendOptions {
  const t = config.tuning;
  return {
    perBackend: t.introPointsPerInstance,
    distinct: t.distinctDescriptors,
    republishIntervalMs: t.republishIntervalSeconds * 1000,
    staleAfterMs: t.instanceStaleAfterSeconds * 1000,
  };
}

/**
 * Loads each service's key (detecting its format per key) and checks what only
 * the keys reveal, so that the daemon refuses such a config at start and on
 * reload, before it talks to tor.
 *
 * @throws {ConfigError} When a key cannot be loaded, a service lists its own
 *   address as an instance, or two services have the same key.
 */
export async function loadServiceKeys(config: BalancerConfig): Promise<HsIdKeypair[]> {
  const keys: HsIdKeypair[] = [];
  for (const service of config.services) {
    try {
      keys.push((await loadIdentityKey(service.keyPath)).keypair);
    } catch (cause) {
      if (!(cause instanceof KeyError)) throw cause;
      throw new ConfigError(
        service.location,
        `Cannot load the key of this service: ${cause.message}`,
        {
          cause,
        },
      );
    }
  }
  checkServiceAddresses(config, keys);
  return keys;
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
  keys: readonly HsIdKeypair[],
): void {
  const seen = new Set<string>();
  config.services.forEach((serviceConfig, i) => {
    const address = onionAddressLabel(keys[i]!.public);
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
  keys: readonly HsIdKeypair[],
  deps: FrontendDeps,
  previous: readonly FrontendService[] = [],
): FrontendService[] {
  const backends = new Map<string, Backend>();
  for (const old of previous) for (const b of old.backends) backends.set(b.address, b);
  const options = frontendOptions(config);
  checkServiceAddresses(config, keys);
  return config.services.map((serviceConfig: ServiceConfig, i) => {
    const identity = keys[i]!;
    const address = onionAddressLabel(identity.public);
    const serviceBackends = serviceConfig.instances.map((inst) => {
      let backend = backends.get(inst.address);
      if (backend === undefined) {
        backend = new Backend(inst.address, inst.identity);
        backends.set(inst.address, backend);
      }
      if (inst.name !== undefined) backend.name = inst.name;
      return backend;
    });
    const kept = previous.find((s) => s.address === address);
    if (kept !== undefined) {
      kept.backends = serviceBackends;
      kept.options = options;
      return kept;
    }
    return new FrontendService({ address, identity, backends: serviceBackends, options }, deps);
  });
}
