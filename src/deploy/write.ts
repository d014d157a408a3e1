/**
 * Writes a planned deployment to disk: folders 0700, files 0600, each file
 * written atomically, and nothing that exists replaced unless asked.
 *
 * Spec: none (POSIX `link(2)` fails with EEXIST and `rename(2)` replaces
 * atomically; OnionBalance's generator opens the key and chmods it afterwards,
 * a short window where the key is readable under the umask).
 *
 * Role: the only I/O of `src/deploy/`. Each file is written to a temporary
 * file in its own folder (created 0600, so the content is never readable by
 * others), synced, then moved into place: with `link` when nothing may be
 * replaced (it fails if the name appeared meanwhile), with `rename` under
 * `force`. Before writing anything, every path of the plan is checked, so a
 * refusal leaves the disk untouched. `config.yaml` is written last: a tree
 * with a `config.yaml` is complete.
 *
 * @module
 */

import { DeployError } from "./errors.ts";
import type { DeploymentPlan } from "./plan.ts";

/** Options of {@link writeDeployment}. */
export interface WriteDeploymentOptions {
  /** Replace existing files (keys included) and reuse existing folders. Default false. */
  force?: boolean;
}

/** What {@link writeDeployment} did. */
export interface WriteReport {
  /** Whether it created the output folder. */
  createdOutput: boolean;
  /** The paths it replaced (under `force`), relative to the output folder. */
  replaced: string[];
  /** The output folder's mode when it existed and lets others in (e.g. 0o755); else undefined. */
  looseOutputMode?: number;
}

function join(dir: string, rel: string): string {
  return dir.endsWith("/") ? `${dir}${rel}` : `${dir}/${rel}`;
}

async function lstat(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw failed(path, error);
  }
}

function failed(path: string, cause: unknown): DeployError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DeployError("WriteFailed", `Cannot write "${path}": ${reason}`, {
    cause,
    paths: [path],
  });
}

/** The planned paths that exist already (a folder hides its planned contents). */
async function existingPaths(output: string, plan: DeploymentPlan): Promise<string[]> {
  const found: string[] = [];
  for (const dir of plan.dirs) {
    if (found.some((f) => dir.startsWith(f))) continue;
    const info = await lstat(join(output, dir));
    if (info === undefined) continue;
    if (!info.isDirectory) {
      throw failed(join(output, dir), new Error("it exists and is not a folder"));
    }
    found.push(`${dir}/`);
  }
  for (const file of plan.files) {
    if (found.some((f) => file.path.startsWith(f))) continue;
    if (await lstat(join(output, file.path)) !== undefined) found.push(file.path);
  }
  return found;
}

/** Creates the output folder (0700) or checks the existing one. */
async function prepareOutput(
  output: string,
): Promise<Pick<WriteReport, "createdOutput" | "looseOutputMode">> {
  const info = await lstat(output);
  if (info !== undefined) {
    if (!info.isDirectory) throw failed(output, new Error("it exists and is not a folder"));
    const mode = (info.mode ?? 0) & 0o777;
    return { createdOutput: false, looseOutputMode: (mode & 0o077) === 0 ? undefined : mode };
  }
  try {
    await Deno.mkdir(output, { recursive: true, mode: 0o700 });
    await Deno.chmod(output, 0o700);
  } catch (error) {
    throw failed(output, error);
  }
  return { createdOutput: true };
}

async function makeDir(path: string, force: boolean): Promise<void> {
  try {
    await Deno.mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists) || !force) {
      throw error instanceof Deno.errors.AlreadyExists
        ? new DeployError("Exists", `Cannot create "${path}": it appeared meanwhile`, {
          paths: [path],
        })
        : failed(path, error);
    }
  }
  // `mode` is subject to the umask and not applied to an existing folder.
  await Deno.chmod(path, 0o700).catch((error) => {
    throw failed(path, error);
  });
}

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Replace an existing file (`rename`) instead of failing (`link`). Default false. */
  replace?: boolean;
}

/**
 * Writes one file atomically with mode 0600: a temporary file in the same
 * folder, synced, then linked (or, with `replace`, renamed) into place.
 *
 * @param path The final path.
 * @param data The content; the caller wipes it.
 * @param options Whether to replace an existing file.
 * @throws {DeployError} `Exists` when it exists and `replace` is not set; `WriteFailed` otherwise.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const replace = options.replace === true;
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  let tmp: string | undefined;
  try {
    tmp = await Deno.makeTempFile({ dir, prefix: `.${base}.`, suffix: ".tmp" });
    await Deno.chmod(tmp, 0o600);
    {
      using file = await Deno.open(tmp, { write: true, truncate: true });
      let offset = 0;
      while (offset < data.length) offset += await file.write(data.subarray(offset));
      await file.syncData();
    }
    if (replace) {
      await Deno.rename(tmp, path);
      tmp = undefined;
    } else {
      await Deno.link(tmp, path);
    }
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new DeployError("Exists", `Cannot write "${path}": it exists already`, {
        cause: error,
        paths: [path],
      });
    }
    throw failed(path, error);
  } finally {
    if (tmp !== undefined) await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * Writes the plan below `output`.
 *
 * @param output The output folder; created (0700) with its parents when missing.
 * @param plan What to write.
 * @param options `force` to replace existing files and reuse existing folders.
 * @returns What was created or replaced.
 * @throws {DeployError} `Exists` (listing every existing path, nothing
 *   written) when a planned file or folder exists and `force` is not set;
 *   `WriteFailed` when the file system refuses.
 */
export async function writeDeployment(
  output: string,
  plan: DeploymentPlan,
  options: WriteDeploymentOptions = {},
): Promise<WriteReport> {
  const force = options.force === true;
  const existing = await lstat(output) === undefined ? [] : await existingPaths(output, plan);
  if (existing.length > 0 && !force) {
    const list = existing.map((p) => `"${join(output, p)}"`).join(", ");
    throw new DeployError(
      "Exists",
      `Cannot write the deployment: ${list} already exist${existing.length === 1 ? "s" : ""}; ` +
        "use --force to replace them (replaced keys are lost)",
      { paths: existing.map((p) => join(output, p)) },
    );
  }
  const report: WriteReport = { ...await prepareOutput(output), replaced: existing };
  for (const dir of plan.dirs) await makeDir(join(output, dir), force);
  for (const file of plan.files) {
    const data = file.bytes();
    try {
      await writeFileAtomic(join(output, file.path), data, { replace: force });
    } finally {
      data.fill(0);
    }
  }
  return report;
}
