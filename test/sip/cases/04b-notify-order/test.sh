# 04b NOTIFY order under racing PUBLISHes (Kamailio's #3192: a busy lamp
# stuck on an old state when PUBLISHes race on different workers): 4
# workers, 30 devices of one presentity PUBLISH their own tuple within
# 0.1 s, 5 watchers answer every NOTIFY. Each watcher's NOTIFYs arrive in
# CSeq order, none carries older state (fewer tuples) than the one before,
# and the last carries all 30 (order.py). The NOTIFYs leave from the
# NOTIFY sender processes (fanout_processes, on by default), each dialog's
# from one.
. "$(dirname "$0")/../../lib.sh"
CHILDREN=4 start_kamailio || finish
python3 "$CASE_DIR/order.py" "$PORT" 5 30 0.1 >order.out 2>&1
rc=$?
sed 's/^/  /' order.out
assert_eq 0 "$rc" "every watcher: NOTIFYs in CSeq order, never older state, the last with all 30 tuples"
ours_only "NOTIFY sender processes (fanout_processes)" &&
	assert_notify_senders order-w "the NOTIFYs left from the sender processes"
assert_alive
finish
