/**
 * Reads a tor notice log: the last bootstrap status, and the warnings that explain a failure.
 *
 * tor logs `Bootstrapped <n>% (<tag>): <summary>` at notice level at every bootstrap phase
 * (control-spec 4.1.10 "Status events", BOOTSTRAP). Reading the log avoids needing a control
 * connection just to wait for 100 %.
 *
 * Role: private helper of the test network; it will be replaced by `GETINFO
 * status/bootstrap-phase` through `src/control/` once that exists.
 *
 * @module
 */

/** One bootstrap status line. */
export interface BootstrapStatus {
  percent: number;
  tag: string;
  summary: string;
}

const BOOTSTRAP_RE = /\[notice\] Bootstrapped (\d{1,3})% \(([^)]*)\): (.*)$/;

/** The last bootstrap status in a log's text, or undefined when there is none. */
export function lastBootstrap(logText: string): BootstrapStatus | undefined {
  const lines = logText.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = BOOTSTRAP_RE.exec(lines[i] ?? "");
    if (match !== null) {
      return { percent: Number(match[1]), tag: match[2] ?? "", summary: match[3] ?? "" };
    }
  }
  return undefined;
}

/** The `[warn]` and `[err]` lines of a log's text, at most `max` of the last ones. */
export function problems(logText: string, max = 5): string[] {
  return logText.split("\n").filter((line) => /\[(warn|err)\]/.test(line)).slice(-max);
}

/** Reads a log file; an empty string while tor has not created it yet. */
export async function readLog(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}
