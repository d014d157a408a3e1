/**
 * Process records: a PID together with its start time from `/proc/<pid>/stat`, so that a
 * process is signalled only while it is still the one that was started.
 *
 * Role: the only place in `scripts/testnet/` that looks at other processes or signals them. A
 * record whose PID now has a different start time (the PID was reused) is treated as gone and
 * never signalled. A process in state `Z` (a zombie: PID 1 in these containers does not reap
 * orphans) is treated as dead.
 *
 * Deno 2.9 gives `/proc` only to `--allow-all` and `Deno.kill()` only to an unrestricted
 * `--allow-run`, so this module reads `/proc/<pid>/stat` with `cat` and signals with `kill`
 * (procps): the tasks list `--allow-run=…,cat,kill` instead of `-A`.
 *
 * @module
 */

/** One process started by the test network. */
export interface ProcessRecord {
  /** What the process is, e.g. `"relay2"` or `"backend0-http"`. */
  name: string;
  /** Its PID. */
  pid: number;
  /** Field 22 of `/proc/<pid>/stat` (clock ticks since boot) when it was recorded. */
  startTime: string;
}

/** The fields of `/proc/<pid>/stat` used here. */
export interface ProcStat {
  pid: number;
  /** One-letter state: `R`, `S`, `D`, `Z`, `T`, … */
  state: string;
  /** Start time in clock ticks since boot (field 22). */
  startTime: string;
}

/**
 * Parses one line of `/proc/<pid>/stat`.
 *
 * The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so
 * the fields after it are counted from the last `)`.
 *
 * @returns The PID, state and start time, or undefined when the line is malformed.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const pid = /^(\d+) \(/.exec(line)?.[1];
  const close = line.lastIndexOf(")");
  if (pid === undefined || close < 0) return undefined;
  // After ")": field 3 (state) comes first, so field 22 (starttime) is at index 19.
  const fields = line.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) {
    return undefined;
  }
  return { pid: Number(pid), state, startTime };
}

function checkPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new RangeError(`Cannot use PID "${pid}": not a process that may be signalled`);
  }
}

function catCommand(pids: readonly number[]): Deno.Command {
  pids.forEach(checkPid);
  // `cat` prints the files that exist and complains about the others; each line starts with
  // its PID, so the answer needs no ordering.
  return new Deno.Command("cat", {
    args: pids.map((pid) => `/proc/${pid}/stat`),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  });
}

function parseCat(output: Deno.CommandOutput): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const stat = parseProcStat(line);
    if (stat !== undefined) stats.set(stat.pid, stat);
  }
  return stats;
}

/** Reads `/proc/<pid>/stat` of each PID; absent PIDs are missing from the map. */
export async function readProcStats(pids: readonly number[]): Promise<Map<number, ProcStat>> {
  if (pids.length === 0) return new Map();
  return parseCat(await catCommand(pids).output());
}

function readProcStatsSync(pids: readonly number[]): Map<number, ProcStat> {
  if (pids.length === 0) return new Map();
  return parseCat(catCommand(pids).outputSync());
}

function alive(record: ProcessRecord, stats: Map<number, ProcStat>): boolean {
  const stat = stats.get(record.pid);
  return stat !== undefined && stat.state !== "Z" && stat.startTime === record.startTime;
}

/**
 * Makes a record for a process that was just started.
 *
 * @throws {Error} When the process is already gone (it exited at once).
 */
export async function recordProcess(name: string, pid: number): Promise<ProcessRecord> {
  const stat = (await readProcStats([pid])).get(pid);
  if (stat === undefined || stat.state === "Z") {
    throw new Error(`Cannot record process "${name}": PID ${pid} exited right after starting`);
  }
  return { name, pid, startTime: stat.startTime };
}

/** The records whose process still runs: same start time, and not a zombie. */
export async function runningOf(records: readonly ProcessRecord[]): Promise<ProcessRecord[]> {
  const stats = await readProcStats(records.map((r) => r.pid));
  return records.filter((record) => alive(record, stats));
}

function runningOfSync(records: readonly ProcessRecord[]): ProcessRecord[] {
  const stats = readProcStatsSync(records.map((r) => r.pid));
  return records.filter((record) => alive(record, stats));
}

