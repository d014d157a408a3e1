/**
 * `onionbalance run` (and the bare `onionbalance -c config.yaml` that
 * OnionBalance 0.2.x users type): flags and environment as OnionBalance
 * 0.2.x, then the daemon until SIGTERM/SIGINT; SIGHUP reloads the config.
 *
 * OnionBalance 0.2.x's flags: `-c/--config`
 * (`$ONIONBALANCE_CONFIG`, default `config.yaml`), `-i/--ip` (127.0.0.1),
 * `-p/--port` (9051), `-s/--socket` (`$ONIONBALANCE_TOR_CONTROL_SOCKET`,
 * default `/var/run/tor/control`; tried first, then TCP), `-v/--verbosity`
 * (`$ONIONBALANCE_LOG_LEVEL`), `--is-testnet`, `--hs-version v3`.
 * Added: `--password-file` (HashedControlPassword; never a password on the
 * command line; `$ONIONBALANCE_CONTROL_PASSWORD` is the other way) and
 * `--unsafe-logging` (show onion addresses in info lines).
 *
 * Signals are installed first of all (`daemon_signals.ts`); connecting to tor,
 * socket first and then TCP, waiting while tor is not there, is
 * `connect_tor.ts`.
 *
 * @module
 */

import { type Command, Option } from "commander";
import { type BalancerConfig, ConfigError, formatLocation, loadConfig } from "../config/mod.ts";
import { type ControlClient, hsPost } from "../control/mod.ts";
import { systemRng } from "../crypto/mod.ts";
import { Logger, type LogLevel, parseLogLevel, redactOnionAddresses } from "../log/mod.ts";
import {
  Balancer,
  BalancerMetrics,
  buildServices,
  DEFAULT_FETCH_TIMEOUT_MS,
  type FrontendDeps,
  loadClientAccess,
  loadServiceKeys,
  type PassphraseSources,
  STARTUP_GRACE_MS,
  UPLOADS_IN_FLIGHT,
  UploadSlots,
} from "../balancer/mod.ts";
import { systemClock } from "../time/mod.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import type { CliIo } from "./program.ts";
import { DaemonSignals } from "./daemon_signals.ts";
import { listenMetrics, listenStatus, sameMetrics } from "./run_listeners.ts";
import { readSecretLine } from "./secret_prompt.ts";
import {} from "./scope.ts";
import {
  authAdvice,
  connectTor,
  DEFAULT_CONTROL_SOCKET,
  isFinalControlError,
} from "./connect_tor.ts";

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
  passphraseFile?: string;
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
      "file holding the control-port password (HashedControlPassword; " +
        "or $ONIONBALANCE_CONTROL_PASSWORD)",
    )
    .option(
      "--passphrase-file <path>",
      "file holding the passphrase of encrypted keys and bundles (or passphrase-file in " +
        "config.yaml, or the systemd credential onionbalance-key-passphrase)",
    )
    .option("--unsafe-logging", "show onion addresses in info-level log lines")
    .action(async (options: RunOptions) => {
      // The environment is read only when the daemon runs, so `--help` needs no permission.
      options.config ??= env.get("ONIONBALANCE_CONFIG") || "config.yaml";
      options.socket ??= env.get("ONIONBALANCE_TOR_CONTROL_SOCKET") || DEFAULT_CONTROL_SOCKET;
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
  return new Logger({
    level,
    safeLogging: options.unsafeLogging !== true,
    sink: format === "json"
      ? (_line, r) =>
        writeStderr(
          `${JSON.stringify({ time: r.time.toISOString(), level: r.level, message: r.message })}\n`,
        )
      : (line) => writeStderr(`${line}\n`),
  });
}

const encoder = new TextEncoder();

/**
 * Writes to standard error, dropping what cannot be written: a daemon whose standard error was
 * closed (its reader went away) keeps running without its log.
 */
function writeStderr(text: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch {
    // EPIPE or EBADF: nobody reads the log any more.
  }
}

type Loaded = Awaited<ReturnType<typeof loadAll>>;

async function loadAll(path: string, sources: PassphraseSources) {
  const loaded = await loadConfig(path);
  const keys = await loadServiceKeys(loaded.config, sources);
  const access = await loadClientAccess(loaded.config);
  return { ...loaded, keys, access };
}

/**
 * Where passphrases come from: `--passphrase-file`, systemd credentials, and at start a
 * terminal, when there is one. A passphrase typed at start is kept in memory for reloads
 * (it protects a key that is in memory anyway).
 */
function passphraseSources(options: RunOptions, env: Deno.Env): PassphraseSources {
  const typed = new Map<string, Uint8Array>();
  return {
    ...(options.passphraseFile === undefined ? {} : { file: options.passphraseFile }),
    env,
    prompt: async (question) => {
      const kept = typed.get(question);
      if (kept !== undefined) return kept.slice();
      const answer = await readSecretLine(question);
      if (answer !== undefined) typed.set(question, answer.slice());
      return answer;
    },
  };
}

/** Reads the config and the keys; a config error ends the daemon at start. */
async function loadAtStart(path: string, sources: PassphraseSources): Promise<Loaded> {
  try {
    return await loadAll(path, sources);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new UsageError(error.message, { exitCode: ExitCode.Failure });
    }
    throw error;
  }
}

