#!/usr/bin/env node
// Times one ONNX model with ONNX Runtime's CPU provider (onnxruntime-node):
// the ORT engine of the benchmark harness.
//
//   node ort_bench.js MODEL.onnx INPUT_DIR NUM_SETS THREADS WARMUP MIN_ITERS
//                     MAX_ITERS BUDGET_S OUTPUT_DIR
//
// Same protocol as hmc_bench.c: input set i is INPUT_DIR/set<i>/<name>.npy;
// every set runs once and its outputs go to OUTPUT_DIR/set<i>/<name>.npy;
// WARMUP untimed runs follow; then timed runs cycle through the sets until
// MIN_ITERS runs and BUDGET_S seconds are done (at most MAX_ITERS). The
// session uses THREADS intra-op threads, one inter-op thread, sequential
// execution and all graph optimisations. Prints one JSON object on stdout.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const DTYPES = {
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i4': ['int32', Int32Array],
  '<i8': ['int64', BigInt64Array],
  '|b1': ['bool', Uint8Array],
};
const DESCR = Object.fromEntries(Object.entries(DTYPES).map(([d, [t]]) => [t, d]));

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not .npy`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1]
    .split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (!(descr in DTYPES)) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [type, Array] = DTYPES[descr];
  const offset = start + headerLen;
  const bytes = buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + buf.length);
  return new ort.Tensor(type, new Array(bytes), shape);
}

function writeNpy(file, tensor) {
  const descr = DESCR[tensor.type];
  if (!descr) throw new Error(`output dtype ${tensor.type} not supported`);
  const dims = tensor.dims.length === 1 ? `${tensor.dims[0]},` : tensor.dims.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  fs.writeFileSync(file, Buffer.concat([
    pre, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function statusKib(field) {
  const m = new RegExp(`^${field}:\\s*(\\d+)`, 'm')
    .exec(fs.readFileSync('/proc/self/status', 'latin1'));
  return m ? Number(m[1]) : -1;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.length !== 9) {
    console.error('usage: ort_bench.js MODEL.onnx INPUT_DIR NUM_SETS THREADS WARMUP ' +
                  'MIN_ITERS MAX_ITERS BUDGET_S OUTPUT_DIR');
    process.exit(2);
  }
  const [model, inputDir] = argv;
  const [numSets, threads, warmup, minIters, maxIters] = argv.slice(2, 7).map(Number);
  const budgetMs = Number(argv[7]) * 1e3;
  const outputDir = argv[8];

  // The session is created after the inputs are read, so that base_rss_kib
  // holds Node, ORT's shared library and the inputs, and the rest is the model.
  const inputNames = fs.readdirSync(path.join(inputDir, 'set0'))
    .filter((f) => f.endsWith('.npy')).map((f) => f.slice(0, -4));
  const sets = [];
  for (let s = 0; s < numSets; ++s) {
    const feeds = {};
    for (const name of inputNames) {
      feeds[name] = readNpy(path.join(inputDir, `set${s}`, `${name}.npy`));
    }
    sets.push(feeds);
  }
  const baseRss = statusKib('VmRSS');

  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });

  fs.mkdirSync(outputDir, {recursive: true});
  for (let s = 0; s < numSets; ++s) {
    const results = await session.run(sets[s]);
    fs.mkdirSync(path.join(outputDir, `set${s}`), {recursive: true});
    for (const name of session.outputNames) {
      writeNpy(path.join(outputDir, `set${s}`, `${name}.npy`), results[name]);
    }
  }
  for (let w = 0; w < warmup; ++w) await session.run(sets[w % numSets]);

  const times = [];
  const startAll = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - startAll) / 1e6;
  while (times.length < maxIters && (times.length < minIters || elapsedMs() < budgetMs)) {
    const feeds = sets[times.length % numSets];
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const peakRss = statusKib('VmHWM');
  process.stdout.write(JSON.stringify({
    engine: 'ort', threads, ort_version: ort.env.versions.node,
    base_rss_kib: baseRss, peak_rss_kib: peakRss, times_ms: times,
  }) + '\n');
  await session.release();
}

main().catch((err) => {
  console.error(`ort_bench: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
