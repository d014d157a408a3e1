/**
 * Seed material of the control-port fuzz cases (`control_fuzz_slow_test.ts`): the sessions
 * captured from tor 0.4.9.11 and the synthesized HS_DESC events of `tests/vectors/control/`,
 * transcripts written here from control-spec ({@link HAND}), the replies and request counts
 * derived from them, the SAFECOOKIE material that makes the unmutated AUTHCHALLENGE reply
 * authenticate, and what the fake tor answers in a client session ({@link SESSION}).
 *
 * Spec: control-spec §2.3 "Replies from Tor to the controller", §3.9 GETINFO, §3.21
 * PROTOCOLINFO, §3.24 AUTHCHALLENGE, §3.26 HSFETCH, §3.29 HSPOST, §4.1 "Asynchronous events".
 * <https://spec.torproject.org/control-spec/>
 *
 * Role: reads the vector files once at import (needs read permission on `tests/vectors/`);
 * writes nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { toHex } from "../../src/bytes/mod.ts";
import {
  EVENT_STATUS,
  parseReplies,
  type ProtocolInfo,
  type Reply,
  safeCookieHashes,
} from "../../src/control/mod.ts";

export const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";
export const BLINDED = "OlC/IQ6PnulVrgAU96aRf7ZevwmKhjBau1CNGnKRttU";
export const FP_A = "0123456789ABCDEF0123456789ABCDEF01234567";
export const FP_B = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";
const HSDIR_INDEX = "58B8451B439EF1B9995D816DB1C5A6DEFFDEEB3B9C27113EC2B22F629F99A7F4";
export const DESCRIPTOR = "hs-descriptor 3\ndescriptor-lifetime 180\n.a line with a leading dot\n";
/** An event to interleave between the lines of a transcript. */
export const INTERLEAVED_EVENT = "650 STATUS_CLIENT NOTICE CONSENSUS_ARRIVED";

const encoder = new TextEncoder();
export const utf8 = (text: string) => encoder.encode(text);
/** A transcript written one line per source line, as tor sends it: CRLF after every line. */
const tor = (text: string) => text.replace(/^\n/, "").replaceAll("\n", "\r\n");

const VECTORS = new URL("../vectors/control/", import.meta.url);
const CAPTURED = await Promise.all(
  [
    "tor-0.4.9.11-safecookie-session.server.txt",
    "tor-0.4.9.11-null-auth.server.txt",
    "tor-0.4.9.11-wrong-password.server.txt",
    "tor-0.4.9.11-unauthenticated.server.txt",
    "tor-0.4.9.11-protocolinfo-twice.server.txt",
    "hs-desc-events.synthesized.txt",
  ].map((file) => Deno.readTextFile(new URL(file, VECTORS))),
);

// Any 32 bytes serve as an auth cookie (control-spec §5.1): the test computes tor's SERVERHASH
// from them, so the unmutated AUTHCHALLENGE reply below authenticates. The slow task may not
// write a cookie file, so it borrows a 32-byte vector file (two "PROTOCOLINFO 1" lines).
export const COOKIE_PATH = new URL("tor-0.4.9.11-protocolinfo-twice.client.txt", VECTORS).pathname;
const COOKIE = await Deno.readFile(COOKIE_PATH);
assert.equal(COOKIE.length, 32, `${COOKIE_PATH} no longer has the 32 bytes of a cookie`);
export const CLIENT_NONCE = new Uint8Array(32).fill(0x11);
const SERVER_NONCE = new Uint8Array(32).fill(0x22);
const { serverHash } = safeCookieHashes(COOKIE, {
  clientNonce: CLIENT_NONCE,
  serverNonce: SERVER_NONCE,
});
export const SAFECOOKIE_INFO: ProtocolInfo = {
  protocolInfoVersion: "1",
  authMethods: ["SAFECOOKIE"],
  cookieFile: COOKIE_PATH,
  torVersion: "0.4.9.11",
};

