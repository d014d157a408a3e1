/**
 * Client authorization ("restricted discovery") in a planned deployment: per
 * service, the x25519 keys of its clients (their public keys in the balancer's
 * `.authorized_clients/` folder, each secret in a folder for its client), and
 * for restricted backends a balancer key that each generated backend's tor
 * serves alone (`authorized_clients/balancer.auth`), whose secret the
 * balancer holds in `backend-keys/`.
 *
 * Spec: rend-spec-v3 §1.9.1 [CLIENT-AUTH] —
 * https://spec.torproject.org/rend-spec/protocol-overview.html#CLIENT-AUTH;
 * tor manual "CLIENT AUTHORIZATION" and `ClientOnionAuthDir`; tor
 * `hs_service.c: parse_authorized_client` (`<HiddenServiceDir>/authorized_clients/<name>.auth`,
 * `descriptor:x25519:<base32 public key>`), `hs_client.c: parse_auth_file_content`
 * (`<name>.auth_private`, `<address>:descriptor:x25519:<base32 secret key>`).
 *
 * Role: private to `src/deploy/` (`plan.ts` calls it). Pure: the keys come
 * from the plan's rng, drawn after every other key and bundle secret, so a
 * seed gives the same addresses with or without these options; all client
 * keys come before the balancer keys, so restricting the backends does not
 * change the clients' keys. A client's secret goes only into its own folder
 * under `clients/`, the balancer's keys only into `backend-keys/`; both are
 * marked secret and never appear in a message.
 *
 * @module
 */

import type { Rng } from "../crypto/mod.ts";
import { onionAddressLabel, parseOnionAddress } from "../keys/mod.ts";
import {
  encodeAuthorizedClientFile,
  encodeClientAuthKeyFile,
  HsClientDescEncKeypair,
} from "../netdoc/mod.ts";
import { DeployError } from "./errors.ts";
import { DEPLOY_LIMITS, type DeploymentInputs } from "./inputs.ts";
import {
  authorizedClientsDirName,
  clientKeyFileName,
  LAYOUT,
  type PlannedBackend,
  type PlannedService,
} from "./layout.ts";
import { PlannedFile } from "./planned_file.ts";

/** The keys drawn for client authorization, per service in order. */
export interface AccessKeys {
  /** Each service's client keys (empty for a public service). */
  clients: HsClientDescEncKeypair[][];
  /**
   * Each service's balancer key, when its backends are restricted and it has
   * generated ones. One key per service rather than one for the deployment:
   * the balancer holds them all anyway, but a service can then move to
   * another balancer (or operator) without taking the others' key along, and
   * the backends of different services share no key that links them.
   */
  balancer: (HsClientDescEncKeypair | undefined)[];
}

function bad(message: string): DeployError {
  return new DeployError("BadInput", message);
}

/** `HsClientDescEncKeypair.generate(rng)`, wiping the drawn bytes once copied. */
function newKey(rng: Rng): HsClientDescEncKeypair {
  const secret = rng(32);
  try {
    return HsClientDescEncKeypair.fromSecret(secret);
  } finally {
    secret.fill(0);
  }
}

/**
 * Checks the client authorization inputs and draws their keys: every
 * service's clients first, then the balancer keys.
 *
 * @param inputs The services and the `clients` and `restrictBackends` inputs.
 * @param rng The plan's rng, after every other key and bundle secret is drawn.
 * @returns Each service's client keys and balancer key.
 * @throws {DeployError} `BadInput` for a number of clients out of range, or
 *   restricted backends when no backend is generated.
 */
export function drawAccessKeys(inputs: DeploymentInputs, rng: Rng): AccessKeys {
  const count = inputs.clients ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > DEPLOY_LIMITS.clients) {
    throw bad(
      `Cannot generate "${count}" client keys: expected 0 to ${DEPLOY_LIMITS.clients}`,
    );
  }
  const restrict = inputs.restrictBackends === true;
  if (restrict && inputs.services.every((s) => s.backends === 0)) {
    throw bad(
      "Cannot restrict the backends: none is generated, and an existing backend's folder is " +
        "not ours to write",
    );
  }
  const clients = inputs.services.map(() => Array.from({ length: count }, () => newKey(rng)));
  const balancer = inputs.services.map((s) => restrict && s.backends > 0 ? newKey(rng) : undefined);
  return { clients, balancer };
}

