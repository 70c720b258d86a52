# 04b NOTIFY order under racing PUBLISHes (Kamailio's #3192: a busy lamp
# stuck on an old state when PUBLISHes race on different workers): 4
# workers, 30 devices of one presentity PUBLISH their own tuple within
# 0.1 s, 5 watchers answer every NOTIFY. Each watcher's NOTIFYs arrive in
# CSeq order, none carries older state (fewer tuples) than the one before,
# and the last carries all 30 (order.py). The workers send the NOTIFYs
# (fanout_processes 0, the default); case 04c runs the same with NOTIFY
# sender processes.
. "$(dirname "$0")/../../lib.sh"
is_reference && FANOUT= # Debian's presence has no fanout_processes
CHILDREN=4 start_kamailio ${FANOUT:+--param=presence:fanout_processes:$FANOUT} || finish
python3 "$SIP_DIR/cases/04b-notify-order/order.py" "$PORT" 5 30 0.1 >order.out 2>&1
rc=$?
sed 's/^/  /' order.out
assert_eq 0 "$rc" "every watcher: NOTIFYs in CSeq order, never older state, the last with all 30 tuples"
[ -n "${FANOUT:-}" ] && ours_only "NOTIFY sender processes (fanout_processes)" &&
	assert_notify_senders order-w "the NOTIFYs left from the sender processes"
assert_alive
finish
