#!/usr/bin/env bash
# Installs what this project needs on a Debian/Ubuntu machine with Node.js, when it is missing:
#   - Deno 2.9 (the npm package `deno`, pinned below);
#   - Debian's tor (0.4.9 on Debian 12), python3-stem (an independent decoder used by the interop
#     tests) and onionbalance 0.2.2 (the peer the benchmarks and interop tests compare against);
#   - procps for /usr/bin/kill: the private test network signals its tors with it, because Deno
#     lets `Deno.kill()` signal another process only under an unrestricted --allow-run.
# Runs apt-get as root, or through sudo when not root. Safe to run again: it installs nothing that
# is already there.
set -euo pipefail

DENO_VERSION=2.9.6

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v deno >/dev/null 2>&1 || ! deno --version | grep -q '^deno 2\.9\.'; then
  echo "setup: installing deno@${DENO_VERSION} from npm"
  as_root npm install --global --no-fund --no-audit "deno@${DENO_VERSION}" >/dev/null
fi

missing=()
command -v tor >/dev/null 2>&1 || missing+=(tor)
command -v tor-gencert >/dev/null 2>&1 || missing+=(tor)
/usr/bin/python3 -c 'import stem' >/dev/null 2>&1 || missing+=(python3-stem)
[ -x /usr/sbin/onionbalance ] || missing+=(onionbalance) # Debian installs it in sbin
[ -x /usr/bin/kill ] || [ -x /bin/kill ] || missing+=(procps)
command -v groff >/dev/null 2>&1 || missing+=(groff-base)
command -v openssl >/dev/null 2>&1 || missing+=(openssl) # encrypted PKCS#8 interop tests
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus) # metrics end-to-end test (also promtool)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q >/dev/null
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: $(deno --version | head -n 1); $(tor --version | head -n 1)"
