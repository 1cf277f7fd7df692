"""hmc's CUDA libraries checked and timed on a GPU machine that cannot run hmc.

  bundle.py prepare --hmc HMC --out DIR [--target T] [--quick]   (build machine)
  bundle.py check DIR [--repeat 30] [--warmup 5]                   (GPU machine)

A GPU server rarely has hmc's toolchain (Debian's Halide 14 and MLIR 19), so
`prepare` does everything that needs hmc or the float64 references on the
build machine, which needs no GPU:

- the end-to-end models of test/e2e (HyperMixing layers, also in the two-phase
  form; NLU classifiers; 2-layer HyperConformer and Conformer encoders) are
  exported, compiled for the CUDA target, and stored with their inputs (odd
  sizes, batch > 1, padded rows) and float64 PyTorch references;
- the benchmark workloads of benchmarks/workloads.py are compiled for the CUDA
  target with weights drawn by numpy's RandomState (a stream numpy keeps
  fixed across versions) as small multiples of powers of two: the GPU machine
  rebuilds the same PyTorch module bit for bit, and the libraries compress
  well enough to travel. Each is also built as the VARIANTS below (other
  kernel schedules, sharing the weights file), timed beside the default.

DIR/bundle.tar.xz then holds libraries, inputs and references. `check`
(numpy, a CUDA build of torch and python/hmc_library.py; no hmc) runs every
library on the GPU, through NAME_run (host arrays) and NAME_run_device (torch
CUDA tensors), against the references (relative L2 <= 1e-4 on the real
tokens), then times each workload against PyTorch eager on the same GPU and
writes DIR/results.csv. Exits 1 when a check fails, 2 when there is no GPU.
"""
import argparse
import csv
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import asr_models  # noqa: E402
from bench_gpu import device_runner, median_ms, rel_l2  # noqa: E402
import export_models  # noqa: E402
import hmc_library  # noqa: E402
import hypermixing_models as hm  # noqa: E402
import nlu_models  # noqa: E402
import workloads  # noqa: E402

TOLERANCE = 1e-4
BENCH_AGREEMENT = 1e-3  # float32 on the GPU against float32 on the GPU

LAYERS = ["a_h8", "a_h8_nomask", "b_mask", "c_h8", "d_h4", "e_h3"]
TWO_PHASE_LAYERS = ["a_h8", "c_h8"]
LAYER_SHAPES = [(3, 37), (2, 300), (1, 1)]
NLU = ["nlu_d64_pre", "nlu_d64_post_tied", "nlu_d64_length_mask"]
NLU_SHAPES = [(1, 7), (3, 50), (3, 513)]
ASR = ["hyperconformer_8m_l2", "conformer_8m_l2", "hyperconformer_8m_l2_wav_lens"]
ASR_SHAPES = [(1, 100), (2, 201)]
BENCH = ["nlu_small", "nlu_base", "hyperconformer_8m", "conformer_8m"]
# Benchmark libraries built a second time with other schedules, timed
# against the default ones: GEMMs staged through shared memory.
VARIANTS = {"staged": ("--kernel-schedule", "linear=gemm_staging=1",
                       "--kernel-schedule", "matmul=gemm_staging=1")}
EXTERNAL = ("--weight-storage", "external")
# One prime for every axis: no dimension of the models is a multiple of it, and
# folding a norm's scale into the next weights keeps the period.
TILE = 61


