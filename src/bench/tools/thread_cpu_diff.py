#!/usr/bin/env python3
"""CPU ticks per thread group between two snapshots of thread-cpu-snapshots.sh.

usage: thread_cpu_diff.py OUTDIR/<t0>.txt OUTDIR/<t1>.txt
Thread names have their numbers folded ("mlpstream-batch-0" and "-1" -> one group).
"""
import collections
import re
import sys


def load(path):
    threads = {}
    for line in open(path):
        tid, name, ticks = line.rstrip("\n").rsplit("|", 2)
        threads[tid] = (name, int(ticks))
    return threads


def main(a, b):
    before, after = load(a), load(b)
    groups = collections.Counter()
    for tid, (name, ticks) in after.items():
        groups[re.sub(r"[-#]?\d+", "N", name)] += ticks - before.get(tid, (name, 0))[1]
    total = sum(groups.values())
    print(f"total {total} ticks (1/100 s of CPU)")
    for group, ticks in groups.most_common(25):
        if ticks:
            print(f"{ticks:7d} {100 * ticks / total:5.1f} % {group}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
