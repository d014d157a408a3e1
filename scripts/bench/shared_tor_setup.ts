/**
 * The inputs and the balancer of `shared_tor.ts`: N frontend keys made with the project's own key
 * code (PKCS#8 PEM, what `onionbalance config --key-format pem` writes and the config loader
 * reads; each file 0600 in a 0700 folder), one `config.yaml` listing every frontend with the same
 * backends, and the balancer daemon (`main.ts`) started with `deno run` and the permissions of the
 * released binary (`compile:onionbalance` in deno.json), plus its status socket.
 *
 * The key material never leaves the key files: only the onion addresses are returned or printed.
 *
 * @module
 */

import { daemonEnvAllowList, daemonV8Flags } from "./_daemon_flags.ts";
import { stringify } from "yaml";
import { systemRng } from "../../src/crypto/mod.ts";
import { HsIdKeypair, onionAddressLabel, writeIdentityKeyPem } from "../../src/keys/mod.ts";

/** One generated frontend: its key file and its address (56 characters, no `.onion`). */
export interface FrontendKeyFile {
  name: string;
  address: string;
  keyPath: string;
}

/** Makes `n` frontend keys in `dir/keys` (0700), one PEM file (0600) each. */
export async function makeFrontendKeys(dir: string, n: number): Promise<FrontendKeyFile[]> {
  const keyDir = `${dir}/keys`;
  await Deno.mkdir(keyDir, { mode: 0o700 });
  await Deno.chmod(keyDir, 0o700); // mkdir's mode is filtered by the umask.
  const out: FrontendKeyFile[] = [];
  for (let i = 0; i < n; i++) {
    const keypair = HsIdKeypair.generate(systemRng);
    const name = `s${String(i).padStart(5, "0")}`;
    const keyPath = `${keyDir}/${name}.pem`;
    await writeIdentityKeyPem(keyPath, keypair);
    out.push({ name, address: onionAddressLabel(keypair.public), keyPath });
  }
  return out;
}

/** Writes `config.yaml`: every frontend over every backend, metrics on `metricsPort`. */
export async function writeConfig(
  path: string,
  frontends: readonly FrontendKeyFile[],
  backends: readonly string[],
  metricsPort: number,
): Promise<void> {
  const instances = backends.map((address, i) => ({
    address: address.replace(/\.onion$/, ""),
    name: `backend${i}`,
  }));
  const config = {
    "metrics-listen": `127.0.0.1:${metricsPort}`,
    // A copy per service: the yaml writer would make one list and aliases, which the loader
    // refuses.
    services: frontends.map((f) => ({
      key: f.keyPath,
      name: f.name,
      instances: instances.map((i) => ({ ...i })),
    })),
  };
  await Deno.writeTextFile(path, stringify(config));
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** How to start the balancer. */
export interface BalancerLaunch {
  main: string;
  runDir: string;
  configPath: string;
  controlPort: number;
  verbosity: "info" | "debug";
  /** Folder for a V8 CPU profile (`--cpu-prof`), or undefined for none. */
  cpuProfDir?: string;
}

/**
 * The balancer daemon, started by this process. Its log (stdout and stderr) goes to
 * `balancer.log` in the run folder; it is stopped by the PID this process spawned.
 */
export class Balancer {
  readonly statusSocket: string;
  readonly logPath: string;
  readonly startedAt: number;
  readonly #child: Deno.ChildProcess;
  readonly #log: Deno.FsFile;
  readonly exited: Promise<Deno.CommandStatus>;

  private constructor(
    launch: BalancerLaunch,
    log: Deno.FsFile,
    compiled: { v8Flags: string[]; env: string },
  ) {
    this.statusSocket = `${launch.runDir}/status.sock`;
    this.logPath = `${launch.runDir}/balancer.log`;
    this.#log = log;
    this.startedAt = Date.now();
    this.#child = new Deno.Command("deno", {
      args: ["run", ...compiled.v8Flags, ...balancerPermissions(this.statusSocket, compiled.env)]
        .concat(profileFlags(launch))
        .concat([launch.main])
        .concat(["-c", launch.configPath, "-p", String(launch.controlPort)])
        .concat(["-s", `${launch.runDir}/no-control-socket`, "-v", launch.verbosity]),
      env: { ONIONBALANCE_STATUS_SOCKET_LOCATION: this.statusSocket },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      void stream.pipeTo(
        new WritableStream({ write: async (chunk) => void await log.write(chunk) }),
      ).catch(() => {});
    }
    this.exited = this.#child.status;
  }

  /** Starts the balancer. */
  static async start(launch: BalancerLaunch): Promise<Balancer> {
    const log = await Deno.open(`${launch.runDir}/balancer.log`, { create: true, append: true });
    return new Balancer(launch, log, {
      v8Flags: await daemonV8Flags(),
      env: await daemonEnvAllowList(),
    });
  }

  /** The PID of the process spawned (`deno`). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Stops it: SIGTERM, SIGKILL after 15 s (time to write a CPU profile). */
  async stop(): Promise<Deno.CommandStatus> {
    const kill = (signal: Deno.Signal) => {
      try {
        this.#child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 15_000);
    const status = await this.exited;
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, 200)); // Let the pipes drain.
    try {
      this.#log.close();
    } catch {
      // Closed already.
    }
    return status;
  }
}

/**
 * The released binary's permissions (`compile:onionbalance`; its V8 flags and environment list from
 * `_daemon_flags.ts`), with the run folder's status socket
 * in place of `/run/onionbalance` (as `scripts/soak/balancers.ts` does).
 */
export function balancerPermissions(statusSocket: string, env: string): string[] {
  return [
    "--allow-read",
    `--allow-net=127.0.0.0/8,[::1],localhost,unix:${statusSocket}`,
    `--allow-write=${statusSocket}`,
    `--allow-env=${env}`,
  ];
}

function profileFlags(launch: BalancerLaunch): string[] {
  return launch.cpuProfDir === undefined
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${launch.cpuProfDir}`];
}

/**
 * The status JSON, read as an operator would (`onionbalance status --json`, run from source with
 * the permissions it needs for the socket), or undefined when the daemon does not answer.
 */
export async function readStatus(main: string, socket: string): Promise<StatusJson | undefined> {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${socket}`,
      `--allow-net=unix:${socket}`,
      `--allow-env=${await daemonEnvAllowList()}`,
      main,
      "status",
      "-s",
      socket,
      "--json",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(60_000),
  }).output().catch(() => undefined);
  if (out === undefined || !out.success) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(out.stdout)) as StatusJson;
  } catch {
    return undefined;
  }
}

/** The part of the status JSON this benchmark reads (`src/balancer/status.ts`). */
export interface StatusJson {
  services: {
    name: string | null;
    onionAddress: string;
    descriptors: Record<"first" | "second", SlotJson | null>;
  }[];
  consensus: { hsDirs: number; timePeriod: number } | null;
}

/** One descriptor slot of the status. */
export interface SlotJson {
  built: string | null;
  hsDirs: {
    status: "pending" | "uploaded" | "failed";
    attempts: number;
    lastAttempt: string | null;
    lastResult: string | null;
  }[];
}
