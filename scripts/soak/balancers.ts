/**
 * The balancers a soak runs side by side, each with a frontend key and a frontend tor of its
 * own over the same backends: this build, optionally an earlier build (`--before`), and
 * optionally OnionBalance 0.2.2 (Debian's `/usr/sbin/onionbalance --is-testnet`). Each keeps its
 * log in the run folder; the soak signals, kills and restarts them by the PID it spawned.
 *
 * @module
 */

import { stringify } from "yaml";

/** How to start one balancer. */
export interface BalancerSpec {
  /** Its label in the report: "this", "before", "onionbalance". */
  label: string;
  /** The `main.ts` of a build of this project, or undefined for OnionBalance 0.2.2. */
  main?: string;
  /** The frontend key (tor's `hs_ed25519_secret_key`). */
  keyPath: string;
  /** The frontend address. */
  onionAddress: string;
  /** Its frontend tor's control port. */
  controlPort: number;
  /** V8 flags for a build of this project (`deno run --v8-flags=…`), e.g. a heap limit. */
  v8Flags?: string;
  /** Its log level (`-v`). Default "info". */
  verbosity?: "info" | "debug";
}

/** A balancer process (this project's or OnionBalance's) that the soak can signal and restart. */
export class BalancerProcess {
  readonly spec: BalancerSpec;
  readonly #dir: string;
  readonly #readRoot: string;
  readonly #backends: readonly string[];
  #child: Deno.ChildProcess | undefined;
  #killedByUs = false;
  #logFile: Deno.FsFile | undefined;
  /** Exits the soak did not cause: when, and the exit code. */
  readonly unexpectedExits: { at: number; code: number }[] = [];
  /** How many times it was started. */
  starts = 0;

  /**
   * @param spec What to run.
   * @param dir The run folder (config, status socket and log go there).
   * @param backends The backends' onion addresses.
   * @param readRoot What a build of this project may read: the network folder (its frontend
   *   tor's cookie, the key).
   */
  constructor(spec: BalancerSpec, dir: string, backends: readonly string[], readRoot: string) {
    this.spec = spec;
    this.#dir = dir;
    this.#readRoot = readRoot;
    this.#backends = backends;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The config.yaml (OnionBalance 0.2.x syntax, which both implementations read). */
  get configPath(): string {
    return `${this.#dir}/${this.spec.label}.yaml`;
  }

  /** Writes its config and starts it. */
  async start(): Promise<void> {
    const config = {
      services: [{
        key: this.spec.keyPath,
        // Without `.onion`, as OnionBalance's own generator writes them: 0.2.2 loads an address
        // with it but then fails an assert on every descriptor it fetches for that instance
        // (`InstanceV3.register_descriptor`), and never publishes.
        instances: this.#backends.map((address, i) => ({
          address: address.replace(/\.onion$/, ""),
          name: `backend${i}`,
        })),
      }],
    };
    await Deno.writeTextFile(this.configPath, stringify(config));
    this.#logFile ??= await Deno.open(`${this.#dir}/${this.spec.label}.log`, {
      create: true,
      append: true,
    });
    const status = `${this.#dir}/${this.spec.label}.status.sock`;
    const { command, args } = this.spec.main === undefined
      ? {
        command: "/usr/sbin/onionbalance",
        args: [
          "-c",
          this.configPath,
          "-i",
          "127.0.0.1",
          "-p",
          String(this.spec.controlPort),
          "--is-testnet",
          "-v",
          this.spec.verbosity ?? "info",
        ],
      }
      : {
        command: "deno",
        args: [
          "run",
          `--allow-read=${this.#readRoot},${this.#dir}`,
          `--allow-write=${status}`,
          `--allow-net=127.0.0.1,unix:${status}`,
          "--allow-env",
          ...(this.spec.v8Flags ? [`--v8-flags=${this.spec.v8Flags}`] : []),
          this.spec.main,
          "-c",
          this.configPath,
          "-p",
          String(this.spec.controlPort),
          "-s",
          `${this.#dir}/no-control-socket`,
          "-v",
          this.spec.verbosity ?? "info",
        ],
      };
    const child = new Deno.Command(command, {
      args,
      env: { ONIONBALANCE_STATUS_SOCKET_LOCATION: status },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#killedByUs = false;
    this.starts++;
    const log = this.#logFile;
    const encoder = new TextEncoder();
    // On a line of its own even when the previous process, SIGKILLed, left a line unfinished.
    void log.write(encoder.encode(`\n--- started ${new Date().toISOString()} pid ${child.pid}\n`));
    for (const stream of [child.stdout, child.stderr]) {
      void stream.pipeTo(
        new WritableStream({ write: async (chunk) => void await log.write(chunk) }),
      ).catch(() => {});
    }
    void child.status.then((s) => {
      if (this.#child === child && !this.#killedByUs) {
        this.unexpectedExits.push({ at: Date.now(), code: s.code });
      }
    });
  }

  /** Sends `signal`; SIGKILL and SIGTERM count as the soak's own doing. */
  signal(signal: Deno.Signal): void {
    if (signal === "SIGKILL" || signal === "SIGTERM") this.#killedByUs = true;
    try {
      this.#child?.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** Stops it (SIGTERM, then SIGKILL after 10 s) and closes its log. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child !== undefined) {
      this.signal("SIGTERM");
      const timer = setTimeout(() => this.signal("SIGKILL"), 10_000);
      await child.status;
      clearTimeout(timer);
    }
    this.#logFile?.close();
    this.#logFile = undefined;
  }

  /**
   * Its resident memory (bytes) and the CPU time it has used (s) now, from `ps` (Deno grants
   * reading `/proc/<pid>` only with every permission), or undefined when it is not running.
   */
  async usage(): Promise<{ bytes: number; cpuSeconds: number } | undefined> {
    const pid = this.#child?.pid;
    if (pid === undefined) return undefined;
    const out = await new Deno.Command("ps", { args: ["-o", "rss=,times=", "-p", String(pid)] })
      .output().catch(() => undefined);
    const [kb, seconds] = out?.success
      ? new TextDecoder().decode(out.stdout).trim().split(/\s+/).map(Number)
      : [];
    if (kb === undefined || !Number.isFinite(kb) || kb <= 0) return undefined;
    return { bytes: kb * 1024, cpuSeconds: Number.isFinite(seconds) ? seconds! : 0 };
  }
}

/**
 * Runs `cleanup` (stop the balancers and the network) when this process gets SIGINT or SIGTERM,
 * then exits 130 or 143: the balancers are not tied to this process as the network's tors are
 * (`__OwningControllerProcess`), so an interrupted run would leave them running.
 *
 * @returns What removes the listeners (at the normal end of the run).
 */
export function stopOnSignal(cleanup: () => Promise<void>): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => {
      // deno-lint-ignore no-console -- the operator of the run is told why it ends
      console.error(`${signal}: stopping the balancers and the network`);
      cleanup().finally(() => Deno.exit(signal === "SIGINT" ? 130 : 143));
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}
