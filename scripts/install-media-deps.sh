#!/usr/bin/env bash
# Installs what the media-server end-to-end tests (internal/ingest/e2e_*_test.go)
# need, only when it is missing, so it is cheap to run every time:
#   - nginx with Debian's RTMP module (libnginx-mod-rtmp): the real media server;
#   - ffmpeg: the publisher, the player, and the thumbnail capturer.
# apt-get update runs only when something must be installed. Safe to run again.
# Called by scripts/install-test-deps.sh.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
rtmp_module() {
  ls /usr/lib/nginx/modules/ngx_rtmp_module.so >/dev/null 2>&1 ||
    ls /usr/share/nginx/modules/ngx_rtmp_module.so >/dev/null 2>&1
}

need=()
have nginx || [ -x /usr/sbin/nginx ] || need+=(nginx)
rtmp_module || need+=(libnginx-mod-rtmp)
have ffmpeg || need+=(ffmpeg)

if [ ${#need[@]} -gt 0 ]; then
  echo "install-media-deps: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}"
fi
echo "install-media-deps: ok"
