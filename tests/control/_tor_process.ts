/**
 * Starts a real tor 0.4.9 for tests: loopback only, `DisableNetwork 1`, in a fresh 0700 temp dir
 * under /tmp, with a TCP control port and a control socket. Every wait is bounded; the process is
 * stopped by its PID.
 *
 * @module
 */

/** How the test tor authenticates controllers. */
export type TorAuth = "cookie+password" | "none";

/** Options of {@link TorProcess.start}. */
export interface TorStartOptions {
  /** `cookie+password` offers COOKIE, SAFECOOKIE and HASHEDPASSWORD; `none` offers NULL. */
  auth: TorAuth;
  /** A fixed control port (to restart on the same address); default `auto`. */
  controlPort?: number;
}

const decoder = new TextDecoder();

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A tor process and the paths a test needs. */
export class TorProcess {
  /** The temp dir holding torrc, data, socket and password file. */
  readonly dir: string;
  /** The control socket path. */
  readonly socketPath: string;
  /** The file holding the control password (cookie+password only). */
  readonly passwordFile: string;
  /** The control password (cookie+password only); never logged. */
  readonly password: string;
  /** The cookie file (cookie+password only). */
  readonly cookieFile: string;
  #child: Deno.ChildProcess | undefined;
  #port = 0;

  private constructor(dir: string, password: string) {
    this.dir = dir;
    this.socketPath = `${dir}/control`;
    this.passwordFile = `${dir}/password`;
    this.password = password;
    this.cookieFile = `${dir}/data/control_auth_cookie`;
  }

  /** The TCP control port tor is listening on. */
  get port(): number {
    return this.#port;
  }

  /** Writes the torrc and starts tor; resolves when both control listeners are open. */
  static async start(options: TorStartOptions): Promise<TorProcess> {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-tor-" });
    await Deno.mkdir(`${dir}/data`, { mode: 0o700 });
    const password = options.auth === "none" ? "" : crypto.randomUUID();
    const tor = new TorProcess(dir, password);
    const lines = [
      `DataDirectory ${dir}/data`,
      "DisableNetwork 1",
      "SocksPort 0",
      `ControlPort 127.0.0.1:${options.controlPort ?? "auto"}`,
      `ControlPortWriteToFile ${dir}/port`,
      `ControlSocket ${tor.socketPath}`,
      `Log notice file ${dir}/log`,
      `GeoIPFile ${dir}/none`,
      `GeoIPv6File ${dir}/none`,
    ];
    if (options.auth === "cookie+password") {
      await Deno.writeTextFile(tor.passwordFile, `${password}\n`, { mode: 0o600 });
      lines.push("CookieAuthentication 1", `HashedControlPassword ${await hashPassword(password)}`);
    }
    await Deno.writeTextFile(`${dir}/torrc`, `${lines.join("\n")}\n`);
    await tor.#launch();
    return tor;
  }

  async #launch(): Promise<void> {
    await Deno.remove(`${this.dir}/port`).catch(() => {});
    this.#child = new Deno.Command("tor", {
      args: ["-f", `${this.dir}/torrc`, "--quiet"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitFor("tor's control listeners", 10_000, async () => {
      if (!(await exists(`${this.dir}/port`)) || !(await exists(this.socketPath))) return false;
      const match = /PORT=127\.0\.0\.1:(\d+)/.exec(await Deno.readTextFile(`${this.dir}/port`));
      if (!match) return false;
      this.#port = Number(match[1]);
      return true;
    });
  }

  /** Kills tor with SIGKILL (a crash) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child) return;
    child.kill("SIGKILL");
    await child.status;
  }

  /** Starts tor again with the same torrc (same data dir, socket path and port). */
  async restart(): Promise<void> {
    await this.kill();
    await this.#launch();
  }

  /** Stops tor (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await child.status;
      clearTimeout(timer);
    }
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** `tor --hash-password`: the HashedControlPassword value for `password` (test-only password). */
async function hashPassword(password: string): Promise<string> {
  const output = await new Deno.Command("tor", {
    args: ["--quiet", "--hash-password", password],
    stdout: "piped",
    stderr: "null",
  }).output();
  const hash = decoder.decode(output.stdout).trim().split("\n").at(-1) ?? "";
  if (!/^16:[0-9A-F]+$/.test(hash)) throw new Error("tor --hash-password gave no hash");
  return hash;
}
