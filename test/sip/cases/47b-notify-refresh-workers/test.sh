# 47b Case 47 (a fan-out to 300 watchers racing their refresh SUBSCRIBEs)
# with the workers sending every NOTIFY (fanout_processes 0, the default):
# CSeq order per dialog, none older than the PUBLISH.
FANOUT=
. "$(dirname "$0")/../47-notify-senders/test.sh"
