/**
 * Client-authorization credentials held by tor: `ONION_CLIENT_AUTH_ADD` and
 * `ONION_CLIENT_AUTH_REMOVE`, so that tor can open a restricted onion
 * service's descriptor and connect to it (the balancer's health checks of a
 * restricted backend go through tor's SOCKS port).
 *
 * Spec: control-spec §3.30 ONION_CLIENT_AUTH_ADD, §3.31 ONION_CLIENT_AUTH_REMOVE;
 * tor `control_hs.c: handle_control_onion_client_auth_add,
 * parse_private_key_from_control_port` (`x25519:` then base64 of the 32-byte
 * secret), `hs_client.c: hs_client_register_auth_credentials` (251 when a
 * credential for the address existed and was replaced).
 *
 * Role: functions taking any {@link ControlRequester}. The secret is never in
 * an error message: a failed command reports tor's answer, which names only
 * the address.
 *
 * @module
 */

import { toBase64 } from "../bytes/mod.ts";
import type { CommandOptions } from "./commands.ts";
import type { ControlRequester } from "./connection.ts";

const ADDRESS = /^[a-z2-7]{56}$/;

/**
 * Gives tor the x25519 client key of the v3 onion service `address` (56 characters, no
 * `.onion`), in memory only (no `Flags=Permanent`). Replaces an earlier key for it.
 *
 * @param secret The 32-byte `KS_hsc_desc_enc` (the caller wipes it).
 * @param options `clientName` (tor keeps it for `ONION_CLIENT_AUTH_VIEW`), deadline.
 * @returns Whether tor replaced a credential it held for the address (reply 251).
 * @throws {TypeError} On a malformed address, secret or client name.
 * @throws {ControlOperationFailed} When tor refuses (512 bad argument, 551).
 */
export async function onionClientAuthAdd(
  client: ControlRequester,
  address: string,
  secret: Uint8Array,
  options: CommandOptions & { clientName?: string } = {},
): Promise<{ replaced: boolean }> {
  if (!ADDRESS.test(address)) {
    throw new TypeError("Cannot send ONION_CLIENT_AUTH_ADD: not a v3 address");
  }
  if (secret.length !== 32) {
    throw new TypeError("Cannot send ONION_CLIENT_AUTH_ADD: the key is not 32 bytes");
  }
  const name = options.clientName;
  if (name !== undefined && !/^[A-Za-z0-9_+-]{1,16}$/.test(name)) {
    throw new TypeError(`Cannot send ONION_CLIENT_AUTH_ADD: bad client name "${name}"`);
  }
  const blob = toBase64(secret);
  const reply = await client.request(
    `ONION_CLIENT_AUTH_ADD ${address} x25519:${blob}` +
      (name === undefined ? "" : ` ClientName=${name}`),
    options,
  );
  return { replaced: reply.status === 251 };
}

/**
 * Makes tor forget the client key of `address`.
 *
 * @returns Whether tor held one (reply 251 "No credentials for …" when it did not).
 * @throws {TypeError} On a malformed address.
 * @throws {ControlOperationFailed} When tor refuses.
 */
export async function onionClientAuthRemove(
  client: ControlRequester,
  address: string,
  options: CommandOptions = {},
): Promise<{ removed: boolean }> {
  if (!ADDRESS.test(address)) {
    throw new TypeError("Cannot send ONION_CLIENT_AUTH_REMOVE: not a v3 address");
  }
  const reply = await client.request(`ONION_CLIENT_AUTH_REMOVE ${address}`, options);
  return { removed: reply.status !== 251 };
}
