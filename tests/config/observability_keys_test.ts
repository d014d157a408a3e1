import assert from "node:assert/strict";
import { DEFAULT_FRONTEND_PROBE, parseConfig } from "../../src/config/mod.ts";
import { configError, OPTIONS } from "./_config_error.ts";

const A = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";

Deno.test("parseConfig() reads audit-interval: 900 s by default, 0 for none, else 30 s to a day", () => {
  const base = `services:\n- key: a.key\n  instances:\n  - address: ${A}\n`;
  assert.equal(parseConfig(base, OPTIONS).config.tuning.auditIntervalSeconds, 900);
  for (const seconds of [0, 30, 600, 86400]) {
    const { config } = parseConfig(`${base}audit-interval: ${seconds}\n`, OPTIONS);
    assert.equal(config.tuning.auditIntervalSeconds, seconds);
  }
  const short = configError(() => parseConfig(`${base}audit-interval: 10\n`, OPTIONS));
  assert.deepEqual(short.location, { file: "config.yaml", line: 5, column: 17 });
  assert.match(
    short.message,
    /^config\.yaml:5:17: "audit-interval" must be 0 \(no audits\) or at least 30 seconds, found 10/,
  );
  for (const bad of ["86401", "-1", "fast"]) {
    const error = configError(() => parseConfig(`${base}audit-interval: ${bad}\n`, OPTIONS));
    assert.equal(error.location.line, 5, bad);
    assert.match(error.message, /"audit-interval" must be a number from 0 to 86400/, bad);
  }
});

Deno.test("parseConfig() reads frontend-probe: off when absent, on with defaults when present", () => {
  const base = `services:\n- key: a.key\n  instances:\n  - address: ${A}\n`;
  const absent = parseConfig(base, OPTIONS).config.frontendProbe;
  assert.deepEqual(absent, DEFAULT_FRONTEND_PROBE);
  assert.equal(absent.enabled, false);
  const present = parseConfig(`${base}frontend-probe: {}\n`, OPTIONS);
  assert.deepEqual(present.warnings, []);
  assert.deepEqual(present.config.frontendProbe, {
    enabled: true,
    intervalSeconds: 60,
    timeoutSeconds: 30,
    port: 80,
  });
  const set = parseConfig(
    `${base}frontend-probe:\n  interval: 10\n  port: 8080\n`,
    OPTIONS,
  ).config.frontendProbe;
  assert.deepEqual(set, { enabled: true, intervalSeconds: 10, timeoutSeconds: 10, port: 8080 });
  const off = parseConfig(`${base}frontend-probe:\n  enabled: false\n  timeout: 5\n`, OPTIONS);
  assert.deepEqual(off.config.frontendProbe, {
    enabled: false,
    intervalSeconds: 60,
    timeoutSeconds: 5,
    port: 80,
  });
});

Deno.test("parseConfig() refuses a frontend-probe timeout longer than its interval, bad ranges and typos", () => {
  const base = `services:\n- key: a.key\n  instances:\n  - address: ${A}\nfrontend-probe:\n`;
  const long = configError(() => parseConfig(`${base}  interval: 60\n  timeout: 90\n`, OPTIONS));
  assert.deepEqual(long.location, { file: "config.yaml", line: 7, column: 12 });
  assert.match(
    long.message,
    /"frontend-probe\.timeout" \(90 s\) must not be longer than its interval \(60 s\)/,
  );
  for (
    const [lines, message] of [
      ["  interval: 4\n", /"interval" must be a number from 5 to 86400, found 4/],
      ["  timeout: 0\n", /"timeout" must be a number from 1 to 600, found 0/],
      ["  port: 70000\n", /"port" must be a number from 1 to 65535/],
      ["  enabled: 1\n", /"enabled" must be true or false/],
      [
        "  intervall: 30\n",
        /Unknown key "intervall" in "frontend-probe"; did you mean "interval"\?/,
      ],
    ] as const
  ) {
    const error = configError(() => parseConfig(base + lines, OPTIONS));
    assert.equal(error.location.line, 6, lines);
    assert.match(error.message, message);
  }
  const notMap = configError(() => parseConfig(`${base.slice(0, -1)} yes\n`, OPTIONS));
  assert.match(notMap.message, /"frontend-probe" must be a mapping/);
  // A key unlike any known one is a warning, as everywhere in the file.
  const { config, warnings } = parseConfig(`${base}  colour: red\n`, OPTIONS);
  assert.equal(config.frontendProbe.enabled, true);
  assert.match(warnings[0]!.message, /Unknown key "colour" in "frontend-probe" is ignored/);
});
