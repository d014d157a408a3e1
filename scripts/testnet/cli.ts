// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * Command line of the private test network: `deno task testnet <start|backends|fetch|status|stop>`.
 *
 * ```sh
 * deno task testnet start                 # boot in /tmp/onionbalance-testnet, ports 15000-15199
 * deno task testnet backends -n 3         # 3 backends (a throwaway frontend key if no --master)
 * deno task testnet fetch http://<addr>.onion/
 * deno task testnet status
 * deno task testnet stop                  # by recorded PID, also after a crash
 * ```
 *
 * Role: parses arguments with commander, prints, and sets the exit code (1 on failure, 2 on a
 * usage error). The work is done by `mod.ts`.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError } from "commander";
import {
  DEFAULT_BASE_PORT,
  fetchOnion,
  loadNetwork,
  makeOnionKey,
  networkStatus,
  startBackends,
  startNetwork,
  stopNetwork,
} from "./mod.ts";
import { ONION_V3 } from "./torrc.ts";

/** Default network folder of the command line. */
export const DEFAULT_DIR = "/tmp/onionbalance-testnet";

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("Not a whole number.");
  return Number(value);
}

function param(value: string, previous: Record<string, number>): Record<string, number> {
  const match = /^([A-Za-z0-9_-]+)=(-?\d+)$/.exec(value);
  if (match === null) throw new InvalidArgumentError("Expected KEY=INTEGER.");
  return { ...previous, [match[1]!]: Number(match[2]) };
}

function absolute(dir: string): string {
  return dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
}

const progress = (line: string) => console.log(line);

function buildProgram(): Command {
  const program = new Command("testnet")
    .description("A private Tor network on 127.0.0.1 for the end-to-end tests and the demo.")
    .exitOverride()
    .configureOutput({ getOutHasColors: () => false, getErrHasColors: () => false });
  const dirOption = ["-d, --dir <dir>", "network folder", DEFAULT_DIR] as const;

  program.command("start")
    .description("boot 3 authorities, the relays, a client and a frontend tor; wait for 100 %")
    .option(...dirOption)
    .option(
      "-p, --base-port <port>",
      "first port of the 200-port range",
      integer,
      DEFAULT_BASE_PORT,
    )
    .option("-r, --relays <n>", "relays besides the authorities (all become HSDirs)", integer, 5)
    .option(
      "--param <key=value>",
      "consensus parameter, repeatable (e.g. hsdir_spread_store=3)",
      param,
      {},
    )
    .option(
      "--voting-interval <seconds>",
      "V3AuthVotingInterval: 20 (8-minute time periods) or 10 (4 minutes)",
      integer,
      20,
    )
    .option("-t, --timeout <seconds>", "bound of the boot", integer, 120)
    .action(async (o) => {
      const net = await startNetwork(absolute(o.dir), {
        basePort: o.basePort,
        relays: o.relays,
        consensusParams: o.param,
        votingIntervalSeconds: o.votingInterval,
        timeoutMs: o.timeout * 1000,
        onProgress: progress,
      });
      console.log(`Network running in ${net.dir}`);
      console.log(`  client SOCKS      127.0.0.1:${net.socks.port} (ExtendedErrors)`);
      console.log(`  client control    127.0.0.1:${net.clientControlPort}`);
      console.log(
        `  frontend control  127.0.0.1:${net.frontend.controlPort} (cookie ${net.frontend.cookieFile})`,
        `  frontend SOCKS    127.0.0.1:${net.frontend.socksPort} (the balancer's health checks)`,
      );
      console.log(`Bootstrap time: ${((net.bootstrapMs ?? 0) / 1000).toFixed(1)} s`);
    });

  program.command("backends")
    .description("start backend onion services (HiddenServiceOnionbalanceInstance 1)")
    .option(...dirOption)
    .option("-n, --count <n>", "how many backends to add", integer, 3)
    .option("-m, --master <address>", "frontend address for ob_config (default: a throwaway key)")
    .option("-t, --timeout <seconds>", "bound of the start", integer, 90)
    .action(async (o) => {
      const net = await loadNetwork(absolute(o.dir));
      if (o.master !== undefined && !ONION_V3.test(o.master)) {
        throw new InvalidArgumentError(`"${o.master}" is not a v3 onion address with .onion`);
      }
      const master = o.master ?? (await makeOnionKey(net)).onionAddress;
      console.log(`MasterOnionAddress ${master}`);
      const backends = await startBackends(net, o.count, {
        masterOnionAddress: master,
        timeoutMs: o.timeout * 1000,
        onProgress: progress,
      });
      for (const b of backends) console.log(`${b.name}  ${b.url}  (HTTP 127.0.0.1:${b.httpPort})`);
    });

  program.command("fetch")
    .description("GET an http:// URL (e.g. an onion address) through the client, with retries")
    .argument("<url>")
    .option(...dirOption)
    .option("-t, --timeout <seconds>", "bound of all attempts", integer, 60)
    .action(async (url: string, o) => {
      const net = await loadNetwork(absolute(o.dir));
      const { response, attempts, elapsedMs } = await fetchOnion(url, {
        proxy: net.socks,
        timeoutMs: o.timeout * 1000,
        onRetry: (error, n) => console.log(`attempt ${n}: ${error.message}`),
      });
      console.log(`HTTP ${response.status} after ${attempts} attempt(s), ${elapsedMs} ms:`);
      console.log(response.text().trimEnd());
    });

  program.command("status")
    .description("show the recorded processes, bootstrap state and backends")
    .option(...dirOption)
    .option("--json", "print JSON")
    .action(async (o) => {
      const status = await networkStatus(absolute(o.dir));
      if (o.json) return void console.log(JSON.stringify(status, null, 2));
      const running = status.processes.filter((p) => p.running).length;
      console.log(`Network in ${status.dir}, ports ${status.basePort}-${status.basePort + 199}`);
      console.log(`  ${running}/${status.processes.length} recorded processes running`);
      for (const p of status.processes) {
        console.log(
          `    ${p.running ? "running" : "stopped"}  ${String(p.pid).padStart(7)}  ${p.name}`,
        );
      }
      const boot = (b: typeof status.client) => b ? `${b.percent}% (${b.tag})` : "not started";
      console.log(`  client ${boot(status.client)}, frontend ${boot(status.frontend)}`);
      for (const b of status.backends) console.log(`  ${b.name}  http://${b.onionAddress}/`);
    });

  program.command("stop")
    .description("stop every process of the network by recorded PID")
    .option(...dirOption)
    .option("--remove", "delete the network folder afterwards")
    .action(async (o) => {
      const report = await stopNetwork(absolute(o.dir), { remove: o.remove === true });
      console.log(
        `Stopped ${report.stopped.length}, killed ${report.killed.length}, ` +
          `already gone ${report.gone.length}`,
      );
    });
  return program;
}

if (import.meta.main) {
  try {
    await buildProgram().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      console.error(`testnet: ${error.message}`);
      Deno.exit(2);
    }
    if (error instanceof CommanderError) Deno.exit(error.exitCode === 0 ? 0 : 2);
    console.error(`testnet: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
    Deno.exit(1);
  }
}
