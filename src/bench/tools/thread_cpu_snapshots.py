#!/usr/bin/env python3
"""Every 2 s until PID exits: each thread's CPU ticks and context switches, and the machine's /proc/stat line.

usage: thread_cpu_snapshots.py PID OUTDIR      (e.g. PID = $(pgrep -f bench.BenchMain))
Writes OUTDIR/<epoch ms>.json; thread_cpu_diff.py compares two moments. One process reading /proc, no forks: the
shell version this replaces forked several processes per thread per snapshot, which took ~10 % of the two cores
(system time) and slowed the run it was measuring.
"""
import json
import os
import sys
import time


def threads(pid):
    rows = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        rows.append([tid, name, int(fields[11]), int(fields[12]),
                     int(status["voluntary_ctxt_switches"]), int(status["nonvoluntary_ctxt_switches"])])
    return rows


def main(pid, out):
    os.makedirs(out, exist_ok=True)
    while os.path.exists(f"/proc/{pid}"):
        now = time.time()
        try:
            rows = threads(pid)
        except OSError:
            break
        with open("/proc/stat") as f:
            machine = [int(v) for v in f.readline().split()[1:]]
        with open(f"{out}/{int(now * 1000)}.json", "w") as f:
            json.dump({"t": now, "threads": rows, "stat": machine}, f)
        time.sleep(2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
