/**
 * `npm run bench`: speed of the simulator on MNIST 400-400-10, one core.
 *
 * Measures in one run, after warm-up: training ms/sample with the fast kernel (WebAssembly,
 * and the portable JavaScript kernel) and with the naive kernel (ratio reported on the same
 * samples); inference ms/sample on the 4-phase chip network and on the dense integer path;
 * a test-set evaluation in one thread and split over two worker threads (ratio reported);
 * synaptic ops per second and RSS. Writes JSON to stdout and a summary section to
 * BENCHMARKS.md.
 *
 * This host is a shared VM whose speed drifts by tens of percent within a minute. Variants
 * that are compared are therefore timed in interleaved chunks (A, B, A, B, ...), so that
 * drift hits both alike, and each figure is reported as the mean over all its samples plus
 * the median and the fastest of its chunks.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { loadDataset } from '../src/data/datasets';
import { Op } from '../src/chip/counters';
import { initialWeights } from '../src/sbp/init';
import { DenseInference, Evaluator, SbpInferenceChip, type TestMetrics } from '../src/sbp/inference';
import { PLASTIC_NAMES } from '../src/sbp/matrices';
import { loadWeights, SbpTrainingChip } from '../src/sbp/training';
import { deepInitialWeights, DeepTrainingChip } from '../src/sbp/deep-training';
import type { SpikeDataset } from '../src/data/preprocess';
import { EvalPool } from './eval-pool';
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
const CHUNK = arg('chunk', 500);
const INFER_CHUNK = 2000;
const sizes = { input: 400, hidden: 400, output: 10 };

/** Timings of one variant: per-chunk ms/sample (wall and process CPU time) and the totals. */
class Timing {
  chunks: number[] = [];
  cpuChunks: number[] = [];
  ms = 0;
  cpuMs = 0;
  samples = 0;
  add(ms: number, cpuMs: number, n: number): void {
    this.chunks.push(ms / n);
    this.cpuChunks.push(cpuMs / n);
    this.ms += ms;
    this.cpuMs += cpuMs;
    this.samples += n;
  }
  summary() {
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    return {
      samples: this.samples,
      chunks: this.chunks.length,
      msPerSample: this.ms / this.samples,
      medianChunk: median(this.chunks),
      fastestChunk: Math.min(...this.chunks),
      cpuMsPerSample: this.cpuMs / this.samples,
      cpuMedianChunk: median(this.cpuChunks),
    };
  }
}

/** Wall and process CPU time of fn(), in ms. */
function timed(fn: () => void): [number, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1000];
}

/** Run `step(k, from, to)` for each variant k over [from, to) in interleaved chunks, timing each. */
function interleaved(variants: number, from: number, to: number, chunk: number, step: (k: number, a: number, b: number) => void): Timing[] {
  const t = Array.from({ length: variants }, () => new Timing());
  let round = 0;
  for (let a = from; a < to; a += chunk, round++) {
    const b = Math.min(to, a + chunk);
    for (let q = 0; q < variants; q++) {
      // alternate which variant goes first
      const k = (q + round) % variants;
      const [wall, cpu] = timed(() => step(k, a, b));
      t[k].add(wall, cpu, b - a);
    }
  }
  return t;
}

type Variant = 'fast+wasm' | 'fast+js' | 'naive';
function trainingNet(variant: Variant) {
  const net = new SbpTrainingChip({ sizes, kernel: variant === 'naive' ? 'naive' : 'fast', rowSum: variant === 'fast+wasm' ? createWasmRowSumKernel : undefined });
  loadWeights(net, initialWeights(sizes, 1));
  return net;
}
const trainRange = (net: SbpTrainingChip, ds: SpikeDataset, a: number, b: number) => {
  for (let k = a; k < b; k++) net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k]);
};

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

