/**
 * `synfire train --hidden H1,H2,...`: train the L-hidden-layer sBP network on the chip
 * (docs/deep.md) and report the paper's test metrics, energy and latency per sample. The data
 * order is train's (one permutation per epoch from the seed's data stream); the evaluation is
 * the dense integer forward pass through every layer. Options that need the one-layer file
 * formats or the one-layer session (weights, checkpoints, models, shadow, seeds, export) are
 * refused with a one-line message.
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
import { atomicWriteFile, readUserFile } from '../fsutil';
import { layeredWeightsFromJson, layeredWeightsToJson, type LayeredWeights } from '../../src/sbp/weights-file';

/** A layered weight file (synfire-weights/1 with several hidden layers) whose sizes must be `sizes`. */
export function loadLayeredWeights(file: string, sizes: number[]): LayeredWeights {
  const w = layeredWeightsFromJson(new TextDecoder().decode(readUserFile(file, 'weights')), file);
  if (w.sizes.join('-') !== sizes.join('-')) throw new UserError(`${file}: sizes ${w.sizes.join('-')} do not match the network ${sizes.join('-')} (use --hidden ${w.sizes.slice(1, -1).join(',')})`);
  return w;
}
import { createWasmRowSumKernel } from '../wasm-row-sum';

/** The options a deep run does not support, and why (one line each). */
const UNSUPPORTED: Array<[string, string]> = [
  ['saveModel', '--save-model'],
  ['checkpoint', '--checkpoint'],
  ['resume', '--resume'],
  ['plot', '--plot'],
  ['seeds', '--seeds'],
  ['exportNetwork', '--export-network'],
  ['shadow', '--shadow'],
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
  const net = new DeepTrainingChip({
    sizes,
    order,
    gating,
    placement: o.placement as 'paper' | 'pack',
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
  const history: Array<{ epoch: number; samplesTrained: number; test: TestMetrics }> = [];
  const progress = createProgress({ total: epochs * trainLimit, label: 'train', io, quiet });
  const out = new Uint8Array(NUM_CLASSES);
  let trainMs = 0;
  let trained = 0;
  for (let e = 0; e < epochs; e++) {
    const perm = shuffle ? rng.permutation(train.count) : null;
    const half = Math.floor(trainLimit / 2);
    for (let k = 0; k < trainLimit; k++) {
      const s = perm ? perm[k] : k;
      const t = Date.now();
      net.trainSample(train.indices, train.offsets[s], train.offsets[s + 1], train.labels[s], undefined, out);
      trainMs += Date.now() - t;
      trained++;
      if (trained % 500 === 0) progress.update(trained, {});
      const boundary = k + 1 === trainLimit ? 1 : o.evalEvery === 'half' && k + 1 === half && half > 0 ? 0.5 : 0;
      if (boundary > 0 && testLimit > 0) {
        const m = evaluateDeep(net, test, testLimit);
        history.push({ epoch: e + boundary, samplesTrained: trained, test: m });
        progress.finish();
        info(`epoch ${(e + boundary).toFixed(1)}: argmax(potential) ${(100 * m.accArgmaxPotential).toFixed(2)}%  argmax(spikes) ${(100 * m.accArgmaxSpikes).toFixed(2)}%  exact ${(100 * m.accExact).toFixed(2)}%`);
      }
    }
  }
  progress.finish();
  if (testLimit > 0 && history.length === 0) history.push({ epoch: 0, samplesTrained: 0, test: evaluateDeep(net, test, testLimit) });
  if (o.saveWeights) atomicWriteFile(o.saveWeights as string, layeredWeightsToJson(net.weights()));
  const finalTest = history.length ? history[history.length - 1].test : null;
  const report = perSample(costReport(chip.counters, chip.latencyNs, constants, { chips, includeStatic: false }), Math.max(1, trained));
  const energyMilliJoule = report.energyPJ.total / 1e9;
  const latencyMs = report.latencyNs / 1e6;
  const msPerSample = trained ? trainMs / trained : 0;
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
    network: { compartments: stats.compartments, synapses: stats.synapses, plasticSynapses: stats.plasticSynapses, cores: stats.cores },
    test: finalTest,
    history,
    msPerSample,
    wallSeconds: (Date.now() - t0) / 1000,
    counts: chip.counters.totals(),
    chipEstimate:
      trained > 0
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
    if (o.saveWeights) io.out(`weights written to ${o.saveWeights as string}`);
    if (result.chipEstimate) io.out(`on-chip cost estimate (${constants.name}): ${energyMilliJoule.toFixed(3)} mJ and ${latencyMs.toFixed(3)} ms per training sample`);
  }
  return 0;
}
