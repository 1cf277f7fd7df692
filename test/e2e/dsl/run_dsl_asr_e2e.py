#!/usr/bin/python3
"""End-to-end test of the DSL frontend on the speech encoders: asr_models.SpeechEncoder
(HyperConformer and Conformer, two layers; the HyperConformer also with ten) ->
safetensors (its state_dict) + a .hmd model -> `hmc compile --weights` -> run -> compare.

For each model below: build it with asr_models.build's trained-like random weights,
write its state_dict with run_dsl_e2e.write_safetensors, compile
test/frontends/dsl/Inputs/<model>.hmd against it (its `layers` set to the
configuration's), then for B in {1, 2} and T in {100, 401} feature frames (and 3000 for
the ten-layer encoder) run the library with an all-False padding mask and compare
the log-probs with asr_models.reference in float64: relative L2 <= 1e-4.

  /usr/bin/python3 test/e2e/dsl/run_dsl_asr_e2e.py --hmc build/bin/hmc --work DIR
"""
import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_dsl_e2e  # noqa: E402  (sets up the paths below)
import asr_models  # noqa: E402
import hmc_library  # noqa: E402
from hmc_tool import rel_l2, resolve_hmc  # noqa: E402

TOLERANCE = 1e-4
BATCHES = [1, 2]

# (.hmd file, the asr_models configuration it is compiled as, feature frames).
MODELS = [
    ("hyperconformer", "hyperconformer_8m_l2", [100, 401]),
    ("conformer", "conformer_8m_l2", [100, 401]),
    ("hyperconformer", "hyperconformer_8m", [100, 401, 3000]),
]


def check(source, config, frames, hmc, work):
    model = asr_models.build(asr_models.CONFIGS[config])
    name = f"{source}_{config}"
    weights = os.path.join(work, name + ".safetensors")
    run_dsl_e2e.write_safetensors(weights, {k: v.numpy()
                                            for k, v in model.state_dict().items()})
    # The same description with the configuration's depth.
    with open(os.path.join(run_dsl_e2e.INPUTS, source + ".hmd")) as f:
        text = f.read()
    layers = asr_models.CONFIGS[config]["layers"]
    if "let layers = 2\n" not in text:
        print(f"FAIL {name}: {source}.hmd has no 'let layers = 2'")
        return False
    hmd = os.path.join(work, name + ".hmd")
    with open(hmd, "w") as f:
        f.write(text.replace("let layers = 2\n", f"let layers = {layers}\n"))
    out = os.path.join(work, name)
    cmd = [hmc, "compile", hmd, "--weights", weights, "-o", out, "-q"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        print(f"FAIL {name}: {' '.join(cmd)}\n{result.stderr}")
        return False
    library = hmc_library.Library(os.path.join(out, f"lib{name}.so"))
    ok = True
    with library.create() as handle:
        for B in BATCHES:
            for T in frames:
                inputs = asr_models.make_inputs(B, T, seed=100 * B + T)
                ref = asr_models.reference(model, inputs).numpy()
                log_probs = handle.run(**{k: v.numpy()
                                          for k, v in inputs.items()})["log_probs"]
                err = rel_l2(log_probs.astype(np.float64), ref)
                passed = log_probs.shape == ref.shape and err <= TOLERANCE
                ok = ok and passed
                print(f"{name:16s} B={B} T={T:4d} rel_err={err:.2e} "
                      f"{'ok' if passed else 'FAIL'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hmc", default="hmc", help="the hmc executable")
    parser.add_argument("--work", required=True, help="folder for weights and libraries")
    args = parser.parse_args()
    hmc = resolve_hmc(args.hmc)
    if hmc is None:
        sys.exit(f"error: no hmc executable at {args.hmc}")
    os.makedirs(args.work, exist_ok=True)
    results = [check(source, config, frames, hmc, args.work)
               for source, config, frames in MODELS]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
