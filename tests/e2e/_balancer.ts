/**
 * The balancer that the cases of `balancer_test.ts` borrow: one `onionbalance` process on the
 * file's shared private Tor network ({@link sharedNetwork}), the client tor's control
 * connection, and on demand the deployment's backends beyond the first {@link BACKENDS}.
 *
 * The first case that calls {@link sharedBalancer} starts it and later cases get the same one,
 * so every case also runs alone (`deno test --filter "<name>"`) and the whole file still boots
 * one network and one balancer. {@link stopBalancer} stops it (the SIGTERM case, the last
 * user); a case after that would start a fresh one. If no case stops it, it gets SIGTERM when
 * the test process unloads, as the network does.
 *
 * @module
 */

import { connectControl, type ControlClient, type Reply, signal } from "../../src/control/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { type BackendTor, startBackends } from "../../scripts/testnet/mod.ts";
import { type DaemonProcess, startDaemon, writeConfig } from "./_daemon.ts";
import {
  BACKENDS,
  DEPLOYED_BACKENDS,
  type SharedNetwork,
  sharedNetwork,
  within,
} from "./_network.ts";

/** The borrowed balancer and what goes with it. */
export interface SharedBalancer {
  shared: SharedNetwork;
  daemon: DaemonProcess;
  /** The client tor's control connection (HSFETCH, NEWNYM). */
  client: ControlClient;
  /** The lines added to the generated `config.yaml` by the last {@link reload}. */
  configExtra: string;
}

let current: Promise<SharedBalancer> | undefined;
let moreBackends: Promise<BackendTor[]> | undefined;

/** Starts the balancer on first use (and the shared network, if need be); later calls share it. */
export function sharedBalancer(): Promise<SharedBalancer> {
  current ??= startBalancer();
  return current;
}

async function startBalancer(): Promise<SharedBalancer> {
  const shared = await within(180_000, "boot the shared network", sharedNetwork());
  // As generated: a balancer stopped earlier in this run may have left other settings.
  await writeConfig(shared);
  const daemon = startDaemon(shared);
  globalThis.addEventListener("unload", () => {
    if (daemon.running()) daemon.kill("SIGTERM");
  });
  const client = await connectControl({
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port: shared.net.clientControlPort },
    log: new Logger({ level: "critical" }),
    reconnect: false,
  });
  return { shared, daemon, client, configExtra: "" };
}

/**
 * Stops the shared balancer with SIGTERM and closes the client connection; the next
 * {@link sharedBalancer} starts a new one.
 *
 * @returns The balancer's exit code.
 */
export async function stopBalancer(): Promise<number> {
  const balancer = await sharedBalancer();
  current = undefined;
  await balancer.client.close();
  return await within(30_000, "the balancer stops", balancer.daemon.stop());
}

/**
 * Writes the generated `config.yaml` plus `extra`, sends SIGHUP and waits for the reload.
 *
 * @returns The index of the first log line after the change.
 */
export async function reload(balancer: SharedBalancer, extra: string): Promise<number> {
  const { daemon } = balancer;
  const mark = daemon.lines.length;
  await writeConfig(balancer.shared, extra);
  daemon.kill("SIGHUP");
  await within(30_000, "the reload", daemon.waitForLine(/Reloaded/, 30_000, mark));
  balancer.configExtra = extra;
  return mark;
}

/**
 * Every backend of the deployment ({@link DEPLOYED_BACKENDS}): the first use starts the ones
 * beyond {@link BACKENDS} from their generated `hidden_service` folders.
 */
export async function allBackends(balancer: SharedBalancer): Promise<BackendTor[]> {
  const { shared } = balancer;
  moreBackends ??= within(
    120_000,
    `start ${DEPLOYED_BACKENDS - BACKENDS} more backends`,
    startBackends(shared.net, DEPLOYED_BACKENDS - BACKENDS, {
      masterOnionAddress: shared.master.onionAddress,
      hiddenServiceDirs: shared.hiddenServiceDirs.slice(BACKENDS),
      timeoutMs: 110_000,
    }),
  );
  return [...shared.backends, ...await moreBackends];
}

/**
 * Makes the client forget its descriptors and circuits (`SIGNAL NEWNYM`, control-spec 3.7) and
 * waits until tor has done so. tor answers 250 at once but runs at most one NEWNYM per 10 s
 * (`MAX_SIGNEWNYM_RATE` in `do_signewnym()`) and delays a later one; `signewnym_impl()` sends
 * the `SIGNAL NEWNYM` event (control-spec 4.1 "Signal received") when it has run.
 */
export async function newnym(balancer: SharedBalancer): Promise<void> {
  let applied!: () => void;
  const done = new Promise<void>((resolve) => (applied = resolve));
  const isNewnym = (reply: Reply) => /^SIGNAL NEWNYM\b/.test(reply.lines[0]?.text ?? "");
  const subscription = await balancer.client.subscribe(["SIGNAL"], (reply) => {
    if (isNewnym(reply)) applied();
  });
  try {
    await signal(balancer.client, "NEWNYM");
    await within(15_000, "tor to apply NEWNYM", done);
  } finally {
    await subscription.unsubscribe();
  }
}
