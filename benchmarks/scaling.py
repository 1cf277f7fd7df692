"""How latency and memory grow with the sequence length, from a results.csv
of the harness: per workload, engine and thread count, the exponent p of a
least-squares fit latency ~ N^p over the measured lengths (log-log slope; 1 is
linear, 2 quadratic), the same for the model's peak memory (model_rss_mb),
and the latency per 1000 tokens at the longest length.

    python3 benchmarks/scaling.py RESULTS_DIR     # prints, writes scaling.csv
"""
import csv
import math
import os
import sys

FIELDS = ["workload", "engine", "threads", "lengths", "latency_exponent",
          "memory_exponent", "ms_per_1k_tokens_at_longest"]


def exponent(points):
    """Least-squares slope of log(y) over log(n); None with fewer than two
    distinct lengths or a non-positive value."""
    points = [(n, y) for n, y in points if y and y > 0]
    if len({n for n, _ in points}) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def scaling_rows(rows):
    groups = {}
    for r in rows:
        if r.get("status") != "ok":
            continue
        key = (r["workload"], r["engine"], int(r["threads"]))
        groups.setdefault(key, []).append(r)
    out = []
    for (workload, engine, threads), group in groups.items():
        group.sort(key=lambda r: int(r["n"]))
        lengths = [int(r["n"]) for r in group]
        latency = exponent([(int(r["n"]), float(r["median_ms"])) for r in group])
        memory = exponent([(int(r["n"]), float(r.get("model_rss_mb") or 0)) for r in group])
        longest = group[-1]
        out.append({
            "workload": workload, "engine": engine, "threads": threads,
            "lengths": "/".join(str(n) for n in lengths),
            "latency_exponent": latency, "memory_exponent": memory,
            "ms_per_1k_tokens_at_longest":
                float(longest["median_ms"]) * 1000.0 / int(longest["n"])})
    return out


def format_table(rows):
    lines = [f"{'workload':24s} {'engine':10s} {'thr':>3s} {'lengths':>20s} "
             f"{'latency ~ N^p':>13s} {'memory ~ N^p':>12s} {'ms/1k tok':>9s}"]
    for r in rows:
        def show(value):
            return f"{value:.2f}" if value is not None else "-"
        lines.append(f"{r['workload']:24s} {r['engine']:10s} {r['threads']:3d} "
                     f"{r['lengths']:>20s} {show(r['latency_exponent']):>13s} "
                     f"{show(r['memory_exponent']):>12s} "
                     f"{r['ms_per_1k_tokens_at_longest']:9.3f}")
    return "\n".join(lines)


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.4g}" if isinstance(v, float) else
                                 "" if v is None else v) for k, v in r.items()})


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    with open(os.path.join(directory, "results.csv")) as f:
        rows = scaling_rows(list(csv.DictReader(f)))
    print(format_table(rows))
    write_csv(rows, os.path.join(directory, "scaling.csv"))


if __name__ == "__main__":
    main()
