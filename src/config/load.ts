/**
 * Loads and validates `config.yaml`. An OnionBalance 0.2.x file loads
 * unchanged; every error names the file, line and column.
 *
 * Unknown keys: one close to a known key of its level (edit distance at most
 * 2, transpositions counting 1, case ignored) is an error naming it and the
 * known key, reported before any "missing" error it causes; any other is a
 * warning and ignored, as is every upper-case key (an OnionBalance v2
 * setting such as `REFRESH_INTERVAL`, which 0.2.x's own example config still
 * carries). OnionBalance 0.2.2 ignores every unknown key silently, so a
 * misspelt `services` or `instances` there only reports the correct key as
 * missing, and a misspelt optional key does nothing.
 *
 * Wrong types name the key, the expected type and what was found.
 *
 * Role: reads one file and parses YAML; loads no keys (the balancer does, so
 * that a reload can keep an unchanged service's state). Reading nodes with
 * located errors is `_reader.ts`; the sections and their keys are
 * `_sections.ts`.
 *
 * @module
 */

import { LineCounter, parseDocument } from "yaml";
import { Reader } from "./_reader.ts";
import {
  readFrontendProbe,
  readHealthCheck,
  readLogFormat,
  readMetrics,
  readServices,
  readTuning,
  TOP_KEYS,
} from "./_sections.ts";
import { ConfigError, type ConfigWarning } from "./errors.ts";
import type { BalancerConfig } from "./schema.ts";

/** The result of loading: the config and what looked wrong but was accepted. */
export interface LoadedConfig {
  config: BalancerConfig;
  warnings: ConfigWarning[];
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** The file name to put in messages. */
  path: string;
  /** The folder relative key paths are resolved against (OnionBalance: the config file's folder). */
  baseDir: string;
}

/**
 * Parses and validates the text of a config file.
 *
 * @throws {ConfigError} On invalid YAML or an invalid value, naming file, line and column.
 */
export function parseConfig(text: string, options: ParseConfigOptions): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseYaml(text, lines, options.path);
  const r: Reader = new Reader(options.path, lines);
  const [error] = doc.errors;
  if (error !== undefined) {
    const pos = lines.linePos(error.pos[0]);
    throw new ConfigError(
      { file: options.path, line: pos.line, column: pos.col },
      `Cannot parse YAML: ${error.message.split("\n")[0]}`,
      { cause: error },
    );
  }
  if (doc.contents === null) {
    // An empty file, or one of only comments, has no node to point at: point at its start.
    throw new ConfigError(
      { file: options.path, line: 1, column: 1 },
      `The config file must be a mapping (with a "services" list), found nothing`,
    );
  }
  const top = r.map(doc.contents, "The config file", ` (with a "services" list)`);
  r.checkKeys(top, TOP_KEYS, "the top level");
  const services = readServices(r, top, options.baseDir);
  const logFormat = readLogFormat(r, top);
  const config: BalancerConfig = {
    path: options.path,
    services,
    logFormat,
    tuning: readTuning(r, top),
    healthCheck: readHealthCheck(r, top),
    frontendProbe: readFrontendProbe(r, top),
  };
  const metrics = readMetrics(r, top);
  if (metrics !== undefined) config.metrics = metrics;
  const statusSocket = r.string(top, "status-socket-location", "a string (a Unix socket path)");
  if (statusSocket !== undefined) config.statusSocketLocation = statusSocket;
  const warnings = r.warnings.sort((a, b) =>
    (a.location.line ?? 0) - (b.location.line ?? 0) ||
    (a.location.column ?? 0) - (b.location.column ?? 0)
  );
  return { config, warnings };
}

/**
 * `parseDocument()`, with a stack overflow turned into a located ConfigError. yaml's parser
 * recurses once per level of nested block collections, so a few thousand levels (`- - - … 1`)
 * overflow the stack with a RangeError; its composer catches the same overflow in flow
 * collections and reports it in `doc.errors`. The line is the one the parser had reached.
 */
function parseYaml(text: string, lines: LineCounter, file: string) {
  try {
    return parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    const line = Math.max(1, lines.lineStarts.length);
    throw new ConfigError({ file, line, column: 1 }, `Cannot parse YAML: ${cause.message}`, {
      cause,
    });
  }
}

/**
 * Reads and validates a config file. Relative key paths resolve against the
 * file's folder, as in OnionBalance.
 *
 * @throws {ConfigError} When the file cannot be read or is invalid.
 */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound ? "no such file" : String(cause);
    throw new ConfigError({ file: path }, `Cannot read config file: ${reason}`, { cause });
  }
  const slash = path.lastIndexOf("/");
  const baseDir = slash < 0 ? Deno.cwd() : slash === 0 ? "/" : path.slice(0, slash);
  return parseConfig(text, {
    path,
    baseDir: baseDir.startsWith("/") ? baseDir : `${Deno.cwd()}/${baseDir}`,
  });
}
