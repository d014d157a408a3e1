/**
 * `onionbalance run` (and the bare `onionbalance -c config.yaml` that
 * OnionBalance 0.2.x users type): flags and environment as OnionBalance
 * 0.2.x, then the daemon until SIGTERM/SIGINT; SIGHUP reloads the config.
 *
 * OnionBalance's flags (onionbalance-anchor.md §2.1): `-c/--config`
 * (`$ONIONBALANCE_CONFIG`, default `config.yaml`), `-i/--ip` (127.0.0.1),
 * `-p/--port` (9051), `-s/--socket` (`$ONIONBALANCE_TOR_CONTROL_SOCKET`,
 * default `/var/run/tor/control`; tried first, then TCP), `-v/--verbosity`
 * (`$ONIONBALANCE_LOG_LEVEL`), `--is-testnet`, `--hs-version v3`.
 * Added: `--password-file` (HashedControlPassword; never a password on the
 * command line) and `--unsafe-logging` (show onion addresses in info lines).
 *
 * @module
 */

import { type Command, Option } from "commander";
import { type BalancerConfig, ConfigError, formatLocation, loadConfig } from "../config/mod.ts";
import {
  backoffDelay,
  connectControl,
  ControlAuthError,
  type ControlClient,
  type ControlEndpoint,
  ControlProtocolError,
  ControlVersionError,
  describeEndpoint,
  hsPost,
} from "../control/mod.ts";
import { systemRng } from "../crypto/mod.ts";
import { Logger, type LogLevel, parseLogLevel } from "../log/mod.ts";
import {
  Balancer,
  buildServices,
  DEFAULT_FETCH_TIMEOUT_MS,
  type FrontendDeps,
  loadServiceKeys,
  pythonJson,
  STARTUP_GRACE_MS,
  statusReport,
  StatusServer,
} from "../balancer/mod.ts";
import { systemClock } from "../time/mod.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import type { CliIo } from "./program.ts";

/** Options of the `run` command, as commander parses them. */
export interface RunOptions {
  config?: string;
  ip: string;
  port: string;
  socket?: string;
  verbosity?: string;
  isTestnet?: boolean;
  hsVersion: string;
  passwordFile?: string;
  unsafeLogging?: boolean;
}

/** Adds the `run` command (also the default when the first argument is a flag). */
export function registerRunCommand(program: Command, io: CliIo, env: Deno.Env = Deno.env): void {
  program.command("run")
    .description("run the balancer daemon (the default: `onionbalance -c config.yaml`)")
    .option("-c, --config <path>", "config file (default: $ONIONBALANCE_CONFIG or config.yaml)")
    .option("-i, --ip <address>", "tor control port address", "127.0.0.1")
    .option("-p, --port <port>", "tor control port", "9051")
    .option(
      "-s, --socket <path>",
      "tor control socket, tried before the TCP port " +
        "(default: $ONIONBALANCE_TOR_CONTROL_SOCKET or /var/run/tor/control)",
    )
    .addOption(
      new Option("-v, --verbosity <level>", "log level").choices([
        "debug",
        "info",
        "warning",
        "error",
        "critical",
      ]),
    )
    .option("--is-testnet", "use testing-network time periods (also detected from tor)")
    .option("--hs-version <version>", "onion service version (only v3 exists)", "v3")
    .option(
      "--password-file <path>",
      "file holding the control-port password (HashedControlPassword)",
    )
    .option("--unsafe-logging", "show onion addresses in info-level log lines")
    .action(async (options: RunOptions) => {
      // The environment is read only when the daemon runs, so `--help` needs no permission.
      options.config ??= env.get("ONIONBALANCE_CONFIG") || "config.yaml";
      options.socket ??= env.get("ONIONBALANCE_TOR_CONTROL_SOCKET") || "/var/run/tor/control";
      const code = await runDaemon(options, io, env);
      if (code !== ExitCode.Ok) {
        throw new UsageError("The daemon stopped", { exitCode: code as ExitCode });
      }
    });
}

function makeLogger(options: RunOptions, env: Deno.Env, format: "text" | "json"): Logger {
  const name = options.verbosity ?? env.get("ONIONBALANCE_LOG_LEVEL") ?? "info";
  let level: LogLevel;
  try {
    level = parseLogLevel(name);
  } catch (cause) {
    throw new UsageError(`Unknown log level "${name}" (ONIONBALANCE_LOG_LEVEL)`, { cause });
  }
  const encoder = new TextEncoder();
  return new Logger({
    level,
    safeLogging: options.unsafeLogging !== true,
    sink: format === "json"
      ? (_line, r) =>
        void Deno.stderr.writeSync(encoder.encode(
          `${JSON.stringify({ time: r.time.toISOString(), level: r.level, message: r.message })}\n`,
        ))
      : undefined,
  });
}

async function loadAll(path: string) {
  const loaded = await loadConfig(path);
  const keys = await loadServiceKeys(loaded.config);
  return { ...loaded, keys };
}

