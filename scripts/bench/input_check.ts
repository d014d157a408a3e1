/**
 * Checks a bench input folder before anything is timed, and says what is in it: a folder made
 * by hand (a real consensus, descriptors another implementation built) must fail here with a
 * sentence naming the file and the reason, not halfway through a run with a stack trace, and
 * the report must describe the inputs as they are, not as the generator's options say.
 *
 * What it checks (format in `scripts/bench/README.md`):
 * - every file the manifest names exists;
 * - the consensus parses and the clock (`clock.json`) is within its validity, and so is the
 *   next hour's clock for the next consensus;
 * - every backend descriptor (and the rotated one) decodes, verifies and decrypts with its
 *   address at the clock, as the balancer would take it from its tor; every set names known
 *   backends;
 * - the shared-hosting frontends' keys exist.
 *
 * What it reports: relays, HSDir-flagged relays, relays without a microdescriptor, and per
 * backend descriptor the intro points, `flow-control`, `auth-client` lines and size.
 *
 * @module
 */

import { NetworkView } from "../../src/balancer/network.ts";
import { decodeHsDesc } from "../../src/netdoc/hsdesc/mod.ts";
import { parseOnionAddress } from "../../src/keys/mod.ts";
import { type InputManifest, readInputs } from "./generate.ts";

/** What an input folder holds, as read (not as its manifest's options claim). */
export interface InputFacts {
  /** Relays in the consensus; of those, with the HSDir flag; without a microdescriptor. */
  relays: number;
  hsDirFlag: number;
  relaysWithoutMicrodesc: number;
  /** Set sizes K the folder defines, ascending. */
  sets: number[];
  /** Backend descriptors: how many, and the range of each property over them. */
  descriptors: {
    count: number;
    introPoints: Range;
    authClientLines: Range;
    bytes: Range;
    /** How many advertise `flow-control`. */
    withFlowControl: number;
  };
  /** Shared-hosting frontends. */
  sharedFrontends: number;
}

/** The smallest and largest value seen. */
export interface Range {
  min: number;
  max: number;
}

/** Everything wrong with a folder, one sentence per problem. */
export class BenchInputError extends Error {
  readonly problems: readonly string[];

  constructor(dir: string, problems: readonly string[]) {
    super(
      `Cannot benchmark "${dir}": ${problems.length} problem(s) in the input folder:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "BenchInputError";
    this.problems = problems;
  }
}

/**
 * Reads and checks the folder.
 *
 * @throws {BenchInputError} Listing every problem found.
 */
export async function checkInputs(dir: string): Promise<{
  manifest: InputManifest;
  facts: InputFacts;
}> {
  const problems: string[] = [];
  let read: Awaited<ReturnType<typeof readInputs>>;
  try {
    read = await readInputs(dir);
  } catch (error) {
    throw new BenchInputError(dir, [`manifest.json or clock.json: ${messageOf(error)}`]);
  }
  const { manifest, clock } = read;
  const text = async (path: string): Promise<string | undefined> => {
    try {
      return await Deno.readTextFile(`${dir}/${path}`);
    } catch (error) {
      problems.push(`${path}: ${messageOf(error)}`);
      return undefined;
    }
  };
  const view = await viewOf(dir, ["consensus-microdesc.txt", "md-all.txt"], clock.now, problems);
  if (manifest.next === undefined) problems.push('manifest.json: no "next" (the next hour)');
  else {
    await viewOf(
      dir,
      [manifest.next.consensus, manifest.next.microdescs],
      manifest.next.now,
      problems,
    );
  }
  if (manifest.rotated === undefined) problems.push('manifest.json: no "rotated" descriptor');
  const descriptors: { introPoints: number; authClients: number; bytes: number; flow: boolean }[] =
    [];
  const toDecode = [
    ...manifest.backends.map((b) => ({ address: b.address, path: b.descriptor })),
    ...(manifest.rotated === undefined
      ? []
      : [{ address: manifest.rotated.address, path: manifest.rotated.descriptor }]),
  ];
  for (const { address, path } of toDecode) {
    const body = await text(path);
    if (body === undefined || view === undefined) continue;
    try {
      const period = view.timeline.fetch().period;
      const decoded = await decodeHsDesc(body, {
        identity: parseOnionAddress(address),
        periods: [period, period.previous(), period.next()],
        now: new Date(clock.now * 1000),
      });
      descriptors.push({
        introPoints: decoded.inner.introPoints.length,
        authClients: decoded.middle.authClients.length,
        bytes: body.length,
        flow: decoded.inner.flowControl !== undefined,
      });
    } catch (error) {
      problems.push(
        `${path} (backend ${address}): does not decode at the clock ${clock.iso}: ` +
          messageOf(error),
      );
    }
  }
  for (const b of manifest.backends) {
    if (!(await exists(`${dir}/${b.key}`))) problems.push(`${b.key}: missing (backend key)`);
  }
  if (!(await exists(`${dir}/${manifest.frontend.key}`))) {
    problems.push(`${manifest.frontend.key}: missing (frontend key)`);
  }
  const known = new Set(manifest.backends.map((b) => b.address));
  const sets = Object.keys(manifest.sets ?? {}).map(Number).sort((a, b) => a - b);
  for (const k of sets) {
    const set = manifest.sets[String(k)]!;
    if (set.length !== k || set.some((a) => !known.has(a))) {
      problems.push(`manifest.json: set "${k}" must list ${k} of the folder's backends`);
    }
  }
  if (sets.length === 0) problems.push('manifest.json: no backend sets ("sets": {"1": […]})');
  const shared = manifest.shared?.frontends ?? [];
  for (const f of shared) {
    if (!(await exists(`${dir}/${f.key}`))) problems.push(`${f.key}: missing (shared frontend)`);
  }
  if (problems.length > 0) throw new BenchInputError(dir, problems);
  const range = (values: number[]): Range => ({
    min: Math.min(...values),
    max: Math.max(...values),
  });
  return {
    manifest,
    facts: {
      relays: view!.relays.length,
      hsDirFlag: view!.relays.filter((r) => r.flags.has("HSDir")).length,
      relaysWithoutMicrodesc: view!.relaysWithoutMicrodesc,
      sets,
      descriptors: {
        count: descriptors.length,
        introPoints: range(descriptors.map((d) => d.introPoints)),
        authClientLines: range(descriptors.map((d) => d.authClients)),
        bytes: range(descriptors.map((d) => d.bytes)),
        withFlowControl: descriptors.filter((d) => d.flow).length,
      },
      sharedFrontends: shared.length,
    },
  };
}

/** The view of a consensus and its `md/all`, checked live at `nowSeconds`; undefined on a problem. */
async function viewOf(
  dir: string,
  [consensusPath, microdescPath]: [string, string],
  nowSeconds: number,
  problems: string[],
): Promise<NetworkView | undefined> {
  try {
    const consensus = await Deno.readTextFile(`${dir}/${consensusPath}`);
    const microdescs = await Deno.readTextFile(`${dir}/${microdescPath}`);
    const view = NetworkView.fromDocuments(consensus, microdescs, { isTestingNetwork: false });
    const { validAfter, validUntil } = view.consensus;
    if (nowSeconds < validAfter || nowSeconds > validUntil) {
      problems.push(
        `${consensusPath}: the clock (${iso(nowSeconds)}) is outside its validity ` +
          `(${iso(validAfter)} – ${iso(validUntil)})`,
      );
    }
    return view;
  } catch (error) {
    problems.push(`${consensusPath} / ${microdescPath}: ${messageOf(error)}`);
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
