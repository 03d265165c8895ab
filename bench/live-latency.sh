#!/usr/bin/env bash
# Latency of the live stream (`capture ... -o -`): how long after its capture time each packet is on meshcap's
# standard output, read by a program that parses the pcapng stream as Wireshark does (bench/LiveLatency.java).
#
#   bench/live-latency.sh [PPS_LIST] [SECONDS] [WINDOW]     (defaults: "lab 50000", 10, 200ms)
#
# "lab": the lab's own calls (meshcap lab traffic in a loop) on all four sidecar legs, a few hundred packets/s.
# A number: iperf3 sends that many 400-byte UDP datagrams/s to 127.0.0.1:5201 on lo inside the lab pod, captured by
# the bench-udp preset (bench/presets). The table gives packets measured and latency percentiles; the target is
# WINDOW + 100 ms. Needs root, iperf3, java and target/meshcap.jar.
set -euo pipefail

RATES=${1:-"lab 50000"}
SECONDS_EACH=${2:-10}
WINDOW=${3:-200ms}
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${JAR:-$HERE/../target/meshcap.jar}
DIR=${BENCH_DIR:-/tmp/meshcap-bench-live}
LAB=mcbench-live
POD=$LAB-pod
DATAGRAM=400
mkdir -p "$DIR"
JAVA=(java -XX:+UseSerialGC -jar "$JAR")
meshcap() { "${JAVA[@]}" "$@"; }

cleanup() {
  [[ -n "${IPERF_PID:-}" ]] && kill "$IPERF_PID" 2>/dev/null || true
  [[ -n "${LOAD_PID:-}" ]] && kill "$LOAD_PID" 2>/dev/null || true
  meshcap lab down --name "$LAB" > /dev/null 2>&1 || true
}
trap cleanup EXIT
meshcap lab up --name "$LAB" > /dev/null
ip netns exec "$POD" iperf3 -s -B 127.0.0.1 -p 5201 > /dev/null 2>&1 &
IPERF_PID=$!
sleep 1

wait_for() { # FILE TEXT
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

measure() { # RATE -> count p50 p99 p99.9 max (ms)
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
  kill "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=
  cat "$DIR/result"
}

echo "| load | window | packets measured | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for rate in $RATES; do
  read -r count p50 p99 p999 max <<< "$(measure "$rate")"
  label=$([[ $rate == lab ]] && echo "lab calls, 4 legs" || echo "$rate pps UDP on lo, 1 leg")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$WINDOW" "$count" "$p50" "$p99" "$p999" "$max"
done
