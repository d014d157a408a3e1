/**
 * Tor control-port client: framing, a reconnecting client, authentication, and the typed
 * commands and events the balancer uses.
 *
 * Spec: control-spec <https://spec.torproject.org/control-spec/> (§2 protocol, §3.5 AUTHENTICATE,
 * §3.9 GETINFO, §3.21 PROTOCOLINFO, §3.24 AUTHCHALLENGE, §3.26 HSFETCH, §3.29 HSPOST, §4.1
 * events); tor `feature/control/*.c` (what tor 0.4.9.11 actually does).
 *
 * Role: only `balancer/` and `cli/` import this folder. Nothing here parses descriptors or
 * consensuses; it moves their text. Secrets (cookie, password, HMACs) go to tor only.
 *
 * ```
 * connect.ts      connectControl(): endpoint → PROTOCOLINFO → version check → AUTHENTICATE
 * ├─ transport.ts   TCP / Unix socket
 * ├─ protocol_info.ts, auth.ts, tor_version.ts
 * └─ client.ts    ControlClient: requests, subscriptions, state, reconnect with backoff
 *    ├─ backoff.ts, _event_registry.ts
 *    └─ connection.ts  one socket: reader loop, FIFO with deadlines, reject-all on close
 *       └─ framing.ts  bytes ⇄ Reply (pure); reply_line.ts: tokens and QuotedStrings
 * getinfo.ts, commands.ts, hs_fetch.ts, hs_post.ts   typed commands (functions taking the client;
 *                  _event_wait.ts and _hs_args.ts are their private helpers)
 * events.ts        typed HS_DESC, HS_DESC_CONTENT, STATUS_CLIENT, NEWCONSENSUS
 * errors.ts        ControlError and its subclasses
 * ```
 *
 * @example
 * ```ts ignore
 * import { connectControl, getVersion, hsFetch, subscribeEvents, isConsensusArrival } from "./mod.ts";
 * import { Logger } from "../log/mod.ts";
 *
 * const log = new Logger({ level: "info" });
 * const client = await connectControl({
 *   endpoint: { transport: "unix", path: "/run/tor/control" },
 *   log,
 *   reconnect: { maxDelayMs: 60_000 }, // forever, capped at one minute
 * });
 * log.info(`tor ${await getVersion(client)}`);
 * await subscribeEvents(client, ["STATUS_CLIENT"], {
 *   log,
 *   onEvent: (event) => {
 *     if (isConsensusArrival(event)) log.info("new consensus");
 *   },
 * });
 * client.onStateChange(({ state }) => log.info(`control connection ${state}`));
 * const { outcomes } = await hsFetch(client, "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid");
 * await client.close();
 * ```
 *
 * @module
 */

export {
  authenticate,
  type AuthMethod,
  type AuthOptions,
  chooseAuthMethod,
  type PasswordSource,
  readPassword,
  safeCookieHashes,
  type SafeCookieNonces,
} from "./auth.ts";
export { backoffDelay, type BackoffOptions, type JitterRng, type Sleeper } from "./backoff.ts";
export {
  type ConnectionState,
  ControlClient,
  type ControlClientOptions,
  type EventHandler,
  eventType,
  type Handshake,
  type Opener,
  type ReconnectOptions,
  setEventsCommand,
  type StateChange,
  type Subscription,
} from "./client.ts";
export { type CommandOptions, setEvents, signal, type TorSignal } from "./commands.ts";
export { onionClientAuthAdd, onionClientAuthRemove } from "./onion_client_auth.ts";
export {
  connectControl,
  type ConnectControlOptions,
  torHandshake,
  type TorHandshakeOptions,
} from "./connect.ts";
export {
  ControlConnection,
  type ControlConnectionOptions,
  type ControlRequester,
  DEFAULT_TIMEOUT_MS,
  type RequestOptions,
} from "./connection.ts";
export {
  ControlAuthError,
  type ControlAuthErrorKind,
  ControlConnectError,
  ControlError,
  ControlOperationFailed,
  ControlProtocolError,
  type ControlProtocolErrorKind,
  ControlSocketClosed,
  ControlTimeoutError,
  ControlVersionError,
} from "./errors.ts";
export {
  type ControlEvent,
  type EventSource,
  HS_DESC_ACTIONS,
  HS_DESC_REASONS,
  type HsDescAction,
  type HsDescContentEvent,
  type HsDescEvent,
  isConsensusArrival,
  type NewConsensusEvent,
  type OtherEvent,
  parseEvent,
  parseHsDescContentEvent,
  parseHsDescEvent,
  parseStatusClientEvent,
  type StatusClientEvent,
  subscribeEvents,
  type SubscribeEventsOptions,
  unknownValues,
} from "./events.ts";
export {
  encodeCommand,
  EVENT_STATUS,
  parseReplies,
  parseReply,
  type Reply,
  type ReplyDivider,
  ReplyFramer,
  type ReplyFramerOptions,
  type ReplyLine,
} from "./framing.ts";
export {
  type BootstrapPhase,
  getAllMicrodescs,
  getBootstrapPhase,
  getInfo,
  type GetInfoOptions,
  getMicrodescConsensus,
  getSocksListeners,
  getVersion,
  parseGetInfoReply,
} from "./getinfo.ts";
export { type HsClient } from "./_event_wait.ts";
export {
  hsFetch,
  HSFETCH_TIMEOUT_MS,
  type HsFetchOptions,
  type HsFetchOutcome,
  type HsFetchResult,
} from "./hs_fetch.ts";
export {
  hsPost,
  HSPOST_UPLOAD_TIMEOUT_MS,
  type HsPostOptions,
  type HsPostResult,
} from "./hs_post.ts";
export { parseProtocolInfo, type ProtocolInfo, requestProtocolInfo } from "./protocol_info.ts";
export {
  quoteString,
  readQuotedString,
  type ReplyToken,
  type SplitReplyLine,
  splitReplyLine,
  tokenizeReplyLine,
} from "./reply_line.ts";
export {
  checkTorVersion,
  compareTorVersions,
  MIN_TOR_VERSION,
  parseTorVersion,
  type TorVersion,
} from "./tor_version.ts";
export { type ControlEndpoint, describeEndpoint, openEndpoint } from "./transport.ts";
