#!/usr/bin/env bash
# Installs what cinder-exporter needs on Debian bookworm (a Swift 6.3 toolchain
# must already be on PATH: Debian has no Swift package).
#   scripts/install-deps.sh          build and run-time libraries
#   scripts/install-deps.sh test     plus the servers and tools the tests start
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(pkg-config libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libmariadb-dev libdeflate-dev libyaml-dev libcrypt-dev ca-certificates)
if [ "${1:-}" = "test" ]; then
    # Real servers for the tests: MariaDB, Prometheus (promtool); OpenSSL for
    # test certificates and curl as a TLS client; Chromium for the landing page;
    # Python for the
    # OpenMetrics and Grafana-dashboard checks; strace to count a socket's closes.
    packages+=(mariadb-server mariadb-client prometheus sqlite3 openssl curl gzip python3 python3-venv chromium strace)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "test" ]; then
    venv=.build/test-venv
    if [ ! -x "$venv/bin/python" ]; then
        mkdir -p .build
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
fi
