#!/usr/bin/env python3
"""CPU per thread group between two moments of thread_cpu_snapshots.py's output.

usage: thread_cpu_diff.py OUTDIR FROM_EPOCH_S TO_EPOCH_S
Uses the first and last snapshot inside [FROM, TO]; pick a window inside one job's run (a thread that starts or ends
inside the window is counted only for its part after the first snapshot). Thread names have their numbers folded
("mlpstream-batch-0" and "-1" -> one group). Ticks are 1/100 s of CPU (user + system); vcs/nvcs are voluntary and
involuntary context switches.
"""
import collections
import glob
import json
import re
import sys


def main(outdir, t0, t1):
    snaps = [json.load(open(p)) for p in sorted(glob.glob(f"{outdir}/*.json"))]
    snaps = [s for s in snaps if t0 <= s["t"] <= t1]
    if len(snaps) < 2:
        sys.exit(f"fewer than two snapshots between {t0} and {t1}")
    a, b = snaps[0], snaps[-1]
    seconds = b["t"] - a["t"]
    d = [x - y for x, y in zip(b["stat"], a["stat"])]
    total = sum(d[:8])
    print(f"{seconds:.1f} s; machine: user {100 * (d[0] + d[1]) / total:.1f} %, system {100 * d[2] / total:.1f} %, "
          f"idle {100 * d[3] / total:.1f} %, steal {100 * d[7] / total:.1f} %")
    before = {row[0]: row for row in a["threads"]}
    groups = collections.defaultdict(lambda: [0, 0, 0])
    for row in b["threads"]:
        prev = before.get(row[0], [row[0], row[1], 0, 0, 0, 0])
        g = groups[re.sub(r"[-#]?\d+", "N", row[1])]
        g[0] += row[2] + row[3] - prev[2] - prev[3]
        g[1] += row[4] - prev[4]
        g[2] += row[5] - prev[5]
    ticks = sum(g[0] for g in groups.values())
    print(f"process: {ticks} ticks = {ticks / 100 / seconds:.2f} cores")
    for name, (t, vcs, nvcs) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:25]:
        if t:
            print(f"{t:7d} {100 * t / ticks:5.1f} %  vcs {vcs:6d}  nvcs {nvcs:6d}  {name}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
