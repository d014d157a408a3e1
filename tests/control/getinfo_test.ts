import assert from "node:assert/strict";
import {
  ControlOperationFailed,
  ControlProtocolError,
  type ControlRequester,
  getAllMicrodescs,
  getBootstrapPhase,
  getInfo,
  getMicrodescConsensus,
  getSocksListeners,
  getVersion,
  parseGetInfoReply,
  parseReplies,
  parseReply,
  type Reply,
} from "../../src/control/mod.ts";

const VECTORS = new URL("../vectors/control/", import.meta.url);

/** A requester that answers from canned replies and records the commands. */
function canned(replies: Record<string, string>): ControlRequester & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    request(command: string): Promise<Reply> {
      sent.push(command);
      const text = replies[command];
      if (text === undefined) return Promise.reject(new Error(`unexpected ${command}`));
      const reply = parseReply(text);
      if (reply.status >= 400) {
        const line = reply.lines[0]?.text ?? "";
        return Promise.reject(new ControlOperationFailed(reply.status, line, line));
      }
      return Promise.resolve(reply);
    },
  };
}

Deno.test({
  name: "parseGetInfoReply() reads one-line and data-block values from the captured session",
  permissions: { read: [VECTORS] },
  fn: async () => {
    const text = await Deno.readTextFile(
      new URL("tor-0.4.9.11-safecookie-session.server.txt", VECTORS),
    );
    const reply = parseReplies(text).find((r) =>
      r.lines.length === 4 && r.lines[2]?.divider === "+"
    )!;
    const values = parseGetInfoReply(reply);
    assert.deepEqual([...values.keys()], ["version", "status/bootstrap-phase", "config-text"]);
    assert.equal(values.get("version"), "0.4.9.11");
    assert.match(values.get("config-text")!, /^ControlPort auto\n/);
    assert.ok(values.get("config-text")!.endsWith("SocksPort 0\n"));
  },
});

Deno.test("getInfo() sends all keys in one command and returns exactly them", async () => {
  const client = canned({
    "GETINFO version md/all": "250-version=0.4.9.11\r\n250-md/all=\r\n250 OK\r\n",
  });
  const values = await getInfo(client, ["version", "md/all"]);
  assert.deepEqual([...values], [["version", "0.4.9.11"], ["md/all", ""]]);
});

Deno.test("getInfo() surfaces tor's 552 for an unknown key", async () => {
  const client = canned({
    "GETINFO version nonexistent/key": '552 Unrecognized key "nonexistent/key"\r\n',
  });
  await assert.rejects(getInfo(client, ["version", "nonexistent/key"]), (error) => {
    assert.ok(error instanceof ControlOperationFailed);
    assert.equal(error.code, 552);
    return true;
  });
});

Deno.test("getInfo() rejects a reply that lacks a requested key", async () => {
  const client = canned({ "GETINFO version": "250-other=1\r\n250 OK\r\n" });
  await assert.rejects(getInfo(client, ["version"]), ControlProtocolError);
});

Deno.test("getInfo() rejects no keys and keys with spaces or line breaks", async () => {
  const client = canned({});
  await assert.rejects(getInfo(client, []), TypeError);
  await assert.rejects(getInfo(client, ["version md/all"]), TypeError);
  await assert.rejects(getInfo(client, ["version\r\nSIGNAL HALT"]), TypeError);
  assert.deepEqual(client.sent, []);
});

Deno.test("typed GETINFO helpers parse version, bootstrap phase, listeners and documents", async () => {
  const client = canned({
    "GETINFO version": "250-version=0.4.9.11\r\n250 OK\r\n",
    "GETINFO status/bootstrap-phase":
      '250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"\r\n250 OK\r\n',
    "GETINFO net/listeners/socks":
      '250-net/listeners/socks="127.0.0.1:9050" "unix:/run/tor/socks"\r\n250 OK\r\n',
    "GETINFO dir/status-vote/current/consensus-microdesc":
      "250+dir/status-vote/current/consensus-microdesc=\r\nnetwork-status-version 3 microdesc\r\n.\r\n250 OK\r\n",
    "GETINFO md/all": "250+md/all=\r\nonion-key\r\nntor-onion-key x\r\n.\r\n250 OK\r\n",
  });
  assert.equal(await getVersion(client), "0.4.9.11");
  const phase = await getBootstrapPhase(client);
  assert.deepEqual([phase.severity, phase.progress, phase.tag, phase.summary], [
    "NOTICE",
    100,
    "done",
    "Done",
  ]);
  assert.deepEqual(await getSocksListeners(client), ["127.0.0.1:9050", "unix:/run/tor/socks"]);
  assert.equal(await getMicrodescConsensus(client), "network-status-version 3 microdesc\n");
  assert.equal(await getAllMicrodescs(client), "onion-key\nntor-onion-key x\n");
});

Deno.test("getSocksListeners() returns no listener for an empty value", async () => {
  const client = canned({
    "GETINFO net/listeners/socks": "250-net/listeners/socks=\r\n250 OK\r\n",
  });
  assert.deepEqual(await getSocksListeners(client), []);
});
