/**
 * Runs the tor binaries: key generation (`tor-gencert`, `tor --list-fingerprint`), a throwaway
 * onion key, and launching a daemonized tor whose PID is recorded at once.
 *
 * Role: the only place in `scripts/testnet/` that executes `tor` or `tor-gencert`. Every tor
 * gets `-f <torrc> --defaults-torrc <empty file>`, so `/etc/tor/torrc` never applies.
 *
 * @module
 */

import { type ProcessRecord, recordProcess, stopProcesses } from "./pids.ts";
import { problems, readLog } from "./tor_log.ts";
import { waitFor } from "./wait.ts";

/** Thrown when a tor binary fails; the message ends with its last output lines. */
export class TorProcessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TorProcessError";
  }
}

const decoder = new TextDecoder();

/**
 * Writes `<dir>/empty` and returns its path: the `--defaults-torrc` of every tor, and its GeoIP
 * databases.
 */
export async function emptyFile(dir: string): Promise<string> {
  const path = `${dir}/empty`;
  await Deno.writeTextFile(path, "");
  return path;
}

async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<string> {
  const child = new Deno.Command(command, {
    args: [...args],
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
  if (!output.success) {
    const tail = text.trim().split("\n").slice(-5).join("\n");
    throw new TorProcessError(`Command "${command} ${args.join(" ")}" failed:\n${tail}`);
  }
  return text;
}

/**
 * Creates a directory authority's v3 keys in `<dataDir>/keys` with `tor-gencert`.
 *
 * @returns The `v3ident`: the fingerprint of the authority identity key.
 */
export async function makeAuthorityKeys(dataDir: string, dirPort: number): Promise<string> {
  const keys = `${dataDir}/keys`;
  await Deno.mkdir(keys, { recursive: true, mode: 0o700 });
  // An empty passphrase on stdin: the identity key is stored unencrypted.
  await run("tor-gencert", [
    "--create-identity-key",
    "--passphrase-fd",
    "0",
    "-m",
    "12",
    "-a",
    `127.0.0.1:${dirPort}`,
    "-i",
    "authority_identity_key",
    "-s",
    "authority_signing_key",
    "-c",
    "authority_certificate",
  ], { cwd: keys, stdin: "\n" });
  const cert = await Deno.readTextFile(`${keys}/authority_certificate`);
  const match = /^fingerprint ([0-9A-F]{40})$/m.exec(cert);
  if (match?.[1] === undefined) {
    throw new TorProcessError(`Cannot read the fingerprint of "${keys}/authority_certificate"`);
  }
  return match[1];
}

/**
 * Creates a relay's identity keys in `dataDir` with `tor --list-fingerprint`.
 *
 * @returns The RSA identity fingerprint, 40 hex digits.
 */
export async function makeRelayKeys(
  dataDir: string,
  options: { nickname: string; orPort: number; emptyFile: string },
): Promise<string> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await run("tor", [
    "--list-fingerprint",
    "-f",
    options.emptyFile,
    "--defaults-torrc",
    options.emptyFile,
    "--DataDirectory",
    dataDir,
    "--Nickname",
    options.nickname,
    "--ORPort",
    `127.0.0.1:${options.orPort}`,
    "--Address",
    "127.0.0.1",
  ]);
  const [, fingerprint] = (await Deno.readTextFile(`${dataDir}/fingerprint`)).trim().split(" ");
  if (fingerprint === undefined || !/^[0-9A-F]{40}$/.test(fingerprint)) {
    throw new TorProcessError(`Cannot read the fingerprint in "${dataDir}/fingerprint"`);
  }
  return fingerprint;
}

/**
 * Starts a tor that daemonizes (`RunAsDaemon 1`, `PidFile <dataDir>/pid`), waits for the
 * launcher to exit (tor has parsed its config and bound its ports by then), and records the
 * daemon's PID and start time.
 *
 * @param name The record's name, e.g. `"relay0"`.
 * @param files The torrc, the empty defaults file and the data directory.
 * @throws {TorProcessError} With the launcher's output and the log's warnings when tor fails.
 */
export async function launchTor(
  name: string,
  files: { torrc: string; emptyFile: string; dataDir: string },
): Promise<ProcessRecord> {
  const pidFile = `${files.dataDir}/pid`;
  await Deno.remove(pidFile).catch(() => {});
  try {
    await run("tor", ["-f", files.torrc, "--defaults-torrc", files.emptyFile, "--quiet"]);
  } catch (error) {
    const log = problems(await readLog(`${files.dataDir}/notice.log`)).join("\n");
    throw new TorProcessError(`Cannot start tor "${name}":\n${log}`, { cause: error });
  }
  const pid = await waitFor(`the PID file of tor "${name}"`, async () => {
    const text = await Deno.readTextFile(pidFile).catch(() => "");
    return /^\d+\s*$/.test(text) ? { done: true, value: Number(text) } : {
      done: false,
      state: "no PID file yet",
    };
  }, { timeoutMs: 5_000, intervalMs: 50 });
  return await recordProcess(name, pid);
}

/**
 * Creates a v3 onion service key by letting a throwaway tor (no network) create a
 * `HiddenServiceDir`, then stops that tor.
 *
 * @param hiddenServiceDir The directory to create; it ends up holding `hostname`,
 *   `hs_ed25519_secret_key` and `hs_ed25519_public_key` (tor `hs_service.c: load_service_keys,
 *   write_address_to_file`).
 * @returns The address from `hostname`, e.g. `"abc…xyd.onion"`.
 */
export async function createOnionKey(
  hiddenServiceDir: string,
  emptyFilePath: string,
): Promise<string> {
  const dataDir = `${hiddenServiceDir}.tor`;
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await Deno.mkdir(hiddenServiceDir, { recursive: true, mode: 0o700 });
  const torrc = `${dataDir}/torrc`;
  await Deno.writeTextFile(
    torrc,
    [
      `DataDirectory ${dataDir}`,
      `PidFile ${dataDir}/pid`,
      "RunAsDaemon 1",
      "DisableNetwork 1",
      "SocksPort 0",
      `Log notice file ${dataDir}/notice.log`,
      `GeoIPFile ${emptyFilePath}`,
      `GeoIPv6File ${emptyFilePath}`,
      `HiddenServiceDir ${hiddenServiceDir}`,
      "HiddenServicePort 80 127.0.0.1:1",
      "",
    ].join("\n"),
  );
  const record = await launchTor(`onion-key ${hiddenServiceDir}`, {
    torrc,
    emptyFile: emptyFilePath,
    dataDir,
  });
  try {
    return await readHostname(hiddenServiceDir);
  } finally {
    await stopProcesses([record], { graceMs: 5_000 });
  }
}

/**
 * Waits (at most 10 s) until tor has written `<hiddenServiceDir>/hostname` and returns the
 * address in it.
 * The daemon usually writes it before its launcher exits, but not always under load.
 */
export async function readHostname(hiddenServiceDir: string): Promise<string> {
  return await waitFor(`"${hiddenServiceDir}/hostname"`, async () => {
    const text = await Deno.readTextFile(`${hiddenServiceDir}/hostname`).catch(() => "");
    return text.endsWith("\n")
      ? { done: true, value: text.trim() }
      : { done: false, state: "not written yet" };
  }, { timeoutMs: 10_000, intervalMs: 50 });
}
