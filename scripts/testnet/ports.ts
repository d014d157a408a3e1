/**
 * Port plan of a private Tor network on loopback: every node's ports derive from one base port.
 *
 * Allocation, relative to the base port `B` (default {@link DEFAULT_BASE_PORT}):
 *
 * | ports          | node                                                     |
 * | -------------- | -------------------------------------------------------- |
 * | B+0 … B+9      | directory authority i: ORPort B+2i, DirPort B+2i+1 (≤ 5) |
 * | B+10 … B+89    | relay j: ORPort B+10+2j, DirPort B+11+2j (≤ 40)          |
 * | B+90, B+91     | client: SocksPort, ControlPort                           |
 * | B+92, B+93     | frontend tor: ControlPort, SocksPort (health checks)      |
 * | B+94 … B+99    | extra frontend tor i: ControlPort B+94+2i, SocksPort B+95+2i (≤ 3) |
 * | B+100 … B+199  | backend k: HTTP server B+100+2k, tor ControlPort B+101+2k (≤ 50) |
 *
 * Role: pure arithmetic plus {@link assertPortsFree}, which binds each port on 127.0.0.1 for an
 * instant. Nothing here ever uses an address outside 127.0.0.0/8.
 *
 * @module
 */

/** The address every node of the network binds and advertises. */
export const LOOPBACK = "127.0.0.1";

/** Default first port of the range. */
export const DEFAULT_BASE_PORT = 15000;

/** How many ports one network may use, starting at its base port. */
export const PORT_RANGE_SIZE = 200;

/** Most directory authorities, relays and backends the plan has room for. */
export const MAX_AUTHORITIES = 5;
/** Most relays the plan has room for. */
export const MAX_RELAYS = 40;
/** Most backends the plan has room for. */
export const MAX_BACKENDS = 50;
/** Extra frontend tors a network can have besides the first. */
export const MAX_EXTRA_FRONTENDS = 3;

/** The ORPort and DirPort of a relay or directory authority. */
export interface RelayPorts {
  orPort: number;
  dirPort: number;
}

/** Ports of one backend. */
export interface BackendPorts {
  /** The backend's HTTP server (target of `HiddenServicePort 80`). */
  httpPort: number;
  /** The backend tor's ControlPort. */
  controlPort: number;
}

/** Every port of a network with a given base, computed by {@link PortPlan}. */
export class PortPlan {
  /** First port of the range. */
  readonly base: number;

  /**
   * @param base First port of the range; the range is `base … base + PORT_RANGE_SIZE - 1`.
   * @throws {RangeError} When the range does not fit in 1024 … 65535.
   */
  constructor(base: number = DEFAULT_BASE_PORT) {
    if (!Number.isInteger(base) || base < 1024 || base + PORT_RANGE_SIZE - 1 > 65535) {
      throw new RangeError(
        `Cannot use base port "${base}": the range must lie within 1024-65535`,
      );
    }
    this.base = base;
  }

  /** Ports of directory authority `i` (0-based). */
  authority(i: number): RelayPorts {
    checkIndex("authority", i, MAX_AUTHORITIES);
    return { orPort: this.base + 2 * i, dirPort: this.base + 2 * i + 1 };
  }

  /** Ports of relay `j` (0-based). */
  relay(j: number): RelayPorts {
    checkIndex("relay", j, MAX_RELAYS);
    return { orPort: this.base + 10 + 2 * j, dirPort: this.base + 11 + 2 * j };
  }

  /** The client's SocksPort. */
  get clientSocksPort(): number {
    return this.base + 90;
  }

  /** The client's ControlPort. */
  get clientControlPort(): number {
    return this.base + 91;
  }

  /** The frontend tor's ControlPort (the balancer's control port). */
  get frontendControlPort(): number {
    return this.base + 92;
  }

  /** The frontend tor's SocksPort (the balancer's health checks). */
  get frontendSocksPort(): number {
    return this.base + 93;
  }

  /**
   * Ports of extra frontend tor `i` (0-based, at most {@link MAX_EXTRA_FRONTENDS}): one per
   * further balancer run side by side with the first (the soak compares builds).
   *
   * @throws {RangeError} When `i` is out of range.
   */
  extraFrontend(i: number): { controlPort: number; socksPort: number } {
    if (!Number.isInteger(i) || i < 0 || i >= MAX_EXTRA_FRONTENDS) {
      throw new RangeError(`No extra frontend tor "${i}": there are ${MAX_EXTRA_FRONTENDS}`);
    }
    return { controlPort: this.base + 94 + 2 * i, socksPort: this.base + 95 + 2 * i };
  }

  /** Ports of backend `k` (0-based). */
  backend(k: number): BackendPorts {
    checkIndex("backend", k, MAX_BACKENDS);
    return { httpPort: this.base + 100 + 2 * k, controlPort: this.base + 101 + 2 * k };
  }

  /** Every port that the core network (authorities, relays, client, frontend) binds. */
  networkPorts(authorities: number, relays: number): number[] {
    const ports: number[] = [];
    for (let i = 0; i < authorities; i++) ports.push(...Object.values(this.authority(i)));
    for (let j = 0; j < relays; j++) ports.push(...Object.values(this.relay(j)));
    ports.push(
      this.clientSocksPort,
      this.clientControlPort,
      this.frontendControlPort,
      this.frontendSocksPort,
    );
    return ports;
  }
}

function checkIndex(what: string, index: number, max: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= max) {
    throw new RangeError(`Cannot allocate ports for ${what} "${index}": at most ${max} fit`);
  }
}

/** Thrown when a port that the network needs is already taken. */
export class PortInUseError extends Error {
  /** The ports found busy. */
  readonly ports: readonly number[];

  constructor(ports: readonly number[], options?: ErrorOptions) {
    super(
      `Cannot start the network: port(s) ${ports.join(", ")} on ${LOOPBACK} already in use`,
      options,
    );
    this.name = "PortInUseError";
    this.ports = ports;
  }
}

/** Whether a TCP port on 127.0.0.1 can be bound right now. */
export function isPortFree(port: number): boolean {
  try {
    const listener = Deno.listen({ hostname: LOOPBACK, port, transport: "tcp" });
    listener.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/**
 * Checks that every port in `ports` is free on 127.0.0.1.
 *
 * @throws {PortInUseError} Naming every busy port.
 */
export function assertPortsFree(ports: readonly number[]): void {
  const busy = ports.filter((port) => !isPortFree(port));
  if (busy.length > 0) throw new PortInUseError(busy);
}

/**
 * The first base port among `candidates` whose whole range is free, for tests that must not
 * collide with a network a developer left running.
 *
 * @throws {PortInUseError} When no candidate range is free.
 */
export function findFreeBasePort(candidates: readonly number[]): number {
  for (const base of candidates) {
    const plan = new PortPlan(base);
    const all = Array.from({ length: PORT_RANGE_SIZE }, (_, i) => plan.base + i);
    if (all.every(isPortFree)) return base;
  }
  throw new PortInUseError(candidates);
}
