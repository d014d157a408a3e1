/**
 * The summary `onionbalance config` prints once a deployment is written: each
 * service with its key, bundle, clients and backends, and what to do next
 * with the parts that must leave the folder (`offline/`, `clients/`).
 *
 * Spec: none (OnionBalance's generator prints the paths it wrote).
 *
 * Role: pure text building from a written plan. It names addresses (public)
 * and file names, never key material.
 *
 * @module
 */

import { LAYOUT, type PlannedService } from "./layout.ts";
import type { DeploymentPlan } from "./plan.ts";
import type { WriteReport } from "./write.ts";

function serviceLines(s: PlannedService): string[] {
  const origin = s.imported ? "imported" : "new";
  const encrypted = s.encrypted ? ", encrypted" : "";
  const lines = [
    `  service ${s.index}: ${s.address} (key ${s.keyFile}, ${origin}, ${s.keyFormat} format${encrypted})`,
  ];
  if (s.bundle !== undefined) {
    lines.push(`    offline key bundle ${s.bundle.file}: ${s.bundle.span}`);
  }
  if (s.clients !== undefined) {
    const { names, dir } = s.clients;
    const folders = names.length === 1
      ? `${LAYOUT.clientsDir}/${names[0]}/`
      : `${LAYOUT.clientsDir}/${names[0]}/ to ${LAYOUT.clientsDir}/${names[names.length - 1]}/`;
    lines.push(`    ${names.length} client(s): ${folders} (public keys in ${dir}/)`);
  }
  for (const b of s.backends) {
    const restricted = b.clientKey === undefined ? "" : ", restricted";
    lines.push(
      b.kind === "generated"
        ? `    ${b.name}: ${b.address} (folder ${b.name}/${restricted})`
        : `    ${b.name}: ${b.address} (existing: its ob_config must name ${s.address})`,
    );
  }
  return lines;
}

/** The next steps for the parts that must leave the folder, and the unrestricted backends. */
function noteLines(dir: string, services: readonly PlannedService[]): string[] {
  const lines: string[] = [];
  if (services.some((s) => s.bundle !== undefined)) {
    lines.push(
      `Move ${dir}${LAYOUT.offlineDir}/ to the isolated machine and delete it here; renew the ` +
        "bundles before they run out (see README.md).",
    );
  }
  if (services.some((s) => s.clients !== undefined)) {
    lines.push(
      `Give each ${dir}${LAYOUT.clientsDir}/<client>/ to its one person and delete it here: the ` +
        ".auth_private files are their secret keys (see README.md).",
    );
  }
  const unrestricted = services
    .filter((s) => s.backends.some((b) => b.clientKey !== undefined))
    .flatMap((s) => s.backends.filter((b) => b.kind === "adopted").map((b) => b.name));
  if (unrestricted.length > 0) {
    lines.push(
      `Note: the existing backend(s) ${unrestricted.join(", ")} are not restricted to the ` +
        "balancer's key: their folders are not ours to write (see README.md).",
    );
  }
  return lines;
}

/**
 * The summary of a written deployment.
 *
 * @param output The output folder as the operator gave it.
 * @param plan The plan that was written.
 * @param report What writing it did (whether the folder was created).
 * @returns The text, one line per item, ending with a newline.
 */
export function deploymentSummary(
  output: string,
  plan: DeploymentPlan,
  report: Pick<WriteReport, "createdOutput">,
): string {
  const dir = output.endsWith("/") ? output : `${output}/`;
  const lines = [
    `${
      report.createdOutput ? "Created" : "Wrote"
    } the deployment in ${dir} (see ${dir}${LAYOUT.readme}):`,
    ...plan.services.flatMap(serviceLines),
    ...noteLines(dir, plan.services),
  ];
  return `${lines.join("\n")}\n`;
}
