#!/usr/bin/env bash
# Benchmark of `meshcap merge` against its I/O floor (cat) and mergecap, all in one run.
#
#   bench/merge.sh [BYTES_PER_INPUT] [REPEATS]      (defaults: 1000000000 and 5)
#
# Generates two captures of 400-byte TCP packets in the lo/15001 shape (bench/GenerateCapture.java),
# interleaved in time so the merge alternates between inputs, plus two of half the size to show that
# memory stays flat as the input doubles. Everything is written under $BENCH_DIR (default
# /tmp/meshcap-bench) and never into the repository. Needs target/meshcap.jar (mvn package), mergecap,
# GNU time. Page cache is warmed before timing; each figure is the median of REPEATS runs.
set -euo pipefail

BYTES=${1:-1000000000}
REPEATS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${JAR:-$HERE/../target/meshcap.jar}
# Another build to compare against in the same rounds (e.g. main before a change): its meshcap rows are added,
# marked "(OLD_JAR)", each with the same peer.
OLD_JAR=${OLD_JAR:-}
DIR=${BENCH_DIR:-/tmp/meshcap-bench}
# Where every command writes its output. On the disk-backed /tmp of the measuring machine, any writer
# producing more than ~2 GB faster than writeback paid seconds of kernel time (dd shows it too), so the
# headline run writes to tmpfs: OUT_DIR=/dev/shm.
OUT=${OUT_DIR:-$DIR}/meshcap-bench-out
# The JVM flags the launcher passes (see docs/benchmarks.md); re-association also gets -XX:TieredStopAtLevel=1, and
# merge --reassociate $MERGE_REASSOCIATE_JIT, as the launcher gives them (meshcap_java below). OLD_JAR runs with
# OLD_JAVA_OPTS and the same per-command flags (its launcher's, since re-association runs without C2; an older jar's
# launcher gave it C2 everywhere).
JAVA_OPTS=${MESHCAP_JAVA_OPTS:--XX:+UseSerialGC -Xss512k -Xmn32m}
OLD_JAVA_OPTS=${OLD_JAVA_OPTS:-$JAVA_OPTS}
# What the launcher adds for merge --reassociate (C1 only, with deeper inlining); OLD_MERGE_REASSOCIATE_JIT for
# OLD_JAR, e.g. "-XX:TieredStopAtLevel=1" for a jar whose launcher gave only that (before 2026-12-06).
MERGE_REASSOCIATE_JIT=${MERGE_REASSOCIATE_JIT:-"-XX:TieredStopAtLevel=1 -XX:C1MaxInlineSize=60 -XX:C1InlineStackLimit=10 -XX:CompileThresholdScaling=0.2"}
OLD_MERGE_REASSOCIATE_JIT=${OLD_MERGE_REASSOCIATE_JIT:-$MERGE_REASSOCIATE_JIT}
START_MICROS=1795330000000000
mkdir -p "$DIR"

# The launcher's class-data archive: ./meshcap maps the classes its commands load from an archive made from
# scripts/class-list, about a tenth of a second of every run's start. Made here the same way for each jar measured
# (under $DIR, again when the jar is newer); ARCHIVE=no runs without (as the tables before 2026-12-05 20:00 did).
ARCHIVE=${ARCHIVE:-yes}
archive_option() { # JAR NAME: prints the JVM options that map the jar's archive
  local jar="$1" jsa="$DIR/$2.jsa"
  [[ "$ARCHIVE" == yes ]] || return 0
  if [[ ! -s "$jsa" || "$jar" -nt "$jsa" ]]; then
    # shellcheck disable=SC2086 # the options are split on purpose
    "$HERE/../scripts/class-list" java "$jar" "$DIR/$2.classlist" $JAVA_OPTS >/dev/null 2>&1 || true
    java -Xshare:dump -XX:SharedClassListFile="$DIR/$2.classlist" -XX:SharedArchiveFile="$jsa" -cp "$jar" \
      >/dev/null 2>&1 || { echo "merge.sh: could not make a class-data archive for $jar" >&2; exit 1; }
  fi
  echo "-XX:SharedArchiveFile=$jsa"
}
JAVA_OPTS="$JAVA_OPTS $(archive_option "$JAR" new)"
[[ -z "$OLD_JAR" ]] || OLD_JAVA_OPTS="$OLD_JAVA_OPTS $(archive_option "$OLD_JAR" old)"

