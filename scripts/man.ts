/**
 * Writes the `onionbalance(1)` manual page, made from the program's command
 * tree (`src/cli/man_page.ts`), to standard output or to the file named by
 * the first argument (its folder is created).
 *
 * Run: `deno task man` (writes `dist/onionbalance.1`), or
 * `deno run --allow-read=. scripts/man.ts | man -l -`.
 *
 * @module
 */

import { createProgram } from "../src/cli/program.ts";
import { manPage } from "../src/cli/man_page.ts";

const ignore = (_text: string) => {};
const page = manPage(createProgram({ out: ignore, err: ignore }));
const path = Deno.args[0];
if (path === undefined || path === "-") {
  await Deno.stdout.write(new TextEncoder().encode(page));
} else {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  await Deno.writeTextFile(path, page);
}
