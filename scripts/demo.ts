// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * `deno task demo`: the README's main job, on a private Tor network on 127.0.0.1.
 *
 * 1. boots the network (3 authorities, 5 relays, a client, the frontend tor), with progress;
 * 2. makes the frontend ("master") key and address;
 * 3. starts the backends (`HiddenServiceOnionbalanceInstance 1`, `ob_config` naming the
 *    frontend) and fetches each one's own address through the client;
 * 4. starts the balancer and fetches the frontend address repeatedly, printing which backend
 *    answered each time;
 * 5. stops everything, unless `--keep`, which leaves it running and prints how to reach it.
 *
 * Until the deployment generator and the balancer exist, step 2 uses a throwaway tor to make
 * the key, and the demo stops after step 3, saying what is missing.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError } from "commander";
import {
  type Backend,
  fetchOnion,
  makeOnionKey,
  type Network,
  Socks5Error,
  startBackends,
  startNetwork,
  stopNetwork,
  stopNetworkSync,
} from "./testnet/mod.ts";
import { findFreeBasePort } from "./testnet/ports.ts";

interface DemoOptions {
  dir?: string;
  basePort?: number;
  backends: number;
  requests: number;
  keep: boolean;
}

function integer(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError("Not a positive whole number.");
  }
  return Number(value);
}

function parseArgs(args: readonly string[]): DemoOptions {
  const program = new Command("demo")
    .description("OnionBalance on a private Tor network on 127.0.0.1")
    .option("-d, --dir <dir>", "network folder (default: a new folder under /tmp)")
    .option(
      "-p, --base-port <port>",
      "first port of the 200-port range (default: a free one)",
      integer,
    )
    .option("-b, --backends <n>", "number of backends", integer, 3)
    .option("-n, --requests <n>", "requests to the frontend address", integer, 6)
    .option("-k, --keep", "leave the network running and print how to reach it", false)
    .exitOverride()
    .configureOutput({ getOutHasColors: () => false, getErrHasColors: () => false });
  program.parse([...args], { from: "user" });
  return program.opts<DemoOptions>();
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const step = (text: string) => console.log(`\n== ${text}`);

async function fetchBackends(net: Network, backends: readonly Backend[]): Promise<void> {
  step("Each backend answers on its own onion address, through the Tor client");
  for (const backend of backends) {
    const { response, attempts, elapsedMs } = await fetchOnion(backend.url, {
      proxy: net.socks,
      timeoutMs: 90_000,
    });
    console.log(
      `  ${backend.onionAddress} -> "${response.text().trim()}" ` +
        `(HTTP ${response.status}, ${attempts} attempt(s), ${elapsedMs} ms)`,
    );
  }
}

async function tryFrontend(net: Network, master: string, requests: number): Promise<boolean> {
  step(`Frontend address ${master}`);
  console.log(
    "  The balancer does not exist yet: nothing publishes a descriptor for the frontend address.\n" +
      "  Missing: the balancer daemon (`onionbalance run`) and the deployment generator\n" +
      "  (`onionbalance config`). See the README's feature status.",
  );
  try {
    await fetchOnion(`http://${master}/`, { proxy: net.socks, timeoutMs: 30_000, maxAttempts: 1 });
    console.log("  Unexpected: the frontend answered");
    return true;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    const why = cause instanceof Socks5Error
      ? `${cause.kind} (SOCKS reply 0x${cause.reply?.toString(16)})`
      : String(error);
    console.log(`  One request to the frontend address: ${why}, as expected without a balancer.`);
    console.log(
      `  The ${requests} requests that would show the backends taking turns are skipped.`,
    );
    return false;
  }
}

function printKeep(net: Network, master: string, backends: readonly Backend[]): void {
  step("Left running (--keep)");
  console.log(`  folder:           ${net.dir}`);
  console.log(`  client SOCKS:     127.0.0.1:${net.socks.port}`);
  console.log(
    `  frontend control: 127.0.0.1:${net.frontend.controlPort} (cookie ${net.frontend.cookieFile})`,
  );
  console.log(`  frontend address: ${master}`);
  for (const b of backends) {
    console.log(`  ${b.name}: curl --socks5-hostname 127.0.0.1:${net.socks.port} ${b.url}`);
  }
  console.log(`  deno task testnet status --dir ${net.dir}`);
  console.log(`  deno task testnet fetch --dir ${net.dir} http://${master}/`);
  console.log(`  deno task testnet stop --dir ${net.dir} --remove`);
}

async function main(options: DemoOptions): Promise<number> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "onionbalance-demo-" });
  const basePort = options.basePort ??
    findFreeBasePort(Array.from({ length: 10 }, (_, i) => 15000 + 200 * i));
  const stopOnSignal = () => {
    console.log("\nInterrupted: stopping the network");
    stopNetworkSync(dir);
    Deno.exit(130);
  };
  if (!options.keep) Deno.addSignalListener("SIGINT", stopOnSignal);

  step(`Booting a private Tor network in ${dir} (ports ${basePort}-${basePort + 199})`);
  const net = await startNetwork(dir, {
    basePort,
    ownerPid: options.keep ? undefined : Deno.pid,
    onProgress: (line) => console.log(`  ${line}`),
  });
  let succeeded = false;
  try {
    step("Deployment");
    const master = await makeOnionKey(net);
    console.log(`  frontend address ${master.onionAddress}`);
    console.log("  (made by a throwaway tor until `onionbalance config` exists)");

    step(`Starting ${options.backends} backends`);
    const backends = await startBackends(net, options.backends, {
      masterOnionAddress: master.onionAddress,
      onProgress: (line) => console.log(`  ${line}`),
    });
    await fetchBackends(net, backends);
    await tryFrontend(net, master.onionAddress, options.requests);
    if (options.keep) printKeep(net, master.onionAddress, backends);
    succeeded = true;
    return 0;
  } finally {
    if (!options.keep) {
      step("Stopping everything");
      const remove = succeeded && options.dir === undefined;
      const report = await stopNetwork(dir, { remove });
      console.log(
        `  stopped ${report.stopped.length + report.killed.length} processes (${elapsed()} in all)`,
      );
      if (!remove) console.log(`  logs kept in ${dir}/nodes/*/notice.log`);
      Deno.removeSignalListener("SIGINT", stopOnSignal);
    }
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(parseArgs(Deno.args)));
  } catch (error) {
    if (error instanceof CommanderError) Deno.exit(error.exitCode === 0 ? 0 : 2);
    console.error(`demo: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
    Deno.exit(1);
  }
}
