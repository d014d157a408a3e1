/**
 * Reading a secret file (a key, a password) the way ssh and tor read theirs:
 * a file that group or others may access is refused before a byte of it is
 * read.
 *
 * Role: the one place that checks a secret file's mode; `key_file.ts` and the
 * control port's password reader turn its error into their own. The check is
 * made on the open file, so it is the file actually read (after symlinks) that
 * counts; where the platform has no Unix modes (`mode` is null, Windows) there
 * is nothing to check. Buffers the secret outgrows are zeroed.
 *
 * @module
 */

/** Why {@link readSecretFile} refused or failed. */
export class SecretFileError extends Error {
  override name = "SecretFileError";
  /** `Unreadable` (cannot open or read; the message is the cause's) or `Insecure` (mode). */
  readonly kind: "Unreadable" | "Insecure";

  /**
   * @param kind What went wrong.
   * @param message For `Insecure`: `is readable by group or others (mode 0644); run: chmod 600 F`.
   * @param options The cause.
   */
  constructor(kind: "Unreadable" | "Insecure", message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.kind = kind;
  }
}

/**
 * Reads `path`, refusing it when group or others may access it (any of the
 * bits 0o077).
 *
 * @param path The file.
 * @param options `groupMayRead`: accept the group read bit (a systemd credential, which
 *   `stat` shows as 0440 when systemd grants the service user an ACL).
 * @returns Its bytes (the caller zeroes them when done).
 * @throws {SecretFileError} `Insecure` (unread) or `Unreadable`.
 */
export async function readSecretFile(
  path: string,
  options: { groupMayRead?: boolean } = {},
): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (cause) {
    throw unreadable(cause);
  }
  try {
    let info: Deno.FileInfo;
    try {
      info = await file.stat();
    } catch (cause) {
      throw unreadable(cause);
    }
    const problem = permissionProblem(info, options.groupMayRead === true);
    if (problem !== undefined) {
      const hint = options.groupMayRead === true ? "" : `; run: chmod 600 ${shellWord(path)}`;
      throw new SecretFileError("Insecure", `is ${problem}${hint}`);
    }
    try {
      return await readAll(file);
    } catch (cause) {
      throw unreadable(cause);
    }
  } finally {
    file.close();
  }
}

function unreadable(cause: unknown): SecretFileError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SecretFileError("Unreadable", reason, { cause });
}

/**
 * Why a secret file's mode is too open (e.g. `readable by group or others
 * (mode 0644)`), or undefined when only its owner may access it, when the
 * platform has no modes, or for a directory (reading it fails with its own error).
 */
function permissionProblem(info: Deno.FileInfo, groupMayRead: boolean): string | undefined {
  const mask = groupMayRead ? 0o037 : 0o077;
  if (info.mode === null || info.isDirectory || (info.mode & mask) === 0) return undefined;
  const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
  if (groupMayRead) return `accessible by others or writable by group (mode ${mode})`;
  const access = (info.mode & 0o044) !== 0 ? "readable" : "accessible";
  return `${access} by group or others (mode ${mode})`;
}

/** `path` as one shell word, for a command the user can paste. */
function shellWord(path: string): string {
  const word = /^[A-Za-z0-9_@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
  return word.startsWith("-") ? `-- ${word}` : word;
}

/** Reads the rest of `file`, zeroing every buffer it outgrows. */
async function readAll(file: Deno.FsFile): Promise<Uint8Array> {
  let buffer = new Uint8Array(4096);
  let length = 0;
  try {
    for (;;) {
      if (length === buffer.length) {
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer.fill(0);
        buffer = bigger;
      }
      const n = await file.read(buffer.subarray(length));
      if (n === null) return buffer.slice(0, length);
      length += n;
    }
  } finally {
    buffer.fill(0);
  }
}
