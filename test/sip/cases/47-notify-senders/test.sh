# 47 NOTIFY sender processes (fanout_processes): a fan-out to 300 watchers
# goes out through the senders and reaches every watcher; refresh
# SUBSCRIBEs of every watcher, sent as soon as the PUBLISH is answered
# (while the fan-out's NOTIFYs of the same dialogs are queued), are
# answered, and their NOTIFYs neither overtake the queued ones (CSeq order
# per dialog) nor carry older state (refresh.py); every NOTIFY left from a
# sender process, each dialog's from one. 4 workers, 2 senders. Case 47b
# runs the same with the workers sending (fanout_processes 0, the
# default): the refresh's NOTIFY is then sent under the fan-out lock.
FANOUT=${FANOUT-2}
. "$(dirname "$0")/../../lib.sh"
# the 300 initial SUBSCRIBEs of the set-up are sent at once: they would
# fill the socket's queue past overload_queue_percent (case 66), so that
# refusal is off here, where the subject is the order of the NOTIFYs
OVERLOAD=--param=presence:overload_queue_percent:0
is_reference && FANOUT= OVERLOAD= # Debian's presence has neither parameter
CHILDREN=4 start_kamailio ${FANOUT:+--param=presence:fanout_processes:$FANOUT} $OVERLOAD || finish
python3 "$SIP_DIR/cases/47-notify-senders/refresh.py" "$PORT" 300 >refresh.out 2>&1
rc=$?
sed 's/^/  /' refresh.out
assert_eq 0 "$rc" "every watcher: the fan-out's NOTIFY and the refresh's, in CSeq order, none older than the PUBLISH"
[ -n "$FANOUT" ] && ours_only "NOTIFY sender processes (fanout_processes)" &&
	assert_notify_senders snd-w "every NOTIFY left from a sender process"
assert_alive
finish
