# 66 Overload (overload_queue_percent, doc/presence.md "Limits"): initial
# SUBSCRIBEs and PUBLISHes sent back to back, faster than one worker can
# answer them, fill the kernel's receive queue of Kamailio's UDP socket to
# about 60 %. On its own that is a burst, not an overload: with
# overload_queue_percent 30 every request is accepted. So is the same
# burst after one flood of OPTIONS that overflows the queue (more than the
# buffer holds, so the kernel drops some): one overflow is a burst too.
# So is a queue that overflows in every second but loses a small share of
# what reaches it (floods of 1500 OPTIONS repeated for 4.5 s, each followed
# by 12000 OPTIONS that are all taken in: about 4 % lost). Once the
# socket has lost a tenth or more of its datagrams in 3 consecutive
# seconds, or 30 % or more in 2 (a flood of 16000 from two senders just
# after the clock's second turns, about three quarters lost, and another
# in the next second, each followed by one initial PUBLISH, so the worker
# measures each second (another initial PUBLISH late in the second before
# opens the first interval); the burst comes in the second of the second
# flood), the burst's requests that find the queue at least 30 % full get
# 503 with Retry-After (overload_retry_after),
# nothing of them is stored and no NOTIFY is sent for them, while every
# other request is served: every request is answered, the accepted
# subscriptions each get their NOTIFY and are all listed, the accepted
# publications are all stored. Refused without a transaction, a request
# sent again byte for byte (a retransmission) gets 503 again after the
# overload has ended (the memory of refusals), and the same request as a
# new transaction gets 200. The queue drains as the refusals are
# answered, so the later requests of the burst are accepted. With 0
# (Kamailio's behaviour) the same floods and burst get no 503.
# With a transaction made before the handlers (WITH_TM), the config's
# pres_check_overload() before t_newtran() refuses the same requests with
# the same 503 statelessly (sl.stats counts every 503, tm.stats none);
# without it (WITHOUT_OVERLOAD_CHECK) each 503 goes through a transaction.
# In both, a PUBLISH accepted just before the floods and sent again as it
# was (a retransmission) 12 times through the burst gets tm's 200 with its
# SIP-ETag every time, though some copies arrive while new state is
# refused: with the check a request tm has a transaction for is handed to
# t_check_trans() before it could be refused.
. "$(dirname "$0")/../../lib.sh"
N=120 # 240 datagrams: about 60 % of the socket's buffer when all are queued
export CHILDREN=1

FLOOD=3000 # OPTIONS: several times what the socket's buffer holds
SECS=4.5   # small floods repeated that long (rounds of about 0.5 s)
SMALL=1500 # a flood that overflows the queue by a little
HEAVY=16000 # a flood that loses more than 30 % of what reaches the socket
PACED=12000 # OPTIONS taken in after each small flood
# burst TAG [FLOOD [SECS [PACED [ALIGN]]]]: the burst (after the floods),
# its summary in burst-TAG.out; sets S2 S503 P2 P503 RA5 NOTIFIED
burst() {
	python3 "$CASE_DIR/burst.py" "$PORT" $N "$1" ${2:-} ${3:-} ${4:-} ${5:-} >"burst-$1.out" 2>&1
	assert_eq 0 $? "burst $1: every one of the $((2 * N)) requests answered"
	sed 's/^/    | /' "burst-$1.out"
	S2=$(awk '$1 == "subscribe" && $2 < 300 { n += $3 } END { print n + 0 }' "burst-$1.out")
	S503=$(awk '$1 == "subscribe" && $2 == 503 { n += $3 } END { print n + 0 }' "burst-$1.out")
	P2=$(awk '$1 == "publish" && $2 < 300 { n += $3 } END { print n + 0 }' "burst-$1.out")
	P503=$(awk '$1 == "publish" && $2 == 503 { n += $3 } END { print n + 0 }' "burst-$1.out")
	RA5=$(awk '$1 == "retry_after" && $2 == 5 { print $3 }' "burst-$1.out")
	NOTIFIED=$(awk '$1 == "notifies" { print $2 }' "burst-$1.out")
}
listed_watchers() { kam_rpc presence.watcher_list "sip:ov$1@127.0.0.1" presence 2>/dev/null | grep -c 'callid:'; }
stored_publications() { kam_rpc presence.presentity_list 2>/dev/null | grep -c "ovp$1-"; }