function killCommand(records: readonly ProcessRecord[], signal: Deno.Signal): Deno.Command {
  return new Deno.Command("kill", {
    args: ["-s", signal.replace(/^SIG/, ""), ...records.map((r) => String(r.pid))],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
}

/**
 * Sends `signal` to those of the recorded processes that still run.
 *
 * @returns The records that were signalled.
 */
export async function signalProcesses(
  records: readonly ProcessRecord[],
  signal: Deno.Signal,
): Promise<ProcessRecord[]> {
  const running = await runningOf(records);
  // A process may exit between the check and the signal; `kill` then fails for that PID only.
  if (running.length > 0) await killCommand(running, signal).output();
  return running;
}

function signalProcessesSync(
  records: readonly ProcessRecord[],
  signal: Deno.Signal,
): ProcessRecord[] {
  const running = runningOfSync(records);
  if (running.length > 0) killCommand(running, signal).outputSync();
  return running;
}

/** Options of {@link stopProcesses} and {@link stopProcessesSync}. */
export interface StopOptions {
  /** How long to wait after SIGTERM before sending SIGKILL. Default 10 000 ms. */
  graceMs?: number;
}

/** What stopping a set of processes came to. */
export interface StopReport {
  /** Names of processes that exited after SIGTERM. */
  stopped: string[];
  /** Names of processes that needed SIGKILL. */
  killed: string[];
  /** Names of processes that were already gone (or whose PID was reused). */
  gone: string[];
}

const POLL_MS = 100;
const KILL_WAIT_MS = 5_000;

/**
 * Stops the recorded processes: SIGTERM, wait up to `graceMs`, then SIGKILL what is left and
 * wait up to 5 s more.
 *
 * @throws {Error} When a process survives SIGKILL (it is stuck in the kernel).
 */
export async function stopProcesses(
  records: readonly ProcessRecord[],
  options: StopOptions = {},
): Promise<StopReport> {
  const termed = await signalProcesses(records, "SIGTERM");
  let left = await waitGone(termed, options.graceMs ?? 10_000);
  const killed = left.length > 0 ? await signalProcesses(left, "SIGKILL") : [];
  left = await waitGone(killed, KILL_WAIT_MS);
  return report(records, termed, killed, left);
}

/**
 * The same as {@link stopProcesses}, blocking: for an `unload` handler, where nothing
 * asynchronous runs any more.
 */
export function stopProcessesSync(
  records: readonly ProcessRecord[],
  options: StopOptions = {},
): StopReport {
  const termed = signalProcessesSync(records, "SIGTERM");
  let left = waitGoneSync(termed, options.graceMs ?? 10_000);
  const killed = left.length > 0 ? signalProcessesSync(left, "SIGKILL") : [];
  left = waitGoneSync(killed, KILL_WAIT_MS);
  return report(records, termed, killed, left);
}

function report(
  records: readonly ProcessRecord[],
  termed: readonly ProcessRecord[],
  killed: readonly ProcessRecord[],
  stuck: readonly ProcessRecord[],
): StopReport {
  if (stuck.length > 0) {
    throw new Error(
      `Cannot stop processes: still running after SIGKILL: ${
        stuck.map((r) => `${r.name} (${r.pid})`).join(", ")
      }`,
    );
  }
  return {
    stopped: termed.filter((r) => !killed.includes(r)).map((r) => r.name),
    killed: killed.map((r) => r.name),
    gone: records.filter((r) => !termed.includes(r)).map((r) => r.name),
  };
}

/** Waits until none of `records` runs or `timeoutMs` passes; returns those still running. */
async function waitGone(
  records: readonly ProcessRecord[],
  timeoutMs: number,
): Promise<ProcessRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let left = await runningOf(records);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    left = await runningOf(left);
  }
  return left;
}

function waitGoneSync(records: readonly ProcessRecord[], timeoutMs: number): ProcessRecord[] {
  const deadline = Date.now() + timeoutMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let left = runningOfSync(records);
  while (left.length > 0 && Date.now() < deadline) {
    Atomics.wait(cell, 0, 0, POLL_MS);
    left = runningOfSync(left);
  }
  return left;
}

/** The command line of a process (`/proc/<pid>/cmdline`), or undefined when it is gone. */
export async function readCmdline(pid: number): Promise<string[] | undefined> {
  checkPid(pid);
  const output = await new Deno.Command("cat", {
    args: [`/proc/${pid}/cmdline`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!output.success) return undefined;
  return new TextDecoder().decode(output.stdout).split("\0").filter((arg) => arg !== "");
}
