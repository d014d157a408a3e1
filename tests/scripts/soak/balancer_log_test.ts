import assert from "node:assert/strict";
import { LogTail, parseLogEvent, quantiles } from "../../../scripts/soak/balancer_log.ts";

const at = (s: string) => new Date(s).getTime(); // local time, as the log writes it

Deno.test("parseLogEvent() reads failed checks, backends left out and returning, and publishes", () => {
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 16:58:06,470 [INFO]: Health check of ???eid.onion failed (3 in a row): " +
        "SOCKS5 proxy refused the connection: reply 0xf2 (OnionIntroFailed)",
    ),
    {
      at: at("2026-12-06T16:58:06.470"),
      kind: "check-failed",
      backend: "eid",
      detail: "SOCKS5 proxy refused the connection: reply 0xf2 (OnionIntroFailed)",
    },
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 16:58:06,471 [WARNING]: Backend ???eid.onion failed 3 health checks: left out",
    ),
    { at: at("2026-12-06T16:58:06.471"), kind: "left-out", backend: "eid" },
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 16:58:07,000 [WARNING]: Backend q5ftqonz6qgorxcmic64bsfmwzsdwrieetfxtxdcfw2f3ooxafeykeid.onion " +
        "failed a health check before its return: left out",
    ),
    { at: at("2026-12-06T16:58:07.000"), kind: "left-out", backend: "eid" },
  );
  assert.equal(
    parseLogEvent(
      "2026-12-06 16:58:41,959 [WARNING]: Backend ???eid.onion passes its health check again: back " +
        "in the descriptors once its descriptor is fetched",
    )?.kind,
    "returns",
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 16:58:06,477 [INFO]: Publishing the second descriptor of ???oqd.onion (TP 7485733/4m, " +
        "revision 11830286) to 8 HSDirs: the intro points changed; 1 descriptor(s) with 4 intro points",
    ),
    {
      at: at("2026-12-06T16:58:06.477"),
      kind: "publish",
      slot: "second",
      period: 7485733,
      revision: "11830286",
      detail: "the intro points changed; 1 descriptor(s) with 4 intro points",
    },
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 18:10:45,693 [INFO]: Uploading first descriptor for " +
        "xwlv6q6calzxenfqh35rggljxsrrjk6ata53xuwowrwuu7c2mzhb4sqd.onion to " +
        "['ACC37FEE964CC4998951C36944B20D56B695C68E', '86A86588EED23CB05AD6D6EDCADD265BAB2C66B0']",
    ),
    {
      at: at("2026-12-06T18:10:45.693"),
      kind: "publish",
      slot: "first",
      hsDirs: [
        "ACC37FEE964CC4998951C36944B20D56B695C68E",
        "86A86588EED23CB05AD6D6EDCADD265BAB2C66B0",
      ],
    },
    "OnionBalance 0.2.2's upload",
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 18:10:45,698 [DEBUG]: Rev counter for second descriptor (SRV secs 166, OPE 5398888)",
    ),
    { at: at("2026-12-06T18:10:45.698"), kind: "revision", slot: "second", revision: "5398888" },
    "OnionBalance 0.2.2's revision counter, at debug level",
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 18:10:45,678 [DEBUG]: For valid_after 2026-12-06 18:10:40 we got SRV " +
        "b'1/EBFHyntrfOgwBwV18P69fu+XEBPr5MOLFhq0aDJ1M=' and TP 3742875 (case: #2)",
    ),
    { at: at("2026-12-06T18:10:45.678"), kind: "period", slot: "first", period: 3742875 },
  );
  assert.equal(
    parseLogEvent(
      "2026-12-06 18:10:45,697 [DEBUG]: For valid_after 2026-12-06 18:10:40 we got SRV None and " +
        "TP 3742876 (case: #4)",
    )?.slot,
    "second",
  );
  assert.deepEqual(
    parseLogEvent(
      "2026-12-06 18:10:46,000 [WARNING]: Upload of ???oqd.onion to HSDir $DFEC06D7~relay1 failed " +
        "(UPLOAD_REJECTED); retry #1 in 5 s",
    ),
    { at: at("2026-12-06T18:10:46.000"), kind: "upload-failed", detail: "UPLOAD_REJECTED" },
  );
  for (
    const other of [
      "2026-12-06 16:58:06,856 [INFO]: Backend ???tad.onion: new intro points (3 intro points)",
      "Backend ???eid.onion failed 3 health checks: left out",
      "",
    ]
  ) assert.equal(parseLogEvent(other), undefined, other);
});

Deno.test("quantiles() gives nearest-rank order statistics", () => {
  assert.deepEqual(quantiles([]), { n: 0 });
  assert.deepEqual(quantiles([5]), { n: 1, min: 5, p25: 5, p50: 5, p75: 5, p90: 5, max: 5 });
  const q = quantiles(Array.from({ length: 20 }, (_, i) => 20 - i)); // 20 … 1
  assert.deepEqual(q, { n: 20, min: 1, p25: 5, p50: 10, p75: 15, p90: 18, max: 20 });
});

Deno.test("LogTail follows a growing log, a line split across writes included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ob-logtail-" });
  try {
    const path = `${dir}/b.log`;
    const tail = new LogTail(path);
    await tail.poll(); // no file yet
    assert.equal(tail.events.length, 0);
    const line =
      "2026-12-06 16:58:06,471 [WARNING]: Backend ???eid.onion failed 3 health checks: left out";
    await Deno.writeTextFile(path, `noise\n${line.slice(0, 30)}`);
    await tail.poll();
    assert.equal(tail.events.length, 0);
    await Deno.writeTextFile(path, `${line.slice(30)}\n`, { append: true });
    await tail.poll();
    assert.deepEqual(tail.events.map((e) => e.kind), ["left-out"]);
    await tail.poll();
    assert.equal(tail.events.length, 1, "nothing read twice");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
