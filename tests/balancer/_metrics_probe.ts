/**
 * Prints the metrics page of a fresh {@link BalancerMetrics} with its process metrics: run under
 * the daemon binary's permissions by tests/balancer/metrics_test.ts.
 *
 * @module
 */

import { BalancerMetrics } from "../../src/balancer/mod.ts";

const metrics = new BalancerMetrics({ addressLabel: (a) => a, now: () => Date.now() });
await Deno.stdout.write(new TextEncoder().encode(await metrics.text()));
