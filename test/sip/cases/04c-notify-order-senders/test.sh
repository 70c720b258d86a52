# 04c Case 04b (NOTIFY order under racing PUBLISHes, Kamailio's #3192)
# with 2 NOTIFY sender processes (fanout_processes 2): the same order, and
# every NOTIFY left from a sender, each dialog's from one.
FANOUT=2
. "$(dirname "$0")/../04b-notify-order/test.sh"
