#!/usr/bin/env bash
# Installs what the dashboard's browser tests need, only when it is missing, so it is
# cheap to run every time:
#   - Debian's chromium (/usr/bin/chromium): the real browser the tests drive;
#   - tests/browser/node_modules (playwright-core, which never downloads a browser).
# Safe to run again. Called by scripts/install-test-deps.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

if [ ! -x /usr/bin/chromium ]; then
  echo "install-browser-deps: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-browser-deps: npm is missing (install Node.js 18 or newer)" >&2
  exit 1
fi

if [ ! -d "$root/tests/browser/node_modules" ]; then
  echo "install-browser-deps: installing tests/browser node modules"
  # playwright-core downloads nothing on install; the variable is belt and braces.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  cd "$root/tests/browser"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
fi
echo "install-browser-deps: ok"
