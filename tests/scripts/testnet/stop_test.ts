import assert from "node:assert/strict";
import { recordProcess, runningOf, stopProcesses } from "../../../scripts/testnet/pids.ts";
import { type NetworkState, writeState } from "../../../scripts/testnet/state.ts";
import { networkStatus } from "../../../scripts/testnet/status.ts";
import { stopNetwork } from "../../../scripts/testnet/stop.ts";
import { startSleeper } from "./_sleeper.ts";

function emptyState(dir: string): NetworkState {
  return {
    format: 1,
    dir,
    basePort: 15000,
    relays: 0,
    consensusParams: {},
    authorities: [],
    nodes: [],
    backends: [],
    processes: [],
  };
}

Deno.test("stopNetwork() stops recorded processes, and a tor whose PID file names its torrc", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ob-stop-test-" });
  try {
    const dataDir = `${dir}/nodes/relay0`;
    await Deno.mkdir(dataDir, { recursive: true });
    // "relay0" was launched but never recorded (a crash in between); "other" holds a PID file
    // of a process that is not its tor and must be left alone.
    const relayPid = startSleeper({ args: ["-f", `${dataDir}/torrc`] });
    await Deno.writeTextFile(`${dataDir}/pid`, `${relayPid}\n`);
    const otherPid = startSleeper();
    await Deno.mkdir(`${dir}/nodes/other`, { recursive: true });
    await Deno.writeTextFile(`${dir}/nodes/other/pid`, `${otherPid}\n`);
    const http = await recordProcess("backend0-http", startSleeper());
    const state = emptyState(dir);
    state.processes.push(http);
    for (const name of ["relay0", "other"]) {
      state.nodes.push({
        name,
        role: "relay",
        dataDir: `${dir}/nodes/${name}`,
        torrc: `${dir}/nodes/${name}/torrc`,
      });
    }
    await writeState(state);

    const before = await networkStatus(dir);
    assert.deepEqual(before.processes, [{ name: "backend0-http", pid: http.pid, running: true }]);
    const report = await stopNetwork(dir, { graceMs: 5_000 });
    assert.deepEqual(report.stopped.sort(), ["backend0-http", "relay0"]);
    const after = await networkStatus(dir);
    assert.equal(after.processes[0]!.running, false);
    const other = await recordProcess("other", otherPid);
    assert.deepEqual(await runningOf([other]), [other], "an unrelated process must survive");
    await stopProcesses([other]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