# resent TAG WHAT: after a RESEND=1 burst, a refused request's
# retransmission got 503 again (stateless: from the memory of refusals;
# tm: from its transaction), though the overload is over; then the same
# request as a new transaction was accepted
resent() {
	local k
	for k in subscribe publish; do
		assert_eq 503 "$(awk -v k=$k '$1 == "resent" && $2 == k { print $3 }' "burst-$1.out")" \
			"$2: a retransmission of a refused $k: 503 again"
		assert_eq 200 "$(awk -v k=$k '$1 == "retried" && $2 == k { print $3 }' "burst-$1.out")" \
			"$2: the refused $k retried as a new transaction: 200"
	done
}

# drops NAME: the datagrams the kernel dropped on Kamailio's socket (the
# drops column of /proc/net/udp for its port)
drops() {
	awk -v p="$(printf ':%04X' "$PORT")" '$2 ~ p"$" { print $NF }' /proc/net/udp | head -1
}

start_kamailio --param=presence:overload_queue_percent:30 || finish
burst q
assert_eq 0 "$(drops)" "the burst alone overflows nothing (no datagram dropped)"
assert_eq 0 "$((S503 + P503))" "a full queue without a drop is a burst: no 503"
assert_eq $N "$S2" "the burst alone: every SUBSCRIBE accepted"
assert_eq $N "$P2" "the burst alone: every PUBLISH accepted"
burst s $FLOOD
D=$(drops)
note "datagrams dropped by one flood: $D"
assert_num -ge 1 "$D" "one flood overflowed the queue"
assert_eq 0 "$((S503 + P503))" "one overflow is a burst too: no 503"
assert_eq $N "$S2" "after one flood: every SUBSCRIBE accepted"
assert_eq $N "$P2" "after one flood: every PUBLISH accepted"
burst l $SMALL $SECS $PACED
DL=$(drops)
ROUNDS=$(awk '$1 == "flood" { print $4 }' burst-l.out)
LOST=$(((DL - D) * 1000 / (${ROUNDS:-1} * (SMALL + PACED))))
note "datagrams dropped by the small floods: $((DL - D)) in $ROUNDS rounds, $LOST per mille of the OPTIONS"
assert_num -gt "$D" "$DL" "the small floods overflowed the queue"
assert_num -lt 80 "$LOST" "the small floods lost less than 8 % of the OPTIONS"
assert_eq 0 "$((S503 + P503))" "a small share lost in every second: no 503"
assert_eq $N "$S2" "after the small floods: every SUBSCRIBE accepted"
assert_eq $N "$P2" "after the small floods: every PUBLISH accepted"
RESEND=1 burst a $HEAVY 1 0 1
D1=$(drops)
LOST=$(((D1 - DL) * 1000 / (2 * HEAVY)))
note "datagrams dropped by a flood in each of 2 seconds: $((D1 - DL)), $LOST per mille of the OPTIONS"
assert_num -ge 300 "$LOST" "the floods lost 30 % or more of the OPTIONS"
assert_num -ge 1 "$S503" "queue >= 30 % full: initial SUBSCRIBEs refused 503"
assert_num -ge 1 "$P503" "queue >= 30 % full: initial PUBLISHes refused 503"
assert_eq $N "$((S2 + S503))" "every SUBSCRIBE got 2xx or 503"
assert_eq $N "$((P2 + P503))" "every PUBLISH got 2xx or 503"
assert_num -ge 1 "$S2" "the queue drained: later SUBSCRIBEs of the burst accepted"
assert_num -ge 1 "$P2" "the queue drained: later PUBLISHes of the burst accepted"
assert_eq "$((S503 + P503))" "${RA5:-0}" "every 503 carries Retry-After: 5"
assert_eq "$S2" "$NOTIFIED" "a NOTIFY for each accepted subscription, none for a refused one"
resent a "no transaction"
assert_eq "$((S2 + 1))" "$(listed_watchers a)" "the accepted subscriptions (and the retried one) are listed, the refused ones not"
assert_eq "$((P2 + 1))" "$(stored_publications a)" "the accepted publications (and the retried one) are stored, the refused ones not"
assert_log_contains "receive queue [0-9]+% full \\(overload_queue_percent 30\\) after a loss of datagrams in consecutive seconds: new presence state refused \\(503\\)" \
	"the refusals are logged"
