"""FLOPs that an hmc library executes, and the bytes each kernel must move,
counted from its kernel graph.

    graph = json.loads(subprocess.check_output([hmc, "compile", model, "--emit", "kernels"]))
    per_op = kernel_flops(graph, {"B": 1, "N": 1024})   # {"hyper_mix": ..., "linear": ...}
    moved = kernel_bytes(graph, graph["kernels"][0], {"B": 1, "N": 1024})

Counts multiply-adds as 2 FLOPs in the kernels that do matrix work (linear,
matmul, hyper_mix in the algorithm the compiler chose: two_phase or
reassociated, see shared/design/HYPERMIXING.md); elementwise kernels, layer
norms, reductions and gathers count 0. This is the arithmetic hmc performs,
which for a reassociated hyper_mix is several times less than the exported
model's own (the nominal count in workloads.py).

`kernel_bytes` is a kernel's compulsory traffic: every byte of its inputs
(weights included) that it must read once and of its outputs that it writes
once, as if nothing were cached between kernels. Over the machine's memory
bandwidth it gives the kernel's traffic floor.
"""
import math


def _shape(graph, buffer_id, symbols):
    buffer = next(b for b in graph["buffers"] if b["id"] == buffer_id)
    dims = []
    for dim in buffer["shape"]:
        if isinstance(dim, str):
            if dim not in symbols:
                raise KeyError(f"unbound symbol {dim!r}")
            dim = symbols[dim]
        dims.append(int(dim))
    return dims


_DTYPE_BYTES = {"float32": 4, "float64": 8, "int32": 4, "int64": 8, "bool": 1}


def _buffer_bytes(graph, buffer_id, symbols):
    buffer = next(b for b in graph["buffers"] if b["id"] == buffer_id)
    return math.prod(_shape(graph, buffer_id, symbols)) * _DTYPE_BYTES[buffer["dtype"]]


def _role(graph, kernel, role, symbols):
    for entry in kernel["inputs"]:
        if entry["role"] == role:
            return _shape(graph, entry["buffer"], symbols)
    return None


def _hyper_mix_flops(graph, kernel, symbols):
    attrs = kernel["attrs"]
    batch, m, d = _role(graph, kernel, "x", symbols)
    # C1 is [h, k_h, f], or [h, k_h / P, f, P] with hypernetwork_panels P.
    c1 = _role(graph, kernel, "C1", symbols)
    heads, f = c1[0], attrs["hidden"]
    k_h = c1[1] * attrs.get("hypernetwork_panels", 1)
    d_h = d // heads
    keys = _role(graph, kernel, "keys", symbols)
    # Phase A runs over the keys (the tokens themselves in self mixing),
    # phase B over the queries x.
    n = keys[1] if keys else m
    first_layer = heads * 2 * f * d_h
    if attrs.get("algorithm") == "reassociated":
        # per key: hypernetwork 1's first layer and hid_1^T (M Xm); per query:
        # hypernetwork 2's first layer and hid_2 (C_2^T Z), the first layer
        # counted once for tied self mixing (the CPU kernel reads phase A's);
        # C_1 (...) and C_2^T Z once per batch element
        per_key = 2 * first_layer
        per_query = (1 if attrs.get("tied") and not keys else 2) * first_layer
        fixed = heads * 4 * k_h * f * d_h
    else:
        # per token and side: its hypernetwork and one W product; tied self
        # mixing needs W_2 = W_1 once (the kernel reuses it after a whole
        # phase A, else computes it again)
        network = heads * 2 * (f * d_h + k_h * f)
        product = heads * 2 * k_h * d_h
        per_key = network + product
        per_query = (0 if attrs.get("tied") and not keys else network) + product
        fixed = 0
    return batch * (n * per_key + m * per_query + fixed)


def with_derived(graph, symbols):
    """The symbol values plus the derived ones (docs/kernel-graph.md: a symbol
    with "derived" is floor((mul base + add) / div) + post of an earlier one)."""
    values = dict(symbols)
    # Callers give the length as N; a model naming it otherwise (T) gets it.
    for symbol in graph.get("symbols", []):
        if "derived" not in symbol and symbol["name"] not in values and "N" in values:
            values[symbol["name"]] = values["N"]
    for symbol in graph.get("symbols", []):
        rule = symbol.get("derived")
        if rule and symbol["name"] not in values and rule["base"] in values:
            values[symbol["name"]] = \
                (rule.get("mul", 1) * values[rule["base"]] + rule["add"]) \
                // rule["div"] + rule["post"]
    return values


