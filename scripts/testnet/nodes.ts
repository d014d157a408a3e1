/**
 * The core nodes of a test network: key generation (in parallel), torrc files, and launching a
 * set of nodes while recording each PID in the state file.
 *
 * Role: used by `network.ts` (and `backends.ts` for {@link nodeDir}). Writes only inside the
 * network folder.
 *
 * @module
 */

import type { PortPlan } from "./ports.ts";
import { addProcess, type NodeInfo } from "./state.ts";
import { emptyFile, launchTor, makeAuthorityKeys, makeRelayKeys } from "./tor_process.ts";
import {
  type AuthorityEntry,
  authorityTorrc,
  clientTorrc,
  frontendTorrc,
  relayTorrc,
} from "./torrc.ts";

/** Number of directory authorities. */
export const AUTHORITIES = 3;

/** What {@link makeNodes} needs besides the folder and the ports. */
export interface MakeNodesOptions {
  relays: number;
  consensusParams?: Readonly<Record<string, number>>;
  /** `V3AuthVotingInterval` in seconds (default 20). */
  votingIntervalSeconds?: number;
  ownerPid?: number;
  /** Every core tor (authorities, relays, client, frontend) also logs at this level (`<level>.log`). */
  extraLogs?: "info" | "debug";
}

/** The data directory of the node `name` of the network in `dir`. */
export function nodeDir(dir: string, name: string): string {
  return `${dir}/nodes/${name}`;
}

/**
 * Step 1 of the boot: makes the authorities' keys (in parallel) and writes every core node's
 * data directory and torrc.
 *
 * @returns The nodes, and the authorities for the `DirAuthority` lines of later nodes.
 */
export async function makeNodes(
  dir: string,
  ports: PortPlan,
  options: MakeNodesOptions,
): Promise<{ nodes: NodeInfo[]; authorities: AuthorityEntry[] }> {
  const empty = await emptyFile(dir);
  const authorities = await makeAuthorities(dir, ports, empty);
  const common = (name: string) => ({
    nickname: name,
    dataDir: nodeDir(dir, name),
    authorities,
    emptyFile: empty,
    ownerPid: options.ownerPid,
    extraLog: options.extraLogs,
  });
  const nodes: { info: NodeInfo; torrc: string }[] = authorities.map((a, i) => ({
    info: node(dir, a.nickname, "authority", ports.authority(i)),
    torrc: authorityTorrc({
      ...common(a.nickname),
      ports: ports.authority(i),
      consensusParams: options.consensusParams,
      votingIntervalSeconds: options.votingIntervalSeconds,
    }),
  }));
  // Relays make their own keys when they start: nobody needs their fingerprints beforehand.
  for (let j = 0; j < options.relays; j++) {
    nodes.push({
      info: node(dir, `relay${j}`, "relay", ports.relay(j)),
      torrc: relayTorrc({ ...common(`relay${j}`), ports: ports.relay(j) }),
    });
  }
  const socksPort = ports.clientSocksPort;
  const controlPort = ports.clientControlPort;
  nodes.push({
    info: node(dir, "client", "client", { socksPort, controlPort }),
    torrc: clientTorrc({ ...common("client"), socksPort, controlPort }),
  });
  nodes.push({
    info: node(dir, "frontend", "frontend", { controlPort: ports.frontendControlPort }),
    torrc: frontendTorrc({
      ...common("frontend"),
      controlPort: ports.frontendControlPort,
      socksPort: ports.frontendSocksPort,
    }),
  });
  for (const { info, torrc } of nodes) {
    await Deno.mkdir(info.dataDir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(info.torrc, torrc);
  }
  return { nodes: nodes.map((n) => n.info), authorities };
}

/** The authorities' v3 keys (`tor-gencert`) and relay identity keys, all in parallel. */
function makeAuthorities(dir: string, ports: PortPlan, empty: string): Promise<AuthorityEntry[]> {
  return Promise.all(Array.from({ length: AUTHORITIES }, async (_, i) => {
    const nickname = `auth${i}`;
    const { orPort, dirPort } = ports.authority(i);
    const dataDir = nodeDir(dir, nickname);
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const v3ident = await makeAuthorityKeys(dataDir, dirPort);
    const fingerprint = await makeRelayKeys(dataDir, { nickname, orPort, emptyFile: empty });
    return { nickname, orPort, dirPort, v3ident, fingerprint };
  }));
}

function node(
  dir: string,
  name: string,
  role: NodeInfo["role"],
  ports: Partial<NodeInfo>,
): NodeInfo {
  const dataDir = nodeDir(dir, name);
  return { name, role, dataDir, torrc: `${dataDir}/torrc`, ...ports };
}

/** Launches nodes in parallel, recording each PID as soon as it is known. */
export async function launchAll(dir: string, nodes: readonly NodeInfo[]): Promise<void> {
  const empty = `${dir}/empty`;
  const results = await Promise.allSettled(nodes.map(async (n) => {
    const record = await launchTor(n.name, {
      torrc: n.torrc,
      emptyFile: empty,
      dataDir: n.dataDir,
    });
    await addProcess(dir, record);
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}
