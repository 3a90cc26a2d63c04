#!/bin/bash
# Every 2 s until PID exits: per-thread CPU ticks (utime + stime, 1/100 s) of PID into OUTDIR/<epoch>.txt
# as "tid|name|ticks". Compare two snapshots with thread_cpu_diff.py. Used for BENCHMARKS.md's
# per-thread CPU shares, e.g.:  src/bench/tools/thread-cpu-snapshots.sh $(pgrep -f bench.BenchMain) /tmp/cpu
set -u
pid=$1
out=$2
mkdir -p "$out"
while kill -0 "$pid" 2>/dev/null; do
  t=$(date +%s)
  for d in /proc/"$pid"/task/*; do
    s=$(cat "$d"/stat 2>/dev/null) || continue
    name=$(cat "$d"/comm 2>/dev/null)
    rest=${s##*) }
    # shellcheck disable=SC2086
    set -- $rest
    echo "${d##*/}|$name|$((${12} + ${13}))"
  done > "$out/$t.txt"
  sleep 2
done
