#!/bin/sh
# Limits loopback traffic TO one TCP port (the embedded gateway's) with an htb class, so the
# benchmark's uploads see a slow uplink in the kernel rather than in the gateway's token bucket.
# Replies and all other loopback traffic are unclassified and pass unshaped.
#
#   bench/shape-uplink.sh add PORT BYTES_PER_SEC   # replaces lo's root qdisc
#   bench/shape-uplink.sh change BYTES_PER_SEC     # switches the class's rate during a run
#   bench/shape-uplink.sh del                      # restores lo's default (noqueue)
#   bench/shape-uplink.sh check                    # exits 0 when tc + htb work here
#
# Needs root. Always run `del` afterwards (the harness does, in a finally block).
set -eu
DEV=lo
cmd=${1:-}
case "$cmd" in
  add)
    port=$2
    rate_bytes=$3
    # htb takes bits. lo's 64 KiB MTU (and GSO) needs a burst of at least two such packets or
    # the class cannot reach its rate; any more lets the first 1/100 s go through unshaped,
    # which a makespan measured against a lower bound would notice.
    rate_bit=$((rate_bytes * 8))
    burst=$((rate_bytes / 100))
    [ "$burst" -lt 131072 ] && burst=131072
    tc qdisc del dev "$DEV" root 2>/dev/null || true
    tc qdisc add dev "$DEV" root handle 1: htb default 99
    tc class add dev "$DEV" parent 1: classid 1:10 htb rate "${rate_bit}bit" ceil "${rate_bit}bit" burst "$burst" cburst "$burst"
    tc filter add dev "$DEV" parent 1: protocol ip prio 1 u32 match ip dport "$port" 0xffff flowid 1:10
    ;;
  change)
    # Same class, new rate: connections in flight keep going and see the new rate at once.
    rate_bytes=$2
    rate_bit=$((rate_bytes * 8))
    burst=$((rate_bytes / 100))
    [ "$burst" -lt 131072 ] && burst=131072
    tc class change dev "$DEV" parent 1: classid 1:10 htb rate "${rate_bit}bit" ceil "${rate_bit}bit" burst "$burst" cburst "$burst"
    ;;
  del)
    tc qdisc del dev "$DEV" root 2>/dev/null || true
    ;;
  check)
    # A throwaway ifb-free probe: add and remove an htb root on lo.
    command -v tc >/dev/null 2>&1 || exit 1
    [ "$(id -u)" = 0 ] || exit 1
    if tc qdisc show dev "$DEV" | grep -q 'htb'; then
      echo "lo already has an htb qdisc; refusing to touch it" >&2
      exit 1
    fi
    tc qdisc add dev "$DEV" root handle 1: htb default 99 || exit 1
    tc qdisc del dev "$DEV" root
    ;;
  *)
    echo "usage: $0 add PORT BYTES_PER_SEC | change BYTES_PER_SEC | del | check" >&2
    exit 2
    ;;
esac
