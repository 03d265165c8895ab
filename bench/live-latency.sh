#!/usr/bin/env bash
# Latency of the live stream (`capture ... -o -`): how long after its capture time each packet is on meshcap's
# standard output, read by a program that parses the pcapng stream as Wireshark does (bench/LiveLatency.java).
#
#   bench/live-latency.sh [PPS_LIST] [SECONDS] [WINDOW]     (defaults: "lab 50000", 10, 200ms)
#
# "lab": the lab's own calls (meshcap lab traffic in a loop) on all four sidecar legs, a few hundred packets/s.
# A number: iperf3 sends that many 400-byte UDP datagrams/s to 127.0.0.1:5201 on lo inside the lab pod, captured by
# the bench-udp preset (bench/presets). The table gives packets measured, latency percentiles (the target is
# WINDOW + 100 ms) and the machine's 1-minute load average at the end of the run. Needs root, iperf3, java and
# target/meshcap.jar (JAR=... runs another build, to compare two in the same conditions).
set -euo pipefail

RATES=${1:-"lab 50000"}
SECONDS_EACH=${2:-10}
WINDOW=${3:-200ms}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${BENCH_DIR:-/tmp/meshcap-bench-live}
LAB=mcbench-live
DATAGRAM=400
mkdir -p "$DIR"
source "$HERE/lab.sh"
ip netns exec "$POD" iperf3 -s -B 127.0.0.1 -p 5201 > /dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 200); do ip netns exec "$POD" ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.05; done

measure() { # RATE -> count p50 p99 p99.9 max (ms), then the 1-minute load average at the end
  local capture=(capture bench-udp --filters "$HERE/presets" --netns "$POD")
  [[ $1 == lab ]] && capture=(capture sidecar --netns "$POD")
  rm -f "$DIR/err" "$DIR/result"
  # The reader measures for SECONDS, then exits: the closed pipe stops meshcap.
  ( "${JAVA[@]}" "${capture[@]}" -o - --reorder-window "$WINDOW" 2> "$DIR/err" \
      | java "$HERE/LiveLatency.java" "$SECONDS_EACH" > "$DIR/result" ) &
  local pipeline=$!
  wait_for "$DIR/err" "meshcap: capturing"
  if [[ $1 == lab ]]; then
    ( while true; do meshcap lab traffic --name "$LAB" --inbound 2 --outbound 2 > /dev/null 2>&1; done ) &
  else
    ip netns exec "$POD" iperf3 -c 127.0.0.1 -p 5201 -u -l "$DATAGRAM" -b $(( $1 * DATAGRAM * 8 )) \
      -t $(( SECONDS_EACH + 5 )) > /dev/null 2>&1 &
  fi
  LOAD_PID=$!
  wait "$pipeline" || true
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  kill "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=
  echo "$(cat "$DIR/result") $load"
}

echo "| traffic | window | packets measured | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | load average |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for rate in $RATES; do
  read -r count p50 p99 p999 max load <<< "$(measure "$rate")"
  label=$([[ $rate == lab ]] && echo "lab calls, 4 legs" || echo "$rate pps UDP on lo, 1 leg")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$WINDOW" "$count" "$p50" "$p99" "$p999" "$max" "$load"
done
