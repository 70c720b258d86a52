#!/usr/bin/env bash
# `make run`: create the SQLite database from our schema (if needed) and
# run Kamailio in the foreground on udp:127.0.0.1:5060 with the sample
# config, loading the project's modules. Ctrl-C stops it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/build/run"
mkdir -p "$run"
db="$run/presence.db"
ctl="$run/kamailio-ctl.sock"
port=${PORT:-5060}
bash "$top/scripts/create-sqlite-db.sh" "$db"
cat <<EOT

Presence server on udp:127.0.0.1:$port (DB $db). Try:
  sipp -sf $top/test/sip/cases/01-publish-lifecycle/cycle.xml 127.0.0.1:$port -key presentity sip:alice@127.0.0.1 -m 1 -i 127.0.0.1 -p 5070
  kamcmd -s unix:$ctl presence.cleanup
  kamcmd -s unix:$ctl presence.refreshWatchers sip:alice@127.0.0.1 presence 1
  sqlite3 $db 'select username, domain, etag, expires from presentity'

EOT
exec kamailio -f "$top/scripts/kamailio-presence.cfg" -DD -E \
	-A "LISTEN=udp:127.0.0.1:$port" \
	-A "DBURL=\"sqlite://$db\"" \
	-A "CTLSOCK=\"unix:$ctl\"" \
	-A "SERVER_ADDRESS=\"sip:127.0.0.1:$port\"" \
	-A "MPATH=\"$top/modules:/usr/lib/x86_64-linux-gnu/kamailio/modules\""
