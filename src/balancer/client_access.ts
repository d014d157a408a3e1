/**
 * Client authorization ("restricted discovery") as the config names it: the
 * clients each frontend's descriptors are encrypted to (`authorized-clients-dir`,
 * tor's own `authorized_clients/<name>.auth` files), and the keys the balancer
 * reads restricted backends with (`client-key`, tor's `.auth_private` files).
 *
 * Spec: rend-spec-v3 §1.9.1 [CLIENT-AUTH], §2.5.1.2; tor `hs_service.c:
 * load_client_keys, parse_authorized_client` (only `*.auth` files are read;
 * others are skipped with a warning, as tor does), `hs_client.c:
 * parse_auth_file_content`.
 *
 * Role: file I/O at start and reload. Stricter than tor where tor would fail
 * silently: an `.auth` file that does not parse, or a folder without any, is a
 * config error (tor would skip the file, or publish the service without client
 * authorization), so that no client is locked out and no service goes public by
 * a typo. Client keys are secrets: read like key files (refused when group or
 * others may read them), never logged.
 *
 * @module
 */

import { type BalancerConfig, ConfigError } from "../config/mod.ts";
import { KeyError, onionAddressLabel, readSecretFile, SecretFileError } from "../keys/mod.ts";
import {
  type HsClientDescEncKey,
  type HsClientDescEncKeypair,
  MAX_AUTHORIZED_CLIENTS,
  parseAuthorizedClientFile,
  parseClientAuthKeyFile,
} from "../netdoc/hsdesc/mod.ts";

/** One authorized client of a frontend: its `.auth` file's name (without `.auth`) and key. */
export interface AuthorizedClient {
  readonly name: string;
  readonly key: HsClientDescEncKey;
}

/** What the config's client-authorization keys load to. */
export interface ClientAccess {
  /** Per service (config order): its authorized clients; empty for a public service. */
  readonly clients: readonly (readonly AuthorizedClient[])[];
  /** Per restricted backend address: the key the balancer reads it with, and its file. */
  readonly backendKeys: ReadonlyMap<string, { key: HsClientDescEncKeypair; file: string }>;
  /** What the operator should know (files skipped, as tor skips them). */
  readonly warnings: readonly string[];
}

/** No client authorization anywhere. */
export const NO_CLIENT_ACCESS: ClientAccess = { clients: [], backendKeys: new Map(), warnings: [] };

/**
 * Loads every `authorized-clients-dir` and `client-key` of `config`.
 *
 * @throws {ConfigError} Naming the service or instance, for a folder that cannot be read or
 *   holds no `.auth` file or more than {@link MAX_AUTHORIZED_CLIENTS}, an `.auth` file that does
 *   not parse, a client key that cannot be read or parsed, or one made for another address.
 */
export async function loadClientAccess(config: BalancerConfig): Promise<ClientAccess> {
  const warnings: string[] = [];
  const clients: AuthorizedClient[][] = [];
  for (const service of config.services) {
    const dir = service.authorizedClientsDir;
    clients.push(dir === undefined ? [] : await loadClients(dir, service.location, warnings));
  }
  const backendKeys = new Map<string, { key: HsClientDescEncKeypair; file: string }>();
  for (const service of config.services) {
    for (const instance of service.instances) {
      const file = instance.clientKeyPath;
      if (file === undefined || backendKeys.has(instance.address)) continue;
      const fail = (message: string, cause?: unknown) =>
        new ConfigError(instance.location, `Cannot load client-key "${file}": ${message}`, {
          cause,
        });
      let text: string;
      try {
        const bytes = await readSecretFile(file);
        text = new TextDecoder().decode(bytes);
        bytes.fill(0);
      } catch (cause) {
        if (!(cause instanceof SecretFileError)) throw cause;
        throw fail(cause.message, cause);
      }
      try {
        const parsed = parseClientAuthKeyFile(text);
        if (onionAddressLabel(parsed.service) !== instance.address) {
          throw fail(
            `it is for ${onionAddressLabel(parsed.service)}.onion, not this instance's ` +
              `${instance.address}.onion`,
          );
        }
        backendKeys.set(instance.address, { key: parsed.key, file });
      } catch (cause) {
        if (!(cause instanceof KeyError)) throw cause;
        throw fail(cause.message, cause);
      }
    }
  }
  return { clients, backendKeys, warnings };
}

/** The `*.auth` files of `dir`, in name order. */
async function loadClients(
  dir: string,
  location: ConfigError["location"],
  warnings: string[],
): Promise<AuthorizedClient[]> {
  const fail = (message: string, cause?: unknown) =>
    new ConfigError(location, `Cannot load authorized-clients-dir "${dir}": ${message}`, {
      cause,
    });
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).filter((e) => e.isFile).map((e) => e.name)
      .sort();
  } catch (cause) {
    throw fail(cause instanceof Error ? cause.message : String(cause), cause);
  }
  const out: AuthorizedClient[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    if (!name.endsWith(".auth")) {
      warnings.push(`Skipping "${dir}/${name}": an authorized client file must end in .auth`);
      continue;
    }
    let key: HsClientDescEncKey;
    try {
      key = parseAuthorizedClientFile(await Deno.readTextFile(`${dir}/${name}`));
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw fail(`${name}: ${why}`, cause);
    }
    const id = key.toBytes().join(",");
    const twin = seen.get(id);
    if (twin !== undefined) {
      warnings.push(`"${dir}/${name}" holds the same key as ${twin}.auth; it is used once`);
      continue;
    }
    seen.set(id, name.slice(0, -".auth".length));
    out.push({ name: name.slice(0, -".auth".length), key });
  }
  if (out.length === 0) {
    throw fail(
      "it holds no .auth file, so the service would be public; add the clients' .auth files " +
        'or remove "authorized-clients-dir"',
    );
  }
  if (out.length > MAX_AUTHORIZED_CLIENTS) {
    throw fail(
      `${out.length} authorized clients, at most ${MAX_AUTHORIZED_CLIENTS} fit in a descriptor ` +
        `beside 20 intro points (50,000 bytes)`,
    );
  }
  return out;
}
