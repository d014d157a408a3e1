/**
 * Helpers for the publish-audit and frontend-probe tests.
 *
 * - {@link serveCopies} makes a {@link FakeTor} answer an HSFETCH that names HSDirs
 *   (`SERVER=` once per HSDir, as the audit sends it) with one outcome per HSDir, as tor's
 *   `hs_client.c` reports each directory fetch: `HS_DESC REQUESTED`, then `RECEIVED` or `FAILED
 *   … REASON=`, then `HS_DESC_CONTENT` (empty after a failure). FakeTor itself answers only the
 *   first `SERVER=`. With `addresses`, HSFETCHes of other addresses still go to FakeTor (the
 *   balancer's fetches of its backends, which name HSDirs too).
 * - {@link reachDaemon} is a {@link Balancer} on the `_daemon.ts` fixture with audits on
 *   (`audit-interval` 900 s) and the frontend probe on, through a fake probe function.
 *
 * @module
 */

import { Balancer, type MetricsSink, type Probe } from "../../src/balancer/mod.ts";
import { clientSlot } from "../../src/balancer/audit.ts";
import { DEFAULT_HEALTH_CHECK, type FrontendProbeConfig } from "../../src/config/mod.ts";
import type { Reply } from "../../src/control/mod.ts";
import { type Daemon, daemon, TIMINGS } from "./_daemon.ts";
import type { FakeTor } from "./_fake_tor.ts";

/** What one HSDir holds: a descriptor text, or tor's `REASON=` for a failed fetch. */
export type CopyAnswer = string | { failed: string };

/** One audit HSFETCH as the fake tor saw it. */
export interface CopyFetch {
  address: string;
  /** The `SERVER=` fingerprints, in order. */
  servers: string[];
}

const OK: Reply = { status: 250, lines: [{ status: 250, divider: " ", text: "OK" }] };

/**
 * Answers HSFETCHes with `SERVER=` arguments (of `addresses` only, when given): each HSDir's
 * outcome comes from `copy`, which may wait for the test. Returns the list of such HSFETCHes,
 * filled as they come.
 */
export function serveCopies(
  tor: FakeTor,
  copy: (hsDir: string, address: string) => CopyAnswer | Promise<CopyAnswer>,
  addresses?: readonly string[],
): CopyFetch[] {
  const fetches: CopyFetch[] = [];
  const request = tor.request.bind(tor);
  tor.request = (command: string) => {
    const [verb, address = "", ...args] = command.split(" ");
    const servers = args.filter((a) => a.startsWith("SERVER=")).map((a) => a.slice(7));
    const ours = addresses === undefined || addresses.includes(address);
    if (verb !== "HSFETCH" || servers.length === 0 || !ours) return request(command);
    fetches.push({ address, servers });
    void (async () => {
      await Promise.resolve(); // after the 250 OK, as tor does
      await Promise.all(servers.map(async (server) => {
        const answer = await copy(server, address);
        const hsDir = `$${server}`;
        const id = "x".repeat(43);
        tor.emitLine(`HS_DESC REQUESTED ${address} NO_AUTH ${hsDir} ${id}`);
        const failed = typeof answer === "string" ? undefined : answer.failed;
        tor.emitLine(
          failed === undefined
            ? `HS_DESC RECEIVED ${address} NO_AUTH ${hsDir} ${id}`
            : `HS_DESC FAILED ${address} NO_AUTH ${hsDir} ${id} REASON=${failed}`,
        );
        tor.emit([{
          status: 650,
          divider: "+",
          text: `HS_DESC_CONTENT ${address} ${id} ${hsDir}`,
          data: typeof answer === "string" ? answer : "",
        }, { status: 650, divider: " ", text: "OK" }]);
      }));
    })();
    return Promise.resolve(OK);
  };
  return fetches;
}

/** The probe settings of {@link reachDaemon}. */
export const PROBE_CONFIG: FrontendProbeConfig = {
  enabled: true,
  intervalSeconds: 60,
  timeoutSeconds: 30,
  port: 80,
};

/** A {@link Balancer} with audits and probes, on a {@link daemon} fixture. */
export interface ReachDaemon {
  /** The fixture (its own balancer is not used). */
  d: Daemon;
  balancer: Balancer;
  /** The audit HSFETCHes. */
  copies: CopyFetch[];
  /** Moves the fake clock to `ms` and ticks. */
  at(ms: number): Promise<void>;
}

/**
 * Two backends; audits every 900 s; probes every 60 s through `127.0.0.1:9` (health checks off:
 * the probe uses `health-check.socks` all the same), made by `probe`; HSDirs hold what `copy`
 * says (by default the client slot's descriptor where its upload succeeded, else NOT_FOUND).
 */
export function reachDaemon(options: {
  probe: Probe;
  metrics?: MetricsSink;
  copy?: (hsDir: string) => CopyAnswer | undefined;
  /** `health-check.socks` (default `127.0.0.1:9`). */
  socks?: string;
}): ReachDaemon {
  const d = daemon(2, undefined, { metrics: options.metrics });
  const copies = serveCopies(d.tor, (hsDir) => {
    const own = options.copy?.(hsDir);
    if (own !== undefined) return own;
    const found = balancer.view === undefined ? undefined : clientSlot(d.service, balancer.view);
    const upload = found?.[1].uploads.find((u) => u.relay.fingerprint === hsDir);
    const text = upload?.status === "uploaded" ? found?.[1].descriptors[upload.group] : undefined;
    return text ?? { failed: "NOT_FOUND" };
  }, [d.service.address]);
  const balancer = new Balancer(
    {
      services: [d.service],
      timings: { ...TIMINGS, auditIntervalMs: 900_000 },
      health: { ...DEFAULT_HEALTH_CHECK, enabled: false, socks: options.socks ?? "127.0.0.1:9" },
      frontendProbe: PROBE_CONFIG,
    },
    {
      client: d.tor,
      clock: d.clock,
      log: d.log.log,
      frontendProbe: options.probe,
      metrics: options.metrics,
    },
  );
  return {
    d,
    balancer,
    copies,
    at: async (ms) => {
      d.clock.set(ms);
      await balancer.tick(ms);
    },
  };
}
