/**
 * `npm run bench`: speed of the simulator on MNIST 400-400-10, one core.
 * Measures in one run: training ms/sample with the fast kernel and with the naive kernel
 * (ratio reported), inference ms/sample (4-phase network on the chip, and the dense integer
 * path), synaptic ops per second and peak RSS. Writes JSON to stdout and a summary section
 * to BENCHMARKS.md.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { loadDataset } from '../src/data/datasets';
import { Op } from '../src/chip/counters';
import { initialWeights } from '../src/sbp/init';
import { evaluateDense, SbpInferenceChip } from '../src/sbp/inference';
import { loadWeights, SbpTrainingChip } from '../src/sbp/training';
import type { SpikeDataset } from '../src/data/preprocess';
import { createWasmRowSumKernel } from './wasm-row-sum';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const TRAIN = arg('train-samples', 6000);
const WARM = arg('warmup', 1000);
const NAIVE = arg('naive-samples', 2000);
const INFER = arg('infer-samples', 10000);
const sizes = { input: 400, hidden: 400, output: 10 };

type Variant = 'fast+wasm' | 'fast+js' | 'naive';
function timeTraining(variant: Variant, ds: SpikeDataset, warm: number, n: number) {
  const kernel = variant === 'naive' ? 'naive' : 'fast';
  const net = new SbpTrainingChip({ sizes, kernel, rowSum: variant === 'fast+wasm' ? createWasmRowSumKernel : undefined });
  loadWeights(net, initialWeights(sizes, 1));
  for (let k = 0; k < warm; k++) net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k]);
  const ops0 = net.chip.counters.total(Op.synOps);
  const t0 = performance.now();
  for (let k = warm; k < warm + n; k++) net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k]);
  const ms = performance.now() - t0;
  const synOps = net.chip.counters.total(Op.synOps) - ops0;
  return { variant, rowSum: net.chip.rowSum.name, samples: n, msPerSample: ms / n, synOpsPerSecond: synOps / (ms / 1000), w1: net.matrix('w1') };
}

// memory of the training network alone: a fresh process, the network built, no dataset yet.
// RSS is read after a full garbage collection (npm run bench passes --expose-gc), so it
// counts live memory, not garbage the collector has not reached yet.
const gc = (globalThis as { gc?: () => void }).gc;
const liveRss = () => {
  if (gc) gc();
  return process.memoryUsage().rss;
};
const rssStart = liveRss();
const probe = new SbpTrainingChip({ sizes, rowSum: createWasmRowSumKernel });
loadWeights(probe, initialWeights(sizes, 1));
const rssNetwork = liveRss();
void probe;
const train = loadDataset('mnist', 'train');
const test = loadDataset('mnist', 'test');
const rss0 = liveRss();
const fast = timeTraining('fast+wasm', train, WARM, TRAIN);
const rssTrain = liveRss();
const fastJs = timeTraining('fast+js', train, WARM, TRAIN);
const naive = timeTraining('naive', train, WARM, NAIVE);
// all variants must agree: compare W1 after the same samples
const fastCheck = timeTraining('fast+wasm', train, WARM, NAIVE);
const identical = fastCheck.w1.every((v, i) => v === naive.w1[i]) && fastJs.w1.every((v, i) => v === fast.w1[i]);

const w = initialWeights(sizes, 1);
const chip = new SbpInferenceChip(sizes, w.w1, w.w2, { rowSum: createWasmRowSumKernel });
const inferKernelName = chip.chip.rowSum.name;
chip.evaluate(test, 500);
let t0 = performance.now();
const inferChip = chip.evaluate(test, INFER);
const inferChipMs = (performance.now() - t0) / INFER;
t0 = performance.now();
const inferDense = evaluateDense(sizes, w.w1, w.w2, test, INFER);
const inferDenseMs = (performance.now() - t0) / INFER;
// each evaluation allocates its transposed W1 in the kernel's arena: one kernel per call
const evalKernel = () => createWasmRowSumKernel(2 * 400 * 400 + 4 * 800 + 64) ?? undefined;
evaluateDense(sizes, w.w1, w.w2, test, 500, evalKernel());
t0 = performance.now();
const inferDenseWasm = evaluateDense(sizes, w.w1, w.w2, test, INFER, evalKernel());
const inferDenseWasmMs = (performance.now() - t0) / INFER;

const result = {
  machine: { node: process.version, cpus: 1 },
  network: '400-400-10',
  training: {
    fast: { rowSum: fast.rowSum, samples: fast.samples, msPerSample: fast.msPerSample, synOpsPerSecond: fast.synOpsPerSecond },
    fastPortableJs: { rowSum: fastJs.rowSum, samples: fastJs.samples, msPerSample: fastJs.msPerSample, synOpsPerSecond: fastJs.synOpsPerSecond },
    naive: { samples: naive.samples, msPerSample: naive.msPerSample, synOpsPerSecond: naive.synOpsPerSecond },
    // the ratio compares the same samples: fast (WebAssembly row sums) re-timed on the naive run's range
    fastOnNaiveRange: { samples: fastCheck.samples, msPerSample: fastCheck.msPerSample },
    speedupFastOverNaive: naive.msPerSample / fastCheck.msPerSample,
    fastAndNaiveIdentical: identical,
    chipPaperMsPerSample: 1.5,
  },
  inference: {
    chipNetwork: { samples: INFER, msPerSample: inferChipMs, accArgmaxPotential: inferChip.accArgmaxPotential },
    densePath: { samples: INFER, msPerSample: inferDenseMs, identicalMetrics: JSON.stringify(inferChip) === JSON.stringify(inferDense) },
    densePathWasm: { samples: INFER, msPerSample: inferDenseWasmMs, identicalMetrics: JSON.stringify(inferChip) === JSON.stringify(inferDenseWasm) },
    brian2CppStandaloneMsPerSample: 0.045,
    chipPaperMsPerSample: 0.17,
  },
  rssAfterGc: gc !== undefined,
  rssMiB: { nodeAtStart: rssStart / 1048576, withTrainingNetwork: rssNetwork / 1048576, beforeTraining: rss0 / 1048576, afterFastTraining: rssTrain / 1048576, end: process.memoryUsage().rss / 1048576 },
  datasetsLoadedMiB: 'the MNIST train and test sets are loaded before the first measurement',
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');

const f2 = (x: number) => x.toFixed(3);
const section = `## Simulator speed (npm run bench)

Measured by \`npm run --silent bench\` (\`node --expose-gc dist/bench.js --train-samples ${TRAIN} --warmup ${WARM} --naive-samples ${NAIVE} --infer-samples ${INFER}\`), MNIST 400-400-10, one core, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.

| what | ms/sample | synaptic ops/s | note |
|---|---|---|---|
| training, fast kernel, WebAssembly row sums | ${f2(fast.msPerSample)} | ${(fast.synOpsPerSecond / 1e6).toFixed(0)} M | ${fast.samples} samples after ${WARM} warm-up (row sums: ${fast.rowSum}) |
| training, fast kernel, portable JS | ${f2(fastJs.msPerSample)} | ${(fastJs.synOpsPerSecond / 1e6).toFixed(0)} M | the same ${fastJs.samples} samples; the path embedded engines run |
| training, naive kernel | ${f2(naive.msPerSample)} | ${(naive.synOpsPerSecond / 1e6).toFixed(0)} M | ${naive.samples} samples; the fast kernel on the same samples: ${f2(fastCheck.msPerSample)} ms, ${(naive.msPerSample / fastCheck.msPerSample).toFixed(2)}x faster; weights identical: ${identical} |
| training on Loihi (paper) | 1.5 | | Renner et al. 2024, Table 1 |
| inference, 4-phase network on the chip | ${f2(inferChipMs)} | | ${INFER} test images (row sums: ${inferKernelName}) |
| inference, dense integer path (JS) | ${f2(inferDenseMs)} | | identical metrics: ${result.inference.densePath.identicalMetrics} |
| inference, dense integer path (WebAssembly row sums) | ${f2(inferDenseWasmMs)} | | identical metrics: ${result.inference.densePathWasm.identicalMetrics} |
| inference, Brian2 2.5 cpp_standalone (issue's peer figure, not measured here) | 0.045 | | |
| inference on Loihi (paper) | 0.17 | | |

RSS after a full garbage collection: ${(rssStart / 1048576).toFixed(1)} MiB for Node at start, ${(rssNetwork / 1048576).toFixed(1)} MiB with the 400-400-10 training network built (before any dataset is loaded), ${(rss0 / 1048576).toFixed(0)} MiB with the MNIST train and test sets loaded too, ${(rssTrain / 1048576).toFixed(0)} MiB after the fast training run.
`;
const file = 'BENCHMARKS.md';
let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nEvery figure here was measured by the command shown with it.\n\n';
const start = text.indexOf('## Simulator speed');
if (start >= 0) {
  const next = text.indexOf('\n## ', start + 3);
  text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
} else text = text.trimEnd() + '\n\n' + section;
writeFileSync(file, text);
