#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, pg_ctl, postgres) are
# installed, installing Debian's postgresql package when they are missing.
# The local stack and the tests start their own clusters from them; no
# system-wide server is started or needed.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && id postgres >/dev/null 2>&1; then
	exit 0
fi

echo "PostgreSQL server binaries not found; installing them with apt-get ..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq postgresql >/dev/null
# The package starts a system-wide cluster we do not use.
$SUDO pg_ctlcluster --help >/dev/null 2>&1 && for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
	$SUDO pg_ctlcluster "${c%/*}" "${c#*/}" stop || true
done
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
