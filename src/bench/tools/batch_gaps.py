#!/usr/bin/env python3
"""From BENCH_TRACE_DIR traces (one row per tagged result): how busy the batch workers were.

usage: batch_gaps.py trace-*.csv
A batch is the results sharing processed_at_ms, batch and inference_us; it occupied a worker from
(processed_at - inference - preprocess) to processed_at. Over the middle 80 % of batches it prints the
share of time with 0, 1, 2, ... batches running, the mean inference and preprocess time per batch, and
the gaps between one batch ending and the next starting on the same worker (batches assigned to
workers greedily). Time waiting for a model slot (preprocess-ahead) is not counted as running.
"""
import csv
import collections
import sys


def main(paths):
    for path in paths:
        batches = {}
        for r in csv.DictReader(open(path)):
            key = (int(r["processed_at_ms"]), int(r["batch"]), int(r["inference_us"]))
            batches.setdefault(key, int(r["preprocess_us"]))
        spans = sorted((t * 1000 - inf - pre, t * 1000 - inf, t * 1000) for (t, _, inf), pre in batches.items())
        spans = spans[len(spans) // 10: len(spans) * 9 // 10]
        if len(spans) < 2:
            continue
        events = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, _, e in spans])
        running, last, share = 0, spans[0][0], collections.Counter()
        for t, d in events:
            share[running] += t - last
            last, running = t, running + d
        total = sum(share.values())
        lanes, gaps = [], []
        for s, _, e in spans:
            free = [i for i, end in enumerate(lanes) if end <= s + 2000]
            if not free:
                lanes.append(e)
                continue
            i = max(free, key=lambda k: lanes[k])
            gaps.append((s - lanes[i]) / 1000)
            lanes[i] = e
        gaps.sort()
        print(f"{path}: {len(spans)} batches; running {{n: share}} "
              f"{ {k: round(v / total, 3) for k, v in sorted(share.items())} }; "
              f"mean inference {sum(e - m for _, m, e in spans) / len(spans) / 1000:.1f} ms, "
              f"preprocess {sum(m - s for s, m, _ in spans) / len(spans) / 1000:.1f} ms; "
              f"gaps median {gaps[len(gaps) // 2]:.1f} ms, max {gaps[-1]:.1f} ms" if gaps else "")


if __name__ == "__main__":
    main(sys.argv[1:])
