#!/usr/bin/env python3
"""Plots of a benchmark run (BenchMain's CSV files) as PNGs for BENCHMARKS.md.

usage: /usr/bin/python3 src/bench/python/plot_benchmarks.py target/bench docs/bench
needs Debian's python3-matplotlib
"""
import csv
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def throughput_vs_batch(src, dst):
    raw = rows(os.path.join(src, "raw.csv"))
    pipe = [r for r in rows(os.path.join(src, "pipeline.csv")) if r["mode"] == "batched"]
    models = sorted({r["model"] for r in raw} | {r["model"] for r in pipe})
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        limit = {}
        for r in raw:
            if r["model"] == model:
                b = int(r["batch"])
                limit[b] = max(limit.get(b, 0.0), float(r["images_per_s"]))
        xs = sorted(limit)
        ax.plot(xs, [limit[b] for b in xs], "o-", label="raw ONNX Runtime (limit)")
        ps = sorted((int(r["batch"]), float(r["throughput_per_s"])) for r in pipe if r["model"] == model)
        if ps:
            ax.plot([p[0] for p in ps], [p[1] for p in ps], "s-", label="full pipeline")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size")
        ax.set_ylabel("images / s")
        ax.set_title(model)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "throughput-vs-batch.png"), dpi=110)


def latency_cdf(src, dst):
    files = sorted(glob.glob(os.path.join(src, "latency-*.csv")))
    if not files:
        return
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for path in files:
        model = os.path.basename(path)[len("latency-"):-len(".csv")]
        values = sorted(float(r["e2e_ms"]) for r in rows(path))
        n = len(values)
        ax.plot(values, [(i + 1) / n for i in range(n)], label=model)
    ax.set_xscale("log")
    ax.set_xlabel("end-to-end latency (ms), Kafka timestamp to result")
    ax.set_ylabel("fraction of events")
    ax.set_title("Latency CDF at 70% of the maximum sustainable rate")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "latency-cdf.png"), dpi=110)


def sweep(src, dst):
    sw = [r for r in rows(os.path.join(src, "pipeline.csv")) if r["mode"] == "sweep"]
    if not sw:
        return
    models = sorted({r["model"] for r in sw})
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        for delay in sorted({int(r["delay_ms"]) for r in sw if r["model"] == model}):
            pts = sorted((int(r["batch"]), float(r["e2e_p99_ms"]), float(r["mean_batch"]))
                         for r in sw if r["model"] == model and int(r["delay_ms"]) == delay)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"max-delay {delay} ms")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch.max-size")
        ax.set_ylabel("e2e p99 (ms)")
        ax.set_title(f"{model}: sweep at 70% load")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "sweep.png"), dpi=110)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "target/bench"
    dst = sys.argv[2] if len(sys.argv) > 2 else "docs/bench"
    os.makedirs(dst, exist_ok=True)
    throughput_vs_batch(src, dst)
    latency_cdf(src, dst)
    sweep(src, dst)
    print("plots written to", dst)


if __name__ == "__main__":
    main()
