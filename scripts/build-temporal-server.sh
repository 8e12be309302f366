#!/usr/bin/env bash
# Builds the Temporal server and its SQL schema tool from source, for `npm run cluster` and
# `npm run test:cluster`:
#   scripts/build-temporal-server.sh [project-root]   (default: this script's parent folder)
# Output: <project-root>/.tools/temporal-server-v$TEMPORAL_SERVER_VERSION/{temporal-server,temporal-sql-tool}.
# Does nothing when both are there. Needs Go and the Go module proxy (GOTOOLCHAIN=auto fetches
# the Go the server's go.mod asks for); about 4 min and 1.5 GB of build cache on 2 cores the
# first time. The version is the one docker-compose.yml's temporalio/server image runs, and a
# spec (test/deploy/cluster-config.spec.ts) keeps the two the same.
set -euo pipefail

TEMPORAL_SERVER_VERSION=1.32.2

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$script_dir/..}" && pwd)
out_dir=$root/.tools/temporal-server-v$TEMPORAL_SERVER_VERSION
server=$out_dir/temporal-server
sql_tool=$out_dir/temporal-sql-tool

say() { printf '[build-temporal-server] %s\n' "$*" >&2; }

if [[ -x $server && -x $sql_tool ]]; then
  say "already built: $out_dir"
  echo "$out_dir"
  exit 0
fi

command -v go >/dev/null || {
  say "go is not on PATH: the Temporal server is built from source; install Go >= 1.24 (Debian: apt-get install golang-go)"
  exit 1
}
say "using $(go version)"

# shellcheck source=scripts/go-caches.sh
source "$script_dir/go-caches.sh"
use_writable_go_caches "$root" say

# Built beside its destination, so the final mv is a rename: a build stopped halfway never
# leaves a truncated binary that the check above would take for a finished one.
mkdir -p "$root/.tools"
work=$(mktemp -d "$root/.tools/.temporal-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

export GOTOOLCHAIN=${GOTOOLCHAIN:-auto} CGO_ENABLED=0 GOBIN=$work
start=$SECONDS
say "building go.temporal.io/server v$TEMPORAL_SERVER_VERSION (server and SQL tool): modules, then the compile, about 4 min the first time"
go install -trimpath -ldflags='-s -w' \
  "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
mkdir -p "$out_dir"
# Moved in whole so that a build stopped halfway never leaves binaries that look finished; the
# SQL tool first, since the server's presence is what a later run checks.
mv -f "$work/sql" "$sql_tool"
mv -f "$work/server" "$server"
say "built $server and $sql_tool in $((SECONDS - start)) s"
echo "$out_dir"