/** Reads the config again; on an error, logs it and returns undefined (the old one stays). */
async function reloadOrKeep(
  path: string,
  sources: PassphraseSources,
  log: Logger,
): Promise<Loaded | undefined> {
  try {
    const next = await loadAll(path, sources);
    for (const w of next.warnings) log.warning(`${formatLocation(w.location)}: ${w.message}`);
    for (const w of next.access.warnings) log.warning(w);
    return next;
  } catch (error) {
    log.error(`Keeping the running configuration: cannot reload ${path}: ${describe(error)}`);
    return undefined;
  }
}

/** Runs the daemon; returns the exit code. */
export async function runDaemon(options: RunOptions, io: CliIo, env: Deno.Env): Promise<number> {
  // First, before anything can wait: a SIGHUP from here on never ends the process.
  const signals = new DaemonSignals();
  if (options.hsVersion !== "v3") {
    throw new UsageError(
      `Cannot use --hs-version ${options.hsVersion}: Tor removed v2 onion services in 0.4.6; only v3 exists`,
    );
  }
  const path = configPath(options);
  const sources = passphraseSources(options, env);
  let loaded = await loadAtStart(path, sources);
  const log = makeLogger(options, env, loaded.config.logFormat);
  for (const w of loaded.warnings) log.warning(`${formatLocation(w.location)}: ${w.message}`);
  for (const w of loaded.access.warnings) log.warning(w);
  // Until tor answers, a reload only re-reads the file: the newest one is used once it does.
  signals.onReload(async () => {
    const next = await reloadOrKeep(path, sources, log);
    if (next === undefined) return;
    loaded = next;
    log.warning(`Reloaded ${path} while waiting for tor`);
  });
  try {
    const client = await connectTor(options, { env, log, signal: signals.stop.signal });
    if (client === undefined) return ExitCode.Ok;
    await signals.settled();
    return await serve(client, loaded, { options, log, env, signals, io, sources });
  } catch (error) {
    if (isFinalControlError(error)) {
      log.critical(authAdvice(error));
      return ExitCode.Failure;
    }
    throw error;
  } finally {
    signals.onReload(() => Promise.resolve(log.warning("Ignoring SIGHUP: the daemon is stopping")));
  }
}

async function serve(
  client: ControlClient,
  loaded: Loaded,
  ctx: {
    options: RunOptions;
    log: Logger;
    env: Deno.Env;
    signals: DaemonSignals;
    io: CliIo;
    sources: PassphraseSources;
  },
): Promise<number> {
  const { log, signals, options, env, sources } = ctx;
  // Metrics only when asked for (the process metrics run a timer of their own).
  const metrics = loaded.config.metrics === undefined ? undefined : new BalancerMetrics({
    addressLabel: (address) =>
      options.unsafeLogging === true ? address : redactOnionAddresses(address),
    now: () => systemClock.now(),
  });
  const deps: FrontendDeps = {
    rng: systemRng,
    log,
    clock: systemClock,
    post: (descriptor, target) => hsPost(client, descriptor, { ...target, awaitUpload: true }),
    uploadSlots: new UploadSlots(UPLOADS_IN_FLIGHT),
    // A failed upload wakes the daemon's loop to schedule its retry (the closure runs only after
    // `balancer` exists).
    onChange: () => balancer.wake(),
    metrics,
  };
  const services = buildServices(loaded.config, loaded.keys, deps, [], loaded.access);
  const balancer = new Balancer({
    services,
    timings: timings(loaded.config),
    health: loaded.config.healthCheck,
    frontendProbe: loaded.config.frontendProbe,
  }, {
    client,
    clock: systemClock,
    log,
    isTestnet: options.isTestnet === true,
    metrics,
  });
  metrics?.watch(balancer);
  for (const s of services) {
    log.info(`Loaded frontend ${s.address}.onion with ${s.backends.length} backends`);
  }
  const status = await listenStatus(balancer, loaded.config, env, log);
  const metricsServer = metrics && await listenMetrics(metrics, loaded.config, log);
  const path = configPath(options);
  signals.onReload(async () => {
    const next = await reloadOrKeep(path, sources, log);
    if (next === undefined) return;
    try {
      const rebuilt = buildServices(
        next.config,
        next.keys,
        deps,
        balancer.services,
        next.access,
      );
      balancer.reconfigure({
        services: rebuilt,
        timings: timings(next.config),
        health: next.config.healthCheck,
        frontendProbe: next.config.frontendProbe,
      });
      log.warning(`Reloaded ${path}: ${rebuilt.length} frontend service(s)`);
      if (!sameMetrics(loaded.config, next.config)) {
        log.warning("A changed metrics-listen takes effect when the daemon restarts");
      }
    } catch (error) {
      log.error(`Keeping the running configuration: cannot reload ${path}: ${describe(error)}`);
    }
  });
  try {
    await balancer.run(signals.stop.signal);
  } finally {
    signals.onReload(() => Promise.resolve(log.warning("Ignoring SIGHUP: the daemon is stopping")));
    await signals.settled();
    await status?.close();
    await metricsServer?.close();
    await client.close();
    log.warning("Stopped");
  }
  return ExitCode.Ok;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function configPath(options: RunOptions): string {
  return options.config ?? "config.yaml";
}

function timings(config: BalancerConfig) {
  return {
    fetchIntervalMs: config.tuning.fetchIntervalSeconds * 1000,
    busyFetchIntervalMs: config.tuning.busyFetchIntervalSeconds * 1000,
    publishCheckIntervalMs: config.tuning.publishCheckIntervalSeconds * 1000,
    fetchTimeoutMs: DEFAULT_FETCH_TIMEOUT_MS,
    startupGraceMs: STARTUP_GRACE_MS,
    auditIntervalMs: config.tuning.auditIntervalSeconds * 1000,
  };
}