/** Runs the daemon; returns the exit code. */
export async function runDaemon(options: RunOptions, io: CliIo, env: Deno.Env): Promise<number> {
  if (options.hsVersion !== "v3") {
    throw new UsageError(
      `Cannot use --hs-version ${options.hsVersion}: Tor removed v2 onion services in 0.4.6; only v3 exists`,
    );
  }
  let loaded: Awaited<ReturnType<typeof loadAll>>;
  try {
    loaded = await loadAll(configPath(options));
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new UsageError(error.message, { exitCode: ExitCode.Failure });
    }
    throw error;
  }
  const log = makeLogger(options, env, loaded.config.logFormat);
  for (const w of loaded.warnings) log.warning(`${formatLocation(w.location)}: ${w.message}`);
  const stop = new AbortController();
  const signals: [Deno.Signal, () => void][] = [
    ["SIGTERM", () => stop.abort()],
    ["SIGINT", () => stop.abort()],
  ];
  for (const [sig, fn] of signals) Deno.addSignalListener(sig, fn);
  try {
    const client = await connectWithRetry(options, log, stop.signal);
    if (client === undefined) return ExitCode.Ok;
    return await serve(client, loaded, { options, log, env, stop, io });
  } catch (error) {
    if (
      error instanceof ControlAuthError || error instanceof ControlVersionError ||
      error instanceof ControlProtocolError
    ) {
      log.critical(error.message);
      return ExitCode.Failure;
    }
    throw error;
  } finally {
    for (const [sig, fn] of signals) Deno.removeSignalListener(sig, fn);
  }
}

async function serve(
  client: ControlClient,
  loaded: Awaited<ReturnType<typeof loadAll>>,
  ctx: { options: RunOptions; log: Logger; env: Deno.Env; stop: AbortController; io: CliIo },
): Promise<number> {
  const { log, stop, options, env } = ctx;
  const deps: FrontendDeps = {
    rng: systemRng,
    log,
    clock: systemClock,
    post: (descriptor, target) => hsPost(client, descriptor, { ...target, awaitUpload: true }),
    // Upload results wake the daemon's loop (the closure runs only after `balancer` exists).
    onChange: () => balancer.wake(),
  };
  const services = buildServices(loaded.config, loaded.keys, deps);
  const balancer = new Balancer(services, timings(loaded.config), loaded.config.healthCheck, {
    client,
    clock: systemClock,
    log,
    isTestnet: options.isTestnet === true,
  });
  for (const s of services) {
    log.info(`Loaded frontend ${s.address}.onion with ${s.backends.length} backends`);
  }
  const statusPath = env.get("ONIONBALANCE_STATUS_SOCKET_LOCATION") ||
    loaded.config.statusSocketLocation;
  let status: StatusServer | undefined;
  if (statusPath !== undefined) {
    try {
      status = await StatusServer.listen(
        statusPath,
        () => pythonJson(statusReport(balancer, systemClock.now())),
      );
    } catch (error) {
      log.error(
        `Cannot serve status on ${statusPath}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  const reload = async () => {
    try {
      const next = await loadAll(configPath(options));
      for (const w of next.warnings) log.warning(`${formatLocation(w.location)}: ${w.message}`);
      const rebuilt = buildServices(next.config, next.keys, deps, balancer.services);
      balancer.services = rebuilt;
      balancer.timings = timings(next.config);
      balancer.health = next.config.healthCheck;
      log.warning(`Reloaded ${options.config}: ${rebuilt.length} frontend service(s)`);
      balancer.wake();
    } catch (error) {
      log.error(
        `Keeping the running configuration: cannot reload ${options.config}: ` +
          (error instanceof Error ? error.message : String(error)),
      );
    }
  };
  const onHup = () => void reload();
  Deno.addSignalListener("SIGHUP", onHup);
  try {
    await balancer.run(stop.signal);
  } finally {
    Deno.removeSignalListener("SIGHUP", onHup);
    await status?.close();
    await client.close();
    log.warning("Stopped");
  }
  return ExitCode.Ok;
}

function configPath(options: RunOptions): string {
  return options.config ?? "config.yaml";
}

function timings(config: BalancerConfig) {
  return {
    fetchIntervalMs: config.tuning.fetchIntervalSeconds * 1000,
    publishCheckIntervalMs: config.tuning.publishCheckIntervalSeconds * 1000,
    fetchTimeoutMs: DEFAULT_FETCH_TIMEOUT_MS,
    startupGraceMs: STARTUP_GRACE_MS,
  };
}

/** The endpoints to try: the Unix socket when it exists, then TCP. */
async function endpoints(options: RunOptions): Promise<ControlEndpoint[]> {
  const out: ControlEndpoint[] = [];
  try {
    const path = options.socket ?? "/var/run/tor/control";
    const info = await Deno.stat(path);
    if (info.isSocket) out.push({ transport: "unix", path });
  } catch {
    // No socket there: TCP only.
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`Cannot use control port "${options.port}": not a port number`);
  }
  out.push({ transport: "tcp", hostname: options.ip, port });
  return out;
}

/**
 * Connects to tor, waiting with backoff while it is not there (a daemon that
 * starts before tor keeps trying). Authentication, version and "not a tor
 * control port" errors are final. Returns undefined when stopped first.
 */
async function connectWithRetry(
  options: RunOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<ControlClient | undefined> {
  const password = options.passwordFile === undefined
    ? undefined
    : { passwordFile: options.passwordFile };
  for (let attempt = 1; !signal.aborted; attempt++) {
    const tried: string[] = [];
    for (const endpoint of await endpoints(options)) {
      try {
        const client = await connectControl({
          endpoint,
          log,
          auth: password === undefined ? {} : { password },
        });
        log.info(`Connected to tor at ${describeEndpoint(endpoint)}`);
        return client;
      } catch (error) {
        if (
          error instanceof ControlAuthError || error instanceof ControlVersionError ||
          error instanceof ControlProtocolError
        ) throw error;
        tried.push(
          `${describeEndpoint(endpoint)}: ${error instanceof Error ? error.message : error}`,
        );
      }
    }
    const delay = backoffDelay(attempt, Math.random, { initialDelayMs: 1000, maxDelayMs: 30_000 });
    log.warning(`Waiting for tor (${tried.join("; ")}); retry in ${Math.round(delay / 1000)} s`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
  return undefined;
}
