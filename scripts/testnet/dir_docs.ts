/**
 * Just enough parsing of directory documents to tell when a private network is ready: the
 * routers of a consensus, their flags and microdescriptor digests.
 *
 * Spec: dir-spec §3.4.1 "Vote and consensus status document formats" (`valid-after`, `r`, `m`,
 * `s` items); dir-spec §5.2 for the microdescriptor URL `/tor/micro/d/<D1>-<D2>…`.
 *
 * Role: test tooling only. It checks no signatures and trusts the local authorities; the
 * project's real consensus parser belongs in `src/netdoc/`.
 *
 * @module
 */

/** One router line of a consensus with what follows it. */
export interface ConsensusRouter {
  nickname: string;
  flags: string[];
  /** The `m` digest (base64, unpadded); microdescriptor consensus only. */
  microdescDigest?: string;
}

/** What a consensus says, as far as readiness goes. */
export interface ConsensusSummary {
  validAfter: string;
  routers: ConsensusRouter[];
}

/**
 * Summarizes a consensus (ns or microdesc flavour).
 *
 * @throws {SyntaxError} When the text has no `valid-after` line.
 */
export function summarizeConsensus(text: string): ConsensusSummary {
  let validAfter: string | undefined;
  const routers: ConsensusRouter[] = [];
  let current: ConsensusRouter | undefined;
  for (const line of text.split("\n")) {
    const [keyword, ...args] = line.split(" ");
    if (keyword === "valid-after") validAfter = args.join(" ");
    else if (keyword === "r" && args[0] !== undefined) {
      current = { nickname: args[0], flags: [] };
      routers.push(current);
    } else if (keyword === "s" && current !== undefined) current.flags = args;
    else if (keyword === "m" && current !== undefined && args[0] !== undefined) {
      current.microdescDigest = args[0];
    } else if (keyword === "directory-footer") break;
  }
  if (validAfter === undefined) {
    throw new SyntaxError('Cannot read consensus: no "valid-after" line');
  }
  return { validAfter, routers };
}

/**
 * The nicknames in `wanted` that the consensus does not list with every flag in `flags`.
 *
 * @returns An empty list when every wanted router has the flags.
 */
export function missingRouters(
  summary: ConsensusSummary,
  wanted: readonly string[],
  flags: readonly string[] = [],
): string[] {
  return wanted.filter((nickname) => {
    const router = summary.routers.find((r) => r.nickname === nickname);
    return router === undefined || !flags.every((flag) => router.flags.includes(flag));
  });
}

/** The DirPort path that fetches the given microdescriptors (dir-spec §5.2). */
export function microdescPath(digests: readonly string[]): string {
  return `/tor/micro/d/${digests.join("-")}`;
}

/** How many microdescriptors a `/tor/micro/d/` answer holds. */
export function countMicrodescs(text: string): number {
  return text.split("\n").filter((line) => line.startsWith("onion-key")).length;
}
