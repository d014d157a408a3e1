import assert from "node:assert/strict";
import { type Command, Help } from "commander";
import { createProgram, runCli } from "../../src/cli/program.ts";
import { EXIT_STATUS, manPage, roffEscape } from "../../src/cli/man_page.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";

const quiet = { out: () => {}, err: () => {} };
const program = createProgram(quiet);
const page = manPage(program);

/** Every command under `root` with its names from the root down, walked here, not by the generator. */
function walk(root: Command, path: string[] = []): { command: Command; path: string[] }[] {
  return root.commands.flatMap((command) => {
    const here = [...path, command.name()];
    return [{ command, path: here }, ...walk(command, here)];
  });
}

/** The flags of an option term, written in roff or in plain text: `-c`, `--config`. */
function flagsOf(term: string): string[] {
  const plain = term.replaceAll(/\\f[BIR]/g, "").replaceAll("\\-", "-");
  return plain.split(/[\s,]+/).filter((word) => /^--?[A-Za-z]/.test(word));
}

/** The lines of the page from the line `start` to the next line that starts a section. */
function sectionOf(start: string): string {
  const lines = page.split("\n");
  const from = lines.indexOf(start);
  assert.notEqual(from, -1, `no line ${start}`);
  const to = lines.findIndex((line, i) => i > from && /^\.S[HS] /.test(line));
  return lines.slice(from, to === -1 ? undefined : to).join("\n");
}

/** The flags of the `.TP` items of a part of the page. */
function manFlags(section: string): string[] {
  const lines = section.split("\n");
  return lines.flatMap((line, i) => lines[i - 1] === ".TP" ? flagsOf(line) : []);
}

/** The flags listed in a help text under `heading` (e.g. "Options:"). */
function helpFlags(help: string, heading: string): string[] {
  const start = help.indexOf(`\n${heading}\n`);
  if (start === -1) return [];
  const block = help.slice(start + heading.length + 2).split("\n\n")[0] ?? "";
  return block.split("\n").flatMap((line) => {
    const term = line.match(/^ {2}(-\S.*?)(?: {2,}|$)/)?.[1];
    return term === undefined ? [] : flagsOf(term);
  });
}

/** Where a command's options are in the page: its own subsection; `run`'s under OPTIONS. */
function manSectionOf(path: string[], command: Command): string {
  if (path.join(" ") === "run") return sectionOf(".SS Daemon options");
  return sectionOf(`.SS "${roffEscape(["onionbalance", ...path, command.usage()].join(" "))}"`);
}

async function helpText(args: string[]): Promise<string> {
  let out = "";
  const outcome = await runCli([...args, "--help"], { out: (t) => void (out += t), err: () => {} });
  assert.equal(outcome.exitCode, ExitCode.Ok);
  return out;
}

Deno.test("man page: the man(7) sections, in order", () => {
  const sections = page.split("\n").filter((line) => line.startsWith(".SH "));
  assert.deepEqual(sections, [
    ".SH NAME",
    ".SH SYNOPSIS",
    ".SH DESCRIPTION",
    ".SH OPTIONS",
    ".SH COMMANDS",
    ".SH ENVIRONMENT",
    ".SH FILES",
    '.SH "EXIT STATUS"',
    '.SH "SEE ALSO"',
  ]);
  assert.match(page, /^\.TH ONIONBALANCE 1 /m);
  assert.ok(page.endsWith("\n"));
});

Deno.test("man page: every command, nested ones too, and `help` and `onionbalance-config`", () => {
  const commands = walk(program);
  assert.ok(commands.some((c) => c.path.join(" ") === "descriptor decode"));
  for (const { command, path } of commands) {
    const words = roffEscape(["onionbalance", ...path].join(" "));
    assert.ok(page.includes(`.SS "${words} `), `no subsection for ${path.join(" ")}`);
    if (command.commands.length === 0) {
      assert.ok(page.includes(`.B "${words}"`), `no synopsis line for ${path.join(" ")}`);
    }
  }
  assert.ok(page.includes('.SS "onionbalance help [command...]"'));
  // README and deno.json: the `onionbalance-config` binary runs `onionbalance config`.
  assert.match(page, /^onionbalance, onionbalance\\-config \\- /m);
  assert.ok(page.includes('.B "onionbalance\\-config"'));
});

Deno.test("man page: every option of every command, short and long flag, in its section", () => {
  const root = new Help().visibleOptions(program);
  const rootSection = sectionOf(".SH OPTIONS");
  for (const option of root) {
    for (const flag of [option.short, option.long]) {
      if (flag !== undefined) assert.ok(rootSection.includes(`\\fB${roffEscape(flag)}\\fR`), flag);
    }
  }
  let count = 0;
  for (const { command, path } of walk(program)) {
    const section = manSectionOf(path, command);
    for (const option of command.options) {
      for (const flag of [option.short, option.long]) {
        if (flag === undefined) continue;
        count++;
        assert.ok(section.includes(`\\fB${roffEscape(flag)}\\fR`), `${path.join(" ")} ${flag}`);
      }
    }
  }
  assert.ok(count > 30, `only ${count} flags`);
  assert.match(sectionOf(".SS Daemon options"), /\\fB\\-c\\fR, \\fB\\-\\-config\\fR \\fIpath\\fR/);
});