assert_log_contains "(PUBLISH|SUBSCRIBE) refused without a transaction: 503 Service Unavailable" \
	"no transaction: each refusal logged with its method"
assert_alive
stop_kamailio

start_kamailio --param=presence:overload_queue_percent:0 || finish
burst b $HEAVY 1 0 1
assert_num -ge 1 "$(drops)" "overload_queue_percent 0: the flood overflowed the queue"
assert_eq 0 "$((S503 + P503))" "overload_queue_percent 0: the same flood and burst get no 503"
assert_eq $N "$S2" "overload_queue_percent 0: every SUBSCRIBE accepted"
assert_eq $N "$P2" "overload_queue_percent 0: every PUBLISH accepted"
assert_alive
stop_kamailio

for mode in c d; do
	if [ $mode = c ]; then
		start_kamailio -A WITH_TM --param=presence:overload_queue_percent:30 || finish
		what="pres_check_overload() before t_newtran()"
	else
		start_kamailio -A WITH_TM -A WITHOUT_OVERLOAD_CHECK \
			--param=presence:overload_queue_percent:30 || finish
		what="t_newtran() without pres_check_overload()"
	fi
	RESEND=1 HANDOVER=1 burst $mode $HEAVY 1 0 1
	REFUSED=$((S503 + P503 + $(awk '$1 == "probe" && $2 == 503 { n += $3 } END { print n + 0 }' "burst-$mode.out")))
	TM5=$(kam_stat tm.stats 5xx) SL5=$(kam_stat sl.stats 5xx)
	note "$what: $REFUSED refused, tm sent ${TM5:-?} 5xx, sl ${SL5:-?}"
	assert_num -ge 1 "$S503" "$what: initial SUBSCRIBEs refused 503"
	assert_num -ge 1 "$P503" "$what: initial PUBLISHes refused 503"
	assert_eq $N "$((S2 + S503))" "$what: every SUBSCRIBE got 2xx or 503"
	assert_eq $N "$((P2 + P503))" "$what: every PUBLISH got 2xx or 503"
	assert_eq "$((S503 + P503))" "${RA5:-0}" "$what: every 503 carries Retry-After: 5"
	assert_eq "$S2" "$NOTIFIED" "$what: a NOTIFY for each accepted subscription"
	resent $mode "$what"
	# retransmissions of a request tm has (accepted 2 s before, in its
	# wait timer) spread through the burst, some where new state is
	# refused: each gets tm's reply again (through t_check_trans() with
	# the check, through t_newtran() without), not a 503 for a request
	# already answered 200
	assert_eq "handover first 200" "$(grep '^handover first' "burst-$mode.out")" \
		"$what: the PUBLISH sent before the floods accepted"
	COPIES=$(awk '$1 == "handover" && $2 == "copies" { print $3 }' "burst-$mode.out")
	assert_eq "200 1 ${COPIES:-x}" "$(awk '$1 == "handover" && $2 ~ /^[0-9]+$/ { print $2, $3, $4 }' "burst-$mode.out" | paste -sd' ')" \
		"$what: its retransmissions while refusing: every one tm's 200 again, same SIP-ETag"
	assert_eq "$((S2 + 1))" "$(listed_watchers $mode)" "$what: the accepted subscriptions are listed"
	assert_eq "$((P2 + 1))" "$(stored_publications $mode)" "$what: the accepted publications are stored"
	if [ $mode = c ]; then
		# the hand-over happened (the copies did meet the refusing check)
		assert_log_contains "PUBLISH not refused: a retransmission of a transaction tm has, handed to it" \
			"$what: a retransmission met while refusing was handed to tm"
		assert_eq 0 "${TM5:-x}" "$what: no 503 went through a transaction"
		assert_eq "$((REFUSED + 2))" "${SL5:-x}" "$what: every 503 was sent statelessly"
		assert_log_contains "(PUBLISH|SUBSCRIBE) refused without a transaction: 503 Service Unavailable" \
			"$what: the refusals are logged"
	else
		assert_eq "$REFUSED" "${TM5:-x}" "$what: every 503 went through a transaction"
	fi
	assert_alive
	stop_kamailio
done
finish
