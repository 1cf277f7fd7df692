"""Builds examples/asr_transcribe as a product would, with no encoder model
(so only wav_info), and runs wav_info on WAV files written here with the
standard library's wave module."""
import argparse
import shutil
import struct
import subprocess
import sys
import wave
from pathlib import Path


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], **kwargs)


def write_wav(path, rate, channels, width, frames):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)


def main():
    parser = argparse.ArgumentParser()
    for arg in ("cmake", "ninja", "app", "work"):
        parser.add_argument("--" + arg, required=True)
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    build = work / "build"

    configure = run([args.cmake, "-S", args.app, "-B", build, "-G", "Ninja",
                     f"-DCMAKE_MAKE_PROGRAM={args.ninja}",
                     f"-DASR_MODEL={work / 'absent.onnx'}",
                     "-DCMAKE_C_FLAGS=-Werror"],
                    check=True, capture_output=True, text=True).stdout
    print(configure)
    if "building wav_info only" not in configure:
        sys.exit("configuring without a model did not say so")
    run([args.cmake, "--build", build], check=True)
    wav_info = build / "wav_info"
    if (build / "asr_transcribe").exists():
        sys.exit("asr_transcribe was built without a model")

    samples = [(i * 37) % 20000 - 10000 for i in range(24000)]
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    write_wav(work / "mono16k.wav", 16000, 1, 2, pcm)
    write_wav(work / "mono44k.wav", 44100, 1, 2, pcm[:2 * 4410])
    write_wav(work / "stereo.wav", 16000, 2, 2, pcm)
    write_wav(work / "8bit.wav", 16000, 1, 1, bytes(1000))
    (work / "notes.wav").write_text("not audio\n")

    expected_output = {
        "mono16k.wav": "sample_rate: 16000\nsamples: 24000\nduration_s: 1.500\n",
        "mono44k.wav": "sample_rate: 44100\nsamples: 4410\nduration_s: 0.100\n",
    }
    expected_error = {
        "stereo.wav": "2 channels; convert to mono",
        "8bit.wav": "8-bit samples; convert to 16-bit PCM",
        "notes.wav": "not a RIFF/WAVE file",
    }
    for name, output in expected_output.items():
        result = run([wav_info, work / name], capture_output=True, text=True)
        if result.returncode != 0 or result.stdout != output:
            sys.exit(f"{name}: exit {result.returncode}, stdout "
                     f"{result.stdout!r}, stderr {result.stderr!r}")
    for name, message in expected_error.items():
        result = run([wav_info, work / name], capture_output=True, text=True)
        if (result.returncode != 1 or result.stdout or
                result.stderr != f"wav_info: {work / name}: {message}\n"):
            sys.exit(f"{name}: exit {result.returncode}, stdout "
                     f"{result.stdout!r}, stderr {result.stderr!r}")
    print("asr-wav-info: OK")


if __name__ == "__main__":
    main()
