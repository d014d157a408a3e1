/**
 * Test helper: starts a detached `deno eval` process that sleeps, standing in for a tor or an
 * HTTP server in tests of process handling.
 *
 * @module
 */

/** Options of {@link startSleeper}. */
export interface SleeperOptions {
  /** Ignore SIGTERM (so only SIGKILL stops it). */
  ignoreTerm?: boolean;
  /** Extra arguments, visible in `/proc/<pid>/cmdline`. */
  args?: string[];
}

/** Starts a sleeper (60 s at most) and returns its PID. */
export function startSleeper(options: SleeperOptions = {}): number {
  const code = (options.ignoreTerm ? "Deno.addSignalListener('SIGTERM', () => {});" : "") +
    "setTimeout(() => {}, 60000);";
  const child = new Deno.Command("deno", {
    args: ["eval", code, ...(options.args ?? [])],
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  return child.pid;
}

/** Waits until a freshly started deno has installed its signal handlers. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 400));
}
