# 24 Concurrent updates of one publication: 12 pua.publish calls at once
# (from 12 kamcmd processes, served by different workers). pua sends one
# PUBLISH at a time and each waiting update leaves with the ETag of the
# reply before it: the server never answers 412 and ends with pua's ETag.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
PUA_CHILDREN=4 pua_start || finish
A=sip:alice24@127.0.0.1
ROW="from presentity where username='alice24' and event='presence'"
pidf $A open q0 >b0.xml
assert_eq OK "$(pua_publish $A 600 . b0.xml)" "initial"
wait_field $A publish last_code 200 "initial answered"

pids=()
for i in $(seq 1 12); do
	pidf $A open "q$i" >"b$i.xml"
	pua_publish $A 600 . "b$i.xml" >"rpc$i.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
assert_eq 12 "$(cat rpc*.out | grep -c '^OK')" "12 updates accepted"
wait_field $A publish sent 13 "13 PUBLISHes sent in all"
wait_field $A publish pending idle "the last one answered"
assert_eq 0 "$(pua_field $A publish queued)" "queue empty"
assert_eq 200 "$(pua_field $A publish last_code)" "last reply"
wait_sql "select count(*), max(etag) $ROW" "1|$(pua_field $A publish etag)" "server row has pua's ETag"
assert_eq 0 "$(grep -cw '412' "$PUA_LOG")" "no 412 in pua's log"
if ours_only "our server logs every error reply"; then
	assert_eq 0 "$(grep -c 'answered 412' "$KAM_LOG")" "the server answered no 412"
fi
LAST=$(sql "select $BODY_SQL $ROW" | grep -o 'q[0-9]*' | head -1)
assert_match '^q([1-9]|1[0-2])$' "$LAST" "server holds one of the updates"
finish
