# Sourced by the bench scripts that load a lab pod: a lab of their own, removed when the script exits, and wait_for.
#
# Set before sourcing: HERE (the bench directory) and LAB (the lab's name, one per script). Sets POD, JAR (unless
# given), JAVA (the command that runs meshcap) and meshcap(). A script keeps the pid of a server it starts in the
# background in SERVER_PID, and of its current load generator in LOAD_PID (cleared once stopped), so that an early
# exit stops them too.

JAR=${JAR:-$HERE/../target/meshcap.jar}
POD=$LAB-pod
JAVA=(java -XX:+UseSerialGC -jar "$JAR")
meshcap() { "${JAVA[@]}" "$@"; }

lab_cleanup() {
  [[ -n "${SERVER_PID:-}" ]] && kill "$SERVER_PID" 2>/dev/null || true
  [[ -n "${LOAD_PID:-}" ]] && kill "$LOAD_PID" 2>/dev/null || true
  meshcap lab down --name "$LAB" > /dev/null 2>&1 || true
}
trap lab_cleanup EXIT
meshcap lab up --name "$LAB" > /dev/null

wait_for() { # FILE TEXT: until FILE holds TEXT, for up to 30 s
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}
