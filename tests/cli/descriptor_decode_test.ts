import assert from "node:assert/strict";
import { toBase32 } from "../../src/bytes/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { ExitCode, UsageError } from "../../src/cli/exit_codes.ts";
import { runCli } from "../../src/cli/program.ts";
import { descriptorDecode } from "../../src/cli/descriptor_decode.ts";
import type { DescriptorSummary } from "../../src/cli/descriptor_summary.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import { buildHsDesc, HsClientDescEncKeypair } from "../../src/netdoc/mod.ts";
import { A12, a12Input, a12Rng, noShuffle } from "../netdoc/hsdesc/_fixtures.ts";

const AT = "2030-01-01T13:00:00Z";
const text = (await buildHsDesc(
  { ...a12Input(), flowControl: { versions: "1-2", sendmeInc: 31 } },
  { rng: a12Rng(), shuffle: noShuffle },
)).text;

function capture() {
  const io = { stdout: "", stderr: "" };
  return {
    io,
    writers: {
      out: (t: string) => void (io.stdout += t),
      err: (t: string) => void (io.stderr += t),
    },
  };
}

async function withFile<T>(contents: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ dir: "/tmp", prefix: "ob-desc-" });
  try {
    await Deno.writeTextFile(path, contents);
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("onionbalance descriptor decode prints the descriptor as text", async () => {
  const { io, writers } = capture();
  const outcome = await withFile(
    text,
    (path) => runCli(["descriptor", "decode", "--address", A12.address, "--at", AT, path], writers),
  );
  assert.equal(outcome.exitCode, ExitCode.Ok, io.stderr);
  for (
    const line of [
      `Descriptor for ${A12.address}`,
      "  time period:          21915 (1440 min)",
      "  lifetime:             180 min",
      "  revision counter:     123456",
      "  signing-key cert:     expires 2030-01-03T19:00:00.000Z",
      "  client auth:          not needed (16 auth-client lines)",
      "  flow-control:         1-2 31",
      "  pow-params:           none",
      "  introduction points:  1",
      `      relay:            192.0.2.1:9001, $${"AA".repeat(20)}, ed25519 ${"u7".repeat(21)}s`,
    ]
  ) {
    assert.ok(io.stdout.includes(`${line}\n`), `missing line: ${line}\n${io.stdout}`);
  }
});

Deno.test("onionbalance descriptor decode --json gives every field", async () => {
  const { io, writers } = capture();
  await withFile(
    text,
    (path) =>
      runCli(
        ["descriptor", "decode", "--json", "--address", A12.address, "--at", AT, path],
        writers,
      ),
  );
  const json = JSON.parse(io.stdout) as DescriptorSummary;
  assert.equal(json.revisionCounter, "123456");
  assert.equal(json.lifetimeMinutes, 180);
  assert.deepEqual(json.flowControl, { versions: "1-2", sendmeInc: 31 });
  assert.equal(json.powParams, null);
  assert.equal(json.introductionPoints.length, 1);
  const [ip] = json.introductionPoints;
  assert.deepEqual(ip?.linkSpecifiers, [
    { type: "ipv4", address: "192.0.2.1", port: 9001 },
    { type: "legacy", fingerprint: "AA".repeat(20) },
    { type: "ed25519", identity: `${"u7".repeat(21)}s` },
  ]);
  assert.equal(ip?.authKeyCertExpires, "2030-01-03T19:00:00.000Z");
  assert.deepEqual(json.rejectedIntroductionPoints, []);
});

Deno.test("onionbalance descriptor decode --client-key opens a restricted descriptor", async () => {
  const client = HsClientDescEncKeypair.fromSecret(new Uint8Array(32).fill(0x5c));
  const restricted = (await buildHsDesc(
    { ...a12Input(), authorizedClients: [client.public] },
    { rng: seededRng("cli") },
  )).text;
  const keyFile = `${onionAddressLabel(A12.identity.public)}:descriptor:x25519:${
    toBase32(new Uint8Array(32).fill(0x5c))
  }\n`;
  await withFile(restricted, (descPath) =>
    withFile(keyFile, async (keyPath) => {
      const { io, writers } = capture();
      const ok = await runCli(
        [
          "descriptor",
          "decode",
          "--address",
          A12.address,
          "--at",
          AT,
          "--client-key",
          keyPath,
          descPath,
        ],
        writers,
      );
      assert.equal(ok.exitCode, ExitCode.Ok);
      assert.match(io.stdout, /client auth: {10}used \(16 auth-client lines\)/);
      assert.ok(!io.stdout.includes(toBase32(new Uint8Array(32).fill(0x5c))));
      await assert.rejects(
        descriptorDecode(descPath, { address: A12.address, at: AT }),
        (e: unknown) =>
          e instanceof UsageError && e.exitCode === ExitCode.Failure &&
          /client key/.test(e.message),
      );
    }));
});

Deno.test("descriptor decode of an old descriptor says when it was made and the --at that decodes it", async () => {
  await withFile(text, async (path) => {
    let message = "";
    for (const at of ["2030-01-04T00:00:00Z", "2029-12-29T00:00:00Z"]) {
      await assert.rejects(
        descriptorDecode(path, { address: A12.address, at }),
        (e: unknown) => {
          assert.ok(e instanceof UsageError && e.exitCode === ExitCode.Failure);
          message = e.message;
          return true;
        },
      );
      const hint = message.match(
        /it was made(?: later,)? about (\S+) \(its signing-key cert expires (\S+)\), in TP (\S+): decode it with --at (\S+)$/,
      );
      assert.ok(hint !== null, message);
      assert.equal(hint[4], hint[1]);
      // The suggestion works.
      const decoded = await descriptorDecode(path, { address: A12.address, at: hint[4] });
      assert.match(decoded, /revision/i);
    }
  });
});

Deno.test("descriptor decode made for another address says so, with when it was made", async () => {
  await withFile(text, async (path) => {
    const other = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";
    await assert.rejects(
      descriptorDecode(path, { address: other, at: "2030-01-04T00:00:00Z" }),
      (e: unknown) =>
        e instanceof UsageError &&
        /it was made about \S+ .*not for this address in the time periods around then/.test(
          e.message,
        ),
    );
  });
});

Deno.test("onionbalance descriptor decode fails clearly on a wrong address, time or flag", async () => {
  await withFile(text, async (path) => {
    const other = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";
    await assert.rejects(
      descriptorDecode(path, { address: other, at: AT }),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === ExitCode.Failure &&
        /outer-verify/.test(e.message),
    );
    await assert.rejects(
      descriptorDecode(path, { address: "nope", at: AT }),
      (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.Usage,
    );
    await assert.rejects(
      descriptorDecode(path, { address: A12.address, at: "yesterday" }),
      UsageError,
    );
    await assert.rejects(
      descriptorDecode("/tmp/does-not-exist-ob", { address: A12.address, at: AT }),
      (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.Failure,
    );
    const { io, writers } = capture();
    const outcome = await runCli(["descriptor", "decode", path], writers);
    assert.equal(outcome.exitCode, ExitCode.Usage);
    assert.match(io.stderr, /--address/);
  });
});

Deno.test("main.ts prints a decode failure without a stack and exits 1 (real process)", async () => {
  await withFile(text.replace("revision-counter 123456\n", ""), async (path) => {
    const output = await new Deno.Command("deno", {
      args: [
        "run",
        "--quiet",
        `--allow-read=${path}`,
        "--allow-env", // the compiled binary may read its ONIONBALANCE_* variables
        new URL("../../main.ts", import.meta.url).pathname,
        "descriptor",
        "decode",
        "--address",
        A12.address,
        path,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, stderr);
    assert.equal(
      stderr,
      'onionbalance: Cannot use descriptor (outer-parse): Cannot parse descriptor "outer": missing keyword "revision-counter"\n',
    );
  });
});