Deno.test("man page: each command's options are the ones its --help lists", async () => {
  const top = await helpText([]);
  assert.deepEqual(
    manFlags(sectionOf(".SH OPTIONS").split("\n.SS Daemon options")[0]!),
    helpFlags(top, "Options:"),
  );
  for (const { command, path } of walk(program)) {
    const help = await helpText(path);
    const listed = helpFlags(help, "Options:").filter((f) => f !== "-h" && f !== "--help");
    assert.deepEqual(manFlags(manSectionOf(path, command)), listed, path.join(" "));
  }
  // The top-level help's daemon section lists the same flags as `run --help`.
  const heading = top.split("\n").find((line) => line.startsWith("Daemon options"))!;
  assert.deepEqual(
    helpFlags(top, heading),
    helpFlags(await helpText(["run"]), "Options:").filter((f) => f !== "-h" && f !== "--help"),
  );
});

Deno.test("man page: a required option says so", () => {
  const decode = walk(program).find((c) => c.path.join(" ") === "descriptor decode")!;
  const section = manSectionOf(decode.path, decode.command);
  assert.match(section, /\\fB\\-\\-address\\fR \\fIonion\\fR\n[^\n]*\(required\)/);
});

Deno.test("man page: ENVIRONMENT lists every variable the code and the binaries read", async () => {
  const section = sectionOf(".SH ENVIRONMENT");
  const listed = [...section.matchAll(/^\.B (\S+)$/gm)].map((m) => m[1]!);
  // Every ONIONBALANCE_* name in the source…
  const inSource = new Set<string>();
  for await (const path of tsFiles(new URL("../../src", import.meta.url).pathname)) {
    for (const m of (await Deno.readTextFile(path)).matchAll(/"(ONIONBALANCE_[A-Z_]+)"/g)) {
      inSource.add(m[1]!);
    }
  }
  // …and every variable the released binaries may read (deno.json's compile tasks).
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  const granted = new Set<string>();
  for (const [name, task] of Object.entries(tasks)) {
    if (!name.startsWith("compile:")) continue;
    for (const v of task.match(/--allow-env=(\S+)/)?.[1]?.split(",") ?? []) granted.add(v);
  }
  assert.ok(inSource.size >= 5, [...inSource].join());
  assert.deepEqual(new Set(listed), new Set([...inSource, ...granted]));
});

Deno.test("man page: EXIT STATUS describes every exit code", () => {
  const section = `${sectionOf('.SH "EXIT STATUS"')}\n`;
  for (const [name, code] of Object.entries(ExitCode)) {
    assert.ok(EXIT_STATUS[name] !== undefined, `no description of ExitCode.${name}`);
    assert.ok(section.includes(`.TP\n.B ${code}\n${roffEscape(EXIT_STATUS[name]!)}\n`), name);
  }
});

Deno.test("man page: text lines escape '-', and no text line starts with '.' or \"'\"", () => {
  const macros = /^\.(\\"|TH|SH|SS|TP|PP|B|I|BR|br)( |$)/;
  for (const line of page.split("\n")) {
    if (line.startsWith(".")) {
      assert.match(line, macros, line);
      if (line.startsWith('.\\"')) continue;
    }
    assert.ok(!line.startsWith("'"), line);
    assert.doesNotMatch(line.replaceAll("\\-", "").replace(/^\.[A-Z]+/, ""), /-/, line);
  }
  assert.equal(roffEscape(".x -y"), "\\&.x \\-y");
  assert.equal(roffEscape("'a\\b"), "\\&'a\\eb");
  assert.equal(roffEscape("see `a-b`"), "see \\fBa\\-b\\fR");
});

Deno.test("man page: formats without a warning (groff -man -ww, as man-db runs it)", async () => {
  // groff comes from Debian's groff-base, which scripts/setup.sh installs when missing.
  const file = await Deno.makeTempFile({ suffix: ".1" });
  try {
    await Deno.writeTextFile(file, page);
    const output = await new Deno.Command("groff", {
      // -P -cbou: plain text, no overstriking or escape sequences for bold and underline.
      args: ["-man", "-Tutf8", "-ww", "-P", "-cbou", file],
      stdout: "piped",
      stderr: "piped",
      env: { LANG: "C.UTF-8" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.equal(stderr, "", `groff warns:\n${stderr}`);
    const text = new TextDecoder().decode(output.stdout);
    assert.match(text, /EXIT STATUS/);
    assert.match(text, /--config path/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("scripts/man.ts writes the page to the path given, and to standard output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/onionbalance.1`;
    const script = new URL("../../scripts/man.ts", import.meta.url).pathname;
    const run = (args: string[]) =>
      new Deno.Command("deno", {
        args: ["run", "--quiet", "--allow-read=.", `--allow-write=${dir}`, script, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const toFile = await run([path]);
    assert.equal(toFile.code, 0, new TextDecoder().decode(toFile.stderr));
    assert.equal(await Deno.readTextFile(path), page);
    const toStdout = await run([]);
    assert.equal(toStdout.code, 0, new TextDecoder().decode(toStdout.stderr));
    assert.equal(new TextDecoder().decode(toStdout.stdout), page);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}
