/**
 * The balancer as the end-to-end cases run it: a real `onionbalance` process
 * (`deno run main.ts run …`) against the shared network's frontend tor, with
 * its log collected and its status socket readable.
 *
 * @module
 */

import type { SharedNetwork } from "./_network.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const READ_STATUS = new URL("./_read_status.ts", import.meta.url).pathname;

/** A running balancer process. */
export interface DaemonProcess {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Every log line so far. */
  lines: string[];
  /** When each of `lines` arrived (`Date.now()`). */
  lineTimes: number[];
  /** The config file it runs with. */
  configPath: string;
  /** Its status socket. */
  statusPath: string;
  /** When it was spawned (ms). */
  startedAt: number;
  /** Waits for a log line matching `re` after line `from`; returns the line. */
  waitForLine(re: RegExp, timeoutMs: number, from?: number): Promise<string>;
  /** Reads the status JSON. */
  status(): Promise<StatusJson>;
  /** Whether the process has not exited yet. */
  running(): boolean;
  /** Sends a signal. */
  kill(signal: Deno.Signal): void;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number>;
}

/** The parts of the status JSON the cases read. */
export interface StatusJson {
  services: {
    onionAddress: string;
    publishAttemptFirstDescriptor: string | null;
    publishAttemptSecondDescriptor: string | null;
    descriptors: Record<
      "first" | "second",
      {
        timePeriod: number;
        revisionCounter: string;
        /** Why it was last published. */
        reason: string;
        introPoints: number[];
        /** Auth keys of the intro points in the descriptors built for this slot. */
        introPointKeys: string[];
        /** Per descriptor: intro points left out because their relay carries another one. */
        introPointsSameRelay: number[];
        hsDirs: {
          fingerprint: string;
          nickname: string;
          status: string;
          descriptor: number;
          attempts: number;
        }[];
      } | null
    >;
    /** Where the keys come from: `{kind: "key"}`, or an offline bundle and its span. */
    keys: {
      kind: "key" | "offline";
      lastPeriod?: number;
      secondsLeft?: number;
      runningOut?: boolean;
    };
    /** The last publish audit of the descriptor clients fetch now, or null before the first. */
    audit: {
      at: string;
      descriptor: "first" | "second";
      revisionCounter: string;
      counts: Record<string, number>;
      hsDirs: {
        fingerprint: string;
        nickname: string;
        state: string;
        revisionCounter: string | null;
        detail: string | null;
        reuploaded: boolean;
      }[];
    } | null;
    /** The end-to-end probe, or null before the first (or with `frontend-probe` off). */
    reachability: {
      reachable: boolean;
      lastProbe: string;
      durationMs: number;
      consecutiveFailures: number;
      error: string | null;
    } | null;
    /** Per slot, why its descriptor cannot be made (an offline bundle that does not cover it). */
    unpublishable: Record<"first" | "second", { timePeriod: number; reason: string } | null>;
    instances: {
      onionAddress: string;
      state: string;
      /** Why it is unusable, or null. */
      reason?: string | null;
      introPointsNum?: number;
      /** Auth keys of the intro points of the backend descriptor the balancer holds. */
      introPointKeys: string[];
      /** Its intro points in the descriptors last published, or null when none are. */
      published: { introPoints: number } | null;
      /** The last health check, or null before the first (or with checks off). */
      health?: { ok: boolean; error: string | null } | null;
    }[];
  }[];
  consensus: { timePeriod: number } | null;
}

/**
 * Rewrites the deployment's `config.yaml`: the text `onionbalance config` generated, plus
 * `extra` lines (the cases change settings and send SIGHUP).
 */
export async function writeConfig(shared: SharedNetwork, extra = ""): Promise<void> {
  await Deno.writeTextFile(shared.configPath, shared.configText + extra);
}

/**
 * Spawns the balancer for the shared network with the generated `config.yaml`; the status
 * socket comes from `ONIONBALANCE_STATUS_SOCKET_LOCATION`, as an operator may set it.
 * `main` runs another checkout's `main.ts` (the benchmarks compare against an earlier commit);
 * `configPath` another config file, `readable` what the daemon may read (default: the
 * network's whole folder), and `statusPath` another status socket (a second balancer beside the
 * shared one).
 */
export function startDaemon(
  shared: SharedNetwork,
  options: {
    main?: string;
    configPath?: string;
    readable?: readonly string[];
    statusPath?: string;
  } = {},
): DaemonProcess {
  const configPath = options.configPath ?? shared.configPath;
  const { net } = shared;
  const statusPath = options.statusPath ?? `${net.dir}/status.sock`;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      `--allow-read=${(options.readable ?? [net.dir]).join(",")},${statusPath}`,
      `--allow-write=${statusPath}`,
      `--allow-net=127.0.0.1,unix:${statusPath}`,
      "--allow-env",
      options.main ?? MAIN,
      "-c",
      configPath,
      "-p",
      String(net.frontend.controlPort),
      "-s",
      `${net.dir}/no-control-socket`,
      "-v",
      "debug",
      "--unsafe-logging",
    ],
    env: { ONIONBALANCE_STATUS_SOCKET_LOCATION: statusPath },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const lineTimes: number[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  void child.status.then(() => (exited = true));
  void (async () => {
    const decoder = new TextDecoderStream();
    let pending = "";
    for await (const chunk of child.stderr.pipeThrough(decoder)) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
      lineTimes.push(...parts.map(() => Date.now()));
      for (const wake of waiters) wake();
    }
  })();
  const daemon: DaemonProcess = {
    child,
    lines,
    lineTimes,
    configPath,
    statusPath,
    startedAt: Date.now(),
    waitForLine(re, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.slice(from).find((l) => re.test(l));
          if (line === undefined) return;
          cleanup();
          resolve(line);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `No log line ${re} within ${timeoutMs} ms; last lines:\n${
                lines.slice(-15).join("\n")
              }`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async status() {
      const out = await new Deno.Command("deno", {
        args: [
          "run",
          `--allow-read=${statusPath}`,
          `--allow-write=${statusPath}`,
          `--allow-net=unix:${statusPath}`,
          READ_STATUS,
          statusPath,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      return JSON.parse(new TextDecoder().decode(out.stdout)) as StatusJson;
    },
    running() {
      return !exited;
    },
    kill(signal) {
      child.kill(signal);
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const status = await child.status;
      return status.code;
    },
  };
  return daemon;
}
