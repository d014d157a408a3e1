import assert from "node:assert/strict";
import { pythonJson, statusReport } from "../../src/balancer/mod.ts";
import { formatStatus, formatTable } from "../../src/cli/status_format.ts";
import { PYTHON } from "../_python.ts";
import { answer, daemon, fetchesDone, NOW } from "../balancer/_daemon.ts";
import { B1, B2, FRONT, SAMPLE, T } from "./_status_sample.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const PROBE = new URL("../balancer/_status_probe.ts", import.meta.url).pathname;
const CHILD_PERMISSIONS: Deno.PermissionOptionsObject = {
  run: ["deno", PYTHON],
  read: ["/tmp"],
  write: ["/tmp"],
};
const decoder = new TextDecoder();

Deno.test("formatStatus() prints a table per service: descriptors, HSDir uploads, backends", () => {
  assert.equal(
    formatStatus(SAMPLE),
    `Consensus: valid-after 2030-01-01 13:00:00 UTC, time period 21915 (1440 min), 30 v3 HSDirs

Service ${FRONT}
  Last publish attempt: first ${T}, second ${T}
  Last successful publish: ${T}

  DESCRIPTOR  PERIOD  REVISION    BUILT                INTRO POINTS  UPLOADED  REASON
  first       21914   4372567423  ${T}  12+12         1/2       first publish
  second      -       -           -                    -             -         not published

  Uploads of the first descriptor:
    HSDIR                                     NICKNAME  DESC  STATUS    TRIES  LAST RESULT          REASON
    5E05CC7A7327EBEDC1D1F5F30540A88BC18D8DCE  relay12   0     failed    2      ${T}  UPLOAD_REJECTED
    59405A9CA0CA255313F560DA3555624285C9DDA4  relay26   1     uploaded  1      ${T}  -

  Backends (2):
    BACKEND                                                         NAME   STATE     INTRO POINTS  PUBLISHED               INTRO SET CHANGED    LAST FETCH           FETCH FAILURES  HEALTH                                             REASON
    ${B1}  web-1  usable    3             2 (age 61 s, 1 closed)  2030-01-01 13:05:00  2030-01-01 13:05:00  0               failed ×1 (${T}): host unreachable  -
    ${B2}  -      unusable  -             -                       -                    -                    1               -                                                  no descriptor yet
`,
  );
});

Deno.test("formatStatus() formats OnionBalance 0.2.2's own status document", () => {
  // The shape of OnionBalance 0.2.2's `onionbalance/hs_v3/status.py: _outputString`.
  const ob = {
    services: [{
      instances: [
        {
          descriptorReceived: "2030-01-01 13:05:00",
          introPointsNum: 3,
          introSetModified: "2030-01-01 12:45:00",
          onionAddress: B1,
        },
        { onionAddress: B2, received: null },
      ],
      onionAddress: FRONT,
      publishAttemptFirstDescriptor: T,
      publishAttemptSecondDescriptor: null,
    }],
  };
  assert.equal(
    formatStatus(ob),
    `Service ${FRONT}
  Last publish attempt: first ${T}, second -
  Last successful publish: -

  Backends (2):
    BACKEND                                                         NAME  STATE          INTRO POINTS  PUBLISHED  INTRO SET CHANGED    LAST FETCH           FETCH FAILURES  HEALTH  REASON
    ${B1}  -     -              3             -          2030-01-01 12:45:00  2030-01-01 13:05:00  -               -       -
    ${B2}  -     no descriptor  -             -          -                    -                    -               -       -
`,
  );
});

Deno.test("formatStatus() says when there is no service or no consensus yet", () => {
  assert.equal(
    formatStatus({ services: [], consensus: null }),
    "Consensus: none yet (waiting for tor)\n\nNo services (times are UTC)\n",
  );
  assert.equal(formatStatus({}), "No services (times are UTC)\n");
  assert.equal(formatStatus([1, 2]), "No services (times are UTC)\n");
});

Deno.test("formatTable() pads every column but the last and trims trailing spaces", () => {
  assert.deepEqual(formatTable(["A", "BB", "C"], [["long", "", "x"], ["s", "t", ""]]), [
    "A     BB  C",
    "long      x",
    "s     t",
  ]);
});

