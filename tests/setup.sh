#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine:
# system packages (chromium for browser tests, a JRE for jing, xmllint for the
# benchmarks), axe-core from npm, and the package with its test extras in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v java >/dev/null || need+=(default-jre-headless)
  command -v xmllint >/dev/null || need+=(libxml2-utils)
  command -v npm >/dev/null || need+=(npm)
  if [ ${#need[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
fi
if [ -f tests/js/package.json ]; then
  (cd tests/js && npm ci --no-audit --no-fund --silent)
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q '.[test]'
