#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (WebGL2 through SwiftShader) when it is
# missing. Browser tests use /usr/bin/chromium, or the browser named by NNC_CHROMIUM.
set -euo pipefail

CHROMIUM=${NNC_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "setup: installing Debian's chromium for the browser tests"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version