def stable_weights(module, seed, tiled=False):
    """Overwrites every parameter (and the ASR feature statistics) with values
    drawn by np.random.RandomState(seed), each a small integer times a power
    of two (exact in float32): norm scales 1 + m/16, biases m/16, weights m
    times about 1/(2.5 sqrt(fan_in)), m in +-1..4 (never 0). tiled=True draws
    a block of at most TILE along every axis and repeats it, so that the
    benchmark models' libraries compress to a few MiB in either layout
    (PyTorch's or ONNX's transposed one). Returns the weights' SHA-256."""
    rs = np.random.RandomState(seed)
    digest = hashlib.sha256()
    with torch.no_grad():
        named = list(module.named_parameters())
        named += [(n, b) for n, b in module.named_buffers()
                  if n.endswith(("feat_mean", "feat_std"))]
        for name, p in named:
            shape = tuple(p.shape)
            block = tuple(min(s, TILE) for s in shape) if tiled else shape
            m = rs.randint(1, 5, size=block) * (2 * rs.randint(0, 2, size=block) - 1)
            if tiled:
                reps = [-(-s // b) for s, b in zip(shape, block)]
                m = np.tile(m, reps)[tuple(slice(0, s) for s in shape)]
            m = m.astype(np.float64)
            if name.endswith("feat_std"):
                values = 0.25 + np.abs(m) / 8
            elif "norm" in name and name.endswith("weight"):
                values = 1.0 + m / 16
            elif p.dim() == 1:
                values = m / 16
            else:
                fan_in = p[0].numel()
                values = m * 2.0 ** -round(np.log2(2.5 * np.sqrt(fan_in)))
            values = np.ascontiguousarray(values, np.float32)
            p.copy_(torch.from_numpy(values))
            digest.update(values.tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# prepare (build machine)
# ---------------------------------------------------------------------------
class Preparer:
    def __init__(self, hmc, target, out):
        self.hmc, self.target, self.out = hmc, target, out
        self.stage = os.path.join(out, "bundle")
        shutil.rmtree(self.stage, ignore_errors=True)
        os.makedirs(os.path.join(self.stage, "lib"))
        os.makedirs(os.path.join(self.stage, "data"))
        self.models = os.path.join(out, "models")
        os.makedirs(self.models, exist_ok=True)
        self.manifest = {"target": target, "checks": [], "bench": []}

    def compile(self, onnx_path, name, extra=()):
        out_dir = os.path.join(self.out, "build", name)
        cmd = [self.hmc, "compile", onnx_path, "--target", self.target, "-o", out_dir,
               "--name", name, "-q", *extra]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            sys.exit(f"bundle.py: {' '.join(cmd)} failed:\n{result.stderr}")
        library = f"lib/lib{name}.so"
        shutil.copy(os.path.join(out_dir, f"lib{name}.so"),
                    os.path.join(self.stage, library))
        weights = os.path.join(out_dir, f"{name}.weights")
        if os.path.exists(weights):  # --weight-storage external
            shutil.copy(weights, os.path.join(self.stage, "lib", f"{name}.weights"))
        print(f"compiled {name} for {self.target}", flush=True)
        return library

    def share_weights(self, name, variant):
        """Ships one copy of two external weight blobs that are equal."""
        lib = os.path.join(self.stage, "lib")
        first, second = (os.path.join(lib, f"{n}.weights") for n in (name, variant))
        if not filecmp.cmp(first, second, shallow=False):
            sys.exit(f"bundle.py: {variant}'s weights differ from {name}'s")
        os.remove(second)
        os.symlink(f"{name}.weights", second)

    def save_sets(self, name, sets):
        """sets: [(inputs {name: array}, reference float64, valid [B, N] or None)]."""
        files = []
        for i, (inputs, reference, valid) in enumerate(sets):
            path = f"data/{name}_{i}.npz"
            arrays = {f"in_{k}": np.asarray(v) for k, v in inputs.items()}
            # Rounding the float64 reference to float32 moves it by 6e-8 at
            # most, far inside the tolerance, and halves what travels.
            arrays["reference"] = np.asarray(reference, np.float32)
            if valid is not None:
                arrays["valid"] = valid
            np.savez(os.path.join(self.stage, path), **arrays)
            files.append(path)
        return files

    def layers(self, quick):
        rng = np.random.default_rng(7)
        names = LAYERS[:2] if quick else LAYERS
        variants = [(n, ()) for n in names]
        if not quick:
            variants += [(n, ("--hypermix-algorithm=two_phase",)) for n in TWO_PHASE_LAYERS]
        for layer, extra in variants:
            cfg = hm.CONFIGS[layer]
            name = layer + ("_two_phase" if extra else "")
            onnx_path = os.path.join(self.models, name + ".onnx")
            module = hm.build(cfg)
            stable_weights(module, cfg.get("seed", 0))
            export_models.export(dict(cfg, opset=17), onnx_path, module)
            library = self.compile(onnx_path, name, extra)
            sets = []
            for B, N in LAYER_SHAPES:
                lengths = [N] + [int(rng.integers(1, N + 1)) for _ in range(B - 1)]
                x = rng.standard_normal((B, N, cfg["d"])).astype(np.float32)
                inputs = {"x": x}
                if cfg.get("mask", True):
                    inputs["mask"] = hm.make_mask(cfg, lengths, N)
                valid = np.arange(N)[None, :] < np.asarray(lengths)[:, None]
                sets.append((inputs, hm.reference(module, x, inputs.get("mask")), valid))
            self.manifest["checks"].append(
                dict(name=name, library=library, output="y",
                     sets=self.save_sets(name, sets)))

    def nlu(self, quick):
        for config in (NLU[:1] if quick else NLU):
            model = nlu_models.build(nlu_models.CONFIGS[config])
            stable_weights(model, 0)
            onnx_path = os.path.join(self.models, config + ".onnx")
            nlu_models.export(model, onnx_path, 17)
            library = self.compile(onnx_path, config)
            vocab = model.embedding.num_embeddings
            segments = (model.segment_embedding.num_embeddings
                        if model.segment_embedding is not None else 0)
            sets = []
            for B, N in NLU_SHAPES:
                inputs = nlu_models.make_inputs(B, N, vocab, seed=1000 * B + N,
                                                segments=segments,
                                                lengths=model.mask_from == "lengths")
                reference = nlu_models.reference(model, inputs).numpy()
                sets.append(({k: v.numpy() for k, v in inputs.items()}, reference, None))
            self.manifest["checks"].append(
                dict(name=config, library=library, output="logits",
                     sets=self.save_sets(config, sets)))

    def asr(self, quick):
        for config in (ASR[:1] if quick else ASR):
            model = asr_models.build(asr_models.CONFIGS[config])
            stable_weights(model, 0)
            onnx_path = os.path.join(self.models, config + ".onnx")
            asr_models.export(model, onnx_path, 17)
            library = self.compile(onnx_path, config)
            sets = []
            for B, T in ASR_SHAPES:
                inputs = asr_models.make_inputs(B, T, seed=1000 * B + T,
                                                padding=model.padding)
                reference = asr_models.reference(model, inputs).numpy()
                sets.append(({k: v.numpy() for k, v in inputs.items()}, reference, None))
            self.manifest["checks"].append(
                dict(name=config, library=library, output="log_probs",
                     sets=self.save_sets(config, sets)))

    def bench(self, names):
        for seed, name in enumerate(names):
            w = workloads.WORKLOADS[name]
            module = w.build().float().eval()
            fingerprint = stable_weights(module, seed, tiled=True)
            onnx_path = os.path.join(self.models, name + ".onnx")
            w.export(module, onnx_path)
            # The variants differ only in kernel schedules: external weights,
            # so that one copy travels.
            library = self.compile(onnx_path, name, EXTERNAL)
            variants = {}
            for variant, options in VARIANTS.items():
                variants[variant] = self.compile(onnx_path, f"{name}_{variant}",
                                                 EXTERNAL + options)
                self.share_weights(name, f"{name}_{variant}")
            n = min(w.lengths)
            inputs = w.make_inputs(n, 0)
            with torch.no_grad():
                reference = module.double()(*(torch.from_numpy(v) if v.dtype != np.float32
                                              else torch.from_numpy(v).double()
                                              for v in inputs.values())).numpy()
            self.manifest["bench"].append(
                dict(name=name, library=library, variants=variants,
                     output=w.output, seed=seed,
                     fingerprint=fingerprint, lengths=list(w.lengths),
                     sets=self.save_sets(name, [(inputs, reference, None)])))

    def finish(self):
        with open(os.path.join(self.stage, "manifest.json"), "w") as f:
            json.dump(self.manifest, f, indent=1)
        archive = os.path.join(self.out, "bundle.tar.xz")
        # A dictionary as large as a library: nlu_base repeats each layer's
        # 8 MiB position table, and only then do the copies compress.
        subprocess.run(["tar", "-cJf", archive, "-C", self.stage, "."], check=True,
                       env=dict(os.environ, XZ_OPT="-T1 --lzma2=preset=6,dict=320MiB"))
        print(f"{archive}: {os.path.getsize(archive) / 2**20:.1f} MiB")


def prepare(args):
    hmc = os.path.abspath(args.hmc)
    if not os.access(hmc, os.X_OK):
        sys.exit(f"bundle.py: hmc not found: {args.hmc}")
    p = Preparer(hmc, args.target, os.path.abspath(args.out))
    p.layers(args.quick)
    p.nlu(args.quick)
    p.asr(args.quick)
    p.bench(args.bench.split(",") if args.bench else [])
    p.finish()


# ---------------------------------------------------------------------------
# check (GPU machine)
# ---------------------------------------------------------------------------
def load_set(root, path):
    data = np.load(os.path.join(root, path))
    inputs = {k[3:]: data[k] for k in data.files if k.startswith("in_")}
    valid = data["valid"] if "valid" in data.files else None
    return inputs, data["reference"], valid


def error_on(output, reference, valid):
    if output.shape != reference.shape:
        return float("inf")
    if not np.isfinite(output).all():
        return float("nan")
    return rel_l2(output[valid], reference[valid]) if valid is not None \
        else rel_l2(output, reference)


def check_numerics(root, manifest, device):
    failed = False
    print(f"{'model':<28} {'inputs':<24} {'host I/O':>9} {'device I/O':>10}  status")
    for case in manifest["checks"]:
        library = hmc_library.Library(os.path.join(root, case["library"]))
        try:
            model = library.create()
        except hmc_library.HmcError as error:
            print(f"{case['name']:<28} create FAILED: {error}")
            failed = True
            continue
        for path in case["sets"]:
            inputs, reference, valid = load_set(root, path)
            shapes = "x".join(str(s) for s in next(iter(inputs.values())).shape[:2])
            try:
                host = error_on(model.run_named(inputs)[case["output"]], reference, valid)
                run, out = device_runner(library, model, inputs, reference,
                                                   device)
                run()
                torch.cuda.synchronize()
                dev = error_on(out.cpu().numpy(), reference, valid)
            except hmc_library.HmcError as error:
                print(f"{case['name']:<28} {shapes:<24} run FAILED: {error}")
                failed = True
                continue
            ok = host <= TOLERANCE and dev <= TOLERANCE
            failed |= not ok
            print(f"{case['name']:<28} {shapes:<24} {host:>9.2e} {dev:>10.2e}  "
                  f"{'ok' if ok else 'FAIL'}", flush=True)
        model.close()
    return failed


def bench_workload(root, case, device, args):
    """Times one workload against PyTorch; returns (failed, csv rows)."""
    w = workloads.WORKLOADS[case["name"]]
    module = w.build().float().eval()
    if stable_weights(module, case["seed"], tiled=True) != case["fingerprint"]:
        print(f"{case['name']}: the rebuilt weights differ from the library's: FAIL")
        return True, []
    library = hmc_library.Library(os.path.join(root, case["library"]))
    failed, rows = False, []
    with library.create() as model:
        gpu_module = module.to(device)
        inputs, reference, _ = load_set(root, case["sets"][0])
        first = rel_l2(model.run_named(inputs)[case["output"]], reference)
        print(f"{case['name']}: against the float64 reference at length "
              f"{min(case['lengths'])}: {first:.2e}", flush=True)
        failed |= not first <= TOLERANCE
        for n in case["lengths"]:
            inputs = w.make_inputs(n, 0)
            tensors = [torch.from_numpy(np.ascontiguousarray(a)).to(device)
                       for a in inputs.values()]
            with torch.no_grad():
                expected = gpu_module(*tensors).float().cpu().numpy()
                host_out = model.run_named(inputs)[case["output"]]
                host_ms = median_ms(lambda: model.run_named(inputs),
                                              args.warmup, args.repeat, lambda: None)
                run, out = device_runner(library, model, inputs, expected,
                                                   device)
                run()
                torch.cuda.synchronize()
                device_ms = median_ms(run, args.warmup, args.repeat,
                                                torch.cuda.synchronize)
                torch_ms = median_ms(lambda: gpu_module(*tensors),
                                               args.warmup, args.repeat,
                                               torch.cuda.synchronize)
            error = max(rel_l2(host_out, expected), rel_l2(out.cpu().numpy(), expected))
            ok = error <= BENCH_AGREEMENT
            failed |= not ok
            print(f"{case['name']:<18} n={n:5d}  hmc {host_ms:8.3f} ms (device I/O "
                  f"{device_ms:8.3f} ms)  torch {torch_ms:8.3f} ms  hmc/torch "
                  f"{host_ms / torch_ms:5.2f} ({device_ms / torch_ms:5.2f})  "
                  f"vs torch {error:.1e}{'' if ok else '  DISAGREE'}", flush=True)
            rows.append([case["name"], n, f"{host_ms:.4f}", f"{device_ms:.4f}",
                         f"{torch_ms:.4f}", f"{error:.3e}"])
            for variant, path in case.get("variants", {}).items():
                variant_failed, row = time_variant(root, case, path, inputs,
                                                   expected, device, args, device_ms)
                failed |= variant_failed
                rows.append([f"{case['name']}_{variant}", n, *row])
            if n == max(case["lengths"]):
                print_kernel_profile(run)
    return failed, rows


def time_variant(root, case, path, inputs, expected, device, args, default_ms):
    """Checks a variant library against the float64 reference and torch and
    times it through device pointers; returns (failed, csv row without the
    workload and length)."""
    library = hmc_library.Library(os.path.join(root, path))
    with library.create() as model:
        ref_inputs, reference, _ = load_set(root, case["sets"][0])
        first = rel_l2(model.run_named(ref_inputs)[case["output"]], reference)
        run, out = device_runner(library, model, inputs, expected, device)
        run()
        torch.cuda.synchronize()
        device_ms = median_ms(run, args.warmup, args.repeat, torch.cuda.synchronize)
        error = rel_l2(out.cpu().numpy(), expected)
    ok = first <= TOLERANCE and error <= BENCH_AGREEMENT
    print(f"{'':<18}   {os.path.basename(path)}: device I/O {device_ms:8.3f} ms "
          f"({device_ms / default_ms:5.2f} x the default)  vs float64 "
          f"{first:.1e}, vs torch {error:.1e}{'' if ok else '  FAIL'}", flush=True)
    return not ok, ["", f"{device_ms:.4f}", "", f"{error:.3e}"]


def check_bench(root, manifest, device, args):
    failed, rows = False, []
    for case in manifest["bench"]:
        try:
            case_failed, case_rows = bench_workload(root, case, device, args)
        except hmc_library.HmcError as error:
            print(f"{case['name']}: FAILED: {error}", flush=True)
            case_failed, case_rows = True, []
        failed |= case_failed
        rows += case_rows
    return failed, rows


def print_kernel_profile(run, runs=5):
    """GPU time per kernel of `run` (CUPTI through torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile
    try:
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(runs):
                run()
            torch.cuda.synchronize()
        events = prof.key_averages()
        for key in ("device_time_total", "cuda_time_total"):
            try:
                print(f"GPU time per kernel over {runs} runs:\n"
                      + events.table(sort_by=key, row_limit=15), flush=True)
                return
            except (AttributeError, KeyError, ValueError):
                continue
    except Exception as error:  # noqa: BLE001 (the profile is optional)
        print(f"no kernel profile: {error}")


def check(args):
    if not torch.cuda.is_available():
        print("bundle.py: torch sees no CUDA device", file=sys.stderr)
        sys.exit(2)
    root = os.path.abspath(args.dir)
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; "
          f"libraries for {manifest['target']}", flush=True)
    device = torch.device("cuda")
    failed = check_numerics(root, manifest, device)
    bench_failed, rows = check_bench(root, manifest, device, args)
    with open(os.path.join(args.results or root, "results.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["workload", "length", "hmc_ms", "hmc_device_io_ms", "torch_ms",
                         "rel_l2_vs_torch"])
        writer.writerows(rows)
    print("all checks passed" if not (failed or bench_failed) else "some checks FAILED")
    sys.exit(1 if failed or bench_failed else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--hmc", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--target", default="host-cuda-cuda_capability_86")
    p.add_argument("--bench", default=",".join(BENCH),
                   help="benchmark workloads ('' for none)")
    p.add_argument("--quick", action="store_true", help="one model of each kind")
    c = sub.add_parser("check")
    c.add_argument("dir", help="the unpacked bundle")
    c.add_argument("--results", help="folder for results.csv (default: the bundle)")
    c.add_argument("--repeat", type=int, default=30)
    c.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    prepare(args) if args.command == "prepare" else check(args)


if __name__ == "__main__":
    main()
