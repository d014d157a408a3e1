/**
 * Errors and warnings about a configuration file, each with the file, line and
 * column it refers to.
 *
 * @module
 */

/** A place in a configuration file (1-based line and column). */
export interface ConfigLocation {
  /** The file, as the operator named it. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

/** `file:line:column`, or as much of it as is known. */
export function formatLocation(location: ConfigLocation): string {
  let out = location.file;
  if (location.line !== undefined) {
    out += `:${location.line}`;
    if (location.column !== undefined) out += `:${location.column}`;
  }
  return out;
}

/** A configuration file that cannot be used. The message starts with `file:line:column`. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** Where the problem is. */
  readonly location: ConfigLocation;
  /** What is wrong, without the location. */
  readonly detail: string;

  /**
   * @param location Where the problem is.
   * @param detail What is wrong, std message style.
   * @param options The underlying `cause`, if any.
   */
  constructor(location: ConfigLocation, detail: string, options: { cause?: unknown } = {}) {
    super(`${formatLocation(location)}: ${detail}`, options);
    this.location = location;
    this.detail = detail;
  }
}

/** Something in the file that is accepted but probably not what the operator meant. */
export interface ConfigWarning {
  /** Where it is. */
  location: ConfigLocation;
  /** What it is, std message style. */
  message: string;
}
