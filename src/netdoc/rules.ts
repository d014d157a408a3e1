/**
 * Keyword rules of a document section: how often each keyword may appear,
 * how many arguments it takes, whether it carries an object, and which
 * keyword must come first or last (tor's `token_rule_t` tables, arti's
 * `SectionRules`).
 *
 * Spec: dir-spec §1.2 "Document meta-format"; tor `parsecommon.h` (`T1`, `T01`,
 * `T1N`, `T1_START`, `T1_END`, `GE`, `EQ`, `ARGS`, `NO_ARGS`, `CONCAT_ARGS`,
 * `NEED_OBJ`, `OBJ_OK`, `NO_OBJ`).
 *
 * Role: checks items made by `tokenize.ts` against a table and indexes them
 * by keyword. Keywords not in the table are allowed anywhere, with any
 * arguments and an optional object, and are kept in `unrecognized` (forward
 * compatibility).
 *
 * @module
 */

import { type NetdocDocument, NetdocSyntaxError } from "./errors.ts";
import type { NetdocItem } from "./tokenize.ts";

/** How often a keyword may appear (tor `T1`, `T01`, `T1N`, `T0N`). */
export type ItemCount = "once" | "optional" | "one-or-more" | "any";

/** The rule for one keyword. */
export interface ItemRule {
  /** The keyword. */
  readonly keyword: string;
  /** How often it may appear. */
  readonly count: ItemCount;
  /** Minimum number of arguments (default 0). */
  readonly minArgs?: number;
  /** Maximum number of arguments (default unlimited). */
  readonly maxArgs?: number;
  /** Whether an object must, may or must not follow. */
  readonly object: "required" | "optional" | "forbidden";
}

/** The rules of one section. */
export interface SectionRules {
  /** Which document, for errors. */
  readonly document: NetdocDocument;
  /** One rule per known keyword. */
  readonly rules: readonly ItemRule[];
  /** The keyword the section must start with (tor `T1_START`). */
  readonly first?: string;
  /** The keyword the section must end with (tor `T1_END`). */
  readonly last?: string;
}

/** Items of a section that passed its rules, indexed by keyword. */
export class Section {
  readonly #byKeyword: Map<string, NetdocItem[]>;
  /** Items whose keyword has no rule, in order. */
  readonly unrecognized: readonly NetdocItem[];
  /** Every item, in order. */
  readonly items: readonly NetdocItem[];

  /** @internal Use {@link checkSection}. */
  constructor(items: readonly NetdocItem[], known: ReadonlySet<string>) {
    this.items = items;
    this.#byKeyword = new Map();
    const unrecognized: NetdocItem[] = [];
    for (const item of items) {
      if (!known.has(item.keyword)) {
        unrecognized.push(item);
        continue;
      }
      const list = this.#byKeyword.get(item.keyword) ?? [];
      list.push(item);
      this.#byKeyword.set(item.keyword, list);
    }
    this.unrecognized = unrecognized;
  }

  /** The first item with `keyword`, if any. */
  get(keyword: string): NetdocItem | undefined {
    return this.#byKeyword.get(keyword)?.[0];
  }

  /**
   * The item with `keyword`, which the rules made required.
   *
   * @throws {Error} When it is absent (a bug: the rules should have caught it).
   */
  required(keyword: string): NetdocItem {
    const item = this.get(keyword);
    if (item === undefined) throw new Error(`Bug: rules let "${keyword}" be absent`);
    return item;
  }

  /** Every item with `keyword`, in order. */
  all(keyword: string): readonly NetdocItem[] {
    return this.#byKeyword.get(keyword) ?? [];
  }
}

/**
 * Checks `items` against `rules`.
 *
 * @param items Items from `tokenize()`.
 * @param rules The section's rules.
 * @returns The items indexed by keyword.
 * @throws {NetdocSyntaxError} `MissingKeyword`, `DuplicateKeyword`,
 *   `WrongStartingToken`, `WrongEndingToken`, `TooFewArguments`,
 *   `TooManyArguments`, `MissingObject` or `UnexpectedObject`.
 */
export function checkSection(items: readonly NetdocItem[], rules: SectionRules): Section {
  const { document } = rules;
  const byKeyword = new Map(rules.rules.map((r) => [r.keyword, r]));
  for (const item of items) {
    const rule = byKeyword.get(item.keyword);
    if (rule !== undefined) checkItem(item, rule, document);
  }
  for (const rule of rules.rules) {
    const found = items.filter((i) => i.keyword === rule.keyword);
    if (found.length === 0 && (rule.count === "once" || rule.count === "one-or-more")) {
      throw new NetdocSyntaxError(
        "MissingKeyword",
        document,
        `missing keyword "${rule.keyword}"`,
        { keyword: rule.keyword },
      );
    }
    if (found.length > 1 && (rule.count === "once" || rule.count === "optional")) {
      throw new NetdocSyntaxError(
        "DuplicateKeyword",
        document,
        `keyword "${rule.keyword}" appears more than once`,
        { line: found[1]!.line, keyword: rule.keyword },
      );
    }
  }
  const first = items[0];
  if (rules.first !== undefined && first?.keyword !== rules.first) {
    throw new NetdocSyntaxError(
      "WrongStartingToken",
      document,
      `expected "${rules.first}" first`,
      { line: first?.line, keyword: first?.keyword },
    );
  }
  const last = items[items.length - 1];
  if (rules.last !== undefined && last?.keyword !== rules.last) {
    throw new NetdocSyntaxError(
      "WrongEndingToken",
      document,
      `expected "${rules.last}" last`,
      { line: last?.line, keyword: last?.keyword },
    );
  }
  return new Section(items, new Set(byKeyword.keys()));
}

function checkItem(item: NetdocItem, rule: ItemRule, document: NetdocDocument): void {
  const where = { line: item.line, keyword: item.keyword };
  const n = item.args.length;
  if (n < (rule.minArgs ?? 0)) {
    throw new NetdocSyntaxError(
      "TooFewArguments",
      document,
      `"${item.keyword}" needs at least ${rule.minArgs} argument(s), got ${n}`,
      where,
    );
  }
  if (rule.maxArgs !== undefined && n > rule.maxArgs) {
    throw new NetdocSyntaxError(
      "TooManyArguments",
      document,
      `"${item.keyword}" takes at most ${rule.maxArgs} argument(s), got ${n}`,
      where,
    );
  }
  if (rule.object === "required" && item.object === undefined) {
    throw new NetdocSyntaxError(
      "MissingObject",
      document,
      `"${item.keyword}" needs an object`,
      where,
    );
  }
  if (rule.object === "forbidden" && item.object !== undefined) {
    throw new NetdocSyntaxError(
      "UnexpectedObject",
      document,
      `"${item.keyword}" takes no object`,
      where,
    );
  }
}
