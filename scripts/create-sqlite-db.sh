#!/usr/bin/env bash
# Create or update the SQLite presence database at <path.db> from
# scripts/sqlite/presence-create.sql (idempotent: tables, indexes and version
# rows that exist are left alone), and switch it to WAL journaling.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 <path.db>" >&2
	exit 2
fi
sql="$(cd "$(dirname "$0")" && pwd)/sqlite/presence-create.sql"
command -v sqlite3 >/dev/null || {
	echo "$0: sqlite3 CLI not found (apt-get install sqlite3)" >&2
	exit 1
}
sqlite3 -bail "$1" "PRAGMA journal_mode=WAL;" ".read '$sql'" >/dev/null
echo "$1: presence tables ready"
