#!/usr/bin/env bash
# Install Debian's redis-server when missing, so the test run can start its own throwaway
# Redis (tests/redisserver.py) and check the rate limits shared by several gunicorn workers
# against the real thing. Needs root for apt-get; otherwise it only reports.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "redis-server is missing and this is not root: install the Debian package" \
         "'redis-server' (the shared rate-limit tests will report SKIPPED)." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
command -v redis-server >/dev/null || { echo "redis-server installed but not on PATH" >&2; exit 1; }
