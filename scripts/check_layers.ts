// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * Layer check for `src/` (house style §6.1): dependencies point down.
 *
 * Every folder of `src/` has a rank in {@link LAYERS}. A file may import:
 * - files in its own folder (including `_private.ts` files);
 * - the `mod.ts` or a public (non-`_`) file of a folder of a lower rank;
 * - `npm:@noble/*` only from `src/crypto/_noble.ts` (one place to audit);
 * - `node:crypto` only from `src/crypto/` (the native side of the same gate).
 *
 * Folders in one layer may not import each other.
 *
 * Run: `deno task layers`. Exits 1 and lists every violation when one is found.
 *
 * @module
 */

/** Folders of `src/`, lowest first. A folder may import only folders listed before it. */
export const LAYERS: readonly (readonly string[])[] = [
  ["bytes", "log"],
  ["crypto"],
  ["time"],
  ["keys"],
  ["cert"],
  ["netdoc"],
  ["custody"],
  ["hashring"],
  ["control", "socks"],
  ["config"],
  ["deploy"],
  ["balancer"],
  ["cli"],
];

/** The only file allowed to import the noble libraries. */
export const NOBLE_GATE = "src/crypto/_noble.ts";

/** One import that breaks a rule. */
export interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function rankOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** The `src/` folder a path belongs to (`src/keys/x.ts` → `keys`), or undefined. */
function srcFolder(path: string): string | undefined {
  const parts = path.split("/");
  return parts[0] === "src" && parts.length >= 3 ? parts[1] : undefined;
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return out.join("/");
}

/**
 * Checks the imports of one source file.
 *
 * @param file Path relative to the repository root, e.g. `src/keys/blinded.ts`.
 * @param text The file's contents.
 * @returns Every rule the file's imports break.
 */
export function checkFile(file: string, text: string): Violation[] {
  const violations: Violation[] = [];
  const from = srcFolder(file);
  for (const match of text.matchAll(IMPORT_RE)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? "";
    const line = text.slice(0, match.index ?? 0).split("\n").length +
      (text[match.index ?? 0] === "\n" ? 1 : 0);
    const report = (reason: string) => violations.push({ file, line, specifier, reason });
    if (specifier.startsWith("npm:@noble/") || specifier.startsWith("@noble/")) {
      if (file !== NOBLE_GATE) report(`only ${NOBLE_GATE} may import the noble libraries`);
      continue;
    }
    if (specifier === "node:crypto" || specifier === "crypto") {
      if (from !== undefined && from !== "crypto") {
        report("only src/crypto/ may import node:crypto");
      }
      continue;
    }
    if (!specifier.startsWith(".")) continue;
    const dir = file.split("/").slice(0, -1).join("/");
    const target = normalize(`${dir}/${specifier}`);
    const to = srcFolder(target);
    if (from === undefined) continue; // main.ts, scripts/ and tests/ may import anything
    if (to === undefined) {
      if (target !== "src/version.ts") report("src/ may not import files outside src/");
      continue;
    }
    if (to === from) continue;
    const base = target.split("/").pop() ?? "";
    if (base.startsWith("_")) report(`"${base}" is private to src/${to}/`);
    const fromRank = rankOf(from);
    const toRank = rankOf(to);
    if (fromRank < 0) report(`src/${from}/ has no layer in scripts/check_layers.ts`);
    else if (toRank < 0) report(`src/${to}/ has no layer in scripts/check_layers.ts`);
    else if (toRank >= fromRank) {
      report(`src/${from}/ (layer ${fromRank}) may not import src/${to}/ (layer ${toRank})`);
    }
  }
  return violations;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile && /\.(ts|tsx|js|mjs)$/.test(entry.name)) yield path;
  }
}

/** Checks every file below `src/`. */
export async function checkTree(root = "src"): Promise<Violation[]> {
  const all: Violation[] = [];
  for await (const file of walk(root)) {
    all.push(...checkFile(file, await Deno.readTextFile(file)));
  }
  return all;
}

if (import.meta.main) {
  const violations = await checkTree();
  for (const v of violations) {
    console.error(`${v.file}:${v.line}: import "${v.specifier}": ${v.reason}`);
  }
  if (violations.length > 0) {
    console.error(`Layer check failed: ${violations.length} import(s) break the rules`);
    Deno.exit(1);
  }
  console.log("Layer check passed");
}