/** Transcripts written from control-spec in the forms tor 0.4.9 sends, one per kind of reply. */
export const HAND = {
  // §3.21 PROTOCOLINFO, with an EXTRA_INFO version, an unknown method and escapes.
  protocolInfo: tor(`
250-PROTOCOLINFO 1
250-AUTH METHODS=NULL,SAFECOOKIE,FUTURE COOKIEFILE="/var/lib/tor/control\\"auth\\"cookie"
250-VERSION Tor="0.4.8.10-dev (git-1234abcd)"
250 OK
`),
  // §3.24 AUTHCHALLENGE: a one-line reply.
  authChallenge: tor(`
250 AUTHCHALLENGE SERVERHASH=${toHex(serverHash)} SERVERNONCE=${toHex(SERVER_NONCE)}
`),
  // §3.9 GETINFO: one-line values, QuotedStrings, data blocks with dot-stuffing and empty lines.
  getInfo: tor(`
250-version=0.4.9.11
250-status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=15 TAG=handshake_dir SUMMARY="Finishing handshake" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=3
250-net/listeners/socks="127.0.0.1:9050" "unix:/run/tor/socks\\\\x"
250+md/all=
onion-key
..leading dot

...
.
250+config-text=
ControlPort 9051
.
250 OK
`),
  // §3.26 HSFETCH, §4.1.25, §4.1.26: one HSDir answers, one fails with an empty content block.
  hsFetch: tor(`
250 OK
650 HS_DESC REQUESTED ${ADDRESS} NO_AUTH $${FP_A}~relayA ${BLINDED} HSDIR_INDEX=${HSDIR_INDEX}
650 HS_DESC REQUESTED ${ADDRESS} NO_AUTH $${FP_B}~relayB ${BLINDED} HSDIR_INDEX=${HSDIR_INDEX}
650 HS_DESC RECEIVED ${ADDRESS} NO_AUTH $${FP_A}~relayA ${BLINDED}
650+HS_DESC_CONTENT ${ADDRESS} ${BLINDED} $${FP_A}~relayA
hs-descriptor 3
descriptor-lifetime 180
..a line with a leading dot
.
650 OK
650 HS_DESC FAILED ${ADDRESS} NO_AUTH $${FP_B}~relayB ${BLINDED} REASON=NOT_FOUND
650+HS_DESC_CONTENT ${ADDRESS} ${BLINDED} $${FP_B}~relayB

.
650 OK
`),
  // §3.29 HSPOST: accepted, then the upload events.
  hsPost: tor(`
250 OK
650 HS_DESC UPLOAD ${ADDRESS} UNKNOWN $${FP_A}~relayA ${BLINDED} HSDIR_INDEX=${HSDIR_INDEX}
650 HS_DESC UPLOADED ${ADDRESS} UNKNOWN $${FP_A}~relayA
`),
  // §4.1: events between replies, a multi-line event, a data-block event, escapes.
  events: tor(`
${INTERLEAVED_EVENT}
250-version=0.4.9.11
250 OK
650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done \\"now\\"\\t\\101\\n"
650+NEWCONSENSUS
r relay1 ASNFZ4mrze8BI0VniavN7wEjRWc 3q2+7wEjRWeJq83vASNFZ4mrze8 2038-01-01 00:00:00 192.0.2.1 9001 0
s Fast HSDir Running Stable V2Dir Valid
.
650 OK
650-CONF_CHANGED
650-HiddenServiceDir=/var/lib/tor/hs
650-MaxCircuitDirtiness
650 OK
250 OK
`),
  // §4 error replies, then tor's goodbye.
  errors: tor(`
552 Unrecognized key "md/none"
551 Not found in cache
513 Invalid argument "x.onion"
554 Invalid descriptor
510 Unrecognized command "FOOBAR"
514 Authentication required.
515 Authentication failed: Password did not match HashedControlPassword *or* authentication cookie.
250 closing connection
`),
};

/** Every seed transcript, as text (all are ASCII) and as bytes. */
export const TRANSCRIPTS: readonly string[] = [...Object.values(HAND), ...CAPTURED];
export const TRANSCRIPT_BYTES = TRANSCRIPTS.map(utf8);
/** The replies of every seed, for the case that mutates parsed replies. */
export const SEED_REPLIES: readonly Reply[] = TRANSCRIPTS.flatMap((text) => parseReplies(text));
export const AUTHCHALLENGE_INDEX = SEED_REPLIES.findIndex((reply) =>
  reply.lines[0]?.text.startsWith("AUTHCHALLENGE")
);
/** Per seed: its replies that answer a command (not 650), i.e. the requests a client made. */
export const REQUESTS_PER_SEED = TRANSCRIPTS.map((text) =>
  parseReplies(text).filter((reply) => reply.status !== EVENT_STATUS).length
);

/** Commands a client might pipeline (the connection only matches replies to them in order). */
export const COMMANDS: readonly [string, string?][] = [
  ["GETINFO version"],
  [`+HSPOST SERVER=${FP_A} HSADDRESS=${ADDRESS}`, DESCRIPTOR],
  ["SIGNAL ACTIVE"],
];

/** What the fake tor answers to each command of the client session (NULL authentication). */
export const SESSION: Readonly<Record<string, string>> = {
  PROTOCOLINFO: tor(`
250-PROTOCOLINFO 1
250-AUTH METHODS=NULL
250-VERSION Tor="0.4.9.11"
250 OK
`),
  AUTHENTICATE: tor("250 OK\n"),
  SETEVENTS: tor(`250 OK\n${INTERLEAVED_EVENT}\n`),
  GETINFO: HAND.getInfo,
  HSFETCH: HAND.hsFetch,
  HSPOST: HAND.hsPost,
  SIGNAL: tor("250 OK\n"),
};
export const SESSION_KEYWORDS = Object.keys(SESSION);