/**
 * Adds the client names and the balancer's backend key files to the
 * services' summaries. A client is `client<k>` with one service, or
 * `<tag>-client<n>` with several, numbered per tag across services. These
 * names are distinct: a name splits back into its tag and number at its last
 * `-client`, and each (tag, number) is given once.
 *
 * @param services The planned services, without client authorization.
 * @param tags Each service's tag.
 * @param keys The keys from {@link drawAccessKeys}.
 * @returns The services, with `clients` and each restricted backend's `clientKey`.
 */
export function withAccess(
  services: readonly PlannedService[],
  tags: readonly string[],
  keys: AccessKeys,
): PlannedService[] {
  const next = new Map<string, number>();
  const name = (tag: string) => {
    const n = (next.get(tag) ?? 0) + 1;
    next.set(tag, n);
    return services.length === 1 ? `client${n}` : `${tag}-client${n}`;
  };
  return services.map((service, i) => {
    const count = keys.clients[i]?.length ?? 0;
    const restricted = keys.balancer[i] !== undefined;
    if (count === 0 && !restricted) return service;
    const label = onionAddressLabel(parseOnionAddress(service.address));
    const backends: PlannedBackend[] = service.backends.map((b) => {
      if (!restricted || b.kind !== "generated") return b;
      const file = clientKeyFileName(onionAddressLabel(parseOnionAddress(b.address)));
      return { ...b, clientKey: `${LAYOUT.backendKeysDir}/${file}` };
    });
    const tag = tags[i] ?? "";
    const names = Array.from({ length: count }, () => name(tag));
    return {
      ...service,
      backends,
      ...(count === 0 ? {} : { clients: { dir: authorizedClientsDirName(label), names } }),
    };
  });
}

/** The folders and files that client authorization adds to the plan. */
export interface AccessFiles {
  dirs: string[];
  files: PlannedFile[];
}

/**
 * The folders and files of client authorization: each restricted backend's
 * `authorized_clients/balancer.auth` and the balancer's `backend-keys/` file
 * for it, each service's `.authorized_clients/<name>.auth`, and each client's
 * `clients/<name>/<frontend>.auth_private`.
 *
 * @param services The summaries from {@link withAccess}.
 * @param keys The keys from {@link drawAccessKeys}.
 * @returns The folders (parents first) and files, the secret ones marked.
 */
export function accessFiles(services: readonly PlannedService[], keys: AccessKeys): AccessFiles {
  const out: AccessFiles = { dirs: [], files: [] };
  const restricted = services.flatMap((s) => s.backends.filter((b) => b.clientKey !== undefined));
  if (restricted.length > 0) out.dirs.push(LAYOUT.backendKeysDir);
  if (services.some((s) => s.clients !== undefined)) out.dirs.push(LAYOUT.clientsDir);
  for (const [i, service] of services.entries()) {
    const balancer = keys.balancer[i];
    for (const backend of service.backends) {
      if (balancer === undefined || backend.clientKey === undefined) continue;
      const dir = `${backend.name}/${LAYOUT.hiddenServiceDir}/${LAYOUT.authorizedClientsDir}`;
      out.dirs.push(dir);
      out.files.push(
        new PlannedFile(
          `${dir}/${LAYOUT.balancerAuth}`,
          encodeAuthorizedClientFile(balancer.public),
          false,
        ),
        new PlannedFile(
          backend.clientKey,
          encodeClientAuthKeyFile(parseOnionAddress(backend.address), balancer),
          true,
        ),
      );
    }
    out.files.push(...clientFiles(service, keys.clients[i] ?? [], out.dirs));
  }
  return out;
}

/** A service's `.auth` files (the balancer's) and its clients' `.auth_private` files. */
function clientFiles(
  service: PlannedService,
  clients: readonly HsClientDescEncKeypair[],
  dirs: string[],
): PlannedFile[] {
  const planned = service.clients;
  if (planned === undefined) return [];
  dirs.push(planned.dir);
  const files: PlannedFile[] = [];
  const frontend = parseOnionAddress(service.address);
  for (const [k, key] of clients.entries()) {
    const name = planned.names[k]!;
    files.push(
      new PlannedFile(`${planned.dir}/${name}.auth`, encodeAuthorizedClientFile(key.public), false),
    );
  }
  for (const [k, key] of clients.entries()) {
    const dir = `${LAYOUT.clientsDir}/${planned.names[k]!}`;
    dirs.push(dir);
    files.push(
      new PlannedFile(
        `${dir}/${clientKeyFileName(onionAddressLabel(frontend))}`,
        encodeClientAuthKeyFile(frontend, key),
        true,
      ),
    );
  }
  return files;
}
