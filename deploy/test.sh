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

echo "== satupintu: building and running the test suite"
cargo test --workspace --locked --all-targets "$@"
