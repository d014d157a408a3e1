import assert from "node:assert/strict";
import {
  parseProcStat,
  readProcStats,
  recordProcess,
  runningOf,
  stopProcesses,
  stopProcessesSync,
} from "../../../scripts/testnet/pids.ts";
import { settle, startSleeper } from "./_sleeper.ts";

Deno.test("parseProcStat() counts fields after the last parenthesis of the command name", () => {
  const line = "4632 (tor) odd) name) S 1 4632 4632 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 " +
    "987654 1000 100 18446744073709551615";
  assert.deepEqual(parseProcStat(line), { pid: 4632, state: "S", startTime: "987654" });
  assert.equal(parseProcStat("garbage"), undefined);
});

Deno.test("readProcStats() reads this process and leaves out PIDs that do not exist", async () => {
  const stats = await readProcStats([Deno.pid, 4_000_000]);
  assert.equal(stats.size, 1);
  assert.match(stats.get(Deno.pid)!.startTime, /^\d+$/);
  await assert.rejects(readProcStats([1]), RangeError);
});

Deno.test("stopProcesses() stops a recorded process with SIGTERM", async () => {
  const record = await recordProcess("sleeper", startSleeper());
  assert.deepEqual(await runningOf([record]), [record]);
  const report = await stopProcesses([record], { graceMs: 5_000 });
  assert.deepEqual(report, { stopped: ["sleeper"], killed: [], gone: [] });
  assert.deepEqual(await runningOf([record]), []);
});

Deno.test("stopProcesses() never signals a PID whose start time changed", async () => {
  const record = await recordProcess("sleeper", startSleeper());
  const reused = { ...record, startTime: String(Number(record.startTime) - 1) };
  const report = await stopProcesses([reused], { graceMs: 1_000 });
  assert.deepEqual(report, { stopped: [], killed: [], gone: ["sleeper"] });
  assert.deepEqual(await runningOf([record]), [record], "the process must still run");
  await stopProcesses([record]);
});

Deno.test("stopProcesses() sends SIGKILL after the grace period", async () => {
  const record = await recordProcess("stubborn", startSleeper({ ignoreTerm: true }));
  await settle();
  const report = await stopProcesses([record], { graceMs: 300 });
  assert.deepEqual(report, { stopped: [], killed: ["stubborn"], gone: [] });
  assert.deepEqual(await runningOf([record]), []);
});

Deno.test("stopProcessesSync() stops processes without the event loop", async () => {
  const records = [
    await recordProcess("a", startSleeper()),
    await recordProcess("b", startSleeper()),
  ];
  const report = stopProcessesSync(records, { graceMs: 5_000 });
  assert.deepEqual(report.stopped.sort(), ["a", "b"]);
  assert.deepEqual(await runningOf(records), []);
});
