/**
 * The `README.md` of a generated deployment: which service has which
 * backends, and which files go to which machine. In an offline deployment,
 * also what goes to the isolated machine, what span each bundle covers and how
 * to renew it; with encrypted keys, how the daemon gets the passphrase; with
 * client authorization, who gets which key, and how to add or revoke a client.
 *
 * Spec: tor `hs_ob.c` and the tor manual's `HiddenServiceOnionbalanceInstance`
 * (what a backend needs: that option and `ob_config` naming the frontend);
 * rend-spec-v3 §1.7 (offline keys); systemd.exec(5) "Credentials"
 * (`LoadCredentialEncrypted=`); rend-spec-v3 [CLIENT-AUTH] and the tor manual's
 * "CLIENT AUTHORIZATION" (`authorized_clients/`, `ClientOnionAuthDir`).
 *
 * Role: pure text building. It names addresses (public) and file names,
 * never key material.
 *
 * @module
 */

import { DEFAULT_CREDENTIAL_NAME } from "../keys/mod.ts";
import { DEPLOY_DEFAULTS } from "./inputs.ts";
import { type BackendSettings, LAYOUT, type PlannedBundle, type PlannedService } from "./layout.ts";

const FORMAT_NAMES = {
  tor: "tor's hs_ed25519_secret_key format",
  pem: "PKCS#8 PEM",
} as const;

function serviceLines(service: PlannedService): string[] {
  const origin = service.imported ? "imported" : "new";
  const format = service.encrypted ? "PKCS#8 PEM, encrypted" : FORMAT_NAMES[service.keyFormat];
  const lines = [`### Service ${service.index}: ${service.address}`, ""];
  if (service.bundle === undefined) {
    lines.push(`- key: \`${service.keyFile}\` (${origin}, ${format})`);
  } else {
    lines.push(
      `- identity key: \`${service.keyFile}\` (${origin}, ${format}), for the isolated machine only`,
      `- offline key bundle: \`${service.bundle.file}\`${
        service.bundle.encrypted ? " (encrypted)" : ""
      }, for the balancer; covers ${service.bundle.span}`,
    );
  }
  if (service.clients !== undefined) {
    lines.push(
      `- ${service.clients.names.length} authorized client(s): ${
        clientRange(service.clients.names)
      }; public keys in \`${service.clients.dir}/\``,
    );
  }
  const restricted = service.backends.some((b) => b.clientKey !== undefined);
  for (const b of service.backends) {
    const note = b.clientKey !== undefined
      ? ", restricted to the balancer"
      : restricted && b.kind === "adopted"
      ? ", not restricted"
      : "";
    lines.push(
      b.kind === "generated"
        ? `- backend \`${b.name}\`: ${b.address}, folder \`${b.name}/\`${note}`
        : `- backend \`${b.name}\`: ${b.address}, an existing backend (no folder; see below)${note}`,
    );
  }
  return [...lines, ""];
}

/** `clients/client1/` to `clients/client3/`: the folders of a service's clients, in order. */
function clientRange(names: readonly string[]): string {
  const folder = (name: string) => `\`${LAYOUT.clientsDir}/${name}/\``;
  const first = names[0] ?? "";
  const last = names[names.length - 1] ?? "";
  return names.length === 1 ? folder(first) : `${folder(first)} to ${folder(last)}`;
}

function adoptedLines(services: readonly PlannedService[]): string[] {
  const adopted = new Map<string, string[]>();
  for (const s of services) {
    for (const b of s.backends) {
      if (b.kind === "adopted") {
        adopted.set(b.address, [...(adopted.get(b.address) ?? []), s.address]);
      }
    }
  }
  if (adopted.size === 0) return [];
  const lines = [
    "## Existing backends",
    "",
    "These backends were given by address, so nothing was generated for them. On each one, add",
    "`HiddenServiceOnionbalanceInstance 1` to its onion service in its torrc, and put in the file",
    `\`${LAYOUT.obConfig}\` inside its HiddenServiceDir the line(s) below (tor refuses to start`,
    "while that file is missing; the `.onion` suffix is required), then restart its tor.",
    "",
  ];
  for (const [address, masters] of adopted) {
    lines.push(`- ${address}:`, "", "  ```", ...masters.map((m) => `  MasterOnionAddress ${m}`));
    lines.push("  ```", "");
  }
  return lines;
}

