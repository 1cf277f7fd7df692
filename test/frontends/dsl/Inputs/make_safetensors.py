"""Writes a small .safetensors file for the DSL tests (standard library only).

  make_safetensors.py OUT [--corrupt KIND] NAME:DTYPE:SHAPE ...

Each tensor NAME of DTYPE (F32, F64, I64) and SHAPE (e.g. 2x3, or "scalar") holds
1, 2, 3, ... in row-major order. --corrupt breaks the file one way:
  header-length  the header length points past the end of the file
  not-json       the header is not JSON
  overlap        the second tensor's data overlaps the first's
  truncated      the last byte of the data is missing
  bad-dtype      the first tensor's dtype is "Q8"
  duplicate      the header lists the first tensor twice (its second entry
                 points at the last tensor's bytes)
  huge           the first tensor (F64) starts with 1e300, beyond float32
"""
import argparse
import json
import struct

FORMATS = {"F32": "f", "F64": "d", "I64": "q"}

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--corrupt")
parser.add_argument("tensors", nargs="*")
args = parser.parse_intermixed_args()

header, data = {"__metadata__": {"format": "pt"}}, b""
for spec in args.tensors:
    name, dtype, shape_text = spec.split(":")
    shape = [] if shape_text == "scalar" else [int(s) for s in shape_text.split("x")]
    count = 1
    for dim in shape:
        count *= dim
    chunk = struct.pack("<%d%s" % (count, FORMATS[dtype]), *range(1, count + 1))
    header[name] = {"dtype": dtype, "shape": shape,
                    "data_offsets": [len(data), len(data) + len(chunk)]}
    data += chunk

names = [n for n in header if n != "__metadata__"]
if args.corrupt == "overlap":
    begin, end = header[names[1]]["data_offsets"]
    header[names[1]]["data_offsets"] = [begin - 4, end - 4]
if args.corrupt == "bad-dtype":
    header[names[0]]["dtype"] = "Q8"
if args.corrupt == "huge":
    data = struct.pack("<d", 1e300) + data[8:]
text = b"{ not json" if args.corrupt == "not-json" else json.dumps(header).encode()
if args.corrupt == "duplicate":
    again = json.dumps({names[0]: header[names[-1]]})[1:-1]
    text = text[:-1] + b", " + again.encode() + b"}"
length = len(text) + (1000 if args.corrupt == "header-length" else 0)
if args.corrupt == "truncated":
    data = data[:-1]
with open(args.out, "wb") as f:
    f.write(struct.pack("<Q", length) + text + data)
