#!/usr/bin/env python3
"""CPU time (user+sys) of each thread of a command, by thread name: where a run's CPU goes between threads.

    bench/thread-cpu.py COMMAND [ARG...]

Runs COMMAND with its output discarded, reads /proc/PID/task/*/stat every 20 ms while it runs and prints each
thread name's total at the last reading, largest first, then the sum. A thread that ends between two readings
loses at most 20 ms. On a machine shared with other work, the main thread's CPU is the steadier measure of
the critical path than wall time: on a quiet machine with enough cores the wall time cannot be below it.
"""
import collections
import os
import subprocess
import sys
import time

POLL_SECONDS = 0.02


def threads(pid):
    """{thread id: (name, cpu seconds)} of a running process; empty once it is gone."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                line = stat.read()
        except OSError:
            continue
        name = line[line.index("(") + 1:line.rindex(")")]
        fields = line[line.rindex(")") + 2:].split()
        found[tid] = (name, (int(fields[11]) + int(fields[12])) / ticks)  # utime, stime
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = {}
    while process.poll() is None:
        last.update(threads(process.pid))
        time.sleep(POLL_SECONDS)
    by_name = collections.Counter()
    for name, seconds in last.values():
        by_name[name] += seconds
    for name, seconds in by_name.most_common():
        if seconds >= 0.01:
            print(f"{seconds:6.2f} s  {name}")
    print(f"{sum(by_name.values()):6.2f} s  all threads (exit status {process.returncode})")


if __name__ == "__main__":
    main()