function layoutLines(services: readonly PlannedService[], generated: boolean): string[] {
  const offline = services.some((s) => s.bundle !== undefined);
  const clients = services.some((s) => s.clients !== undefined);
  const restricted = services.some((s) => s.backends.some((b) => b.clientKey !== undefined));
  const row = (name: string, what: string) => `${name.padEnd(27)} ${what}`;
  const rows = [
    row(LAYOUT.readme, "this file"),
    offline
      ? row(LAYOUT.config, "the balancer's configuration (offline-keys: the bundles)")
      : clients || restricted
      ? row(LAYOUT.config, "the balancer's configuration (restricted: not for OnionBalance 0.2.x)")
      : row(LAYOUT.config, "the balancer's configuration (OnionBalance 0.2.x format)"),
    ...(offline
      ? [
        row("<frontend address>.keys", "a frontend's offline key bundle (the balancer's)"),
        row(
          `${LAYOUT.offlineDir}/<frontend>.key`,
          "a frontend's identity key (the isolated machine's)",
        ),
      ]
      : [row("<frontend address>.key", "a frontend's secret key")]),
    row(LAYOUT.frontendTorrc, "the frontend tor's torrc"),
    ...(clients
      ? [
        row("<frontend>.authorized_clients/", "a service's clients' public keys (the balancer's)"),
        row(`${LAYOUT.clientsDir}/<client>/`, "one client's secret key: <frontend>.auth_private"),
      ]
      : []),
    ...(restricted
      ? [row(`${LAYOUT.backendKeysDir}/`, "the balancer's secret keys to the restricted backends")]
      : []),
  ];
  if (generated) {
    rows.push(
      row(`<name>/${LAYOUT.backendTorrc}`, "a backend tor's torrc"),
      row(`<name>/${LAYOUT.hiddenServiceDir}/`, "its HiddenServiceDir: hs_ed25519_secret_key,"),
      row("", `hs_ed25519_public_key, hostname, ${LAYOUT.obConfig}`),
    );
    if (restricted) {
      rows.push(row("", `and ${LAYOUT.authorizedClientsDir}/${LAYOUT.balancerAuth} (restricted)`));
    }
  }
  return ["## Files", "", "```", ...rows, "```"];
}

/**
 * The `keys offline` command line that renews `bundle` from its end, with the
 * same span and period length, run next to the identity key.
 */
function renewCommand(keyFile: string, bundle: PlannedBundle): string {
  const span = "days" in bundle.request
    ? `--days ${bundle.request.days}`
    : `--periods ${bundle.request.periods}`;
  const length = bundle.lengthMinutes === DEPLOY_DEFAULTS.periodLengthMinutes
    ? ""
    : ` --period-length ${bundle.lengthMinutes}`;
  const encrypt = bundle.encrypted ? " --encrypt" : "";
  const key = keyFile.slice(keyFile.lastIndexOf("/") + 1);
  const from = new Date(bundle.endsAt * 1000).toISOString().slice(0, 19);
  return `onionbalance keys offline --key ${key} --output ${bundle.file} ${span} ` +
    `--from ${from}Z${length}${encrypt}`;
}

/** What goes to the isolated machine, what the balancer holds, and how to renew the bundles. */
function offlineLines(services: readonly PlannedService[]): string[] {
  const offline = services.filter((s) => s.bundle !== undefined);
  if (offline.length === 0) return [];
  const encrypted = offline.some((s) => s.encrypted);
  return [
    "## Offline identity keys (the isolated machine)",
    "",
    `The identity keys are in \`${LAYOUT.offlineDir}/\`: the balancer never needs them.`,
    "",
    `1. Move \`${LAYOUT.offlineDir}/\` to the isolated machine (e.g. on removable media), then delete`,
    `   it here (\`rm -r ${LAYOUT.offlineDir}\`) before anything goes to the balancer. This deployment`,
    "   should itself be generated on the isolated machine, or the key was on a networked one.",
    `2. The balancer holds \`${LAYOUT.config}\`, the bundle(s) \`<frontend address>.keys\` and`,
    `   \`${LAYOUT.frontendTorrc}\`. A bundle lets it publish the service's descriptors for the time`,
    "   periods it covers, no later (rend-spec-v3 §1.7): per period a descriptor-signing key,",
    "   certified by that period's blinded key. It holds no identity key.",
    "",
    "### Renewing a bundle",
    "",
    ...offline.map((s) => `- \`${s.bundle!.file}\` (service ${s.index}) covers ${s.bundle!.span}.`),
    "",
    "The balancer warns a week before a bundle runs out (`offline-keys-warning` in config.yaml)",
    "and cannot publish once it has. Before then, on the isolated machine, in the folder that",
    `holds the \`${LAYOUT.offlineDir}/\` files, make a new one:`,
    "",
    "```",
    ...offline.map((s) => renewCommand(s.keyFile, s.bundle!)),
    "```",
    "",
    "It starts where the bundle ends (if that is past, leave out `--from`). With the released",
    "binaries, the command is `onionbalance-config keys offline …`.",
    ...(encrypted
      ? [
        "It asks for the identity key's passphrase, then the new bundle's (or give",
        "`--key-passphrase-file FILE` and `--passphrase-file FILE`).",
      ]
      : []),
    `Copy the new bundle to the balancer over the old one, next to \`${LAYOUT.config}\` (mode`,
    "0600), then run `systemctl reload onionbalance` (or send onionbalance SIGHUP). Renewals",
    "keep the descriptors' revision counters increasing: every bundle made from one identity key",
    "carries the same revision-counter key, so the counters stay monotonic across bundles.",
    "",
  ];
}

