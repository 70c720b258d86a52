# 76 Our statistics in Prometheus through Kamailio's own xhttp_prom: the
# sample config with -A WITH_PROMETHEUS serves GET /metrics on an HTTP
# listener of 127.0.0.1; after 2 PUBLISH (one refused) and a watcher that
# subscribes and unsubscribes, a scrape shows our metrics
# (kamailio_presence_*, kamailio_presence_xml_*) with the expected values,
# the same values kamcmd shows, and names Prometheus accepts; a scrape in
# the middle shows the gauge of subscriptions go up and down again.
# Debian's modules export no statistics: those checks are ours only; the
# scrape itself (core metrics) is checked on both.
. "$(dirname "$0")/../../lib.sh"
A=sip:alice@127.0.0.1
HP=$(free_udp_port) || finish
tcp_bound "$HP" && { fail "TCP port $HP is taken"; finish; }
start_kamailio -A WITH_PROMETHEUS -A "PROM_LISTEN=tcp:127.0.0.1:$HP" || finish
wait_until "$WAIT_MAX" tcp_bound "$HP" || fail "xhttp_prom not listening on tcp:$HP"

# scrape FILE: GET /metrics into FILE; prints the HTTP status
scrape() {
	curl -s -m 5 -o "$1" -w '%{http_code}' "http://127.0.0.1:$HP/metrics"
}
# metric FILE NAME: the value of the sample NAME ("NAME VALUE TIMESTAMP")
metric() { awk -v n="$2" '$1 == n { print $2; exit }' "$1"; }
# assert_metrics FILE NAME=VALUE...
assert_metrics() {
	local f=$1 kv
	shift
	for kv in "$@"; do
		assert_eq "${kv#*=}" "$(metric "$f" "kamailio_${kv%%=*}")" \
			"scrape $f: kamailio_${kv%%=*}"
	done
}

assert_eq 200 "$(scrape m0.txt)" "GET /metrics answered 200"
assert_match '^kamailio_core_rcv_requests [0-9]+ [0-9]+$' \
	"$(grep '^kamailio_core_rcv_requests ' m0.txt)" "a core metric, Prometheus text format"
assert_eq 404 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/other")" \
	"another path: 404"

pidf $A open alice-76 >a.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 200 "alice publishes"
sip_request PUBLISH $A "Event: no-such-package
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 489 "a PUBLISH of an unknown event"

# bob's dialog in two sipp runs (same port, Call-ID and From tag): the
# SUBSCRIBE and its NOTIFY, then later the unsubscribe and the last NOTIFY
# watcher_scen NAME EXPIRES CSEQ TO_TAG_PARAM
watcher_scen() {
	{
		echo "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><scenario name=\"$1\">"
		watch_subscribe $A sip:bob@127.0.0.1 "sip:bob@[local_ip]:[local_port]" "$2" "$3" "$4"
		echo '<recv response="200"/>'
		watch_notify_ok
		echo '</scenario>'
	} | sed 's/;tag=\[pid\]w\[call_number\]/;tag=bob76tag/' >"$1.xml"
}
SIPP_LPORT=$(free_udp_port)
watcher_scen w 300 1 ""
sipp_run "$WORK/w.xml" -cid_str bob76
assert_sipp $? "bob subscribes to alice and answers the NOTIFY"
TAG=$(msg_tag "$(msg_hdr "$(reply 1)" To)")

ours_only "the DB writer's queue" && wait_db
assert_eq 200 "$(scrape m1.txt)" "scrape with one watcher"
if ours_only "our statistics (Debian's presence exports none)"; then
	assert_metrics m1.txt presence_publish_received=2 \
		presence_publish_replied_2xx=1 presence_publish_replied_4xx=1 \
		presence_publish_replied_5xx=0 presence_subscribe_received=1 \
		presence_subscribe_replied_2xx=1 presence_notify_sent=1 \
		presence_notify_replied_error=0 presence_notify_timeout=0 \
		presence_db_errors=0 presence_active_publications=1 \
		presence_active_publications_presence=1 \
		presence_active_subscriptions=1 \
		presence_active_subscriptions_presence=1 \
		presence_active_subscriptions_presence_winfo=0 \
		presence_xml_xcap_fetches=0 presence_xml_xcap_failures=0 \
		presence_xml_db_errors=0
	assert_num -gt 0 "$(metric m1.txt kamailio_presence_db_ops)" "kamailio_presence_db_ops"
	# every statistic kamcmd lists is in the scrape, with the same value;
	# counters that move on their own (DB statements of the timers) and
	# the queue gauges (changes and NOTIFYs waiting at that moment) only
	# have to be there
	diffs=0
	while read -r name eq val; do
		g=${name%%:*} n=${name#*:}
		seen=$(metric m1.txt "kamailio_${g}_$n")
		case "$n" in
		db_ops | db_queue_length | notify_queue_length) want='^[0-9]+$' ;;
		*) want="^$val\$" ;;
		esac
		if ! [[ "$seen" =~ $want ]]; then
			fail "kamailio_${g}_$n: kamcmd $val, scrape '$seen'"
			diffs=$((diffs + 1))
		fi
	done < <(kam_rpc stats.get_statistics presence: presence_xml: | grep ' = ')
	[ "$diffs" = 0 ] && ok "kamcmd presence: and presence_xml: = the scrape"
	bad=$(grep -E '^kamailio_presence' m1.txt | awk '{ print $1 }' |
		grep -vE '^[a-zA-Z_:][a-zA-Z0-9_:]*$')
	assert_eq "" "$bad" "our metric names are valid Prometheus names"
	assert_num -ge 20 "$(grep -c '^kamailio_presence_' m1.txt)" "our metrics in the scrape"
fi

# bob unsubscribes (in the dialog): the gauge goes down again
watcher_scen u 0 2 ";tag=$TAG"
sipp_run "$WORK/u.xml" -cid_str bob76
assert_sipp $? "bob unsubscribes and answers the last NOTIFY"
assert_eq 200 "$(scrape m2.txt)" "scrape after the unsubscribe"
if ours_only "our statistics"; then
	assert_metrics m2.txt presence_subscribe_received=2 \
		presence_subscribe_replied_2xx=2 presence_notify_sent=2 \
		presence_active_subscriptions=0 \
		presence_active_subscriptions_presence=0 \
		presence_active_publications=1
fi
assert_alive
finish
