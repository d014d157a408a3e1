/**
 * Formats the status-socket JSON as readable tables: per frontend service the
 * last publish attempts, the last successful publish, whether the end-to-end
 * probe connected and what the last publish audit found; per descriptor
 * (first/second) its time period, revision, intro points and each HSDir's
 * upload; per backend its state, intro points, last fetch and health.
 *
 * Spec: the document `src/balancer/status.ts` serves, a superset of
 * OnionBalance 0.2.x's (`hs_v3/status.py`); OnionBalance's own document (only
 * its keys) formats too, with "-" for what it lacks.
 *
 * Role: pure; never touches the socket (that is `status_command.ts`).
 *
 * @module
 */

/** A JSON object as parsed, read defensively (the daemon may be another version). */
type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Obj
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A cell: strings and numbers as they are, null/undefined as "-". */
function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * Lays out rows under headers, columns separated by two spaces, the last
 * column unpadded.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)];
}

function indent(lines: readonly string[], by = "  "): string[] {
  return lines.map((l) => (l === "" ? l : `${by}${l}`));
}

function descriptorRows(descriptors: Obj | undefined, unpublishable: Obj | undefined): string[][] {
  return (["first", "second"] as const).map((slot) => {
    const d = obj(descriptors?.[slot]);
    const cannot = obj(unpublishable?.[slot]);
    if (cannot !== undefined) {
      return [
        slot,
        cell(cannot.timePeriod),
        "-",
        "-",
        "-",
        "-",
        `CANNOT PUBLISH: ${cell(cannot.reason)}`,
      ];
    }
    if (d === undefined) return [slot, "-", "-", "-", "-", "-", "not published"];
    const hsDirs = list(d.hsDirs).map(obj);
    const uploaded = hsDirs.filter((h) => h?.status === "uploaded").length;
    const sameRelay = list(d.introPointsSameRelay).reduce<number>((a, n) => a + Number(n), 0);
    // Intro points left out because their relay carries another one (onePerRelay).
    const counts = list(d.introPoints).map(cell).join("+") +
      (sameRelay > 0 ? ` (+${sameRelay} same relay)` : "");
    return [
      slot,
      cell(d.timePeriod),
      cell(d.revisionCounter),
      cell(d.built),
      cell(counts),
      `${uploaded}/${hsDirs.length}`,
      cell(d.reason),
    ];
  });
}

function uploadLines(slot: string, d: Obj): string[] {
  const rows = list(d.hsDirs).map(obj).filter((h) => h !== undefined).map((h) => [
    cell(h.fingerprint),
    cell(h.nickname),
    cell(h.descriptor),
    cell(h.status),
    cell(h.attempts),
    cell(h.lastResult ?? h.lastAttempt),
    cell(h.reason),
  ]);
  if (rows.length === 0) return [];
  return [
    "",
    `Uploads of the ${slot} descriptor:`,
    ...indent(formatTable(
      ["HSDIR", "NICKNAME", "DESC", "STATUS", "TRIES", "LAST RESULT", "REASON"],
      rows,
    )),
  ];
}

/** `ok (time)`, or `failed ×n (time): error`; "-" when checks are off. */
function health(value: unknown): string {
  const h = obj(value);
  if (h === undefined) return "-";
  if (h.ok === true) return `ok (${cell(h.lastCheck)})`;
  const error = h.error === null || h.error === undefined ? "" : `: ${cell(h.error)}`;
  return `failed ×${cell(h.consecutiveFailures)} (${cell(h.lastCheck)})${error}`;
}

/**
 * The backend's intro points in the published descriptors: `2 (age 95 s)`, with
 * `, 1 closed` when some are no longer in its newest descriptor; "-" when none.
 */
function published(value: unknown): string {
  const p = obj(value);
  if (p === undefined) return "-";
  const total = Number(p.introPoints);
  const closed = total - Number(p.inNewestDescriptor);
  return `${cell(p.introPoints)} (age ${cell(p.ageSeconds)} s${
    closed > 0 ? `, ${closed} closed` : ""
  })`;
}

function backendRows(instances: unknown[]): string[][] {
  return instances.map(obj).filter((i) => i !== undefined).map((i) => {
    const fetched = i.lastFetch ?? i.descriptorReceived ?? i.received;
    const state = i.state ?? (i.introPointsNum === undefined ? "no descriptor" : "-");
    return [
      cell(i.onionAddress),
      cell(i.name),
      cell(state),
      cell(i.introPointsNum),
      published(i.published),
      cell(i.introSetModified),
      cell(fetched),
      cell(i.fetchFailures),
      health(i.health),
      cell(i.reason),
    ];
  });
}

/**
 * `Keys: offline bundle F, periods A-B, covers until T UTC (2 d 3 h left)`, with `RUNNING OUT`
 * within the warning time; nothing for a key (or a daemon that does not say).
 */