/** Who gets which client key, and how to add or revoke a client. */
function clientLines(services: readonly PlannedService[]): string[] {
  if (!services.some((s) => s.clients !== undefined)) return [];
  return [
    "## Client authorization (restricted discovery)",
    "",
    "Only a service's authorized clients (listed under Services) can read its descriptors, so only",
    "they can connect (rend-spec-v3 [CLIENT-AUTH]).",
    "",
    "- `<frontend address>.authorized_clients/` stays with the balancer, next to `config.yaml`",
    "  (`authorized-clients-dir:`): one `<client>.auth` per client, their public key (not secret).",
    `- \`${LAYOUT.clientsDir}/<client>/\` goes to that one person, and no one else: its`,
    "  `<frontend address>.auth_private` is their **secret** key. Hand it over privately, then",
    "  delete it here. In their torrc: `ClientOnionAuthDir /path/to/that/folder`. In Tor Browser:",
    "  at the onion service authentication prompt, paste the key (the text after the last `:`).",
    "",
    "To add a client, have them make their own x25519 key pair (see",
    "https://community.torproject.org/onion-services/advanced/client-auth/), put the line",
    "`descriptor:x25519:<their base32 public key>` in a new `<name>.auth` file in that folder (mode",
    "0600), and run `systemctl reload onionbalance`. To revoke a client, delete their `.auth` file",
    "and reload: a descriptor they fetched before stays usable until it expires (at most 3 hours).",
    "",
  ];
}

/** Why the backends are restricted, and what each side needs. */
function restrictedLines(services: readonly PlannedService[]): string[] {
  const backends = services.flatMap((s) => s.backends);
  if (!backends.some((b) => b.clientKey !== undefined)) return [];
  const adopted = services
    .filter((s) => s.backends.some((b) => b.clientKey !== undefined))
    .flatMap((s) => s.backends.filter((b) => b.kind === "adopted").map((b) => `\`${b.name}\``));
  const dir = `${LAYOUT.hiddenServiceDir}/${LAYOUT.authorizedClientsDir}`;
  return [
    "## Restricted backends",
    "",
    "Each generated backend's tor encrypts its descriptor to the balancer's key alone (the public",
    `key in \`<name>/${dir}/${LAYOUT.balancerAuth}\`, one per service), so a`,
    "backend address that leaks from a backend machine gives an outsider nothing to connect to.",
    "Clients still reach the backends through the frontend's descriptor.",
    "",
    `- The balancer needs \`${LAYOUT.backendKeysDir}/\` next to \`${LAYOUT.config}\`, which names each`,
    "  file with `client-key:`: per backend, `<backend address>.auth_private`, the balancer's",
    "  **secret** key to it (folder 0700, files 0600). It stays on the balancer.",
    `- Each backend's tor must find \`${LAYOUT.authorizedClientsDir}/\` inside its HiddenServiceDir: it`,
    `  comes with \`<name>/${LAYOUT.hiddenServiceDir}/\` (same owner and modes). Without it, the`,
    "  backend is public again.",
    ...(adopted.length === 0 ? [] : [
      `- The existing backends (${adopted.join(", ")}) are not restricted: their folders are not`,
      "  ours to write.",
    ]),
    "",
  ];
}

