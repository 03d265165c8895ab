#!/usr/bin/env bash
# Capture throughput on lo under load: plain `tcpdump -w` against `meshcap capture` (tcpdump and pcap4j
# engines), all in one run, inside a lab pod of our own.
#
#   bench/capture.sh [PPS_LIST] [SECONDS]        (defaults: "50000 100000 200000 400000" and 5)
#
# For each rate, bench/udp-load.py sends 400-byte UDP datagrams to 127.0.0.1:5201 inside the pod for SECONDS (from
# SENDERS processes, default 2) while one capturer records 'udp and dst port 5201' on lo; the table shows datagrams
# sent (the sender's count), packets captured (capinfos), and the drops the capturer reported. Needs root, python3,
# capinfos and target/meshcap.jar.
set -euo pipefail

RATES=${1:-"50000 100000 200000 400000"}
SECONDS_EACH=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${BENCH_DIR:-/tmp/meshcap-bench-capture}
LAB=mcbench
DATAGRAM=400
SENDERS=${SENDERS:-2}
mkdir -p "$DIR"
source "$HERE/lab.sh"

load() { # PPS -> datagrams sent
  ip netns exec "$POD" python3 "$HERE/udp-load.py" "$1" "$SECONDS_EACH" "$SENDERS" "$DATAGRAM" 5201
}

run_tcpdump() { # PPS
  rm -f "$DIR/out.pcap"
  ip netns exec "$POD" tcpdump -Z root --immediate-mode -U -n -i lo -w "$DIR/out.pcap" 'udp and dst port 5201' 2> "$DIR/err" &
  local pid=$!
  wait_for "$DIR/err" "listening on"
  local sent; sent=$(load "$1")
  sleep 1; kill -TERM "$pid"; wait "$pid" || true
  echo "$sent $(capinfos -c -M "$DIR/out.pcap" | awk '/Number of packets/ {print $NF}') $(awk '/dropped by kernel/ {print $1}' "$DIR/err")"
}

run_meshcap() { # PPS ENGINE
  rm -f "$DIR/out.pcapng"
  # The JVM itself in the background (not a function's subshell), so $! is the process to signal.
  "${JAVA[@]}" capture bench-udp --filters "$HERE/presets" --netns "$POD" --engine "$2" -o "$DIR/out.pcapng" 2> "$DIR/err" &
  local pid=$!
  wait_for "$DIR/err" "meshcap: capturing"
  local sent; sent=$(load "$1")
  # SIGTERM, not SIGINT: a background job of a script starts with SIGINT ignored.
  sleep 1; kill -TERM "$pid"; wait "$pid" || true
  echo "$sent $(capinfos -c -M "$DIR/out.pcapng" | awk '/Number of packets/ {print $NF}') $(grep -o '[0-9]* dropped' "$DIR/err" | awk '{print $1}')"
}

echo "| offered rate (pps) | capturer | sent | captured | dropped (reported) | captured/sent |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for pps in $RATES; do
  for capturer in "tcpdump -w" "meshcap --engine tcpdump" "meshcap --engine pcap4j"; do
    case "$capturer" in
      "tcpdump -w") read -r sent captured dropped <<< "$(run_tcpdump "$pps")" ;;
      "meshcap --engine tcpdump") read -r sent captured dropped <<< "$(run_meshcap "$pps" tcpdump)" ;;
      *) read -r sent captured dropped <<< "$(run_meshcap "$pps" pcap4j)" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s |\n' "$pps" "$capturer" "$sent" "$captured" "${dropped:-?}" \
      "$(python3 -c "print(f'{$captured/$sent:.4f}')")"
  done
done
