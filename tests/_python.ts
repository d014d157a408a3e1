/**
 * Runs one of the helper scripts in `tests/python/` with Debian's
 * `/usr/bin/python3` (which has python3-stem 1.8.1 and OnionBalance 0.2.2),
 * feeding it a JSON job on stdin and parsing its JSON answer. The scripts
 * print public values only; on failure only Python's stderr is reported.
 *
 * @module
 */

/** The interpreter with stem and OnionBalance (not a pyenv `python3`). */
export const PYTHON = "/usr/bin/python3";

/** Permissions a cross-check test needs: run Python, read and write `/tmp`, read the scripts. */
export const PYTHON_PERMISSIONS: Deno.PermissionOptionsObject = {
  run: [PYTHON],
  read: ["/tmp", new URL("./python/", import.meta.url)],
  write: ["/tmp"],
};

/** Runs `tests/python/<script>` with `job` on stdin and returns its parsed stdout. */
export async function runPythonScript<T>(script: string, job: unknown): Promise<T> {
  const path = new URL(`./python/${script}`, import.meta.url).pathname;
  const child = new Deno.Command(PYTHON, {
    args: [path],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", LC_ALL: "C.UTF-8", PYTHONDONTWRITEBYTECODE: "1", TZ: "UTC" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(`${script} failed (exit ${code}): ${new TextDecoder().decode(stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(stdout)) as T;
}
