/**
 * Reading a Prometheus text page in the metrics tests.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Every sample of `name` on the page, with its labels. */
export function series(
  text: string,
  name: string,
): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one series of `name` whose labels include every one of `labels`. */
export function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const found = series(text, name).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.equal(found.length, 1, `one series ${name} ${JSON.stringify(labels)}: ${found.length}`);
  return found[0]!.value;
}
