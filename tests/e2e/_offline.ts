/**
 * An offline-keys manager for the end-to-end cases (rend-spec-v3 §1.7): a folder holding only
 * `config.yaml` and an offline key bundle made by the real `keys offline` command (under the
 * release `onionbalance-config` binary's permissions) from the deployment's frontend key, which
 * stays in the deployment folder (the "isolated machine") that the daemon is not allowed to
 * read. Plus the checks the cases make: no identity or blinded secret in any file the daemon
 * can read, and python3-stem decrypting a descriptor the daemon published.
 *
 * @module
 */

import assert from "node:assert/strict";
import { toBase64, toHex } from "../../src/bytes/mod.ts";
import { blindKeypair, type HsIdKeypair, loadIdentityKey } from "../../src/keys/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { runScoped } from "../cli/_compile_flags.ts";
import type { SharedNetwork } from "./_network.ts";

/** A manager folder running from a bundle. */
export interface OfflineManager {
  /** The folder: `config.yaml` and `frontend.keys`, nothing else. */
  dir: string;
  configPath: string;
  bundlePath: string;
  /** The frontend's identity key file, outside `dir` (the isolated machine's copy). */
  keyPath: string;
  /** The identity key, for the secret scan. */
  identity: HsIdKeypair;
}

/**
 * Makes `${net.dir}/manager/` (0700) with a bundle of `periods` periods from now and the
 * deployment's `config.yaml`, its `key:` line turned into `offline-keys: frontend.keys`, plus
 * `extra` lines.
 */
export async function offlineManager(
  shared: SharedNetwork,
  options: { periods: number; periodMinutes: number; extra?: string },
): Promise<OfflineManager> {
  const dir = `${shared.net.dir}/manager`;
  await Deno.mkdir(dir, { mode: 0o700 });
  const keyFile = (await Array.fromAsync(Deno.readDir(shared.deployDir)))
    .find((e) => e.isFile && e.name.endsWith(".key"))!.name;
  const keyPath = `${shared.deployDir}/${keyFile}`;
  const manager: OfflineManager = {
    dir,
    configPath: `${dir}/config.yaml`,
    bundlePath: `${dir}/frontend.keys`,
    keyPath,
    identity: (await loadIdentityKey(keyPath)).keypair,
  };
  await makeBundle(manager, options.periods, options.periodMinutes, manager.bundlePath);
  const keyLine = new RegExp(`^(\\s*- )key: ${keyFile.replaceAll(".", "\\.")}\\b`, "m");
  assert.match(shared.configText, keyLine);
  await Deno.writeTextFile(
    manager.configPath,
    shared.configText.replace(keyLine, "$1offline-keys: frontend.keys") + (options.extra ?? ""),
    { mode: 0o600 },
  );
  return manager;
}

/**
 * Renews the bundle as an operator does: a new one made where the key is, then moved over
 * the old one (the daemon reads it at the next SIGHUP).
 */
export async function renewBundle(
  manager: OfflineManager,
  periods: number,
  periodMinutes: number,
): Promise<string> {
  const next = `${manager.dir}/frontend.keys.new`;
  const out = await makeBundle(manager, periods, periodMinutes, next);
  await Deno.rename(next, manager.bundlePath);
  return out;
}

async function makeBundle(
  manager: OfflineManager,
  periods: number,
  periodMinutes: number,
  output: string,
): Promise<string> {
  const made = await runScoped("compile:config", [
    "keys",
    "offline",
    "--key",
    manager.keyPath,
    "--output",
    output,
    "--periods",
    String(periods),
    "--period-length",
    String(periodMinutes),
  ]);
  assert.equal(made.code, 0, made.stderr);
  return made.stdout.trim();
}

/**
 * Checks that no file under `dir` (all the daemon may read) holds the identity secret or the
 * blinded secret of any of `periods`, raw, hex or base64.
 *
 * @returns How many files were scanned.
 */
export async function assertNoSecrets(
  dir: string,
  identity: HsIdKeypair,
  periods: readonly TimePeriod[],
): Promise<number> {
  const secrets: Uint8Array[] = [identity.expandedSecret()];
  const seed = identity.seed();
  if (seed !== undefined) secrets.push(seed);
  for (const period of periods) secrets.push(blindKeypair(identity, period).expandedSecret());
  const halves = secrets.flatMap((s) => s.length === 64 ? [s, s.slice(0, 32), s.slice(32)] : [s]);
  const forms = halves.flatMap((s) => [
    toHex(s),
    toBase64(s),
    toBase64(s).replace(/=+$/, ""),
    String.fromCharCode(...s),
  ]);
  let files = 0;
  for await (const path of walk(dir)) {
    files++;
    const text = String.fromCharCode(...await Deno.readFile(path));
    for (const form of forms) {
      assert.ok(!text.includes(form), `a secret of the identity key in ${path}`);
    }
  }
  return files;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

/** The periods around `now` on a network with `periodMinutes`-minute periods (for the scan). */
export function periodsAround(now: number, periodMinutes: number, count: number): TimePeriod[] {
  const at = TimePeriod.containing(Math.floor(now / 1000), {
    lengthMinutes: periodMinutes,
    rotationOffsetSeconds: periodMinutes * 30,
  });
  return Array.from(
    { length: count },
    (_, i) => new TimePeriod(at.number - 2 + i, periodMinutes, periodMinutes * 30),
  );
}

/** python3-stem's reading of a descriptor text for `address`: its revision and intro points. */
export async function stemDecrypt(
  text: string,
  address: string,
  dir: string,
): Promise<{ revision: number; introPoints: number; signingKeyCertType: number }> {
  const file = await Deno.makeTempFile({ dir, suffix: ".desc" });
  await Deno.writeTextFile(file, text);
  const script = `
import json, sys
from stem.descriptor.hidden_service import HiddenServiceDescriptorV3
desc = HiddenServiceDescriptorV3.from_str(open(sys.argv[1]).read())
inner = desc.decrypt(sys.argv[2])
print(json.dumps({"revision": desc.revision_counter, "introPoints": len(inner.introduction_points),
                  "signingKeyCertType": desc.signing_cert.type_int}))
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, file, address],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
