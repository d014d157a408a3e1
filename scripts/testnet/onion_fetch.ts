/**
 * Fetches a URL through the test network's client, retrying until it answers or a deadline
 * passes; each attempt uses a fresh SOCKS username, so tor builds fresh circuits.
 *
 * Role: how tests and the demo reach onion services. A freshly published service is often not
 * reachable at once (descriptor not yet on the HSDirs: SOCKS reply 0xF0), so the retry is
 * part of the contract.
 *
 * @module
 */

import { httpGetViaSocks, type HttpResponse } from "./http_get.ts";
import type { SocksProxy } from "../../src/socks/mod.ts";
import { sleep, TestnetTimeoutError } from "./wait.ts";

/** Options of {@link fetchOnion}. */
export interface FetchOnionOptions {
  /** The client's SOCKS port. */
  proxy: SocksProxy;
  /** Bound of all attempts together. Default 60 000 ms. */
  timeoutMs?: number;
  /** Bound of one attempt. Default 30 000 ms. */
  attemptTimeoutMs?: number;
  /** Give up after this many attempts. Default: no limit but the time bound. */
  maxAttempts?: number;
  /** Pause between attempts. Default 1 000 ms. */
  retryDelayMs?: number;
  /** Called after each failed attempt. */
  onRetry?: (error: Error, attempt: number) => void;
}

/** A successful fetch. */
export interface FetchOnionResult {
  response: HttpResponse;
  /** Attempts made, the successful one included. */
  attempts: number;
  elapsedMs: number;
}

let isolationCounter = 0;

/** A SOCKS username never used before in this process. */
export function freshIsolation(): string {
  isolationCounter += 1;
  return `ob-${Deno.pid}-${isolationCounter}-${crypto.randomUUID()}`;
}

/**
 * GETs `url` through the proxy until an HTTP response arrives.
 *
 * @throws {TestnetTimeoutError} With the last error as `cause` when no attempt succeeded in time
 *   (or within `maxAttempts`).
 */
export async function fetchOnion(
  url: string | URL,
  options: FetchOnionOptions,
): Promise<FetchOnionResult> {
  const start = Date.now();
  const deadline = start + (options.timeoutMs ?? 60_000);
  let attempt = 0;
  let last: Error | undefined;
  while (Date.now() < deadline && attempt < (options.maxAttempts ?? Infinity)) {
    attempt += 1;
    const budget = Math.min(options.attemptTimeoutMs ?? 30_000, deadline - Date.now());
    try {
      const response = await httpGetViaSocks(url, {
        proxy: options.proxy,
        isolation: freshIsolation(),
        signal: AbortSignal.timeout(Math.max(1, budget)),
      });
      return { response, attempts: attempt, elapsedMs: Date.now() - start };
    } catch (error) {
      last = error instanceof Error ? error : new Error(String(error));
      options.onRetry?.(last, attempt);
    }
    await sleep(Math.min(options.retryDelayMs ?? 1_000, Math.max(0, deadline - Date.now())));
  }
  throw new TestnetTimeoutError(
    `Gave up fetching "${url}" after ${attempt} attempt(s) in ${Date.now() - start} ms: ` +
      `${last?.message ?? "no attempt made"}`,
    { cause: last },
  );
}
