# 60 shm_hugepages (doc/presence.md, "Huge pages"): by default presence asks
# the kernel for transparent huge pages on Kamailio's shared-memory pool at
# start-up (MADV_HUGEPAGE), before the fork, so the main process and every
# worker carry the advice (VmFlags "hg" on the pool's mapping in
# /proc/<pid>/smaps) and the log says whether the kernel's policy
# (shmem_enabled) lets it take effect; with shm_hugepages 0 the pool is left
# as Kamailio made it. The kernel's policy itself is the operator's: it is
# only read here, never changed. Presence still works either way.
# shm_prefault MB (the same section) populates that much of the pool at
# start-up and maps it in every process: the log says how much, and a
# worker's resident share of the pool is all of it from the start, where
# without it a worker has touched a few MB.
. "$(dirname "$0")/../../lib.sh"

# pool_rss PID: kB of Kamailio's shm pool resident in the pid (smaps Rss)
pool_rss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ rw-s .*\/dev\/zero/ { p = 1; next }
	     /^[0-9a-f]+-[0-9a-f]+ / { p = 0 }
	     p && /^Rss:/ { print $2; exit }' "/proc/$1/smaps"
}
# pool_flags PID: VmFlags of the pid's shared /dev/zero mapping, Kamailio's
# shm pool (the one rw-s mapping of /dev/zero)
pool_flags() {
	awk '/^[0-9a-f]+-[0-9a-f]+ rw-s .*\/dev\/zero/ { p = 1; next }
	     /^[0-9a-f]+-[0-9a-f]+ / { p = 0 }
	     p && /^VmFlags:/ { sub(/^VmFlags:[ \t]*/, ""); print; exit }' \
		"/proc/$1/smaps"
}
proc_pid() { kam_rpc core.psx | grep -B1 "$1" | grep -o '[0-9]\+' | head -1; }
worker_pid() { proc_pid 'receiver child=0'; }
publish_and_watch() {
	pidf sip:hp@127.0.0.1 open "$1" >"$1.xml"
	sip_request PUBLISH sip:hp@127.0.0.1 "Event: presence
Expires: 600
Content-Type: application/pidf+xml" "$1.xml"
	assert_reply 200 "PUBLISH ($2)"
	assert_match "$1" "$(kam_rpc presence.presentity_show full hp 127.0.0.1)" \
		"the publication is stored ($2)"
}

start_kamailio || finish
F=$(pool_flags "$KAM_PID")
note "main process, pool VmFlags: $F"
assert_match '(^| )hg( |$)' "$F" "default: the shm pool carries the huge page advice (main process)"
W=$(worker_pid)
assert_match '^[0-9]+$' "$W" "a worker pid from core.psx"
assert_match '(^| )hg( |$)' "$(pool_flags "$W")" "the worker inherits the advice"
POLICY=$(sed -n 's/.*\[\([a-z_]*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null)
note "kernel shmem_enabled: ${POLICY:-unreadable}"
case "$POLICY" in
never | deny | "")
	assert_log_contains "NOTICE: presence .*shm_hugepages: huge pages asked for the 64 MB shm pool, but the kernel's shmem_enabled is '${POLICY:-unknown}'" \
		"the log tells the operator the kernel's policy keeps 4 kB pages" ;;
*)
	assert_log_contains "shm_hugepages: huge pages asked for the 64 MB shm pool \\(kernel shmem_enabled '$POLICY'\\)" \
		"the log names the kernel's policy" ;;
esac
publish_and_watch hp-60-on "shm_hugepages 1"
R=$(pool_rss "$(worker_pid)")
note "shm_prefault 0 (default): a worker's resident pool ${R} kB"
assert_match '^[0-9]+$' "$R" "a worker's pool Rss"
[ "${R:-65536}" -lt 32768 ] && ok "shm_prefault 0: the worker has not mapped the whole pool (${R} kB of 65536)" ||
	fail "shm_prefault 0: the worker has mapped ${R} kB of the 65536 kB pool"
R=$(pool_rss "$(proc_pid 'presence db writer')")
[ "${R:-65536}" -lt 32768 ] && ok "shm_prefault 0: nor has the DB writer (${R} kB)" ||
	fail "shm_prefault 0: the DB writer has mapped ${R:-?} kB of the 65536 kB pool"
assert_alive
stop_kamailio

start_kamailio --param=presence:shm_prefault:1024 || finish
assert_log_contains "shm_prefault: 64 MB of the shm pool populated in [0-9]+ ms" \
	"shm_prefault larger than the pool: all 64 MB populated before the fork"
W=$(worker_pid)
assert_eq 65536 "$(pool_rss "$W")" "shm_prefault: a worker has the whole pool mapped from the start (kB)"
# the module's own processes have no child_init: they map it themselves
W=$(proc_pid 'presence db writer')
assert_match '^[0-9]+$' "$W" "the DB writer's pid from core.psx"
assert_eq 65536 "$(pool_rss "$W")" "shm_prefault: the DB writer has the whole pool mapped too (kB)"
publish_and_watch hp-60-prefault "shm_prefault 1024"
assert_alive
stop_kamailio

start_kamailio --param=presence:shm_hugepages:0 || finish
F=$(pool_flags "$KAM_PID")
note "shm_hugepages 0, pool VmFlags: $F"
assert_match '(^| )sh( |$)' "$F" "the shm pool mapping is found"
assert_no_match '(^| )hg( |$)' "$F" "shm_hugepages 0: no advice on the pool"
N=$(grep -c 'presence .*advise_hugepages' "$KAM_LOG")
assert_eq 2 "$N" "shm_hugepages 0: no new shm_hugepages line in the log (only the two earlier starts')"
publish_and_watch hp-60-off "shm_hugepages 0"
assert_alive
finish
