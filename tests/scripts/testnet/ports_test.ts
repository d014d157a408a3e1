import assert from "node:assert/strict";
import {
  assertPortsFree,
  isPortFree,
  PORT_RANGE_SIZE,
  PortInUseError,
  PortPlan,
} from "../../../scripts/testnet/ports.ts";

Deno.test("PortPlan gives every node distinct ports inside its range", () => {
  const plan = new PortPlan(20000);
  const ports = [
    ...plan.networkPorts(5, 40),
    ...Array.from({ length: 50 }, (_, k) => Object.values(plan.backend(k))).flat(),
    ...Array.from({ length: 3 }, (_, i) => Object.values(plan.extraFrontend(i))).flat(),
  ];
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) assert.ok(port >= 20000 && port < 20000 + PORT_RANGE_SIZE);
  assert.deepEqual(plan.authority(1), { orPort: 20002, dirPort: 20003 });
  assert.deepEqual(plan.relay(0), { orPort: 20010, dirPort: 20011 });
  assert.equal(plan.clientSocksPort, 20090);
  assert.deepEqual(plan.backend(2), { httpPort: 20104, controlPort: 20105 });
  assert.deepEqual(plan.extraFrontend(1), { controlPort: 20096, socksPort: 20097 });
});

Deno.test("PortPlan rejects ranges outside 1024-65535 and indexes beyond the plan", () => {
  assert.throws(() => new PortPlan(80), RangeError);
  assert.throws(() => new PortPlan(65500), RangeError);
  assert.throws(() => new PortPlan(20000).relay(40), RangeError);
  assert.throws(() => new PortPlan(20000).backend(-1), RangeError);
  assert.throws(() => new PortPlan(20000).extraFrontend(3), RangeError);
});

Deno.test("assertPortsFree() names a port that is taken", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    assert.equal(isPortFree(port), false);
    assert.throws(
      () => assertPortsFree([port]),
      (e: unknown) => e instanceof PortInUseError && e.ports[0] === port,
    );
  } finally {
    listener.close();
  }
  assert.equal(isPortFree(port), true);
});
