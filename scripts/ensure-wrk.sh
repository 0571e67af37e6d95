#!/usr/bin/env bash
# Install Debian's wrk (HTTP load generator) when missing, for bench/load.py.
# Needs root for apt-get; otherwise it only reports.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "wrk is missing and this is not root: install the Debian package 'wrk'" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
command -v wrk >/dev/null || { echo "wrk installed but not on PATH" >&2; exit 1; }
