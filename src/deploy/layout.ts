/**
 * The file tree `onionbalance config` writes, and the summary of a planned
 * deployment that the templates and the command line read.
 *
 * Usual deployment:
 *
 * ```
 * <output>/                        0700  the balancer machine's files
 *   README.md                      0600  what goes where
 *   config.yaml                    0600  OnionBalance 0.2.x format, real backend addresses
 *   <frontend-address>.key         0600  one per service (56 characters, no ".onion")
 *   torrc-frontend                 0600  the frontend tor: control socket, SOCKS port
 *   <tag><n>/                      0700  one per generated backend (its machine's files)
 *     torrc                        0600  HiddenServiceDir, HiddenServicePort,
 *                                        HiddenServiceOnionbalanceInstance 1
 *     hidden_service/              0700  copy to the torrc's HiddenServiceDir
 *       hs_ed25519_secret_key      0600  tor's key files
 *       hs_ed25519_public_key      0600
 *       hostname                   0600  <backend address>.onion
 *       ob_config                  0600  MasterOnionAddress <frontend address>.onion
 * ```
 *
 * Offline deployment (`--offline`, rend-spec-v3 §1.7): the identity keys sit
 * in a folder of their own, for the isolated machine, and the balancer's files
 * name a bundle per service instead:
 *
 * ```
 * <output>/
 *   config.yaml                    0600  `offline-keys: <frontend-address>.keys`
 *   <frontend-address>.keys        0600  the offline key bundle (the balancer's)
 *   offline/                       0700  for the isolated machine only
 *     <frontend-address>.key       0600  the identity key
 *   README.md  torrc-frontend  <tag><n>/…   as above
 * ```
 *
 * Client authorization (`--clients N`, rend-spec-v3 [CLIENT-AUTH]) adds, per
 * service, the clients' public keys for the balancer and a folder per client;
 * restricted backends (`--restrict-backends`) add the balancer's key to each
 * generated backend:
 *
 * ```
 * <output>/
 *   config.yaml                    0600  `authorized-clients-dir:`, `client-key:`
 *   <frontend-address>.authorized_clients/   0700  the balancer's (public keys)
 *     <client>.auth                0600  descriptor:x25519:<public key>
 *   clients/                       0700  hand out, then delete here
 *     <client>/                    0700  one person's: their tor's ClientOnionAuthDir
 *       <frontend-address>.auth_private   0600  <address>:descriptor:x25519:<secret key>
 *   backend-keys/                  0700  the balancer's (secret)
 *     <backend-address>.auth_private      0600  its key to that restricted backend
 *   <tag><n>/hidden_service/authorized_clients/   0700
 *     balancer.auth                0600  the balancer's public key
 * ```
 *
 * A client is `client<k>` with one service, `<tag>-client<n>` with several
 * (numbered per tag across services, as the backends are).
 *
 * Spec: OnionBalance `config_generator.py` (`<output>/config.yaml`,
 * `<output>/<address>.key`); tor `hs_service.c: load_service_keys,
 * write_address_to_file` (key files), `hs_ob.c` and the tor manual's
 * `HiddenServiceOnionBalanceInstance` (`ob_config`).
 *
 * @module
 */

import type { KeyFormat } from "./inputs.ts";

/** Fixed file and folder names of the tree. */
export const LAYOUT = {
  readme: "README.md",
  config: "config.yaml",
  frontendTorrc: "torrc-frontend",
  backendTorrc: "torrc",
  hiddenServiceDir: "hidden_service",
  obConfig: "ob_config",
  offlineDir: "offline",
  clientsDir: "clients",
  backendKeysDir: "backend-keys",
  authorizedClientsDir: "authorized_clients",
  balancerAuth: "balancer.auth",
} as const;

/**
 * The frontend key's file name, as OnionBalance names it.
 *
 * @param label The 56-character address label, without `.onion`.
 */
export function keyFileName(label: string): string {
  return `${label}.key`;
}

/**
 * The offline key bundle's file name (next to `config.yaml`).
 *
 * @param label The 56-character address label, without `.onion`.
 */
export function bundleFileName(label: string): string {
  return `${label}.keys`;
}

/**
 * The balancer's folder of a service's authorized clients (next to `config.yaml`).
 *
 * @param label The frontend's 56-character address label, without `.onion`.
 */
export function authorizedClientsDirName(label: string): string {
  return `${label}.authorized_clients`;
}

/**
 * A client key file's name in tor's `ClientOnionAuthDir` (or in `backend-keys/`).
 *
 * @param label The 56-character address label of the service it unlocks, without `.onion`.
 */
export function clientKeyFileName(label: string): string {
  return `${label}.auth_private`;
}

/** The client authorization planned for a service (`--clients`). */
export interface PlannedClients {
  /** The balancer's folder of `<name>.auth` files, relative to the output folder. */
  readonly dir: string;
  /** The clients' names: `<dir>/<name>.auth` and `clients/<name>/` hold their keys. */
  readonly names: readonly string[];
}

/** The offline key bundle planned for a service (offline deployments). */
export interface PlannedBundle {
  /** Its file name, relative to the output folder (next to `config.yaml`). */
  readonly file: string;
  /** The span it covers, as `describeSpan` gives it. */
  readonly span: string;
  /** End of its last period (Unix seconds): it cannot publish later. */
  readonly endsAt: number;
  /** The network's time-period length it was made for, in minutes. */
  readonly lengthMinutes: number;
  /** The span as requested (what a renewal repeats): a number of days, or of periods. */
  readonly request: { readonly days: number } | { readonly periods: number };
  /** Whether its secrets are encrypted. */
  readonly encrypted: boolean;
}

/** One backend of a planned service. */
export interface PlannedBackend {
  /** `<tag><n>`: its folder and its `name` in config.yaml. */
  readonly name: string;
  /** Its onion address, `<56 characters>.onion`. */
  readonly address: string;
  /** `generated`: a new key and a folder; `adopted`: an existing backend given by address. */
  readonly kind: "generated" | "adopted";
  /** The `HiddenServiceDir` its torrc names, on its machine (generated backends only). */
  readonly hiddenServiceDir?: string;
  /**
   * Restricted backends only: the balancer's key to it (`backend-keys/<address>.auth_private`,
   * relative to the output folder), which config.yaml names with `client-key:`.
   */
  readonly clientKey?: string;
}

/** One planned frontend service. */
export interface PlannedService {
  /** 1-based position in config.yaml. */
  readonly index: number;
  /** Its onion address, `<56 characters>.onion`. */
  readonly address: string;
  /** Its key file name, relative to the output folder (under `offline/` when offline). */
  readonly keyFile: string;
  /** The format its key is written in. */
  readonly keyFormat: KeyFormat;
  /** Whether its key file is encrypted (`ENCRYPTED PRIVATE KEY`). */
  readonly encrypted: boolean;
  /** Its offline key bundle, in an offline deployment; config.yaml names it instead of the key. */
  readonly bundle?: PlannedBundle;
  /** Whether the key was imported (`--key`) rather than generated. */
  readonly imported: boolean;
  /** Its authorized clients (`--clients`); absent for a public service. */
  readonly clients?: PlannedClients;
  /** Its backends: generated ones first, then adopted ones. */
  readonly backends: readonly PlannedBackend[];
}

/** What the templates need besides the services. */
export interface BackendSettings {
  /** `HiddenServicePort` virtual port. */
  readonly virtualPort: number;
  /** `HiddenServicePort` target. */
  readonly target: string;
  /** Folder holding each backend's `HiddenServiceDir` on its machine. */
  readonly backendDirPrefix: string;
}
