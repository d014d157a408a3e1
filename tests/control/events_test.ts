import assert from "node:assert/strict";
import {
  type ControlEvent,
  ControlProtocolError,
  HS_DESC_REASONS,
  type HsDescEvent,
  isConsensusArrival,
  parseEvent,
  parseHsDescEvent,
  parseReplies,
  parseReply,
  unknownValues,
} from "../../src/control/mod.ts";

const VECTORS = new URL("../vectors/control/", import.meta.url);
const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";
const BLINDED = "OlC/IQ6PnulVrgAU96aRf7ZevwmKhjBau1CNGnKRttU";
const FP1 = "0123456789ABCDEF0123456789ABCDEF01234567";

async function synthesizedEvents(): Promise<ControlEvent[]> {
  const text = await Deno.readTextFile(new URL("hs-desc-events.synthesized.txt", VECTORS));
  return parseReplies(text).map(parseEvent);
}

function hsDesc(events: ControlEvent[]): HsDescEvent[] {
  return events.filter((e): e is HsDescEvent => e.type === "HS_DESC");
}

Deno.test({
  name: "parseEvent() types every HS_DESC action tor emits",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const events = hsDesc(await synthesizedEvents());
    assert.deepEqual(
      [...new Set(events.map((e) => e.action))],
      ["REQUESTED", "RECEIVED", "FAILED", "UPLOAD", "UPLOADED", "CREATED", "IGNORE", "FROBNICATED"],
    );
    const requested = events[0]!;
    assert.equal(requested.address, ADDRESS);
    assert.equal(requested.authType, "NO_AUTH");
    assert.equal(requested.hsDir, `$${FP1}~relayA`);
    assert.equal(requested.hsDirFingerprint, FP1);
    assert.equal(requested.descriptorId, BLINDED);
    assert.equal(
      requested.hsDirIndex,
      "58B8451B439EF1B9995D816DB1C5A6DEFFDEEB3B9C27113EC2B22F629F99A7F4",
    );
    assert.equal(requested.reason, undefined);
  },
});

Deno.test({
  name: "parseEvent() reads every REASON of HS_DESC FAILED",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const reasons = hsDesc(await synthesizedEvents())
      .filter((e) => e.action === "FAILED")
      .map((e) => e.reason);
    for (const reason of HS_DESC_REASONS) assert.ok(reasons.includes(reason), reason);
  },
});

Deno.test({
  name: "parseEvent() reads UPLOADED without a descriptor id and CREATED with UNKNOWN fields",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const events = hsDesc(await synthesizedEvents());
    const uploaded = events.find((e) => e.action === "UPLOADED")!;
    assert.equal(uploaded.descriptorId, undefined);
    assert.equal(uploaded.authType, "UNKNOWN");
    assert.equal(uploaded.hsDirFingerprint, FP1);
    const created = events.filter((e) => e.action === "CREATED");
    assert.equal(created[0]?.hsDir, undefined);
    assert.equal(created[0]?.hsDirFingerprint, undefined);
    assert.equal(created[1]?.replica, 1);
    const noHsDir = events.find((e) => e.reason === "QUERY_NO_HSDIR")!;
    assert.equal(noHsDir.hsDir, undefined);
  },
});

Deno.test({
  name: "parseEvent() keeps unknown HS_DESC actions, reasons and keywords",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const odd = hsDesc(await synthesizedEvents()).find((e) => e.action === "FROBNICATED")!;
    assert.equal(odd.reason, "NEW_REASON");
    assert.deepEqual([...odd.extra], [["FUTURE_FIELD", "1"]]);
    assert.deepEqual(unknownValues(odd), [
      'HS_DESC action "FROBNICATED"',
      'HS_DESC reason "NEW_REASON"',
      'HS_DESC keyword "FUTURE_FIELD"',
    ]);
  },
});

Deno.test({
  name: "parseEvent() gives HS_DESC_CONTENT's descriptor dot-unstuffed, or undefined when empty",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const contents = (await synthesizedEvents()).filter((e) => e.type === "HS_DESC_CONTENT");
    assert.equal(contents.length, 2);
    const [ok, failed] = contents;
    assert.ok(ok?.type === "HS_DESC_CONTENT" && failed?.type === "HS_DESC_CONTENT");
    assert.equal(
      ok.descriptor,
      "hs-descriptor 3\ndescriptor-lifetime 180\n.line that starts with a dot\n",
    );
    assert.equal(ok.address, ADDRESS);
    assert.equal(ok.descriptorId, BLINDED);
    assert.equal(ok.hsDirFingerprint, FP1);
    assert.equal(failed.descriptor, undefined);
  },
});

Deno.test({
  name: "isConsensusArrival() accepts STATUS_CLIENT CONSENSUS_ARRIVED and NEWCONSENSUS only",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const events = await synthesizedEvents();
    const arrivals = events.filter(isConsensusArrival);
    assert.deepEqual(arrivals.map((e) => e.type), ["STATUS_CLIENT", "NEWCONSENSUS"]);
    const newConsensus = arrivals[1];
    assert.ok(newConsensus?.type === "NEWCONSENSUS");
    assert.match(newConsensus.body, /^r relay1 /);
    const bootstrap = events.find((e) => e.type === "STATUS_CLIENT" && e.action === "BOOTSTRAP");
    assert.ok(bootstrap?.type === "STATUS_CLIENT");
    assert.equal(bootstrap.arguments.get("SUMMARY"), "Done");
  },
});

Deno.test("parseEvent() returns other events raw, e.g. the captured CONF_CHANGED", () => {
  const event = parseEvent(
    parseReply(
      "650-CONF_CHANGED\r\n650-MaxCircuitDirtiness=700\r\n650-NumEntryGuards=2\r\n650 OK\r\n",
    ),
  );
  assert.equal(event.type, "OTHER");
  assert.ok(event.type === "OTHER");
  assert.equal(event.keyword, "CONF_CHANGED");
  assert.equal(event.reply.lines.length, 4);
});

Deno.test("parseHsDescEvent() accepts the $FP=nick form of older tors", () => {
  const event = parseHsDescEvent(
    parseReply(`650 HS_DESC RECEIVED ${ADDRESS} NO_AUTH $${FP1}=named ${BLINDED}\r\n`),
  );
  assert.equal(event.hsDirFingerprint, FP1);
});

Deno.test("parseHsDescEvent() rejects an event with fewer than four fields", () => {
  assert.throws(
    () => parseHsDescEvent(parseReply(`650 HS_DESC RECEIVED ${ADDRESS} NO_AUTH\r\n`)),
    ControlProtocolError,
  );
});

Deno.test("parseEvent() rejects HS_DESC_CONTENT without a data block", () => {
  assert.throws(
    () => parseEvent(parseReply(`650 HS_DESC_CONTENT ${ADDRESS} ${BLINDED} $${FP1}~x\r\n`)),
    ControlProtocolError,
  );
});
