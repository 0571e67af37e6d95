#!/usr/bin/env bash
# Install Debian's PostgreSQL + PostGIS when missing, so the test run can start its own
# throwaway cluster (tests/pgcluster.py). Needs root for apt-get; otherwise it only reports.
set -euo pipefail
have() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
        ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}
if have; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "PostGIS is missing and this is not root: install the Debian packages" \
         "'postgresql' and 'postgresql-postgis' (the PostGIS store tests will report SKIPPED)." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql postgresql-postgis >/dev/null
have || { echo "postgresql/postgis installed but initdb or postgis.control not found" >&2; exit 1; }
