/**
 * `synfire train --hidden H1,H2,...`: train the L-hidden-layer sBP network on the chip
 * (docs/deep.md) and report the paper's test metrics, energy and latency per sample. The data
 * order is train's (one permutation per epoch from the seed's data stream); the evaluation is
 * the dense integer forward pass through every layer. Weight files (synfire-weights/1 with
 * several hidden layers) and checkpoints (version 2, deep-checkpoint.ts; written at every half
 * epoch, resumed exactly) and the shadow oracle (deep-shadow.ts) are supported; options that
 * need the one-layer session (models, seeds, export, plots) are refused with a one-line message.
 */
import { loadDataset } from '../../src/data/datasets';
import { costReport, perSample } from '../../src/energy/model';
import { attachTimeModel, resetMeasurement } from '../../src/energy/report';
import { getConstants, PAPER } from '../../src/energy/constants';
import { UserError } from '../../src/errors';
import { dataPrng } from '../../src/sbp/session';
import { MetricsAccumulator, type TestMetrics } from '../../src/sbp/inference';
import { deepForward } from '../../src/sbp/deep-oracle';
import { deepInitialWeights, DeepTrainingChip } from '../../src/sbp/deep-training';
import { NUM_CLASSES } from '../../src/sbp/matrices';
import type { Gating } from '../../src/sbp/gating';
import type { SpikeDataset } from '../../src/data/preprocess';
import { BOARDS } from '../../boards/profiles';
import type { CliIO } from '../cli';
import { createProgress } from '../progress';
import { wasGiven } from '../args';
import { DeepShadow } from '../../src/sbp/deep-shadow';
import { describeShadow, emptyShadowReport, type ShadowReport } from '../../src/sbp/shadow-checks';
import { checkpointVersion } from '../../src/sbp/checkpoint';
import { decodeDeepCheckpoint, DEEP_CHECKPOINT_VERSION, encodeDeepCheckpoint } from '../../src/sbp/deep-checkpoint';
import { atomicWriteFile, readUserFile } from '../fsutil';
import { layeredWeightsFromJson, layeredWeightsToJson, type LayeredWeights } from '../../src/sbp/weights-file';

/** A layered weight file (synfire-weights/1 with several hidden layers) whose sizes must be `sizes`. */
export function loadLayeredWeights(file: string, sizes: number[]): LayeredWeights {
  const w = layeredWeightsFromJson(new TextDecoder().decode(readUserFile(file, 'weights')), file);
  if (w.sizes.join('-') !== sizes.join('-')) throw new UserError(`${file}: sizes ${w.sizes.join('-')} do not match the network ${sizes.join('-')} (use --hidden ${w.sizes.slice(1, -1).join(',')})`);
  return w;
}
import { createWasmRowSumKernel } from '../wasm-row-sum';
import type { Placement } from '../../src/sbp/training';

/**
 * The hidden layer sizes of a checkpoint of several hidden layers (version 2), or null for any
 * other file (the one-layer reader then names what is wrong with it).
 */
export function deepCheckpointLayers(file: string): number[] | null {
  const bytes = readUserFile(file, 'checkpoint');
  return checkpointVersion(bytes) === DEEP_CHECKPOINT_VERSION ? decodeDeepCheckpoint(bytes, file).sizes.slice(1, -1) : null;
}

/** The options a deep run does not support, and why (one line each). */
const UNSUPPORTED: Array<[string, string]> = [
  ['saveModel', '--save-model'],
  ['plot', '--plot'],
  ['seeds', '--seeds'],
  ['exportNetwork', '--export-network'],
  ['lrHalving', '--lr-halving'],
];

/** Dense evaluation of the deep network with the chip's current weights. */
export function evaluateDeep(net: DeepTrainingChip, test: SpikeDataset, limit: number): TestMetrics {
  const w: Int16Array[] = [new Int16Array(0)];
  for (let l = 1; l < net.sizes.length; l++) w.push(net.matrix(`w${l}`));
  const acc = new MetricsAccumulator(NUM_CLASSES);
  const top = net.sizes.length - 1;
  const a = net.sizes.map((n) => new Uint8Array(n));
  const z = new Float64Array(net.sizes[top]);
  const n = Math.min(limit, test.count);
  for (let s = 0; s < n; s++) {
    deepForward(net.sizes, w, test.indices, test.offsets[s], test.offsets[s + 1], a, z);
    acc.add(a[top], z, test.labels[s]);
  }
  return acc.result();
}

