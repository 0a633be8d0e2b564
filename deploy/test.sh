#!/usr/bin/env bash
# Runs the whole satupintu test suite. Installs and starts the test peers
# it needs first (idempotently: a second run installs nothing), then runs
# every test of the workspace, store tests on SQLite and on PostgreSQL.
#
#   ./deploy/test.sh            # everything
#   ./deploy/test.sh api::queues   # extra arguments go to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=deploy/test-peers.sh
source deploy/test-peers.sh

need_rust
ensure_postgres
ensure_mail_peers
ensure_kannel

echo "== satupintu: building and running the test suite"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked --all-targets "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
