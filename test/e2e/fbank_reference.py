#!/usr/bin/python3
"""Float64 reference of the speech front-end's log-Mel filterbank (the fbank
kernel of docs/kernel-graph.md with the tables hmc computes):

- periodic Hamming window (SpeechBrain's STFT default), torch.hamming_window(n_fft,
  periodic=True): 0.54 - 0.46 cos(2 pi n / n_fft);
- frames of n_fft samples every hop samples, no centre padding:
  T = floor((S - n_fft) / hop) + 1;
- power spectrum of the real DFT, F = n_fft / 2 + 1 bins;
- n_mels triangular filters on the HTK mel scale 2595 log10(1 + f / 700)
  between f_min and f_max, as torchaudio.functional.melscale_fbanks(F, f_min,
  f_max, n_mels, sample_rate, norm=None, mel_scale="htk") builds them;
- natural log with a floor: ln(max(energy, floor)).

Run it to check itself against torch.stft (and torchaudio when installed).
"""
import numpy as np

N_FFT, HOP, N_MELS, SAMPLE_RATE, F_MIN, F_MAX, FLOOR = (
    400, 160, 80, 16000, 0.0, 8000.0, 1e-10)


def window(n_fft=N_FFT):
    """Periodic Hamming window [n_fft]."""
    n = np.arange(n_fft, dtype=np.float64)
    return 0.54 - 0.46 * np.cos(2 * np.pi * n / n_fft)


def dft_basis(n_fft=N_FFT):
    """(cos, sin), each [n_fft // 2 + 1, n_fft]: cos(2 pi f n / n_fft)."""
    f = np.arange(n_fft // 2 + 1)[:, None]
    n = np.arange(n_fft)[None, :]
    # f n mod n_fft keeps the angles in [0, 2 pi) exactly.
    angle = 2 * np.pi * ((f * n) % n_fft).astype(np.float64) / n_fft
    return np.cos(angle), np.sin(angle)


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1)


def mel_filters(n_mels=N_MELS, n_fft=N_FFT, sample_rate=SAMPLE_RATE,
                f_min=F_MIN, f_max=F_MAX):
    """[n_mels, n_fft // 2 + 1] triangular filters (torchaudio's
    melscale_fbanks with norm=None, mel_scale="htk", transposed)."""
    n_freqs = n_fft // 2 + 1
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    points = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max),
                                   n_mels + 2))
    widths = np.diff(points)
    slopes = points[None, :] - all_freqs[:, None]  # [n_freqs, n_mels + 2]
    rising = -slopes[:, :-2] / widths[:-1]
    falling = slopes[:, 2:] / widths[1:]
    return np.maximum(0.0, np.minimum(rising, falling)).T


def frames(audio, n_fft=N_FFT, hop=HOP):
    """[B, S] -> [B, T, n_fft] without centre padding."""
    audio = np.asarray(audio, dtype=np.float64)
    count = (audio.shape[1] - n_fft) // hop + 1
    if count < 1:
        raise ValueError(f"need at least {n_fft} samples, got {audio.shape[1]}")
    index = np.arange(count)[:, None] * hop + np.arange(n_fft)[None, :]
    return audio[:, index]


def power_spectrum(audio, n_fft=N_FFT, hop=HOP):
    """[B, S] -> [B, T, n_fft // 2 + 1] |DFT(window * frame)|^2."""
    cos, sin = dft_basis(n_fft)
    windowed = frames(audio, n_fft, hop) * window(n_fft)
    return (windowed @ cos.T) ** 2 + (windowed @ sin.T) ** 2


def fbank(audio, n_fft=N_FFT, hop=HOP, n_mels=N_MELS,
          sample_rate=SAMPLE_RATE, f_min=F_MIN, f_max=F_MAX, floor=FLOOR):
    """[B, S] samples in [-1, 1) -> [B, T, n_mels] float64 log-Mel."""
    energy = power_spectrum(audio, n_fft, hop) @ mel_filters(
        n_mels, n_fft, sample_rate, f_min, f_max).T
    return np.log(np.maximum(energy, floor))


def _relative_l2(actual, expected):
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


def _self_check():
    import torch

    rng = np.random.default_rng(0)
    samples = 16077
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)
    audio = np.stack([rng.uniform(-1, 1, samples), tone])

    torch_window = torch.hamming_window(N_FFT, periodic=True,
                                        dtype=torch.float64).numpy()
    errors = {"window vs torch.hamming_window":
              float(np.max(np.abs(window() - torch_window)))}
    spectrum = torch.stft(torch.from_numpy(audio), N_FFT, HOP,
                          window=torch.from_numpy(torch_window), center=False,
                          return_complex=True).abs().numpy() ** 2
    errors["power spectrum vs torch.stft"] = _relative_l2(
        power_spectrum(audio), spectrum.transpose(0, 2, 1))

    # The filters against a direct transcription of the definition.
    top = hz_to_mel(F_MAX)
    edges = [float(mel_to_hz(top * i / (N_MELS + 1))) for i in
             range(N_MELS + 2)]
    direct = np.zeros((N_MELS, N_FFT // 2 + 1))
    for m in range(N_MELS):
        for f in range(N_FFT // 2 + 1):
            hz = f * SAMPLE_RATE / N_FFT
            up = (hz - edges[m]) / (edges[m + 1] - edges[m])
            down = (edges[m + 2] - hz) / (edges[m + 2] - edges[m + 1])
            direct[m, f] = max(0.0, min(up, down))
    errors["mel filters vs the definition"] = float(
        np.max(np.abs(mel_filters() - direct)))
    try:
        import torchaudio
        fb = torchaudio.functional.melscale_fbanks(
            N_FFT // 2 + 1, F_MIN, F_MAX, N_MELS, SAMPLE_RATE, norm=None,
            mel_scale="htk").double().numpy().T
        errors["mel filters vs torchaudio"] = float(
            np.max(np.abs(mel_filters() - fb)))
    except ImportError:
        print("torchaudio is not installed: mel filters checked against the "
              "definition only")

    # The whole filterbank against a per-frame loop with numpy's FFT.
    loop = np.empty((2, (samples - N_FFT) // HOP + 1, N_MELS))
    for b in range(2):
        for t in range(loop.shape[1]):
            frame = audio[b, t * HOP:t * HOP + N_FFT] * torch_window
            power = np.abs(np.fft.rfft(frame)) ** 2
            loop[b, t] = np.log(np.maximum(direct @ power, FLOOR))
    errors["fbank vs a per-frame rfft loop"] = _relative_l2(fbank(audio), loop)

    ok = True
    for name, error in errors.items():
        print(f"{name}: {error:.3g}")
        ok &= error <= 1e-10
    assert fbank(audio).shape == (2, 98, 80)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(_self_check())
