# Process and port helpers shared by the SIP suite (test/sip/lib.sh), the
# package test (test/pkg/run.sh) and the benchmarks (bench/*.sh): bounded
# waits on a condition, UDP/TCP ports on 127.0.0.1, processes by PID.
# Sourced; defines functions only.

# wait_until SECONDS CMD...: run CMD every 50 ms until it succeeds or the
# bound expires (returns 1 then).
wait_until() {
	local limit=$1 end
	shift
	end=$(($(date +%s%N) + limit * 1000000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

udp_bound() { [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]; }
tcp_bound() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
# tcp_used PORT: any TCP socket (listening or connected) has PORT as its local port
tcp_used() { [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]; }
udp_free() { ! udp_bound "$1"; }
proc_gone() { ! kill -0 "$1" 2>/dev/null; }

# free_udp_port: a port below the kernel's ephemeral range (so that no
# client connection, such as a database client's, takes it as its local
# port between this check and Kamailio's bind: a case that also listens on
# TCP on it failed so), that no UDP or TCP socket uses, and that was not
# handed out before to this run: the ports given are kept in the file
# PORTS_FILE (callers use $(...), so a shell variable would not keep
# them); without PORTS_FILE only the socket check applies.
free_udp_port() {
	local p i lo
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=32768
	for i in $(seq 1 200); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		[ -n "${PORTS_FILE:-}" ] && grep -qx "$p" "$PORTS_FILE" 2>/dev/null &&
			continue
		if udp_free "$p" && ! tcp_used "$p"; then
			[ -n "${PORTS_FILE:-}" ] && echo "$p" >>"$PORTS_FILE"
			echo "$p"
			return 0
		fi
	done
	echo "no free UDP port found" >&2
	return 1
}
