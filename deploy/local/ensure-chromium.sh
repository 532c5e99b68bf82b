#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is installed for the
# browser tests of the bridge console (never a downloaded browser build).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
	exit 0
fi

echo "Chromium not found; installing Debian's chromium with apt-get ..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