// ---- training: fast (wasm) and fast (portable JS), the same samples, interleaved
const fastNet = trainingNet('fast+wasm');
const jsNet = trainingNet('fast+js');
trainRange(fastNet, train, 0, WARM);
trainRange(jsNet, train, 0, WARM);
const ops0 = fastNet.chip.counters.total(Op.synOps);
const [tFast, tJs] = interleaved(2, WARM, WARM + TRAIN, CHUNK, (k, a, b) => trainRange(k === 0 ? fastNet : jsNet, train, a, b));
const fastSynOps = fastNet.chip.counters.total(Op.synOps) - ops0;
const rssTrain = liveRss();
const sameMatrices = (a: SbpTrainingChip, b: SbpTrainingChip) =>
  PLASTIC_NAMES.every((m) => {
    const x = a.matrix(m);
    const y = b.matrix(m);
    return x.every((v, i) => v === y[i]);
  });
const fastJsIdentical = sameMatrices(fastNet, jsNet);

// ---- the naive kernel against the fast kernel on the same samples (fresh nets, same warm-up)
const naiveNet = trainingNet('naive');
const fast2 = trainingNet('fast+wasm');
trainRange(naiveNet, train, 0, WARM);
trainRange(fast2, train, 0, WARM);
const [tNaive, tFast2] = interleaved(2, WARM, WARM + NAIVE, Math.min(CHUNK, 250), (k, a, b) => trainRange(k === 0 ? naiveNet : fast2, train, a, b));
const naiveIdentical = sameMatrices(naiveNet, fast2);

// ---- depth: one hidden layer (400-400-10) against two (400-400-400-10), WebAssembly kernel,
// the same samples interleaved; cost per sample relative to the synapses each network has
const DEPTH = arg('depth-samples', 2000);
const oneLayer = trainingNet('fast+wasm');
const twoLayers = new DeepTrainingChip({ sizes: [400, 400, 400, 10], rowSum: createWasmRowSumKernel, weights: deepInitialWeights([400, 400, 400, 10], 1) });
trainRange(oneLayer, train, 0, WARM);
for (let k = 0; k < WARM; k++) twoLayers.trainSample(train.indices, train.offsets[k], train.offsets[k + 1], train.labels[k]);
const [tOne, tTwo] = interleaved(2, WARM, WARM + DEPTH, CHUNK, (k, a, b) => {
  if (k === 0) trainRange(oneLayer, train, a, b);
  else for (let i = a; i < b; i++) twoLayers.trainSample(train.indices, train.offsets[i], train.offsets[i + 1], train.labels[i]);
});
const depthRow = (t: Timing, c: { stats: { synapses: number; plasticSynapses: number } }, phases: number) => {
  const s = t.summary();
  return { ...s, phases, synapses: c.stats.synapses, plasticSynapses: c.stats.plasticSynapses, cpuNsPerSynapse: (s.cpuMsPerSample * 1e6) / c.stats.synapses };
};
const depth = { oneLayer: depthRow(tOne, oneLayer.compiled, 12), twoLayers: depthRow(tTwo, twoLayers.compiled, twoLayers.phases) };
const depthCostRatio = depth.twoLayers.cpuMsPerSample / depth.oneLayer.cpuMsPerSample;
const depthSynapseRatio = depth.twoLayers.synapses / depth.oneLayer.synapses;

// ---- inference: the chip network and the dense integer path (JS and wasm), interleaved
const w = initialWeights(sizes, 1);
// (each is built once, weights loaded, before it is timed)
const inferChip = new SbpInferenceChip(sizes, w.w1, w.w2, { rowSum: createWasmRowSumKernel });
const denseJs = new DenseInference(sizes, w.w1, w.w2);
const denseWasm = new DenseInference(sizes, w.w1, w.w2, createWasmRowSumKernel);
const inferrers = [inferChip, denseJs, denseWasm];
for (const x of inferrers) x.evaluateRange(test, 0, 500);
const metricsOf: TestMetrics[][] = [[], [], []];
const [tInferChip, tDenseJs, tDenseWasm] = interleaved(3, 0, INFER, INFER_CHUNK, (k, a, b) => {
  metricsOf[k][a / INFER_CHUNK] = inferrers[k].evaluateRange(test, a, b).result();
});
const sameMetrics = (x: TestMetrics[], y: TestMetrics[]) => JSON.stringify(x) === JSON.stringify(y);

