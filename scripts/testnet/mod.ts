/**
 * A private Tor network on 127.0.0.1 for end-to-end tests and the demo: 3 directory
 * authorities, relays that all become HSDirs, a client with a SOCKS port, a frontend tor with a
 * control port for the balancer, and backend onion services that are OnionBalance instances.
 *
 * See `torrc.ts` for the settings (tor manual: `TestingTorNetwork`, `V3AuthVotingInterval`,
 * `TestingV3AuthInitialVotingInterval`, `TestingDirAuthVoteHSDir`), `network.ts` for the boot
 * sequence, and `ports.ts` for the port allocation. Command line: `deno task testnet --help`.
 *
 * ```
 * startNetwork(dir, options)            boot, wait for the client at 100 %   network.ts
 * makeOnionKey(net, label)              a v3 key from a throwaway tor         network.ts
 * startBackends(net, n, {master…})      tor instance + HTTP server per backend backends.ts
 * fetchOnion(url, {proxy})              GET through the client, with retries  onion_fetch.ts
 * networkStatus(dir) / stopNetwork(dir) read-only report / stop by recorded PID
 * ```
 *
 * @example
 * ```ts ignore
 * const net = await startNetwork("/tmp/net", { onProgress: (line) => console.log(line) });
 * const master = await makeOnionKey(net);
 * const [b0] = await startBackends(net, 1, { masterOnionAddress: master.onionAddress });
 * const { response } = await fetchOnion(b0!.url, { proxy: net.socks });
 * console.log(response.text()); // "backend0\n"
 * await stopNetwork("/tmp/net");
 * ```
 *
 * @module
 */

export {
  loadNetwork,
  makeOnionKey,
  type Network,
  NetworkDirError,
  type OnionKey,
  startNetwork,
  type StartNetworkOptions,
} from "./network.ts";
export { type BackendTor, startBackends, type StartBackendsOptions } from "./backends.ts";
export { type FrontendTor, startExtraFrontends } from "./frontends.ts";
export { fetchOnion, type FetchOnionOptions, type FetchOnionResult } from "./onion_fetch.ts";
export { restartNode, stopNode } from "./node_control.ts";
export { type NetworkStatus, networkStatus, type ProcessStatus } from "./status.ts";
export { stopNetwork, type StopNetworkOptions, stopNetworkSync } from "./stop.ts";
export { NoNetworkError } from "./state.ts";
export { DEFAULT_BASE_PORT, PortInUseError, PortPlan } from "./ports.ts";
export { Socks5Error, type Socks5ErrorKind } from "../../src/socks/mod.ts";
export { TestnetTimeoutError } from "./wait.ts";
