#!/usr/bin/env bash
# schemathesis against a demo backend: the served /api/openapi.json with an
# administrator's token (the terminal endpoints with a demo terminal's token,
# see backend/schemathesis.toml), every check on, a fixed seed and a bounded
# number of examples (about 4 minutes). Any finding fails CI. Logout and
# password change are left out: they would end the token the run uses.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
SEED=1
MAX_EXAMPLES=25

cargo build -q -p backend --bin backend
target_dir=$(cargo metadata -q --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$target_dir/debug/backend" --demo --data-dir "$work/data" --listen "127.0.0.1:$port" \
    >"$work/backend.log" 2>&1 &
backend_pid=$!
cleanup() {
    kill "$backend_pid" 2>/dev/null || true
    wait "$backend_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break
    kill -0 "$backend_pid" 2>/dev/null || { cat "$work/backend.log"; exit 1; }
    sleep 1
done
password=$(awk '/^  password:/ {print $2; exit}' "$work/backend.log")
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/auth/login" \
    -H 'Content-Type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

# Ids and a terminal token from the demo, for backend/schemathesis.toml.
CANTEEN_DEMO_TERMINAL_TOKEN=$(awk '/ token: hct_/ {print $NF; exit}' "$work/backend.log")
today=$(date -u +%F)
week_ago=$(date -u -d '7 days ago' +%F)
CANTEEN_DEMO_SALE_ID=$(curl -sf -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/sites/1/sales?from=$week_ago&to=$today" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
# A free-meal day at the demo's first commune (site 2), for the operations
# on /api/free-meals/{id}.
CANTEEN_DEMO_FREE_MEAL_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$port/api/sites/2/free-meals" \
    -d "{\"id\": \"$CANTEEN_DEMO_FREE_MEAL_ID\", \"site_id\": 2, \"date\": \"$today\", \"slot\": \"lunch\", \"headcount\": 10}" >/dev/null
export CANTEEN_DEMO_TERMINAL_TOKEN CANTEEN_DEMO_SALE_ID CANTEEN_DEMO_FREE_MEAL_ID

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"

cd "$work"
"$work/venv/bin/schemathesis" --no-color --config-file "$OLDPWD/backend/schemathesis.toml" \
    run "http://127.0.0.1:$port/api/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --exclude-path /api/auth/logout --exclude-path /api/me/password \
    --seed "$SEED" --max-examples "$MAX_EXAMPLES"
