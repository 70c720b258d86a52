# 91 hostile input, Expires (issue 11 s2; RFC 3261 s20.19 and s25.1:
# Expires is 1*DIGIT): leading zeros are fine ("00060" is 60); 2^31,
# 2^32-1, 2^32 and beyond are large values capped to max_expires (3600),
# never 0, negative or an error (Kamailio's own parser wraps or refuses
# them); "abc", "-1", "+5" and an empty value are answered 400 and nothing
# is stored; the same for PUBLISH and SUBSCRIBE. Afterwards the same
# Kamailio PID still serves a valid PUBLISH.
. "$(dirname "$0")/../../lib.sh"
# timeout_rm_subs 0: the probes do not answer their NOTIFY, and the
# stored subscriptions must outlive its 408
start_kamailio --param=presence:subs_db_mode:1 \
	--param=presence:timeout_rm_subs:0 || finish
PIDF="Content-Type: application/pidf+xml"
pidf sip:exp@127.0.0.1 open >pidf.xml

publish() { # USER EXPIRES-LINE
	sip_request PUBLISH "sip:$1@127.0.0.1" "Event: presence
$2
$PIDF" pidf.xml
}
subscribe() { # USER EXPIRES-LINE
	sip_request SUBSCRIBE "sip:$1@127.0.0.1" "Event: presence
$2"
}

publish zeros "Expires: 00060"
assert_reply 200 "PUBLISH Expires: 00060"
assert_eq 60 "$(msg_hdr "$REPLY" Expires)" "Expires of its 200"
subscribe subzeros "Expires: 00060"
assert_reply '200|202' "SUBSCRIBE Expires: 00060"
assert_eq 60 "$(msg_hdr "$REPLY" Expires)" "Expires of its 2xx"

n=0
for v in 2147483647 2147483648 4294967295 4294967296 99999999999999999999999; do
	n=$((n + 1))
	if ours_only "Expires: $v -> 200 capped (reference: 400 or wrapped)"; then
		publish big$n "Expires: $v"
		assert_reply 200 "PUBLISH Expires: $v"
		assert_eq 3600 "$(msg_hdr "$REPLY" Expires)" "Expires of its 200 (max_expires)"
		subscribe subbig$n "Expires: $v"
		assert_reply '200|202' "SUBSCRIBE Expires: $v"
		assert_eq 3600 "$(msg_hdr "$REPLY" Expires)" "Expires of its 2xx (max_expires)"
	fi
done
if ours_only "capped publications and subscriptions stored with max_expires"; then
	wait_db
	assert_sql "select count(*) from presentity where username like 'big%' and expires - received_time between 3590 and 3600" $n "capped publications, each expiring in max_expires"
	assert_sql "select count(*) from active_watchers where presentity_uri like 'sip:subbig%' and expires - $NOW_SQL between 3000 and 3600" $n "capped subscriptions, each expiring in about max_expires (the row has no start time)"
fi

n=0
for v in "Expires: abc" "Expires: -1" "Expires:" "Expires: +5" "Expires: 6 0" "Expires: 60;x"; do
	n=$((n + 1))
	if ours_only "$v -> 400 (reference: default expiry or 200)"; then
		publish bad$n "$v"
		assert_reply 400 "PUBLISH '$v'"
		subscribe subbad$n "$v"
		assert_reply 400 "SUBSCRIBE '$v'"
	fi
done
wait_db
assert_sql "select count(*) from presentity where username like 'bad%'" 0 "publications stored for the malformed Expires"
assert_sql "select count(*) from active_watchers where presentity_uri like 'sip:subbad%'" 0 "subscriptions stored for the malformed Expires"
ours_only "the rejections are logged" &&
	assert_log_contains "rejected with 400: malformed Expires" "a log line names the malformed Expires"

assert_alive
publish after "Expires: 60"
assert_reply 200 "valid PUBLISH afterwards, same PID"
finish
