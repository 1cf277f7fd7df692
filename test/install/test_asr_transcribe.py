"""Install hmc into a temporary prefix, build examples/asr_transcribe against
it (the encoder compiled with AUDIO_FRONTEND) and transcribe a generated
16 kHz WAV; the text must equal the float64 PyTorch reference's: the same
filterbank (test/e2e/fbank_reference.py), the same encoder, greedy CTC and
the vocabulary's pieces."""
import argparse
import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import torch

from test_install import run

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "e2e"))
sys.path.insert(0, str(ROOT / "examples" / "asr_transcribe"))
import asr_models  # noqa: E402
import fbank_reference  # noqa: E402
import make_model  # noqa: E402


def reference_text(samples):
    model = asr_models.build(make_model.CONFIG, seed=5)
    feats = torch.from_numpy(fbank_reference.fbank(samples[None, :]))
    log_probs = asr_models.reference(model, {"feats": feats})[0].numpy()
    ids, previous = [], -1
    for t in np.argmax(log_probs, axis=-1):
        if t != previous and t != 0:
            ids.append(int(t))
        previous = t
    text = "".join(make_model.PIECES[i] for i in ids).replace("\u2581", " ")
    return text.lstrip(" ")


def main():
    parser = argparse.ArgumentParser()
    for arg in ("cmake", "ninja", "build", "app", "work"):
        parser.add_argument("--" + arg, required=True)
    args = parser.parse_args()
    work, source = Path(args.work), Path(args.app)
    shutil.rmtree(work, ignore_errors=True)
    prefix, app = work / "prefix", work / "app"

    run([args.cmake, "--install", args.build, "--prefix", prefix])
    run([args.cmake, "-S", source, "-B", app, "-G", "Ninja",
         f"-DCMAKE_MAKE_PROGRAM={args.ninja}", f"-DCMAKE_PREFIX_PATH={prefix}",
         "-DCMAKE_C_FLAGS=-Werror"])
    run([args.cmake, "--build", app])

    rng = np.random.default_rng(11)
    t = np.arange(int(1.5 * 16000)) / 16000.0
    signal = 0.4 * np.sin(2 * np.pi * 300 * t) * np.sin(2 * np.pi * 3 * t) + \
        0.05 * rng.standard_normal(t.size)
    pcm = np.clip(np.round(signal * 32768), -32768, 32767).astype("<i2")
    wav_path = work / "speech.wav"
    with wave.open(str(wav_path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(pcm.tobytes())

    out = run([app / "asr_transcribe", source / "vocab.txt", wav_path],
              capture_output=True, text=True).stdout.rstrip("\n")
    expected = reference_text(pcm.astype(np.float64) / 32768.0)
    print(f"asr_transcribe: {out!r}\nreference:      {expected!r}")
    if out != expected:
        sys.exit("install-asr-transcribe: the transcript differs from the reference")
    print("install-asr-transcribe: OK")


if __name__ == "__main__":
    main()
