# 36 max_subscribe_delay spreading: 12 subscriptions made at once are sent
# at random times up to max_subscribe_delay (4 s) later, not in one burst;
# with the default 0 they all leave within the first second.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
UAS=$CASE_DIR/../3x-b2b-lib/uas-ok.xml
N=12

spread_run() { # MAX_DELAY NAME -> sets FIRST LAST (tenths of s after t0)
	PORT=$(free_udp_port) UPORT=$(free_udp_port)
	SIPP_LPORT=$UPORT sipp_bg "$2" "$UAS" -k expires 600 -m $N
	start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
		--param=presence_b2b:max_subscribe_delay:$1 || return 1
	local t0 i
	t0=$(date +%s.%N)
	for i in $(seq 1 $N); do kam_rpc presence_b2b.subscribe "sip:u$i@example.com" >/dev/null; done
	sipp_wait "$2"
	assert_sipp $? "server accepted $N SUBSCRIBEs (max_subscribe_delay $1)"
	mapfile -t TS < <(trace_times "$(eval echo "\$BG_TRACE_$2")" received '^SUBSCRIBE')
	assert_eq $N "${#TS[@]}" "SUBSCRIBEs received"
	FIRST=$(printf '%s\n' "${TS[@]}" | sort -n | head -n1)
	LAST=$(printf '%s\n' "${TS[@]}" | sort -n | tail -n1)
	SECONDS_SEEN=$(printf '%s\n' "${TS[@]}" | cut -d. -f1 | sort -u | wc -l)
	FIRST=$(echo "($FIRST - $t0) * 10 / 1" | bc)
	LAST=$(echo "($LAST - $t0) * 10 / 1" | bc)
	stop_kamailio
	stop_sipps
}

use_b2b_cfg
spread_run 0 burst || finish
assert_num -le 15 "$LAST" "tenths of s until the last SUBSCRIBE without delay"
spread_run 4 spread || finish
assert_num -ge 2 "$SECONDS_SEEN" "distinct seconds in which SUBSCRIBEs left"
assert_num -ge 15 "$((LAST - FIRST))" "tenths of s between the first and the last SUBSCRIBE"
assert_num -le 60 "$LAST" "tenths of s until the last SUBSCRIBE (max_subscribe_delay 4 s + timer tick)"
finish