/** Where the encrypted files are, and where the daemon gets their passphrase. */
function encryptedLines(services: readonly PlannedService[]): string[] {
  if (!services.some((s) => s.encrypted)) return [];
  const offline = services.some((s) => s.bundle !== undefined);
  const what = offline ? "identity keys and the bundles" : "frontend keys";
  const credential = DEFAULT_CREDENTIAL_NAME;
  const store = `/etc/credstore.encrypted/${credential}`;
  return [
    "## Encrypted keys",
    "",
    `The ${what} are encrypted with your passphrase (PKCS#8`,
    "`ENCRYPTED PRIVATE KEY`, PBES2; `openssl pkey` reads them). The backends' keys are not: tor",
    "cannot read an encrypted key, so only their 0600 modes protect them. onionbalance takes the",
    "passphrase from, in order:",
    "",
    "- `passphrase-file: /etc/onionbalance/passphrase` in the service's entry of config.yaml",
    "  (a file only onionbalance's user can read, mode 0600);",
    "- `onionbalance --passphrase-file <path>`;",
    `- the systemd credential \`${credential}\`, e.g. in the unit`,
    `  \`LoadCredentialEncrypted=${credential}:${store}\``,
    `  (made with \`systemd-creds encrypt --name=${credential} - ${store}\`);`,
    "- the terminal, when onionbalance is started from one.",
    "",
    "Each encryption draws a fresh salt and IV, so encrypted files differ from run to run.",
    "",
  ];
}

/**
 * The text of `README.md`.
 *
 * @param services The planned services.
 * @param settings Where the backends' HiddenServiceDir folders go, and their port.
 */
export function deploymentReadme(
  services: readonly PlannedService[],
  settings: BackendSettings,
): string {
  const prefix = settings.backendDirPrefix === "/" ? "" : settings.backendDirPrefix;
  const generated = services.some((s) => s.backends.some((b) => b.kind === "generated"));
  const offline = services.some((s) => s.bundle !== undefined);
  const clients = services.some((s) => s.clients !== undefined);
  const restricted = services.some((s) => s.backends.some((b) => b.clientKey !== undefined));
  const access = clients || restricted;
  const lines = [
    "# OnionBalance deployment",
    "",
    "Generated by `onionbalance config`. This folder holds secret keys: its folders are 0700 and",
    "its files 0600. Copy each part to its machine, keeping those modes, and delete what is left.",
    "",
    "## Services",
    "",
    ...services.flatMap(serviceLines),
    ...offlineLines(services),
    "## The balancer machine (onionbalance and the frontend tor)",
    "",
    `1. Copy \`${LAYOUT.config}\` and the \`${
      offline ? ".keys` bundle" : ".key` file"
    }(s) together to one folder, e.g.`,
    "   `/etc/onionbalance/` (owned by the user onionbalance runs as; folder 0700, files 0600).",
    `   config.yaml names the ${offline ? "bundles" : "keys"} relative to its own folder.`,
    ...(access
      ? [
        `   Copy along ${
          [
            ...(clients ? ["the `<frontend address>.authorized_clients/` folder(s)"] : []),
            ...(restricted ? [`\`${LAYOUT.backendKeysDir}/\``] : []),
          ].join(" and ")
        },`,
        "   which config.yaml names too (see below).",
      ]
      : []),
    `2. Use \`${LAYOUT.frontendTorrc}\` as the frontend tor's torrc (e.g. \`/etc/tor/torrc\`) and`,
    offline
      ? "   restart that tor. It runs no onion service: onionbalance publishes with the bundles."
      : "   restart that tor. It runs no onion service: the frontend keys stay with onionbalance.",
    "3. Start the balancer: `onionbalance -c /etc/onionbalance/config.yaml`.",
    "",
  ];
  if (generated) {
    lines.push(
      "## Each generated backend `<name>/` (one machine each)",
      "",
      `1. Copy \`<name>/${LAYOUT.hiddenServiceDir}/\` to \`${prefix}/<name>/\` on that machine: it is the`,
      `   HiddenServiceDir that \`<name>/${LAYOUT.backendTorrc}\` names. Make it owned by the user tor`,
      "   runs as (Debian: `debian-tor`), folder 0700, files 0600. It holds the backend's keys,",
      `   \`hostname\` and \`${LAYOUT.obConfig}\` (\`MasterOnionAddress <frontend>.onion\`).`,
      `2. Use \`<name>/${LAYOUT.backendTorrc}\` as that tor's torrc, or append its lines to it. It`,
      `   forwards port ${settings.virtualPort} to \`${settings.target}\`; change \`HiddenServicePort\``,
      "   if the service listens elsewhere.",
      "3. Restart tor. It must keep the address written in `hostname`.",
      "",
    );
  }
  lines.push(
    ...encryptedLines(services),
    ...clientLines(services),
    ...restrictedLines(services),
    ...adoptedLines(services),
    ...layoutLines(services, generated),
  );
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
