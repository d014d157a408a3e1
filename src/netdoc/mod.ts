/**
 * Tor network documents (like arti's tor-netdoc): a tokenizer for the
 * keyword-line format, section rules, object armor, and the v3 onion-service
 * descriptor codec in `hsdesc/`.
 *
 * Spec: dir-spec §1.2 "Document meta-format" — https://spec.torproject.org/dir-spec/netdoc.html;
 * rend-spec-v3 §2.4–§2.5 (see `hsdesc/mod.ts`).
 *
 * Role: parsing and encoding only; never touches the network or the clock.
 * Parse errors are {@link NetdocSyntaxError}s with the document, line and keyword.
 *
 * @example
 * ```ts
 * import { checkSection, tokenize } from "./mod.ts";
 * const items = tokenize("create2-formats 2\nsingle-onion-service\n", { document: "inner" });
 * const section = checkSection(items, {
 *   document: "inner",
 *   first: "create2-formats",
 *   rules: [{ keyword: "create2-formats", count: "once", object: "forbidden" }],
 * });
 * section.unrecognized.length; // 1
 * ```
 *
 * @module
 */

export {
  type NetdocDocument,
  type NetdocErrorKind,
  NetdocSyntaxError,
  type NetdocSyntaxErrorOptions,
} from "./errors.ts";
export {
  bytesToText,
  type NetdocItem,
  type NetdocObject,
  textToBytes,
  tokenize,
  type TokenizeOptions,
} from "./tokenize.ts";
export {
  checkSection,
  type ItemCount,
  type ItemRule,
  Section,
  type SectionRules,
} from "./rules.ts";
export { armor, base64Lines } from "./armor.ts";
export * from "./hsdesc/mod.ts";
