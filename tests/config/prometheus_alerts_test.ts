import assert from "node:assert/strict";

const RULES = "config/prometheus-alerts.yml";

Deno.test("config/prometheus-alerts.yml passes `promtool check rules` and has the six alerts", async () => {
  const out = await new Deno.Command("promtool", {
    args: ["check", "rules", RULES],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /SUCCESS: \d+ rules found/);
  const rules = await Deno.readTextFile(RULES);
  for (
    const alert of [
      "OnionbalanceFrontendUnreachable",
      "OnionbalanceBackendLeftOut",
      "OnionbalanceUploadsFailing",
      "OnionbalanceOfflineKeysExpiring",
      "OnionbalanceProbeFailing",
      "OnionbalanceHsdirCopiesNotOurs",
    ]
  ) {
    assert.match(rules, new RegExp(`- alert: ${alert}\\n`), alert);
  }
});
