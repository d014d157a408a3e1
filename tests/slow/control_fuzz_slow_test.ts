/**
 * Fuzzing of everything that parses Tor control-port traffic, with fast-check: mutated
 * transcripts at byte level through the {@link ReplyFramer} in random chunks, endless lines and
 * replies against the framer's limits, mutated transcript text and mutated replies through every
 * reply and event parser, and mutated sessions through a `ControlConnection` and a
 * `ControlClient` on a fake socket. Every input must frame and parse, fail with the errors
 * of `src/control/errors.ts`, or end as an ignored event: never another exception, never a hang
 * (each input is timed, and each async one has a deadline), and never a buffer beyond the
 * framer's limits.
 *
 * Spec: control-spec §2.3 "Replies from Tor to the controller", §2.4 "General-use tokens"
 * (CmdData dot-stuffing, QuotedString), §3.9 GETINFO, §3.21 PROTOCOLINFO, §3.24 AUTHCHALLENGE,
 * §3.26 HSFETCH, §3.29 HSPOST, §4.1 "Asynchronous events" (4.1.10 STATUS_CLIENT, 4.1.25 HS_DESC,
 * 4.1.26 HS_DESC_CONTENT). <https://spec.torproject.org/control-spec/>
 *
 * Seeds: the sessions captured from tor 0.4.9.11 and the synthesized HS_DESC events of
 * `tests/vectors/control/`, and transcripts written from control-spec (`HAND`).
 *
 * Seed and size: FUZZ_SEED (default 20300101) and FUZZ_SCALE (default 1, the CI size: 100,000+
 * inputs). A failure prints fast-check's seed and path. Each case counts its own inputs and
 * outcomes, so any one runs alone (`--filter`); {@link RUNS} is the plan they follow.
 *
 * Layout: this file holds the cases; the seeds are in `_control_fuzz_seeds.ts`, the mutations in
 * `_control_fuzz_mutations.ts`, the plan and the counting in `_control_fuzz_harness.ts`, what one
 * input goes through in `_control_fuzz_drivers.ts`, and the fake socket in
 * `../control/_fake_tor_socket.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  authenticate,
  checkTorVersion,
  chooseAuthMethod,
  ControlProtocolError,
  getAllMicrodescs,
  getBootstrapPhase,
  getSocksListeners,
  getVersion,
  parseEvent,
  parseGetInfoReply,
  parseHsDescContentEvent,
  parseHsDescEvent,
  parseProtocolInfo,
  parseReplies,
  parseReply,
  parseStatusClientEvent,
  type Reply,
  ReplyFramer,
  requestProtocolInfo,
} from "../../src/control/mod.ts";
import {
  answering,
  frame,
  parseTyped,
  runConnection,
  runSession,
} from "./_control_fuzz_drivers.ts";
import {
  count,
  describe,
  type FuzzCase,
  newStats,
  outcome,
  outcomeAsync,
  params,
  plannedInputs,
  report,
  RUNS,
  runs,
  timed,
  timedAsync,
  total,
  typed,
} from "./_control_fuzz_harness.ts";
import { assertPlannedTotal } from "./_fuzz_plan.ts";
import {
  BYTE_KINDS,
  byteMutations,
  chunk,
  chunkSizes,
  type EndlessShape,
  endlessStream,
  expectedFailure,
  mutateBytes,
  mutateReply,
  mutateTranscript,
  mutationOf,
  REPLY_KINDS,
  streamSlice,
  TEXT_KINDS,
} from "./_control_fuzz_mutations.ts";
import {
  ADDRESS,
  AUTHCHALLENGE_INDEX,
  BLINDED,
  CLIENT_NONCE,
  COOKIE_PATH,
  DESCRIPTOR,
  FP_A,
  FP_B,
  REQUESTS_PER_SEED,
  SAFECOOKIE_INFO,
  SEED_REPLIES,
  SESSION,
  SESSION_KEYWORDS,
  TRANSCRIPT_BYTES,
  TRANSCRIPTS,
  utf8,
} from "./_control_fuzz_seeds.ts";

// ---------------------------------------------------------------------------------------------
// The framer

Deno.test("fuzz: mutated transcripts through ReplyFramer in random chunks give only typed errors", () => {
  const stats = newStats();
  const seedArb = fc.nat({ max: TRANSCRIPTS.length - 1 });
  fc.assert(
    fc.property(seedArb, byteMutations, chunkSizes, (index, ms, sizes) =>
      timed(stats, () => {
        const bytes = ms.reduce(mutateBytes, TRANSCRIPT_BYTES[index]!);
        const whole = frame([bytes]);
        const chunked = frame(chunk(bytes, sizes));
        // Framing does not depend on how the bytes are split, except that a line growing too
        // long is caught in chunks before a bare LF at its end is seen.
        if (whole.error === undefined) {
          assert.equal(chunked.error, undefined, `only chunked failed: ${chunked.error?.message}`);
          assert.equal(JSON.stringify(chunked.replies), JSON.stringify(whole.replies));
          assert.equal(chunked.pending, whole.pending);
        } else if (
          !(whole.error.kind === "BareLineFeed" && chunked.error?.kind === "LineTooLong")
        ) {
          assert.equal(chunked.error?.kind, whole.error.kind);
        }
        count(
          stats,
          `framer: ${whole.error ? typed(whole.error, [ControlProtocolError], "") : "ok"}`,
        );
        for (const reply of whole.replies) parseTyped(reply, stats);
      })),
    params(runs(RUNS.framer)),
  );
  const kinds = ["MalformedLine", "BareLineFeed", "MixedStatus", "LineTooLong", "ReplyTooLarge"];
  report("framer", stats, [
    "framer: ok",
    ...kinds.map((kind) => `framer: ControlProtocolError/${kind}`),
    ...["event: ok", "event: ControlProtocolError/MalformedReply", "tokens: ok", "getinfo: ok"],
    "protocolinfo: ok",
  ]);
  assert.equal(total(stats, "framer: "), stats.inputs, "framer: one outcome per input");
});

Deno.test("fuzz: endless lines, replies and data blocks fail exactly at the framer's limits", () => {
  const stats = newStats();
  // Limits below 80 bytes half the time, so that the units (7 to 66 bytes) cross them too.
  const limit = (max: number) =>
    fc.oneof(fc.integer({ min: 16, max: 80 }), fc.integer({ min: 81, max }));
  const limitsArb = fc.record({ maxLineBytes: limit(2048), maxReplyBytes: limit(8192) });
  const shapeArb = fc.constantFrom<EndlessShape>("line", "reply", "data", "events");
  const fillArb = fc.uint8Array({ minLength: 1, maxLength: 60, size: "max" })
    .map((bytes) => bytes.map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b)));
  const size = fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 2048 }));
  const sizesArb = fc.array(size, { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(
      shapeArb,
      limitsArb,
      fillArb,
      sizesArb,
      (shape, limits, fill, sizes) =>
        timed(stats, () => {
          const { header, unit } = endlessStream(shape, fill);
          const expected = expectedFailure(shape, header.length, unit.length, limits);
          // Complete replies are fed until more than both limits have gone through.
          const budget = expected?.at ?? limits.maxReplyBytes + limits.maxLineBytes + unit.length;
          const framer = new ReplyFramer(limits);
          let [before, fed, error] = [0, 0, undefined as unknown];
          for (let i = 0; fed < budget && error === undefined; i++) {
            const piece = streamSlice(header, unit, fed, sizes[i % sizes.length]!);
            [before, fed] = [fed, fed + piece.length];
            try {
              framer.push(piece);
            } catch (caught) {
              error = caught;
              typed(error, [ControlProtocolError], "ReplyFramer.push()");
              break;
            }
            assert.ok(framer.pendingBytes <= limits.maxLineBytes + limits.maxReplyBytes);
          }
          if (expected === undefined) {
            assert.equal(error, undefined, `complete replies failed: ${describe(error)}`);
            assert.ok(framer.pendingBytes < unit.length, "complete replies stay buffered");
            return count(stats, `${shape}: ok`);
          }
          assert.ok(error instanceof ControlProtocolError, `${shape}: no error by ${fed} bytes`);
          assert.equal(error.kind, expected.kind);
          // Not before the limit, and in the chunk that crosses it.
          assert.ok(before < expected.at && expected.at <= fed, `${shape}: failed at ${fed}`);
          count(stats, `${shape}: ${error.kind}`);
        }),
    ),
    params(runs(RUNS.endless)),
  );
  report("endless", stats, [
    ...["line: LineTooLong", "reply: LineTooLong", "reply: ReplyTooLarge", "data: LineTooLong"],
    ...["data: ReplyTooLarge", "events: ok", "events: LineTooLong", "events: ReplyTooLarge"],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Mutated text and mutated replies

Deno.test("fuzz: mutated transcript text through parseReplies() and every parser gives only typed errors", () => {
  const stats = newStats();
  const seedArb = fc.nat({ max: TRANSCRIPTS.length - 1 });
  const mutations = fc.array(mutationOf(TEXT_KINDS), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(seedArb, mutations, (index, ms) =>
      timed(stats, () => {
        const text = ms.reduce(mutateTranscript, TRANSCRIPTS[index]!);
        let replies: Reply[];
        try {
          replies = parseReplies(text);
        } catch (error) {
          count(stats, `parseReplies: ${typed(error, [ControlProtocolError], "parseReplies()")}`);
          return;
        }
        count(stats, "parseReplies: ok");
        // parseReply() agrees: the one reply, or MalformedReply for any other number.
        if (replies.length === 1) assert.deepEqual(parseReply(text), replies[0]);
        else {
          const kind = (e: unknown) => e instanceof ControlProtocolError && e.kind;
          assert.throws(() => parseReply(text), (e) => kind(e) === "MalformedReply");
        }
        for (const reply of replies) parseTyped(reply, stats);
      })),
    params(runs(RUNS.text)),
  );
  const error = (kind: string) => `ControlProtocolError/${kind}`;
  report("text", stats, [
    "parseReplies: ok",
    ...["MalformedLine", "MalformedReply", "MixedStatus", "BareLineFeed"].map((kind) =>
      `parseReplies: ${error(kind)}`
    ),
    ...[
      "event: ok",
      `event: ${error("MalformedReply")}`,
      `event: ${error("MalformedQuotedString")}`,
    ],
    ...["tokens: ok", `tokens: ${error("MalformedQuotedString")}`],
    ...["getinfo: ok", `getinfo: ${error("MalformedReply")}`],
    ...["protocolinfo: ok", `protocolinfo: ${error("MalformedReply")}`],
  ]);
  assert.equal(total(stats, "parseReplies: "), stats.inputs, "text: one outcome per input");
});

Deno.test("fuzz: mutated replies through the event, GETINFO, PROTOCOLINFO and AUTHCHALLENGE parsers give only typed errors", async () => {
  const stats = newStats();
  // One run in ten mutates the AUTHCHALLENGE reply, which only authenticate() reads.
  const seedArb = fc.oneof(
    { arbitrary: fc.nat({ max: SEED_REPLIES.length - 1 }), weight: 9 },
    { arbitrary: fc.constant(AUTHCHALLENGE_INDEX), weight: 1 },
  );
  const mutations = fc.array(mutationOf(REPLY_KINDS), { minLength: 1, maxLength: 4 });
  const safeCookie = { cookieFile: COOKIE_PATH, rng: (n: number) => CLIENT_NONCE.slice(0, n) };
  await fc.assert(
    fc.asyncProperty(seedArb, mutations, (index, ms) =>
      timedAsync(stats, async () => {
        const reply = ms.reduce(mutateReply, SEED_REPLIES[index]!);
        outcome(stats, "event", () => parseEvent(reply));
        outcome(stats, "hs_desc", () => parseHsDescEvent(reply));
        outcome(stats, "hs_desc_content", () => parseHsDescContentEvent(reply));
        outcome(stats, "status_client", () => parseStatusClientEvent(reply));
        outcome(stats, "getinfo", () => parseGetInfoReply(reply));
        outcome(stats, "protocolinfo", () => parseProtocolInfo(reply));
        // A connection hands requests 2xx replies only (others become ControlOperationFailed).
        if (reply.status < 200 || reply.status > 299) return count(stats, "helpers: not 2xx");
        const tor = answering(reply);
        await outcomeAsync(stats, "getVersion", async () => checkTorVersion(await getVersion(tor)));
        await outcomeAsync(stats, "getBootstrapPhase", () => getBootstrapPhase(tor));
        await outcomeAsync(stats, "getSocksListeners", () => getSocksListeners(tor));
        await outcomeAsync(stats, "getAllMicrodescs", () => getAllMicrodescs(tor));
        await outcomeAsync(stats, "requestProtocolInfo", async () => {
          const info = await requestProtocolInfo(tor, { name: "fuzz" });
          checkTorVersion(info.torVersion);
          chooseAuthMethod(info);
        });
        if (index !== AUTHCHALLENGE_INDEX) return;
        await outcomeAsync(stats, "authenticate", () =>
          authenticate(tor, SAFECOOKIE_INFO, safeCookie));
      })),
    params(runs(RUNS.replies)),
  );
  const malformed = "ControlProtocolError/MalformedReply";
  report("replies", stats, [
    ...["event", "hs_desc", "hs_desc_content", "status_client", "getinfo", "protocolinfo"].map(
      (parser) => `${parser}: ok`,
    ),
    ...["getVersion", "getBootstrapPhase", "getSocksListeners", "getAllMicrodescs"].flatMap(
      (helper) => [`${helper}: ok`, `${helper}: ${malformed}`],
    ),
    "requestProtocolInfo: ok",
    "requestProtocolInfo: ControlProtocolError/NotTorControlPort",
    ...["authenticate: ok", `authenticate: ${malformed}`],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Through a ControlConnection and a ControlClient

Deno.test("fuzz: mutated transcripts through a ControlConnection settle every request typed, never hang", async () => {
  const stats = newStats();
  const seedArb = fc.nat({ max: TRANSCRIPTS.length - 1 });
  const endArb = fc.noBias(fc.nat({ max: 15 }));
  await fc.assert(
    fc.asyncProperty(
      seedArb,
      byteMutations,
      chunkSizes,
      endArb,
      (index, ms, sizes, end) =>
        timedAsync(stats, () => {
          const bytes = ms.reduce(mutateBytes, TRANSCRIPT_BYTES[index]!);
          // One run in 16 ends with a silent tor instead of EOF: requests meet their deadline.
          return runConnection(chunk(bytes, sizes), REQUESTS_PER_SEED[index]!, end === 0, stats);
        }),
    ),
    params(runs(RUNS.connection)),
  );
  const protocol = ["MalformedLine", "BareLineFeed", "MixedStatus", "LineTooLong", "ReplyTooLarge"];
  report("connection", stats, [
    ...["request: reply", "request: ControlOperationFailed", "request: ControlSocketClosed"],
    "request: ControlTimeoutError",
    ...protocol.map((kind) => `request: ControlProtocolError/${kind}`),
    ...["closed: ControlSocketClosed", "closed: ControlProtocolError/UnexpectedReply"],
    ...["event: ok", "event: ControlProtocolError/MalformedReply"],
  ]);
});

Deno.test("fuzz: mutated tor answers through a ControlClient session end every step typed, never hang", async () => {
  const stats = newStats();
  // Each mutation goes to the answer to one command.
  const targeted = fc.array(
    fc.tuple(fc.nat({ max: SESSION_KEYWORDS.length - 1 }), mutationOf(BYTE_KINDS)),
    { minLength: 1, maxLength: 3 },
  );
  await fc.assert(
    fc.asyncProperty(targeted, chunkSizes, (ms, sizes) =>
      timedAsync(stats, async () => {
        const responses = new Map(SESSION_KEYWORDS.map((keyword, k) => {
          const mine = ms.filter(([target]) => target === k).map(([, m]) => m);
          return [keyword, chunk(mine.reduce(mutateBytes, utf8(SESSION[keyword]!)), sizes)];
        }));
        await runSession(responses, stats);
      })),
    params(runs(RUNS.client)),
  );
  const steps = ["connect", "subscribe", "getInfo", "getBootstrapPhase", "hsFetch", "hsPost"];
  report("client", stats, [
    ...[...steps, "signal"].map((step) => `${step}: ok`),
    ...steps.map((step) => `${step}: ControlSocketClosed`),
    "connect: ControlProtocolError/NotTorControlPort",
    "connect: ControlAuthError/NoUsableMethod",
    "getInfo: ControlProtocolError/MalformedReply",
    ...["event: ok", "event: ControlProtocolError/MalformedReply"],
  ]);
  assert.equal(total(stats, "connect: "), stats.inputs, "client: one connect per input");
});

Deno.test("fuzz: the unmutated seeds frame, parse and complete a client session", async () => {
  for (const text of TRANSCRIPTS) assert.ok(parseReplies(text).length > 0);
  const stats = newStats();
  const responses = new Map(SESSION_KEYWORDS.map((k) => [k, [utf8(SESSION[k]!)]]));
  const results = await runSession(responses, stats);
  const failed = [...stats.outcomes.keys()].filter((key) => !key.endsWith(": ok"));
  assert.deepEqual(failed, [], "every step of the unmutated session succeeds");
  assert.deepEqual(results.get("hsFetch"), {
    address: ADDRESS,
    outcomes: [
      { hsDir: FP_A, ok: true, descriptor: DESCRIPTOR, descriptorId: BLINDED },
      { hsDir: FP_B, ok: false, reason: "NOT_FOUND" },
    ],
  });
  assert.deepEqual(results.get("hsPost"), { hsDir: FP_A, status: "uploaded" });
});

Deno.test("fuzz: totals: the cases' plans add up to 100,000+ inputs at FUZZ_SCALE 1", () => {
  assertPlannedTotal(Object.keys(RUNS) as FuzzCase[], plannedInputs);
});