generate() { # NAME BYTES OFFSET_MICROS
  [[ -s "$DIR/$1" ]] || java "$HERE/GenerateCapture.java" "$DIR/$1" "$2" $((START_MICROS + $3)) 10
}
generate a.pcap "$BYTES" 0
generate b.pcap "$BYTES" 5
generate a-half.pcap $((BYTES / 2)) 0
generate b-half.pcap $((BYTES / 2)) 5
cat "$DIR"/*.pcap > /dev/null

# Each round runs every command once, so load from other processes on this shared machine falls on all
# of them alike; a command's figure is its median wall time and its highest peak RSS over the rounds. Each
# meshcap row names its peer, measured in the same rounds, and the table gives the ratio of the medians (wall
# and CPU): on a loaded machine the CPU ratio is the steadier one.
LABELS=(); COMMANDS=(); PEERS=()
add() { LABELS+=("$1"); COMMANDS+=("$2"); PEERS+=("${3:-}"); } # LABEL COMMAND [PEER'S LABEL]
meshcap_java() { # JAR JAVA_OPTIONS ARGS...: the java command line ./meshcap runs for these arguments
  local jar="$1" opts="$2" jit="" merge_jit="$MERGE_REASSOCIATE_JIT"
  [[ "$jar" != "$OLD_JAR" ]] || merge_jit="$OLD_MERGE_REASSOCIATE_JIT"
  shift 2
  case "$1" in
    merge) [[ " $* " != *" --reassociate "* ]] || jit="$merge_jit" ;;
    reassociate | streams) jit="-XX:TieredStopAtLevel=1" ;;
  esac
  echo "java $opts $jit -jar '$jar' $*"
}
add_new() { # LABEL ARGS [PEER'S-LABEL]: a meshcap command as the launcher runs it
  # shellcheck disable=SC2086 # the arguments are split on purpose
  add "$1" "$(meshcap_java "$JAR" "$JAVA_OPTS" $2)" "${3:-}"
}
add_old() { # LABEL ARGS PEER'S-LABEL: the same meshcap command run with OLD_JAR, when given
  # shellcheck disable=SC2086 # the arguments are split on purpose
  [[ -z "$OLD_JAR" ]] || add "$1 (OLD_JAR)" "$(meshcap_java "$OLD_JAR" "$OLD_JAVA_OPTS" $2)" "$3"
}

MERGECAP="mergecap -w out.pcapng a.pcap b.pcap"
MERGECAP_PCAP="mergecap -F pcap -w out.pcap a.pcap b.pcap"
EDITCAP="editcap -F pcapng a.pcap out.pcapng (copy to pcapng)"
add "cat a.pcap b.pcap > out (I/O floor)" "cat '$DIR/a.pcap' '$DIR/b.pcap' > '$OUT'"
add "$MERGECAP" "mergecap -w '$OUT' '$DIR/a.pcap' '$DIR/b.pcap'"
add_new "meshcap merge a.pcap b.pcap -o out.pcapng" "merge '$DIR/a.pcap' '$DIR/b.pcap' -o '$OUT'" "$MERGECAP"
add_old "meshcap merge a.pcap b.pcap -o out.pcapng" "merge '$DIR/a.pcap' '$DIR/b.pcap' -o '$OUT'" "$MERGECAP"
add_new "meshcap merge --reassociate a.pcap b.pcap -o out.pcapng" \
  "merge --reassociate '$DIR/a.pcap' '$DIR/b.pcap' -o '$OUT'" "$MERGECAP"
add_old "meshcap merge --reassociate a.pcap b.pcap -o out.pcapng" \
  "merge --reassociate '$DIR/a.pcap' '$DIR/b.pcap' -o '$OUT'" "$MERGECAP"
add_new "meshcap merge --reassociate --no-stream-comments (one pass)" \
  "merge --reassociate --no-stream-comments '$DIR/a.pcap' '$DIR/b.pcap' -o '$OUT'" "$MERGECAP"
add "$MERGECAP_PCAP" "mergecap -F pcap -w '$OUT' '$DIR/a.pcap' '$DIR/b.pcap'"
add_new "meshcap merge --format pcap a.pcap b.pcap -o out.pcap" \
  "merge --format pcap '$DIR/a.pcap' '$DIR/b.pcap' -o '$OUT'" "$MERGECAP_PCAP"
add "$EDITCAP" "editcap -F pcapng '$DIR/a.pcap' '$OUT'"
add_new "meshcap reassociate a.pcap -o out.pcapng" "reassociate '$DIR/a.pcap' -o '$OUT'" "$EDITCAP"
add_old "meshcap reassociate a.pcap -o out.pcapng" "reassociate '$DIR/a.pcap' -o '$OUT'" "$EDITCAP"
add_new "meshcap merge, inputs of half the size" "merge '$DIR/a-half.pcap' '$DIR/b-half.pcap' -o '$OUT'"
add_new "meshcap merge --reassociate, inputs of half the size" \
  "merge --reassociate '$DIR/a-half.pcap' '$DIR/b-half.pcap' -o '$OUT'"

declare -A WALLS CPUS RSS SIZES
for round in $(seq "$REPEATS"); do
  for i in "${!COMMANDS[@]}"; do
    rm -f "$OUT"
    /usr/bin/time -f "%e %U %S %M" -o "$DIR/time" sh -c "${COMMANDS[$i]}" > /dev/null 2> "$DIR/stderr" \
      || { cat "$DIR/stderr"; exit 1; }
    read -r wall user sys kb < "$DIR/time"
    WALLS[$i]="${WALLS[$i]:-} $wall"
    CPUS[$i]="${CPUS[$i]:-} $user+$sys"
    SIZES[$i]=$(stat -c %s "$OUT")
    (( kb > ${RSS[$i]:-0} )) && RSS[$i]=$kb
  done
done
rm -f "$OUT"

median() { # VALUES...
  printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}
cpu_median() { # "user+sys" VALUES...
  # shellcheck disable=SC2046
  median $(printf '%s\n' "$@" | bc)
}

SIZE_MB=$(( $(stat -L -c %s "$DIR/a.pcap") / 1000000 ))
echo "Inputs: 2 × $SIZE_MB MB of 400-byte packets; $(nproc) cores; $(uname -r); $(java -version 2>&1 | head -1)"
echo "Output written to $(dirname "$OUT") ($(stat -f -c %T "$(dirname "$OUT")"))"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall s, median of $REPEATS | CPU s, median | × peer (wall, CPU) | wall s, all runs | CPU s (user+sys), all runs | peak RSS MB | output MB |"
echo "|---|---|---|---|---|---|---|---|"
declare -A WALL_MEDIAN CPU_MEDIAN
for i in "${!COMMANDS[@]}"; do
  # shellcheck disable=SC2086
  WALL_MEDIAN[$i]=$(median ${WALLS[$i]})
  # shellcheck disable=SC2086
  CPU_MEDIAN[$i]=$(cpu_median ${CPUS[$i]})
  ratio=""
  if [[ -n "${PEERS[$i]}" ]]; then
    for peer in "${!LABELS[@]}"; do [[ "${LABELS[$peer]}" == "${PEERS[$i]}" ]] && break; done
    ratio=$(python3 -c "r = lambda a, b: f'{a / b:.2f}' if b else '-'
print(f'{r(${WALL_MEDIAN[$i]}, ${WALL_MEDIAN[$peer]})} × / {r(${CPU_MEDIAN[$i]}, ${CPU_MEDIAN[$peer]})} × (${LABELS[$peer]%% *})')")
  fi
  printf '| %s | %s | %s | %s |%s |%s | %d | %d |\n' "${LABELS[$i]}" "${WALL_MEDIAN[$i]}" "${CPU_MEDIAN[$i]}" "$ratio" \
    "${WALLS[$i]}" "${CPUS[$i]}" $(( ${RSS[$i]} / 1024 )) $(( ${SIZES[$i]} / 1000000 ))
done
