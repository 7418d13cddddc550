#!/usr/bin/env bash
# Installs what the tests need, only when it is missing, so it is cheap to run every time.
# Debian packages with apt-get; npm packages with npm. Safe to run again.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

# PostgreSQL server binaries (initdb, pg_ctl): the store tests start a throwaway cluster.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# curl: the README's quick start, which a test runs as written (cmd/hookcast).
have curl || need_apt+=(curl)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
# nginx with the RTMP module and ffmpeg (media-server end-to-end tests), Chromium and
# playwright-core (dashboard browser tests): each in its own idempotent script.
here=$(cd "$(dirname "$0")" && pwd)
for s in install-media-deps.sh install-browser-deps.sh; do
  if [ -f "$here/$s" ]; then bash "$here/$s"; fi
done
# Dolby's Node REST client for Millicast (tests/millicast-node), which
# internal/server/millicast_node_test.go drives unchanged against a real serve.
client="$here/../tests/millicast-node/node_modules/@dolbyio/dolbyio-rest-apis-client/package.json"
if [ ! -f "$client" ] || ! grep -q '"version": "5.0.1"' "$client"; then
  if ! have npm; then
    echo "install-test-deps: npm is missing (install Node.js 18 or newer)" >&2
    exit 1
  fi
  echo "install-test-deps: installing tests/millicast-node node modules"
  (cd "$here/../tests/millicast-node" && npm ci --no-audit --no-fund)
fi
echo "install-test-deps: ok"
