/**
 * A soak at a glance: one SVG picture with time across. For each balancer a row of its probes
 * (green: under 2 s, orange: 2–5 s, red: over 5 s or failed), below them its memory (RSS), and
 * across all of it the backends' descriptor rotations (blue) and the faults of the schedule
 * (grey, labelled).
 *
 * Pure: text in, text out.
 *
 * @module
 */

import type { ProbeRecord } from "./report.ts";

/** What the picture shows. */
export interface TimelineInput {
  /** Start and end of the measurement (ms). */
  t0: number;
  end: number;
  /** The balancers' labels, one row each, in this order. */
  balancers: readonly string[];
  probes: readonly ProbeRecord[];
  rss: readonly { balancer: string; at: number; bytes: number }[];
  rotations: readonly number[];
  faults: readonly { at: number; label: string }[];
}

const WIDTH = 1200;
const LEFT = 110;
const RIGHT = 20;
const ROW = 36;
const RSS_HEIGHT = 120;
const COLORS = ["#1f77b4", "#9467bd", "#8c564b", "#e377c2"];

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The SVG document. */
export function timelineSvg(input: TimelineInput): string {
  const span = Math.max(1, input.end - input.t0);
  const x = (at: number) => LEFT + ((at - input.t0) / span) * (WIDTH - LEFT - RIGHT);
  const top = 44;
  const rowsEnd = top + ROW * input.balancers.length;
  const rssTop = rowsEnd + 30;
  const height = rssTop + RSS_HEIGHT + 44;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
  ];
  for (let m = 0; m * 60_000 <= span; m += span > 1_800_000 ? 10 : 5) {
    const px = x(input.t0 + m * 60_000).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${top - 5}" x2="${px}" y2="${rssTop + RSS_HEIGHT}" stroke="#eee"/>`,
      `<text x="${px}" y="${rssTop + RSS_HEIGHT + 14}" text-anchor="middle">${m} min</text>`,
    );
  }
  for (const r of input.rotations) {
    const px = x(r).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${top - 5}" x2="${px}" y2="${rssTop + RSS_HEIGHT}" ` +
        `stroke="#1f77b4" stroke-width="2" opacity="0.6"><title>rotation</title></line>`,
    );
  }
  for (const [i, f] of input.faults.entries()) {
    const px = x(f.at).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${top - 5}" x2="${px}" y2="${rssTop + RSS_HEIGHT}" ` +
        `stroke="#777" stroke-dasharray="3,3"><title>${escape(f.label)}</title></line>`,
      `<text x="${px}" y="${10 + (i % 3) * 10}" text-anchor="middle" fill="#555">` +
        `${escape(shortLabel(f.label))}</text>`,
    );
  }
  for (const [row, label] of input.balancers.entries()) {
    const y = top + row * ROW;
    out.push(`<text x="8" y="${y + ROW / 2 + 4}">${escape(label)}</text>`);
    for (const p of input.probes.filter((p) => p.balancer === label)) {
      const color = !p.ok || p.ms > 5_000 ? "#d62728" : p.ms > 2_000 ? "#ff7f0e" : "#2ca02c";
      const h = !p.ok || p.ms > 2_000 ? ROW - 8 : ROW / 2;
      out.push(
        `<rect x="${x(p.at).toFixed(1)}" y="${y + (ROW - h) / 2}" width="2" height="${h}" ` +
          `fill="${color}"><title>${escape(probeTitle(p))}</title></rect>`,
      );
    }
  }
  out.push(...rssPanel(input, x, rssTop), legend(height));
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function rssPanel(input: TimelineInput, x: (at: number) => number, top: number): string[] {
  const mb = input.rss.map((r) => r.bytes / 2 ** 20);
  const max = Math.max(10, ...mb) * 1.1;
  const y = (bytes: number) => top + RSS_HEIGHT - (bytes / 2 ** 20 / max) * RSS_HEIGHT;
  const out = [
    `<text x="8" y="${top + RSS_HEIGHT / 2}">RSS (MB)</text>`,
    `<line x1="${LEFT}" y1="${top + RSS_HEIGHT}" x2="${WIDTH - RIGHT}" y2="${top + RSS_HEIGHT}" ` +
    `stroke="#999"/>`,
    `<text x="${LEFT - 4}" y="${top + 4}" text-anchor="end">${max.toFixed(0)}</text>`,
    `<text x="${LEFT - 4}" y="${top + RSS_HEIGHT}" text-anchor="end">0</text>`,
  ];
  for (const [i, label] of input.balancers.entries()) {
    const points = input.rss.filter((r) => r.balancer === label)
      .map((r) => `${x(r.at).toFixed(1)},${y(r.bytes).toFixed(1)}`);
    if (points.length === 0) continue;
    const color = COLORS[i % COLORS.length];
    out.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${color}" stroke-width="1.5"/>`,
      `<text x="${WIDTH - RIGHT - 4}" y="${top + 14 + 12 * i}" text-anchor="end" ` +
        `fill="${color}">${escape(label)}</text>`,
    );
  }
  return out;
}

function legend(height: number): string {
  const items = [
    ["#2ca02c", "probe < 2 s"],
    ["#ff7f0e", "2–5 s"],
    ["#d62728", "> 5 s or failed"],
    ["#1f77b4", "descriptor rotation"],
    ["#777", "fault (✗ killed, ↻ restarted; b backend, dir HSDir, tor frontend tor, ob balancer)"],
  ];
  let x = LEFT + 60;
  const y = height - 6;
  return items.map(([color, text]) => {
    const item = `<rect x="${x}" y="${y - 9}" width="8" height="10" fill="${color}"/>` +
      `<text x="${x + 12}" y="${y}">${escape(text!)}</text>`;
    x += 24 + 6.2 * text!.length;
    return item;
  }).join("\n");
}

/** A fault's label as it fits above the picture. */
function shortLabel(label: string): string {
  return label
    .replace("kill-backend ", "✗b")
    .replace("restart-backend ", "↻b")
    .replace("kill-hsdir ", "✗dir")
    .replace("restart-hsdir ", "↻dir")
    .replace("kill-frontend-tors", "✗tor")
    .replace("restart-frontend-tors", "↻tor")
    .replace("sighup-balancers", "HUP")
    .replace("kill-balancers", "✗ob")
    .replace("restart-balancers", "↻ob");
}

function probeTitle(p: ProbeRecord): string {
  return `${new Date(p.at).toISOString()} ${p.ms} ms ${p.ok ? p.detail : `failed: ${p.detail}`}`;
}
