/**
 * What the released binaries may touch, and one-line errors for what they may not.
 *
 * The binaries are built with `deno compile` and a fixed permission set (deno.json's
 * `compile:onionbalance` and `compile:config` tasks; tests/cli/scope_test.ts keeps the two in
 * step). The daemon binary reads anywhere (config and keys live wherever the operator keeps
 * them), connects only to loopback TCP and to tor's usual control sockets, and writes only its
 * status socket. When an operator asks for something outside that, Deno's own error says "run
 * again with the --allow-… flag", which a compiled binary cannot take; this module turns such a
 * denial into one line that says what is out of scope and what to do instead.
 *
 * Role: called by `main.ts` (every denial that reaches it) and by `run.ts` before it connects
 * (so a control socket out of scope fails at once instead of being retried as "tor is not
 * there"). It asks Deno (`Deno.permissions.query`), never the network.
 *
 * @module
 */

/** The exact Unix socket paths the daemon binary may use. */
export const SCOPED_UNIX_SOCKETS = [
  "/run/tor/control",
  "/var/run/tor/control",
  "/run/onionbalance/control",
] as const;

/** The network scope of the daemon binary: loopback TCP, then {@link SCOPED_UNIX_SOCKETS}. */
export const SCOPED_NET = [
  "127.0.0.0/8",
  "[::1]",
  "localhost",
  ...SCOPED_UNIX_SOCKETS.map((path) => `unix:${path}`),
] as const;

/** Where the daemon binary may write: the status socket's folder and tor's control sockets. */
export const SCOPED_WRITE = ["/run/onionbalance", "/run/tor/control", "/var/run/tor/control"];

/** The environment variables the daemon binary reads. */
export const SCOPED_ENV = [
  "ONIONBALANCE_CONFIG",
  "ONIONBALANCE_TOR_CONTROL_SOCKET",
  "ONIONBALANCE_LOG_LEVEL",
  "ONIONBALANCE_STATUS_SOCKET_LOCATION",
  "ONIONBALANCE_CONTROL_PASSWORD",
  // systemd's credentials folder (LoadCredential=, LoadCredentialEncrypted=): key passphrases.
  "CREDENTIALS_DIRECTORY",
];

/** A request outside the permissions this process runs with. `main.ts` prints the message. */
export class ScopeError extends Error {
  override name = "ScopeError";
}

/** The scope, as the README's "Permissions" section states it, for error messages. */
const SCOPE_SUMMARY = "the onionbalance binary connects only to 127.0.0.0/8, [::1] and " +
  `the Unix sockets ${SCOPED_UNIX_SOCKETS.join(", ")}, and writes only under /run/onionbalance`;

/** What to do instead, by the kind of access that was refused. */
function alternative(kind: string, target: string): string {
  if (kind === "net" && target.startsWith("unix:")) {
    return "use tor's ControlPort on 127.0.0.1 (-i/-p) or one of those socket paths";
  }
  if (kind === "net") return "tor's ControlPort and SocksPort must listen on a loopback address";
  if (kind === "write") {
    return "generate deployments with onionbalance-config; the status socket belongs at " +
      "/run/onionbalance/control";
  }
  return 'the README\'s "Permissions" section says how to run it with other permissions';
}

/** What to do about a `metrics-listen` address outside the scope. */
export const METRICS_SCOPE_ADVICE = "the released binary serves metrics only on a loopback " +
  "address; for another one (metrics-allow-remote), run from source with --allow-net for it";

/**
 * One line for an access Deno refused, naming what was asked, the scope and the alternative.
 *
 * @param kind `net`, `read`, `write`, `env`, …
 * @param target The host, `unix:` path, file or variable.
 * @param instead What to do instead, when the caller knows better than the kind of access.
 */
export function scopeMessage(kind: string, target: string, instead?: string): string {
  return `Cannot use ${JSON.stringify(target)} (${kind}): outside this binary's permissions ` +
    `(${SCOPE_SUMMARY}); ${instead ?? alternative(kind, target)}`;
}

/**
 * Turns Deno's `NotCapable` error ("Requires net access to "x", run again with the --allow-net
 * flag") into a {@link ScopeError}; returns undefined for any other error.
 */
export function scopeErrorOf(error: unknown): ScopeError | undefined {
  if (!(error instanceof Deno.errors.NotCapable)) return undefined;
  const match = /^Requires (\w+) access to "?([^",]*)"?/.exec(error.message);
  const kind = match?.[1] ?? "some";
  const target = match?.[2] ?? "a resource";
  return new ScopeError(scopeMessage(kind, target), { cause: error });
}

/**
 * The {@link ScopeError} for the first permission denial in `error` or its chain of causes (a
 * command that wraps Deno's error in its own still gets the one-line scope message).
 */
export function scopeErrorIn(error: unknown): ScopeError | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof ScopeError) return current;
    const denied = scopeErrorOf(current);
    if (denied !== undefined) return denied;
    current = current.cause;
  }
  return undefined;
}

/**
 * Throws a {@link ScopeError} unless every descriptor is granted. Asks Deno only; nothing is
 * opened.
 */
export async function requireGranted(
  ...descriptors: readonly Deno.PermissionDescriptor[]
): Promise<void> {
  for (const descriptor of descriptors) {
    const { state } = await Deno.permissions.query(descriptor);
    if (state === "granted") continue;
    const [kind, target] = describeDescriptor(descriptor);
    throw new ScopeError(scopeMessage(kind, target));
  }
}

function describeDescriptor(descriptor: Deno.PermissionDescriptor): [string, string] {
  switch (descriptor.name) {
    case "net":
      return ["net", descriptor.host ?? "any host"];
    case "read":
    case "write":
      return [descriptor.name, String(descriptor.path ?? "any file")];
    case "env":
      return ["env", descriptor.variable ?? "any variable"];
    default:
      return [descriptor.name, descriptor.name];
  }
}
