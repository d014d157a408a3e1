/**
 * The one private Tor network shared by every end-to-end case of a test run.
 *
 * The first case that calls {@link sharedNetwork} boots it (3 authorities, 5 relays, a client,
 * the frontend tor) and starts {@link BACKENDS} backends from a deployment that the real
 * `onionbalance config` command generated: the backends' tors use its `hidden_service`
 * folders unchanged, and the balancer runs with its `config.yaml`. Later cases get the same
 * promise. It lives under /tmp in a fresh folder, on the first free 200-port range from 17000,
 * and its tors exit by themselves if this process dies (`__OwningControllerProcess`). It is
 * stopped when the test process unloads; the folder is deleted then unless `OB_E2E_KEEP=1`.
 *
 * Cases keep the sanitizers: the network's processes are detached and recorded in its state
 * file, not held as resources of the case that happened to boot it.
 *
 * @module
 */

import {
  type Backend,
  type Network,
  startBackends,
  startNetwork,
  stopNetworkSync,
} from "../../scripts/testnet/mod.ts";
import { findFreeBasePort } from "../../scripts/testnet/ports.ts";

/** Backends started with the shared network. */
export const BACKENDS = 3;

/**
 * Backends in the generated deployment (and in its `config.yaml`): the distinct-descriptor case
 * starts the ones beyond {@link BACKENDS}; until then the balancer finds no descriptor for them
 * and leaves them out.
 */
export const DEPLOYED_BACKENDS = 12;

/** The shared network, its frontend key and its backends. */
export interface SharedNetwork {
  net: Network;
  /** The frontend address every backend's `ob_config` names. */
  master: { onionAddress: string };
  backends: Backend[];
  /** The generated deployment's folder. */
  deployDir: string;
  /** Its `config.yaml`, as generated. */
  configPath: string;
  /** The generated `config.yaml` text. */
  configText: string;
  /** The generated `hidden_service` folders of all {@link DEPLOYED_BACKENDS} backends. */
  hsDirs: string[];
}

let booting: Promise<SharedNetwork> | undefined;

/** Boots the shared network on first use; every later call gets the same one. */
export function sharedNetwork(): Promise<SharedNetwork> {
  booting ??= boot();
  return booting;
}

async function boot(): Promise<SharedNetwork> {
  const dir = await Deno.makeTempDir({ prefix: "ob-e2e-" });
  globalThis.addEventListener("unload", () => {
    stopNetworkSync(dir, { graceMs: 5_000, remove: Deno.env.get("OB_E2E_KEEP") !== "1" });
  });
  const basePort = findFreeBasePort(Array.from({ length: 10 }, (_, i) => 17000 + 200 * i));
  const lines: string[] = [];
  const net = await startNetwork(dir, {
    basePort,
    // Not tor's default (4): the balancer must read the ring parameters from the consensus.
    consensusParams: { hsdir_spread_store: 3 },
    ownerPid: Deno.pid,
    timeoutMs: 120_000,
    onProgress: (line) => lines.push(line),
  }).catch((error) => {
    throw new Error(`Cannot boot the e2e network in ${dir}:\n${lines.join("\n")}`, {
      cause: error,
    });
  });
  const deployDir = `${dir}/deploy`;
  const generated = await new Deno.Command("deno", {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      MAIN,
      "config",
      "--no-interactive",
      "--output",
      deployDir,
      "-n",
      String(DEPLOYED_BACKENDS),
      "-t",
      "backend",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!generated.success) {
    throw new Error(`onionbalance config failed: ${new TextDecoder().decode(generated.stderr)}`);
  }
  const configPath = `${deployDir}/config.yaml`;
  const configText = await Deno.readTextFile(configPath);
  const keyFile =
    (await Array.fromAsync(Deno.readDir(deployDir))).find((e) => e.name.endsWith(".key"))!.name;
  const master = { onionAddress: `${keyFile.slice(0, 56)}.onion` };
  const hsDirs = Array.from(
    { length: DEPLOYED_BACKENDS },
    (_, i) => `${deployDir}/backend${i + 1}/hidden_service`,
  );
  const backends = await startBackends(net, BACKENDS, {
    masterOnionAddress: master.onionAddress,
    hsDirs: hsDirs.slice(0, BACKENDS),
    timeoutMs: 60_000,
  });
  return { net, master, backends, deployDir, configPath, configText, hsDirs };
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * Rejects when `promise` does not settle within `ms`: every end-to-end case is bounded.
 *
 * @throws {Error} Naming `what` when time runs out.
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
