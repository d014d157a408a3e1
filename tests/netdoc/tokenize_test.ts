import assert from "node:assert/strict";
import {
  checkSection,
  type NetdocErrorKind,
  NetdocSyntaxError,
  type SectionRules,
  tokenize,
} from "../../src/netdoc/mod.ts";

function assertSyntax(fn: () => unknown, kind: NetdocErrorKind, line?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NetdocSyntaxError, `not a NetdocSyntaxError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    if (line !== undefined) assert.equal(e.line, line, e.message);
    return true;
  });
}

const inner = { document: "inner" } as const;

Deno.test("tokenize() reads keywords, arguments, objects and line numbers", () => {
  const items = tokenize(
    "a 1  2\tthree\nb\n-----BEGIN THING-----\nAQID\nBA==\n-----END THING-----\nc x",
    inner,
  );
  assert.deepEqual(items.map((i) => [i.keyword, i.args, i.line, i.start]), [
    ["a", ["1", "2", "three"], 1, 0],
    ["b", [], 2, 13],
    ["c", ["x"], 7, 67],
  ]);
  assert.equal(items[0]!.rest, "1  2\tthree");
  assert.equal(items[1]!.object?.tag, "THING");
  assert.deepEqual(items[1]!.object?.body, new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual(tokenize("", inner), []);
});

Deno.test("tokenize() accepts a last line with or without its newline (C tor and stem quirks)", () => {
  const withNl = tokenize("k\n-----BEGIN M-----\nAA==\n-----END M-----\n", inner);
  const without = tokenize("k\n-----BEGIN M-----\nAA==\n-----END M-----", inner);
  assert.deepEqual(withNl, without);
});

Deno.test("tokenize() adds the line offset of a section", () => {
  const [item] = tokenize("x\ny", { document: "inner", lineOffset: 10 });
  assert.equal(item?.line, 11);
  assertSyntax(
    () => tokenize("x\n\n", { document: "inner", lineOffset: 10 }),
    "BadKeywordLine",
    12,
  );
});

Deno.test("tokenize() rejects bad lines and objects with the line number", () => {
  assertSyntax(() => tokenize("a\n\nb", inner), "BadKeywordLine", 2);
  assertSyntax(() => tokenize(" a", inner), "BadKeywordLine", 1);
  assertSyntax(() => tokenize("a\n-----BEGIN X-----\nAA==\n", inner), "BadObject", 2);
  assertSyntax(
    () => tokenize("a\n-----BEGIN X-----\nAA==\n-----END Y-----\n", inner),
    "BadObject",
    2,
  );
  assertSyntax(
    () => tokenize("a\n-----BEGIN X-----\n!!!!\n-----END X-----\n", inner),
    "BadObject",
    2,
  );
  assertSyntax(() => tokenize("a\n-----BEGIN X----\n-----END X-----\n", inner), "BadObject", 2);
  assertSyntax(() => tokenize("-----BEGIN X-----\n-----END X-----\n", inner), "BadKeywordLine", 1);
  assertSyntax(() => tokenize("a\nb\r\n", inner), "BadCharacter", 2);
  assertSyntax(() => tokenize("a\0\n", inner), "BadCharacter", 1);
  assertSyntax(() => tokenize("a,b c\n", inner), "BadKeywordLine", 1);
});

const RULES: SectionRules = {
  document: "outer",
  first: "start",
  last: "end",
  rules: [
    { keyword: "start", count: "once", minArgs: 1, maxArgs: 1, object: "forbidden" },
    { keyword: "opt", count: "optional", object: "optional" },
    { keyword: "many", count: "one-or-more", minArgs: 2, object: "forbidden" },
    { keyword: "obj", count: "once", object: "required" },
    { keyword: "end", count: "once", object: "forbidden" },
  ],
};
const OBJ = "obj\n-----BEGIN X-----\nAA==\n-----END X-----\n";
const check = (text: string) => checkSection(tokenize(text, { document: "outer" }), RULES);

Deno.test("checkSection() applies counts, argument counts, objects, first and last", () => {
  const section = check(`start 1\nmany a b\nunknown z\nmany c d e\n${OBJ}end\n`);
  assert.equal(section.all("many").length, 2);
  assert.equal(section.get("opt"), undefined);
  assert.deepEqual(section.unrecognized.map((i) => i.keyword), ["unknown"]);
  assertSyntax(() => check(`start 1\n${OBJ}end\n`), "MissingKeyword");
  assertSyntax(() => check(`start 1\nmany a b\nopt\nopt\n${OBJ}end\n`), "DuplicateKeyword", 4);
  assertSyntax(() => check(`many a b\nstart 1\n${OBJ}end\n`), "WrongStartingToken", 1);
  assertSyntax(() => check(`start 1\nmany a b\n${OBJ}end\nx\n`), "WrongEndingToken", 8);
  assertSyntax(() => check(`start\nmany a b\n${OBJ}end\n`), "TooFewArguments", 1);
  assertSyntax(() => check(`start 1 2\nmany a b\n${OBJ}end\n`), "TooManyArguments", 1);
  assertSyntax(() => check(`start 1\nmany a b\nobj\nend\n`), "MissingObject", 3);
  assertSyntax(
    () => check(`start 1\nmany a b\n${OBJ}end\n-----BEGIN X-----\n-----END X-----\n`),
    "UnexpectedObject",
    7,
  );
  assertSyntax(() => check(""), "MissingKeyword");
});

Deno.test("NetdocSyntaxError messages follow the house style", () => {
  const error = new NetdocSyntaxError("BadArgument", "inner", "bad thing", {
    line: 3,
    keyword: "k",
  });
  assert.equal(error.message, 'Cannot parse descriptor "inner" at line 3: bad thing');
  assert.equal(error.name, "NetdocSyntaxError");
  assert.ok(error instanceof SyntaxError);
});