// ---- a test-set evaluation on the chip network: one thread against two worker threads
const pool = EvalPool.start(2, { sizes, evalOn: 'chip', wasm: true }, test);
await pool.evaluate(w.w1, w.w2, INFER); // warm-up: worker start-up and JIT
// (both sides keep their inference network between evaluations, as a training run does)
const mainEvaluator = new Evaluator({ sizes, evalOn: 'chip', rowSum: createWasmRowSumKernel });
const mainEval = () => mainEvaluator.evaluate(w.w1, w.w2, test, 0, INFER).result();
const reference = JSON.stringify(mainEval());
const tEval1 = new Timing();
const tEval2 = new Timing();
let evalIdentical = true;
for (let r = 0; r < 4; r++) {
  for (const k of r % 2 ? [1, 2] : [2, 1]) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const m = k === 1 ? mainEval() : await pool.evaluate(w.w1, w.w2, INFER);
    const c = process.cpuUsage(c0);
    (k === 1 ? tEval1 : tEval2).add(performance.now() - t0, (c.user + c.system) / 1000, INFER);
    if (JSON.stringify(m) !== reference) evalIdentical = false;
  }
}
await pool.close();

const fast = tFast.summary();
const js = tJs.summary();
const naive = tNaive.summary();
const fastOnNaive = tFast2.summary();
const result = {
  machine: { node: process.version, cpus: 1 },
  network: '400-400-10',
  method: `interleaved chunks of ${CHUNK} training samples (250 for the naive comparison) and ${INFER_CHUNK} inference samples; msPerSample is the mean over all samples, medianChunk and fastestChunk summarize the chunks; cpuMsPerSample and cpuMedianChunk are the same in process CPU time (user + system, all threads)`,
  training: {
    fast: { rowSum: fastNet.chip.rowSum.name, ...fast, synOpsPerSecond: fastSynOps / (tFast.ms / 1000) },
    fastPortableJs: { rowSum: jsNet.chip.rowSum.name, ...js, identicalToFast: fastJsIdentical },
    naive: { ...naive },
    fastOnNaiveRange: { ...fastOnNaive },
    speedupFastOverNaive: naive.msPerSample / fastOnNaive.msPerSample,
    fastAndNaiveIdentical: naiveIdentical,
    chipPaperMsPerSample: 1.5,
  },
  inference: {
    chipNetwork: { ...tInferChip.summary() },
    densePath: { ...tDenseJs.summary(), identicalMetrics: sameMetrics(metricsOf[1], metricsOf[0]) },
    densePathWasm: { ...tDenseWasm.summary(), identicalMetrics: sameMetrics(metricsOf[2], metricsOf[0]) },
    brian2CppStandaloneMsPerSample: 0.045,
    chipPaperMsPerSample: 0.17,
  },
  depth: {
    what: `${DEPTH} MNIST training samples each, WebAssembly kernel, interleaved in chunks of ${CHUNK}`,
    ...depth,
    costRatio: depthCostRatio,
    synapseRatio: depthSynapseRatio,
    costGrowsNoFasterThanSynapses: depthCostRatio <= depthSynapseRatio,
  },
  evaluation: {
    what: `${INFER} test images on the chip network, 4 repetitions each, interleaved`,
    oneThread: tEval1.summary(),
    twoWorkers: tEval2.summary(),
    speedupTwoWorkers: tEval1.ms / tEval2.ms,
    identical: evalIdentical,
  },
  rssAfterGc: gc !== undefined,
  rssMiB: { nodeAtStart: rssStart / 1048576, withTrainingNetwork: rssNetwork / 1048576, beforeTraining: rss0 / 1048576, afterFastTraining: rssTrain / 1048576, end: process.memoryUsage().rss / 1048576 },
  // the process's peak RSS over the whole run (all networks, both datasets, the workers)
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  datasetsLoadedMiB: 'the MNIST train and test sets are loaded before the first measurement',
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');

const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);
const row = (what: string, s: ReturnType<Timing['summary']>, f: (x: number) => string, note: string) =>
  `| ${what} | ${f(s.msPerSample)} | ${f(s.medianChunk)} | ${f(s.fastestChunk)} | ${f(s.cpuMsPerSample)} | ${f(s.cpuMedianChunk)} | ${note} |`;