function keysLine(keys: Obj | undefined): string[] {
  if (keys === undefined || keys.kind !== "offline") return [];
  const left = Number(keys.secondsLeft);
  const d = Math.floor(left / 86400);
  const h = Math.floor((left % 86400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  const span = left <= 0 ? "RUN OUT" : d > 0 ? `${d} d ${h} h left` : `${h} h ${m} min left`;
  return [
    `Keys: offline bundle ${cell(keys.file)}, periods ${cell(keys.firstPeriod)}-` +
    `${cell(keys.lastPeriod)}, covers until ${cell(keys.coversUntil)} UTC (${span})` +
    (keys.runningOut === true && left > 0 ? ": RUNNING OUT, make a new one" : ""),
  ];
}

/**
 * `Reachable: yes (probe T, 1.2 s)`, or `Reachable: NO (probe T, 3 failed in a row; last
 * reachable T): error`; nothing when the daemon does not probe.
 */
function reachLine(probe: Obj | undefined): string[] {
  if (probe === undefined) return [];
  const took = `${(Number(probe.durationMs) / 1000).toFixed(1)} s`;
  if (probe.reachable === true) return [`Reachable: yes (probe ${cell(probe.lastProbe)}, ${took})`];
  return [
    `Reachable: NO (probe ${cell(probe.lastProbe)}, ${cell(probe.consecutiveFailures)} failed ` +
    `in a row; last reachable ${cell(probe.lastReachable)}): ${cell(probe.error)}`,
  ];
}

/** The last publish audit: a summary line, and a table of the copies that are not current. */
function auditLines(audit: Obj | undefined): string[] {
  if (audit === undefined) return [];
  const counts = obj(audit.counts) ?? {};
  const summary = Object.entries(counts).filter(([, n]) => Number(n) > 0)
    .map(([state, n]) => `${cell(n)} ${state}`).join(", ");
  const copies = list(audit.hsDirs).map(obj).filter((c) => c !== undefined);
  const reuploaded = copies.filter((c) => c.reuploaded === true).length;
  const odd = copies.filter((c) => c.state !== "current").map((c) => [
    cell(c.fingerprint),
    cell(c.nickname),
    cell(c.state) + (c.reuploaded === true ? " (uploaded again)" : ""),
    cell(c.revisionCounter),
    cell(c.detail),
  ]);
  return [
    "",
    `HSDir copies of the ${cell(audit.descriptor)} descriptor (audit ${cell(audit.at)}, ` +
    `revision ${cell(audit.revisionCounter)}): ${summary || "none"}` +
    (reuploaded > 0 ? `; uploaded again to ${reuploaded}` : ""),
    ...(odd.length === 0
      ? []
      : indent(formatTable(["HSDIR", "NICKNAME", "STATE", "REVISION", "DETAIL"], odd))),
  ];
}

function serviceLines(service: Obj): string[] {
  const descriptors = obj(service.descriptors);
  const lines = [
    `Service ${cell(service.onionAddress)}` +
    (typeof service.name === "string" ? ` (${service.name})` : ""),
    ...indent([
      `Last publish attempt: first ${cell(service.publishAttemptFirstDescriptor)}, ` +
      `second ${cell(service.publishAttemptSecondDescriptor)}`,
      `Last successful publish: ${cell(service.lastSuccessfulPublish)}`,
      ...reachLine(obj(service.reachability)),
      ...keysLine(obj(service.keys)),
      ...(typeof service.authorizedClients === "number" && service.authorizedClients > 0
        ? [`Restricted discovery: descriptors encrypted to ${service.authorizedClients} clients`]
        : []),
    ]),
  ];
  if (descriptors !== undefined) {
    lines.push(
      "",
      ...indent(formatTable(
        ["DESCRIPTOR", "PERIOD", "REVISION", "BUILT", "INTRO POINTS", "UPLOADED", "REASON"],
        descriptorRows(descriptors, obj(service.unpublishable)),
      )),
    );
    for (const slot of ["first", "second"]) {
      const d = obj(descriptors[slot]);
      if (d !== undefined) lines.push(...indent(uploadLines(slot, d)));
    }
  }
  lines.push(...indent(auditLines(obj(service.audit))));
  const instances = list(service.instances);
  lines.push(
    "",
    ...indent([
      `Backends (${instances.length}):`,
      ...indent(formatTable(
        [
          "BACKEND",
          "NAME",
          "STATE",
          "INTRO POINTS",
          "PUBLISHED",
          "INTRO SET CHANGED",
          "LAST FETCH",
          "FETCH FAILURES",
          "HEALTH",
          "REASON",
        ],
        backendRows(instances),
      )),
    ]),
  );
  return lines;
}

/**
 * The status document as text, one block per service (times are UTC, as the
 * daemon writes them).
 *
 * @param report The parsed status JSON.
 * @returns Lines ending in "\n".
 */
export function formatStatus(report: unknown): string {
  const root = obj(report);
  const lines: string[] = [];
  const consensus = obj(root?.consensus);
  if (consensus !== undefined) {
    lines.push(
      `Consensus: valid-after ${cell(consensus.validAfter)} UTC, time period ` +
        `${cell(consensus.timePeriod)} (${cell(consensus.periodLengthMinutes)} min), ` +
        `${cell(consensus.hsDirs)} v3 HSDirs`,
      "",
    );
  } else if (root !== undefined && "consensus" in root) {
    lines.push("Consensus: none yet (waiting for tor)", "");
  }
  const services = list(root?.services).map(obj).filter((s) => s !== undefined);
  if (services.length === 0) lines.push("No services (times are UTC)");
  for (const [i, service] of services.entries()) {
    if (i > 0) lines.push("");
    lines.push(...serviceLines(service));
  }
  return `${lines.join("\n")}\n`;
}