/** Runs `onionbalance status …` in a child with exactly the grants for `socket`. */
async function cli(args: string[], socket: string, env: Record<string, string> = {}) {
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--allow-net=unix:${socket}`,
      `--allow-read=${socket}`,
      `--allow-write=${socket}`,
      ...(Object.keys(env).length > 0 ? [`--allow-env=${Object.keys(env).join(",")}`] : []),
      MAIN,
      "status",
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-status-cli-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "onionbalance status exits 1 with a clear message when the socket is missing",
  permissions: CHILD_PERMISSIONS,
  fn: () =>
    withTempDir(async (dir) => {
      const result = await cli(["-s", `${dir}/control`], `${dir}/control`);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `onionbalance: Cannot read the status socket "${dir}/control": it does not exist ` +
          "(is the daemon running, with status-socket-location set?)\n",
      );
    }),
});

Deno.test({
  name: "onionbalance status exits 1 with a clear message when the socket refuses",
  permissions: CHILD_PERMISSIONS,
  fn: () =>
    withTempDir(async (dir) => {
      const path = `${dir}/control`;
      // A socket file nobody listens on (its daemon died without removing it).
      const bind = await new Deno.Command(PYTHON, {
        args: ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path],
      }).output();
      assert.equal(bind.code, 0);
      const result = await cli(["--socket", path], path);
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `onionbalance: Cannot read the status socket "${path}": connection refused ` +
          "(no daemon is listening on it)\n",
      );
    }),
});

/** A realistic status document from the balancer (3 backends, one failing, one refused upload). */
async function realReport(): Promise<string> {
  const d = daemon(3);
  d.tor.onFetch = (address) => {
    const i = d.backends.findIndex((b) => b.address === address);
    return i === 2 ? { failed: "NOT_FOUND" } : answer(d.backends[i]!, 1);
  };
  await d.at(NOW);
  await fetchesDone(d);
  await d.at(NOW + 1000);
  await d.poster.settle();
  return pythonJson(statusReport(d.balancer, NOW + 2000));
}

Deno.test({
  name: "onionbalance status reads a real StatusServer: tables, --json, and the environment's path",
  permissions: CHILD_PERMISSIONS,
  fn: () =>
    withTempDir(async (dir) => {
      const path = `${dir}/control`;
      const report = await realReport();
      const server = new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          `--allow-net=unix:${path}`,
          `--allow-read=${path}`,
          `--allow-write=${path}`,
          PROBE,
          JSON.stringify({ mode: "serve", path, report }),
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) break;
        seen += value;
      }
      try {
        assert.deepEqual(JSON.parse(seen), { ready: true });
        const table = await cli(["-s", path], path);
        assert.equal(table.stderr, "");
        assert.equal(table.code, 0);
        assert.equal(table.stdout, formatStatus(JSON.parse(report)));
        assert.match(table.stdout, /^Consensus: valid-after 2030-01-01 13:00:00 UTC/);
        assert.match(table.stdout, /Backends \(3\):/);

        const json = await cli(["--json", "-s", path], path);
        assert.equal(json.code, 0);
        assert.equal(json.stdout, `${report}\n`);

        const fromEnv = await cli([], path, { ONIONBALANCE_STATUS_SOCKET_LOCATION: path });
        assert.equal(fromEnv.code, 0);
        assert.equal(fromEnv.stdout, table.stdout);
      } finally {
        await server.stdin.close();
        while (true) {
          const { value, done } = await lines.read();
          if (done) break;
          seen += value;
        }
        const status = await server.status;
        await server.stderr.cancel();
        assert.equal(status.code, 0);
      }
      assert.deepEqual(JSON.parse(seen.split("\n")[1]!), {
        ok: true,
        calls: 3,
        removedOnClose: true,
      });
    }),
});

Deno.test("formatStatus() shows intro points left out because their relay carries another one", () => {
  const service = SAMPLE.services[0]!;
  const first = { ...service.descriptors.first, introPointsSameRelay: [0, 2] };
  const sample = {
    ...SAMPLE,
    services: [{ ...service, descriptors: { ...service.descriptors, first } }],
  };
  assert.match(formatStatus(sample), /^ {2}first .* 12\+12 \(\+2 same relay\) /m);
  assert.doesNotMatch(formatStatus(SAMPLE), /same relay/);
});

Deno.test("formatStatus() shows an offline key bundle's span, and a descriptor it cannot make", () => {
  const service = (SAMPLE as { services: Record<string, unknown>[] }).services[0]!;
  const report = {
    ...SAMPLE,
    services: [{
      ...service,
      keys: {
        kind: "offline",
        file: "/etc/onionbalance/frontend.keys",
        firstPeriod: 21900,
        lastPeriod: 21914,
        coversUntil: "2030-01-02 00:00:00",
        secondsLeft: 3 * 86400 + 4 * 3600 + 120,
        runningOut: true,
      },
      unpublishable: {
        first: null,
        second: {
          timePeriod: 21915,
          reason: "the offline key bundle covers periods 21900-21914 only",
        },
      },
    }],
  };
  const text = formatStatus(report);
  assert.match(
    text,
    /\n {2}Keys: offline bundle \/etc\/onionbalance\/frontend\.keys, periods 21900-21914, covers until 2030-01-02 00:00:00 UTC \(3 d 4 h left\): RUNNING OUT, make a new one\n/,
  );
  assert.match(
    text,
    /\n {2}second +21915 +- +- +- +- +CANNOT PUBLISH: the offline key bundle covers periods 21900-21914 only\n/,
  );
  // A key (or an older daemon): no keys line.
  assert.ok(!formatStatus(SAMPLE).includes("Keys:"));
});