def _linear_rows_k_m(graph, kernel, symbols):
    """(rows, K, M) of a linear, from x and the output: the weight may be
    stored in panels (docs/kernel-graph.md, weight_panels)."""
    x = _role(graph, kernel, "x", symbols)
    out = _shape(graph, kernel["outputs"][0]["buffer"], symbols)
    return math.prod(x[:-1]), x[-1], out[-1]


def gemm_shape(graph, kernel, symbols):
    """(M, N, K) of the matrix product a dense kernel computes (linear, and
    conv with a 1-wide kernel and one group: a pointwise conv), else None."""
    symbols = with_derived(graph, symbols)
    if kernel["op"] == "linear":
        rows, k, m = _linear_rows_k_m(graph, kernel, symbols)
        return rows, m, k
    if kernel["op"] == "conv" and kernel["attrs"].get("groups", 1) == 1:
        weight = _role(graph, kernel, "weight", symbols)
        if all(size == 1 for size in weight[2:]):
            out = _shape(graph, kernel["outputs"][0]["buffer"], symbols)
            return out[0] * math.prod(out[2:]), weight[0], weight[1]
    return None


def kernel_flops(graph, symbols):
    """{op: FLOPs} of one run with the given symbol values (e.g. B=1, N=...)."""
    symbols = with_derived(graph, symbols)
    totals = {}
    for kernel in graph["kernels"]:
        op = kernel["op"]
        # A kernel with a variant for short inputs runs it below the threshold.
        alternative = kernel.get("alternative")
        if alternative and symbols.get(alternative["symbol"], 0) < alternative["below"]:
            kernel = dict(kernel, attrs={**kernel["attrs"], **alternative["attrs"]})
        if op == "linear":
            rows, k, m = _linear_rows_k_m(graph, kernel, symbols)
            flops = 2 * rows * k * m
        elif op == "matmul":
            lhs = _role(graph, kernel, "lhs", symbols)
            out = _shape(graph, kernel["outputs"][0]["buffer"], symbols)
            flops = 2 * math.prod(out) * lhs[-1]
        elif op == "hyper_mix":
            flops = _hyper_mix_flops(graph, kernel, symbols)
        elif op == "conv":
            weight = _role(graph, kernel, "weight", symbols)
            out = _shape(graph, kernel["outputs"][0]["buffer"], symbols)
            flops = 2 * math.prod(out) * math.prod(weight[1:])
        else:
            continue
        totals[op] = totals.get(op, 0) + flops
    return totals


def _input_bytes(graph, kernel, entry, symbols, out_bytes):
    """Bytes of one input that the kernel reads at least once: all of it, but
    for the inputs that it reads only in part."""
    op, role = kernel["op"], entry["role"]
    whole = _buffer_bytes(graph, entry["buffer"], symbols)
    if op in ("iota", "dim_size"):  # only the reference's shape is used
        return 0
    if (op == "gather" and role == "x") or (op == "slice" and role == "x"):
        return min(whole, out_bytes)  # the gathered rows, the slice
    if op == "hyper_mix" and role == "positions":
        # The first positions of the table (after the offset), one per
        # token: rows of [L, d], or columns of [d, L] when transposed.
        table = _shape(graph, entry["buffer"], symbols)
        length = table[-1] if kernel["attrs"].get("positions_transposed") else table[-2]
        x = _role(graph, kernel, "x", symbols)
        keys = _role(graph, kernel, "keys", symbols)
        tokens = max(x[1], keys[1] if keys else 0)
        used = min(length, tokens + kernel["attrs"].get("position_offset", 0))
        return whole // length * used
    return whole


def kernel_bytes(graph, kernel, symbols):
    """Compulsory bytes of one kernel call: its distinct inputs read once
    (only the parts it reads: a gather's rows, a slice, the used rows of a
    position table; a weight's every byte) and its outputs written once."""
    symbols = with_derived(graph, symbols)
    out_bytes = sum(_buffer_bytes(graph, entry["buffer"], symbols)
                    for entry in kernel["outputs"])
    seen, in_bytes = set(), 0
    for entry in kernel["inputs"]:
        if entry["buffer"] not in seen:
            seen.add(entry["buffer"])
            in_bytes += _input_bytes(graph, kernel, entry, symbols, out_bytes)
    return in_bytes + out_bytes
