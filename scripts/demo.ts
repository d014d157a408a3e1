// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * `deno task demo`: the README's main job, on a private Tor network on 127.0.0.1.
 *
 * 1. boots the network (3 authorities, 5 relays, a client, the frontend tor), with progress;
 * 2. generates a deployment with `onionbalance config` (frontend key, config.yaml, one
 *    `hidden_service` folder per backend with its keys and `ob_config`);
 * 3. starts the backends from those folders (`HiddenServiceOnionbalanceInstance 1`) and
 *    fetches each one's own address through the client;
 * 4. starts the balancer (`onionbalance -c config.yaml`) and fetches the frontend address
 *    repeatedly with fresh circuits, printing which backend answered each time;
 * 5. stops everything, unless `--keep`, which leaves it running and prints how to reach it.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError } from "commander";
import {
  type BackendTor,
  fetchOnion,
  type Network,
  startBackends,
  startNetwork,
  stopNetwork,
  stopNetworkSync,
} from "./testnet/mod.ts";
import { findFreeBasePort } from "./testnet/ports.ts";
import { recordProcess } from "./testnet/pids.ts";
import { addProcess } from "./testnet/state.ts";
import { connectControl, signal } from "../src/control/mod.ts";
import { Logger } from "../src/log/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

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

async function fetchBackends(net: Network, backends: readonly BackendTor[]): Promise<void> {
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

/** `onionbalance config`, the real command, as an operator runs it. */
async function generateDeployment(
  dir: string,
  backends: number,
): Promise<{ master: string; hiddenServiceDirs: string[] }> {
  const deploy = `${dir}/deploy`;
  const args = [
    "config",
    "--no-interactive",
    "--output",
    deploy,
    "-n",
    String(backends),
    "-t",
    "backend",
  ];
  console.log(`  onionbalance ${args.join(" ")}`);
  const out = await new Deno.Command("deno", {
    args: ["run", `--allow-read=${dir}`, `--allow-write=${dir}`, MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const key =
    (await Array.fromAsync(Deno.readDir(deploy))).find((e) => e.name.endsWith(".key"))!.name;
  const master = `${key.slice(0, 56)}.onion`;
  console.log(`  frontend address ${master}; files in ${deploy} (see its README.md)`);
  return {
    master,
    hiddenServiceDirs: Array.from(
      { length: backends },
      (_, i) => `${deploy}/backend${i + 1}/hidden_service`,
    ),
  };
}

/** Starts `onionbalance -c config.yaml` against the frontend tor; its log goes to a file. */
async function startBalancer(net: Network): Promise<{ pid: number; log: string }> {
  const log = `${net.dir}/balancer.log`;
  const args = ["-c", `${net.dir}/deploy/config.yaml`, "-p", String(net.frontend.controlPort)];
  console.log(`  onionbalance ${args.join(" ")}   (log: ${log})`);
  const command = [
    "deno",
    "run",
    `--allow-read=${net.dir}`,
    "--allow-net=127.0.0.1",
    "--allow-env",
    MAIN,
    ...args,
    "-s",
    `${net.dir}/no-control-socket`,
    "--unsafe-logging",
  ];
  // The log goes to a file (through sh), so that the balancer outlives the demo with --keep.
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$@" 2>"$0"', log, ...command],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  await addProcess(net.dir, await recordProcess("balancer", child.pid));
  return { pid: child.pid, log };
}

/** Waits (bounded) until the balancer's log shows an accepted upload, printing its progress. */
async function waitForPublish(log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown = 0;
  while (Date.now() < deadline) {
    const lines = (await Deno.readTextFile(log).catch(() => "")).split("\n").filter((l) =>
      l !== ""
    );
    for (const line of lines.slice(shown)) {
      if (/Connected|Consensus|Backend|Publishing|Waiting/.test(line)) console.log(`  ${line}`);
    }
    shown = lines.length;
    if (
      lines.some((l) => /Uploaded|Publishing/.test(l)) &&
      lines.some((l) => /Publishing the second/.test(l))
    ) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The balancer did not publish within ${timeoutMs / 1000} s; see ${log}`);
}

/** Fetches the frontend address `requests` times with fresh circuits; prints who answered. */
async function useFrontend(net: Network, master: string, requests: number): Promise<void> {
  step(`The frontend address ${master}, ${requests} times, each on a fresh circuit`);
  const client = await connectControl({
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port: net.clientControlPort },
    log: new Logger({ level: "critical" }),
    reconnect: false,
  });
  try {
    await signal(client, "NEWNYM"); // forget what the client knew before the balancer published
  } finally {
    await client.close();
  }
  const tally = new Map<string, number>();
  for (let i = 1; i <= requests; i++) {
    const { response, attempts, elapsedMs } = await fetchOnion(`http://${master}/`, {
      proxy: net.socks,
      timeoutMs: 90_000,
    });
    const name = response.text().trim();
    tally.set(name, (tally.get(name) ?? 0) + 1);
    console.log(
      `  request ${i}: answered by ${name} (HTTP ${response.status}, ${attempts} attempt(s), ${elapsedMs} ms)`,
    );
  }
  console.log(`  answers: ${[...tally].map(([n, c]) => `${n} ×${c}`).join(", ")}`);
}

function printKeep(net: Network, master: string, backends: readonly BackendTor[]): void {
  step("Left running (--keep)");
  console.log(`  folder:           ${net.dir}`);
  console.log(`  client SOCKS:     127.0.0.1:${net.socks.port}`);
  console.log(
    `  frontend control: 127.0.0.1:${net.frontend.controlPort} (cookie ${net.frontend.cookieFile})`,
  );
  console.log(`  frontend address: ${master}`);
  console.log(`  balancer log:     ${net.dir}/balancer.log (config ${net.dir}/deploy/config.yaml)`);
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
    step("Generating the deployment");
    const { master, hiddenServiceDirs } = await generateDeployment(dir, options.backends);

    step(`Starting ${options.backends} backends from the generated folders`);
    const backends = await startBackends(net, options.backends, {
      masterOnionAddress: master,
      hiddenServiceDirs,
      onProgress: (line) => console.log(`  ${line}`),
    });
    await fetchBackends(net, backends);

    step("Starting the balancer");
    const balancer = await startBalancer(net);
    await waitForPublish(balancer.log, 120_000);
    await useFrontend(net, master, options.requests);
    if (options.keep) printKeep(net, master, backends);
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
