/**
 * Helpers for tests that read `tests/vectors/` (see its README for where each
 * file comes from).
 *
 * @module
 */

/** The `tests/vectors/` folder (for `Deno.test({ permissions: { read: [VECTORS] } })`). */
export const VECTORS: URL = new URL("./vectors/", import.meta.url);

/** Registers a `Deno.test` whose only permission is reading `tests/vectors/`. */
export function vectorTest(name: string, fn: () => void | Promise<void>): void {
  Deno.test({ name, permissions: { read: [VECTORS] }, fn });
}

/** URL of a file below `tests/vectors/`. */
export function vectorUrl(path: string): URL {
  return new URL(path, VECTORS);
}

/** Parses a JSON vector file. */
export async function readJsonVector<T = Record<string, unknown>>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(vectorUrl(path))) as T;
}

/** Reads a binary vector file. */
export function readBinaryVector(path: string): Promise<Uint8Array> {
  return Deno.readFile(vectorUrl(path));
}

/**
 * Reads the `static const char *NAME[] = { "…" "…", … };` arrays of a C
 * source file (adjacent string literals are joined, as C does).
 */
export async function readCStringArrays(path: string): Promise<Map<string, string[]>> {
  const text = await Deno.readTextFile(vectorUrl(path));
  const out = new Map<string, string[]>();
  const arrayRe = /static const char \*(\w+)\[\] = \{([\s\S]*?)\};/g;
  for (const m of text.matchAll(arrayRe)) {
    const body = m[2]!.replace(/\/\*[\s\S]*?\*\//g, "");
    const items = body.split(",").map((item) =>
      [...item.matchAll(/"([^"]*)"/g)].map((s) => s[1]).join("")
    ).filter((s) => s !== "");
    out.set(m[1]!, items);
  }
  return out;
}

/** Parses an RFC 1123 / ISO-like UTC time from a vector file into Unix seconds. */
export function unixTime(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)
    ? `${text.replace(" ", "T")}Z`
    : text;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`Cannot parse time "${text}"`);
  return ms / 1000;
}
