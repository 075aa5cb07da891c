#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs Debian's Chromium for the browser test of `mirrorgan serve` (test/serve/browser.test.ts,
# driven through playwright-core: no browser download). Run as root on Debian 12 / Ubuntu;
# .ci/run calls it. Does nothing when a chromium is already on PATH.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "setup-browser: $(command -v chromium || command -v chromium-browser) is installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-browser: run as root (sudo bash scripts/setup-browser.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "setup-browser: chromium $(dpkg-query -W -f='${Version}' chromium)"
