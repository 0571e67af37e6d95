#!/usr/bin/env bash
# Browser tests drive Debian's Chromium at /usr/bin/chromium (Playwright never downloads a
# browser here). Install it with apt when it is missing; say so loudly when that is impossible.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "WARNING: /usr/bin/chromium is missing and I cannot apt-get install it (not root):" >&2
  echo "         browser tests will be SKIPPED. Install the Debian package 'chromium'." >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian's chromium for the browser tests..." >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
/usr/bin/chromium --version