const section = `## Simulator speed (npm run bench)

Measured by \`npm run --silent bench\` (\`node --expose-gc dist/bench.js --train-samples ${TRAIN} --warmup ${WARM} --naive-samples ${NAIVE} --infer-samples ${INFER} --chunk ${CHUNK}\`), MNIST 400-400-10, one core, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}. Compared variants run in interleaved chunks; "mean" is over all samples, "median" and "fastest" over the chunks; wall time, and the process's CPU time (user + system, all its threads: what the work costs when the VM host takes the core away).

| what | mean ms/sample | median chunk | fastest chunk | CPU mean | CPU median chunk | note |
|---|---|---|---|---|---|---|
${row('training, fast kernel, WebAssembly kernel', fast, f3, `${fast.samples} samples after ${WARM} warm-up; ${(result.training.fast.synOpsPerSecond / 1e6).toFixed(0)} M synaptic ops/s`)}
${row('training, fast kernel, portable JS', js, f3, `the same samples, interleaved with the above; weights identical: ${fastJsIdentical}`)}
${row('training, naive kernel', naive, f3, `${naive.samples} samples; the fast kernel on the same samples: ${f3(fastOnNaive.msPerSample)} ms, ${(naive.msPerSample / fastOnNaive.msPerSample).toFixed(2)}x faster; all eight matrices identical: ${naiveIdentical}`)}
${row('training, one hidden layer (400-400-10, 12 phases)', tOne.summary(), f3, `${depth.oneLayer.synapses.toLocaleString('en-US')} synapses; ${depth.oneLayer.cpuNsPerSynapse.toFixed(3)} ns CPU per synapse per sample`)}
${row('training, two hidden layers (400-400-400-10, 21 phases)', tTwo.summary(), f3, `interleaved with the above; ${depth.twoLayers.synapses.toLocaleString('en-US')} synapses (${depthSynapseRatio.toFixed(2)}x), cost ${depthCostRatio.toFixed(2)}x: ${depthCostRatio <= depthSynapseRatio ? 'grows no faster than the synapses' : 'grows faster than the synapses'}`)}
| training on Loihi (paper) | 1.5 | | | | | Renner et al. 2024, Table 1 |
${row('inference, 4-phase network on the chip', tInferChip.summary(), f4, `${INFER} test images`)}
${row('inference, dense integer path (JS)', tDenseJs.summary(), f4, `identical metrics: ${result.inference.densePath.identicalMetrics}`)}
${row('inference, dense integer path (WebAssembly row sums)', tDenseWasm.summary(), f4, `identical metrics: ${result.inference.densePathWasm.identicalMetrics}`)}
| inference, Brian2 2.5 cpp_standalone (issue's peer figure, not measured here) | 0.045 | | | | | |
| inference on Loihi (paper) | 0.17 | | | | | |
${row('evaluation of the test set on the chip network, one thread', tEval1.summary(), f4, `${INFER} images, 4 repetitions`)}
${row('the same, split over two worker threads (--workers 2)', tEval2.summary(), f4, `${result.evaluation.speedupTwoWorkers.toFixed(2)}x the one-thread speed; identical metrics: ${evalIdentical}`)}

RSS after a full garbage collection: ${(rssStart / 1048576).toFixed(1)} MiB for Node at start, ${(rssNetwork / 1048576).toFixed(1)} MiB with the 400-400-10 training network built (before any dataset is loaded), ${(rss0 / 1048576).toFixed(0)} MiB with the MNIST train and test sets loaded too, ${(rssTrain / 1048576).toFixed(0)} MiB after the training runs; the process's peak RSS over the whole run (several networks, both datasets, two worker threads) was ${result.peakRssMiB.toFixed(0)} MiB.
`;
const file = 'BENCHMARKS.md';
let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nEvery figure here was measured by the command shown with it.\n\n';
const start = text.indexOf('## Simulator speed');
if (start >= 0) {
  const next = text.indexOf('\n## ', start + 3);
  text = text.slice(0, start) + section + (next >= 0 ? '\n' + text.slice(next + 1) : '');
} else text = text.trimEnd() + '\n\n' + section;
writeFileSync(file, text);
