#!/usr/bin/env bash
# Start-up of the released launcher (the linux-amd64 archive, unpacked) against ./meshcap in this checkout, for
# --version, filter, cidr and inspect --rules, with tcpdump -d as the peer (docs/benchmarks.md, "Start-up").
#   bench/startup.sh [RUNS] [OTHER_CHECKOUT]
# With OTHER_CHECKOUT (another build of meshcap, e.g. `git archive main | tar -x -C /tmp/before`), its ./meshcap is
# measured instead of the released launcher: before and after a change, in the same rounds.
# Needs hyperfine (apt-get install -y hyperfine), target/release/ (mvn verify or scripts/release) unless
# OTHER_CHECKOUT is given, and lets each ./meshcap build its jar and class-data archive first if its sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"

if [ -n "${2:-}" ]; then
  other="$(cd "$2" && pwd)/meshcap"
  other_name="other meshcap"
else
  archive="$(ls target/release/meshcap-*-linux-amd64.tar.gz)"
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  tar -xzf "$archive" -C "$dir"
  other="$(ls "$dir"/meshcap-*-linux-amd64/meshcap)"
  other_name="released meshcap"
fi
"$other" --version >/dev/null  # its first run prepares the class-data archive of meshcap's classes
./meshcap --version >/dev/null    # builds target/meshcap.jar and target/meshcap.jsa if they are stale

# Wall time, and the CPU time (user, system) that says more on a busy machine.
# The peer: libpcap compiling the kind of filter `meshcap filter` prints.
hyperfine -N --style basic --warmup 3 --runs "$runs" -n "tcpdump -d" \
  "tcpdump -d 'tcp and dst host 10.1.2.3 and dst port 8080'" 2>&1 | grep -E '^Benchmark|Time'
rules=src/test/resources/rules/default-injection.iptables-save
for command in "--version" "filter inbound-mtls --pod-ip 10.1.2.3 --port 8080" "cidr 192.168.0.0/12" \
    "inspect --rules $rules"; do
  hyperfine -N --style basic --warmup 3 --runs "$runs" \
    -n "./meshcap $command" "./meshcap $command" \
    -n "$other_name $command" "$other $command" 2>&1 | grep -E '^Benchmark|Time|±.*faster'
done
