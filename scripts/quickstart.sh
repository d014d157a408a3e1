#!/usr/bin/env bash
# The README's quick start: `bash scripts/quickstart.sh demo` runs the demo on a private Tor
# network on loopback; `bash scripts/quickstart.sh test` runs the full test suite (fast and slow).
# Both install what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
case "${1:-}" in
  demo) shift; exec deno task demo "$@" ;;
  test) exec deno task test:all ;;
  *) echo "usage: bash scripts/quickstart.sh demo|test" >&2; exit 2 ;;
esac
