#!/usr/bin/env python3
"""Raw ONNX Runtime throughput vs batch size, GPU (CUDA) against CPU, for BENCHMARKS.md
(optionally with PyTorch-on-CUDA rows for the same model, see --torch-cuda).

The question it answers: how much does batching alone buy at the model level? On our 2-core CPU,
raw ORT for mixer-digits gains only about x1.09 from batch 1 to batch 16, so no pipeline can reach
"micro-batched / per-record >= 4x" there; this shows the same curve on a GPU.

What is measured, per execution provider and batch size: one session, ONE caller thread calling
session.run() back to back for a fixed time on inputs that are already float32 numpy arrays on the
host (seeded random data, a few distinct arrays used in turn). The host->device copy of the input and
the device->host copy of the output are inside every run, as they would be in a real pipeline; no
IO binding, no CUDA graphs. At least --warmup runs come first and are not counted.

--torch-cuda adds rows that are NOT ONNX Runtime: the same model in PyTorch, eager fp32, on CUDA.
They are there because the lent GPU machine has onnxruntime without a CUDA provider (CPU-only
wheel, no onnxruntime-gpu) but PyTorch with CUDA, so PyTorch is the only way to get a GPU curve for
this model there. The model is rebuilt from weights.pt beside --model ({'arch','config','state_dict'},
deploy form, as models/mlpstream_models/train.py writes it) through
mlpstream_models.registry.build_model (so models/ must be on PYTHONPATH), moved to the GPU, eval(),
run under torch.inference_mode(); TF32 is switched off so it really is fp32. Measured the same way:
one caller thread, the same seeded float32 numpy inputs on the host, per run
torch.from_numpy(x).cuda() -> model -> .cpu().numpy() (the device->host copy synchronises), at least
--torch-warmup untimed runs first. As a check that it is the same model, the max |logits| difference
torch CUDA vs ORT CPU on 8 inputs is printed. torch is imported only with --torch-cuda.

usage:
  python3 src/bench/python/gpu_raw_ceiling.py [--model models/zoo/mixer-digits/model.onnx]
      [--seconds 3] [--batch-sizes 1,4,8,16,32,64,128,256] [--threads N]
      [--providers CUDAExecutionProvider,CPUExecutionProvider] [--warmup 20]
      [--torch-cuda [--torch-warmup 30]]
  GPU machine without onnxruntime-gpu (torch rows; run from the repo root):
    PYTHONPATH=models python3 src/bench/python/gpu_raw_ceiling.py --seconds 3 --torch-cuda
  quick local check (CPU only): /usr/bin/python3 src/bench/python/gpu_raw_ceiling.py --seconds 0.2 --batch-sizes 1,8

needs numpy and onnxruntime (onnxruntime-gpu for CUDAExecutionProvider); --torch-cuda also needs
torch with CUDA and models/ on PYTHONPATH. Providers that
onnxruntime.get_available_providers() does not list are skipped with a note. Prints a Markdown table.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

DEFAULT_MODEL = os.path.join("models", "zoo", "mixer-digits", "model.onnx")
DEFAULT_PROVIDERS = ["CUDAExecutionProvider", "CPUExecutionProvider"]
DEFAULT_BATCHES = [1, 4, 8, 16, 32, 64, 128, 256]
TORCH_CUDA = "torch CUDA eager (not ONNX Runtime)"
SHORT = {"CUDAExecutionProvider": "CUDA", "CPUExecutionProvider": "CPU", TORCH_CUDA: TORCH_CUDA}


def gpu_name():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "none (no nvidia-smi)"
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return ", ".join(names) if out.returncode == 0 and names else "none"


def input_shape(model_path, inp, batch):
    """The graph input's shape with the (dynamic) batch dimension set; symbolic non-batch dims are
    taken from model.json beside the model (channels, height, width), else 1x28x28."""
    fallback = [1, 28, 28]
    meta = os.path.join(os.path.dirname(model_path), "model.json")
    if os.path.exists(meta):
        with open(meta) as f:
            i = json.load(f).get("input", {})
        fallback = [i.get("channels", 1), i.get("height", 28), i.get("width", 28)]
    shape = [batch]
    for k, d in enumerate(inp.shape[1:]):
        shape.append(d if isinstance(d, int) and d > 0 else fallback[k] if k < len(fallback) else 1)
    return shape


def make_session(model, provider, threads):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.inter_op_num_threads = 1
    if provider == "CPUExecutionProvider":
        so.intra_op_num_threads = threads
        providers = [provider]
    else:
        # CPU as the fallback for any node the accelerator does not take; checked below.
        providers = [provider, "CPUExecutionProvider"]
    sess = ort.InferenceSession(model, sess_options=so, providers=providers)
    if sess.get_providers()[0] != provider:
        raise RuntimeError("%s requested but session runs on %s" % (provider, sess.get_providers()))
    return sess


def measure(sess, shape, seconds, warmup, seed):
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(shape, dtype=np.float32) for _ in range(4)]
    name = sess.get_inputs()[0].name
    for i in range(warmup):
        sess.run(None, {name: inputs[i % len(inputs)]})
    runs = 0
    start = time.perf_counter()
    deadline = start + seconds
    now = start
    while now < deadline:
        sess.run(None, {name: inputs[runs % len(inputs)]})
        runs += 1
        now = time.perf_counter()
    elapsed = now - start
    return runs, elapsed


def torch_model(model_path):
    """The zoo model as a torch module on CUDA, from weights.pt beside the ONNX file."""
    import torch
    from mlpstream_models.registry import build_model

    ckpt = torch.load(os.path.join(os.path.dirname(model_path), "weights.pt"), map_location="cpu")
    model = build_model(ckpt["arch"], ckpt["config"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval().cuda()


def measure_torch(model, shape, seconds, warmup, seed):
    import torch

    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(shape, dtype=np.float32) for _ in range(4)]

    def once(x):
        return model(torch.from_numpy(x).cuda()).cpu().numpy()

    with torch.inference_mode():
        for i in range(warmup):
            once(inputs[i % len(inputs)])
        runs = 0
        start = time.perf_counter()
        deadline = start + seconds
        now = start
        while now < deadline:
            once(inputs[runs % len(inputs)])
            runs += 1
            now = time.perf_counter()
    return runs, now - start


def torch_vs_ort_cpu(model, model_path, n=8, seed=12345):
    """Max |logits torch CUDA - logits ORT CPU| on n seeded inputs (one batch)."""
    import torch

    sess = make_session(model_path, "CPUExecutionProvider", 1)
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(seed).standard_normal(input_shape(model_path, inp, n), dtype=np.float32)
    ort_logits = sess.run(None, {inp.name: x})[0]
    with torch.inference_mode():
        torch_logits = model(torch.from_numpy(x).cuda()).cpu().numpy()
    return float(np.max(np.abs(torch_logits - ort_logits)))


def sweep(backend, batches, timed):
    """Rows (backend, batch, img/s, ms/run, x batch 1) for each batch size; timed(b) -> (runs, seconds)."""
    rows = []
    base = None
    for b in batches:
        runs, elapsed = timed(b)
        ips = runs * b / elapsed
        if base is None and b == 1:
            base = ips
        rows.append((backend, b, ips, 1000.0 * elapsed / runs, ips / base if base else None))
        sys.stdout.flush()
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per (provider, batch)")
    ap.add_argument("--batch-sizes", default=",".join(map(str, DEFAULT_BATCHES)))
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="CPU provider intra-op threads (default: all cores)")
    ap.add_argument("--providers", default=",".join(DEFAULT_PROVIDERS),
                    help="comma list, in order; e.g. CPUExecutionProvider for CPU only")
    ap.add_argument("--warmup", type=int, default=20, help="untimed runs before each measurement")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--torch-cuda", action="store_true",
                    help="also measure the same model in PyTorch on CUDA (not ONNX Runtime); "
                         "needs torch with CUDA and models/ on PYTHONPATH")
    ap.add_argument("--torch-warmup", type=int, default=30, help="untimed torch runs before each row")
    args = ap.parse_args(argv)

    batches = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    wanted = [p.strip() for p in args.providers.split(",") if p.strip()]
    available = ort.get_available_providers()
    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus

    print("# raw ONNX Runtime ceiling%s: %s" % (" (+ PyTorch CUDA rows, not ONNX Runtime)" if args.torch_cuda else "",
                                                args.model))
    print("onnxruntime %s (%s), available providers: %s" % (ort.__version__, ort.get_device(), ", ".join(available)))
    print("GPU: %s; CPUs: %d (usable %d), CPU intra-op threads: %d; python %s; numpy %s; %s" % (
        gpu_name(), cpus, usable, args.threads, platform.python_version(), np.__version__,
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")))
    print("one caller thread, numpy inputs on the host (copies in and out inside each run), "
          "%d warm-up runs, %.1f s timed per row" % (args.warmup, args.seconds))
    torch_mod = None
    if args.torch_cuda:
        import torch
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        if not torch.cuda.is_available():
            print("skipped torch CUDA: torch %s, torch.cuda.is_available() is False" % torch.__version__)
        else:
            torch_mod = torch_model(args.model)
            print("torch %s (CUDA %s, cuDNN %s) on %s: eager fp32 (TF32 off), inference_mode, "
                  "%d warm-up runs, %.1f s timed per row; model from %s" % (
                      torch.__version__, torch.version.cuda, torch.backends.cudnn.version(),
                      torch.cuda.get_device_name(0), args.torch_warmup, args.seconds,
                      os.path.join(os.path.dirname(args.model), "weights.pt")))
            print("check: max |logits torch CUDA - ORT CPU| on 8 inputs = %.3g"
                  % torch_vs_ort_cpu(torch_mod, args.model))
    print()

    rows = []
    for provider in wanted:
        if provider not in available:
            print("skipped %s: not in onnxruntime.get_available_providers()" % provider)
            continue
        try:
            sess = make_session(args.model, provider, args.threads)
        except Exception as e:  # a provider listed but unusable (e.g. CUDA libraries missing)
            print("skipped %s: %s" % (provider, e))
            continue
        inp = sess.get_inputs()[0]
        rows += sweep(provider, batches, lambda b: measure(
            sess, input_shape(args.model, inp, b), args.seconds, args.warmup, args.seed + b))
        del sess

    if torch_mod is not None:
        inp = make_session(args.model, "CPUExecutionProvider", 1).get_inputs()[0]
        rows += sweep(TORCH_CUDA, batches, lambda b: measure_torch(
            torch_mod, input_shape(args.model, inp, b), args.seconds, args.torch_warmup, args.seed + b))
        wanted = wanted + [TORCH_CUDA]

    threads_note = {p: (str(args.threads) if p == "CPUExecutionProvider" else "-") for p in wanted}
    print("| provider | CPU threads | batch | img/s | ms/run | × batch 1 |")
    print("|---|---:|---:|---:|---:|---:|")
    for provider, b, ips, ms, ratio in rows:
        print("| %s | %s | %d | %.0f | %.3f | %s |" % (
            SHORT.get(provider, provider), threads_note[provider], b, ips, ms,
            "x%.2f" % ratio if ratio is not None else "n/a (no batch 1)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