export async function runDeepTrain(o: Record<string, unknown>, io: CliIO, layers: number[]): Promise<number> {
  for (const [key, flag] of UNSUPPORTED) if (o[key] !== undefined && o[key] !== false) throw new UserError(`train: ${flag} is for one hidden layer; not supported with --hidden ${layers.join(',')}`, 2);
  if (o.reward !== 'chip') throw new UserError('train: several hidden layers take the reward from the gating chain only (--reward chip)', 2);
  if (o.evalOn !== 'dense') throw new UserError('train: several hidden layers are evaluated with the dense integer path only (--eval-on dense)', 2);
  const t0 = Date.now();
  // resume first: a bad checkpoint must fail before anything is written
  const resumed = o.resume !== undefined ? decodeDeepCheckpoint(readUserFile(o.resume as string, 'checkpoint'), o.resume as string) : null;
  const saved = resumed ? ((resumed.meta as { options?: Record<string, unknown> } | null)?.options ?? {}) : {};
  if (resumed) {
    for (const key of ['dataset', 'seed', 'order', 'gating', 'noShuffle', 'trainLimit'] as const) {
      if (saved[key] === undefined) continue;
      if (wasGiven(o, key) && o[key] !== saved[key]) throw new UserError(`--resume: option ${key} = ${String(o[key])} differs from the checkpoint's ${String(saved[key])}`);
      o[key] = saved[key];
    }
    if (!wasGiven(o, 'epochs') && typeof saved.epochs === 'number') o.epochs = saved.epochs;
  }
  const quiet = (o.quiet as boolean) || io.json;
  const info = (s: string) => {
    if (!quiet) io.err(s);
  };
  const board = BOARDS[o.board as string];
  const constants = getConstants((o.constants as string | undefined) ?? board.constants);
  const dataset = o.dataset as 'mnist' | 'fashion';
  const train = loadDataset(dataset, 'train', { dataDir: o.dataDir as string | undefined });
  const test = loadDataset(dataset, 'test', { dataDir: o.dataDir as string | undefined });
  const sizes = [train.numInputs, ...layers, NUM_CLASSES];
  const trainLimit = (o.trainLimit as number | undefined) ?? train.count;
  if (trainLimit > train.count) throw new UserError(`--train-limit ${trainLimit} exceeds the ${train.count} training samples of ${dataset}`);
  const seed = o.seed as number;
  const epochs = o.epochs as number;
  const order = o.order as 'chip' | 'reference';
  const gating = o.gating as Gating;
  const chips = (o.chips as number | undefined) ?? board.chips;
  const loaded = o.loadWeights !== undefined ? loadLayeredWeights(o.loadWeights as string, sizes) : null;
  if (resumed && resumed.sizes.join('-') !== sizes.join('-')) throw new UserError(`${o.resume as string}: checkpoint sizes ${resumed.sizes.join('-')} do not match the network ${sizes.join('-')}`);
  const net = new DeepTrainingChip({
    sizes,
    order,
    gating,
    placement: o.placement as Placement,
    chips,
    limits: board.limits,
    rowSum: o.kernel === 'wasm' ? createWasmRowSumKernel : undefined,
    weights: loaded ? loaded.w : deepInitialWeights(sizes, seed),
    transposed: loaded ?? undefined,
  });
  const chip = net.chip;
  attachTimeModel(net.compiled, constants);
  resetMeasurement(chip);
  const stats = net.compiled.stats;
  info(
    `synfire train: ${dataset} ${sizes.join('-')} (${layers.length} hidden layers, ${net.phases} phases per sample) on ${stats.cores} cores (${stats.compartments.toLocaleString('en-US')} compartments, ${stats.synapses.toLocaleString('en-US')} synapses, ${stats.plasticSynapses.toLocaleString('en-US')} plastic), ${epochs} epoch(s) of ${trainLimit.toLocaleString('en-US')} samples, seed ${seed}, order ${order}, gating ${gating}`,
  );
  const rng = dataPrng(seed);
  const shuffle = !(o.noShuffle as boolean);
  const testLimit = o.testLimit as number;
  let history: Array<{ epoch: number; samplesTrained: number; test: TestMetrics }> = [];
  let epoch = 0;
  let start = 0;
  let trained = 0;
  let resumedShadow: ShadowReport | null = null;
  if (resumed) {
    for (const m of net.matrices) net.setMatrix(m.name, resumed.matrices[m.name]);
    rng.restoreState(resumed.rngState);
    const meta = resumed.meta as { history?: typeof history; chipRng?: number[]; shadow?: ShadowReport } | null;
    if (meta && Array.isArray(meta.chipRng)) net.chip.prng.restoreState(meta.chipRng);
    if (meta && Array.isArray(meta.history)) history = meta.history;
    // the shadow's counts continue (its oracle starts from the checkpoint's weights, which the chip has too)
    if (meta && meta.shadow) resumedShadow = meta.shadow;
    epoch = resumed.epoch;
    start = resumed.sampleInEpoch;
    trained = resumed.samplesTrained;
    info(`resumed from ${o.resume as string}: epoch ${epoch}, sample ${start}, ${trained} samples trained`);
  }
  const shadow = o.shadow ? new DeepShadow(net, resumedShadow) : null;
  const checkpointFile = (o.checkpoint as string | undefined) ?? (o.resume as string | undefined);
  const options = { dataset, hidden: layers, seed, order, gating, noShuffle: !shuffle, trainLimit, epochs };
  const saveCheckpoint = (e: number, k: number, rngState: number[]) => {
    if (!checkpointFile) return;
    const matrices: Record<string, Int16Array> = {};
    for (const m of net.matrices) matrices[m.name] = net.matrix(m.name);
    const meta = { options, history, chipRng: net.chip.prng.saveState(), ...(shadow ? { shadow: shadow.report } : {}) };
    atomicWriteFile(checkpointFile, encodeDeepCheckpoint({ sizes, matrices, epoch: e, sampleInEpoch: k, samplesTrained: trained, seed, rngState, meta }));
  };
  const startTrained = trained;
  const progress = createProgress({ total: epochs * trainLimit, label: 'train', io, quiet });
  const out = new Uint8Array(NUM_CLASSES);
  let trainMs = 0;
  for (; epoch < epochs; epoch++, start = 0) {
    const epochState = rng.saveState();
    const perm = shuffle ? rng.permutation(train.count) : null;
    const half = Math.floor(trainLimit / 2);
    for (let k = start; k < trainLimit; k++) {
      const s = perm ? perm[k] : k;
      const t = Date.now();
      net.trainSample(train.indices, train.offsets[s], train.offsets[s + 1], train.labels[s], shadow ? shadow.record : undefined, out);
      trainMs += Date.now() - t;
      if (shadow) shadow.afterSample(train.indices, train.offsets[s], train.offsets[s + 1], train.labels[s]);
      trained++;
      if (trained % 500 === 0) progress.update(trained, {});
      const boundary = k + 1 === trainLimit ? 1 : k + 1 === half && half > 0 ? 0.5 : 0;
      if (boundary === 0) continue;
      if (testLimit > 0 && (boundary === 1 || o.evalEvery === 'half')) {
        const m = evaluateDeep(net, test, testLimit);
        history.push({ epoch: epoch + boundary, samplesTrained: trained, test: m });
        progress.finish();
        info(`epoch ${(epoch + boundary).toFixed(1)}: argmax(potential) ${(100 * m.accArgmaxPotential).toFixed(2)}%  argmax(spikes) ${(100 * m.accArgmaxSpikes).toFixed(2)}%  exact ${(100 * m.accExact).toFixed(2)}%`);
      }
      if (boundary === 1) saveCheckpoint(epoch + 1, 0, rng.saveState());
      else saveCheckpoint(epoch, k + 1, epochState);
    }
  }
  progress.finish();
  const trainedNow = trained - startTrained;
  if (testLimit > 0 && history.length === 0) history.push({ epoch: 0, samplesTrained: 0, test: evaluateDeep(net, test, testLimit) });
  if (o.saveWeights) atomicWriteFile(o.saveWeights as string, layeredWeightsToJson(net.weights()));
  const finalTest = history.length ? history[history.length - 1].test : null;
  const report = perSample(costReport(chip.counters, chip.latencyNs, constants, { chips, includeStatic: false }), Math.max(1, trainedNow));
  const energyMilliJoule = report.energyPJ.total / 1e9;
  const latencyMs = report.latencyNs / 1e6;
  const msPerSample = trainedNow ? trainMs / trainedNow : 0;
  const result = {
    dataset,
    sizes,
    hiddenLayers: layers.length,
    phasesPerSample: net.phases,
    epochs,
    samplesTrained: trained,
    seed,
    order,
    reward: 'chip',
    gating,
    shadow: shadow ? shadow.report : o.shadow ? emptyShadowReport() : null,
    network: { compartments: stats.compartments, synapses: stats.synapses, plasticSynapses: stats.plasticSynapses, cores: stats.cores },
    test: finalTest,
    history,
    msPerSample,
    wallSeconds: (Date.now() - t0) / 1000,
    counts: chip.counters.totals(),
    chipEstimate:
      trainedNow > 0
        ? { constants: constants.name, energyMilliJoulePerSample: energyMilliJoule, latencyMsPerSample: latencyMs, edpMilliJouleMsPerSample: energyMilliJoule * latencyMs, paper: PAPER.train }
        : null,
  };
  if (io.json) io.out(JSON.stringify(result));
  else {
    io.out(`trained ${trained.toLocaleString('en-US')} samples (${msPerSample.toFixed(3)} ms/sample simulated, ${result.wallSeconds.toFixed(1)} s wall)`);
    io.out(
      finalTest
        ? `test: exact ${(100 * finalTest.accExact).toFixed(2)}%  argmax(spikes) ${(100 * finalTest.accArgmaxSpikes).toFixed(2)}%  argmax(potential) ${(100 * finalTest.accArgmaxPotential).toFixed(2)}%  mse ${finalTest.mse.toFixed(4)}  (${finalTest.samples} test images)`
        : 'test: not evaluated (--test-limit 0)',
    );
    if (result.shadow) io.out(describeShadow(result.shadow));
    if (o.saveWeights) io.out(`weights written to ${o.saveWeights as string}`);
    if (result.chipEstimate) io.out(`on-chip cost estimate (${constants.name}): ${energyMilliJoule.toFixed(3)} mJ and ${latencyMs.toFixed(3)} ms per training sample`);
  }
  return 0;
}
