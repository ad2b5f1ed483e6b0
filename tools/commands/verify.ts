/**
 * `synfire verify`: train on the chip and on the per-sample oracle side by side and check after
 * every sample that every per-phase spike, every plastic weight (all eight matrices) and the
 * active-phase invariants (docs/sbp-network.md) agree (src/sbp/verify.ts). Exits 1 at the first mismatch, naming it.
 */
import { createWasmRowSumKernel } from '../wasm-row-sum';
import { loadDataset } from '../../src/data/datasets';
import { Prng } from '../../src/chip/prng';
import { UserError } from '../../src/errors';
import { initialWeights } from '../../src/sbp/init';
import { MAX_LR_SHIFT } from '../../src/sbp/params';
import { checkWeightsFit, NUM_CLASSES, PLASTIC, type SbpWeights } from '../../src/sbp/matrices';
import { weightsFromJson } from '../../src/sbp/weights-file';
import { verifyRun, type Mismatch } from '../../src/sbp/verify';
import { loadWeightsArg } from '../model-file';
import { DEFAULT_GATING, GATINGS, type Gating } from '../../src/sbp/gating';
import { checkErrorWindow, checkTargetTop } from '../../src/sbp/error-window';
import type { Command, CliIO } from '../cli';
import { createProgress, formatCount } from '../progress';
import { DEFAULT_HIDDEN, errorWindowOptions, hiddenListOption, hiddenSizes } from './options';
import { deepInitialWeights, deepVerify } from '../../src/sbp/deep-training';
import { loadLayeredWeights } from './train-deep';

/** Seed mix of the data-order stream, so it is independent of the weight stream of the same seed. */
const DATA_SEED_MIX = 0x5bd1e995;

export const command: Command = {
  spec: {
    name: 'verify',
    summary:
      'Check that the spiking training network computes exactly the integer backprop of the per-sample oracle (docs/sbp-network.md): every per-phase spike, every plastic weight and the active-phase invariants, after every sample.',
    usage: '[--dataset mnist|fashion] [--samples N] [--seed S] [options]',
    options: [
      { name: 'dataset', type: 'choice', choices: ['mnist', 'fashion'], default: 'mnist', help: 'MNIST (400 inputs, 20x20 crop) or Fashion-MNIST (784 inputs); training split' },
      { name: 'samples', type: 'int', default: 1000, min: 1, max: 100000000, metavar: 'N', help: 'training samples to verify' },
      { name: 'seed', type: 'int', default: 1, min: 0, max: 4294967295, metavar: 'S', help: 'seed of the initial weights and of the data order' },
      { name: 'order', type: 'choice', choices: ['chip', 'reference'], default: 'chip', help: "step ordering: 'chip' (route, then learn: backprop reads W2 before the update) or 'reference' (learn, then route: the authors' numpy order)" },
      hiddenListOption(true),
      { name: 'reward', type: 'choice', choices: ['chip', 'host'], default: 'chip', help: "reward source: the gating chain on the chip, or a host spike schedule" },
      { name: 'lr-shift', type: 'int', default: 0, min: 0, max: MAX_LR_SHIFT, metavar: 'K', help: 'verify a learning step of 2^-K LSB (train --lr-halving): every update a stochastic rounding, the oracle drawing from rounding streams it seeds itself' },
      ...errorWindowOptions('verify a chip that counts'),
      { name: 'gating', type: 'choice', choices: GATINGS, default: DEFAULT_GATING, help: "'robust': headroom proven for every reachable weight matrix (docs/gating.md); 'paper': the authors' gate weights, inhibition and exponents" },
      { name: 'kernel', type: 'choice', choices: ['wasm', 'js', 'naive'], default: 'wasm', help: "chip simulation kernel: the fast kernel with its WebAssembly SIMD parts ('wasm', what train runs) or in portable JavaScript ('js'), or 'naive' (every synapse, every copy in its own memory)" },
      { name: 'no-shuffle', type: 'flag', help: 'take the samples in file order instead of a seeded permutation' },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory with the IDX files' },
      { name: 'load-weights', type: 'string', metavar: 'F.json', help: 'start from these weights (synfire-weights/1) instead of the seed initialization' },
      { name: 'keep-going', type: 'flag', help: 'count spike differences and broken invariants instead of stopping at the first; stop only when a weight differs from the oracle' },
      { name: 'quiet', type: 'flag', help: 'no progress output' },
    ],
    examples: ['synfire verify --samples 2000', 'synfire verify --hidden 400,400 --samples 2000', 'synfire verify --dataset fashion --samples 500 --order reference --json'],
  },
  run(o, io) {
    return runVerify(o, io);
  },
};

/**
 * The dataset indices of the first `n` training samples: successive independent permutations
 * of the whole set (as the authors concatenate epochs), or file order, cycling.
 */
export function sampleOrder(count: number, n: number, seed: number, shuffle: boolean): Uint32Array {
  const out = new Uint32Array(n);
  if (!shuffle) {
    for (let k = 0; k < n; k++) out[k] = k % count;
    return out;
  }
  const rng = new Prng((seed ^ DATA_SEED_MIX) >>> 0);
  for (let k = 0; k < n; k += count) {
    const perm = rng.permutation(count);
    const take = Math.min(count, n - k);
    for (let i = 0; i < take; i++) out[k + i] = perm[i];
  }
  return out;
}

/** A mismatch as one line: where it is and what was expected. */
export function describeMismatch(m: Mismatch): string {
  const where =
    m.phase >= 0
      ? `phase ${m.phase}, group ${m.group}, neuron ${m.index}`
      : `weights after the sample, matrix ${m.group}, post ${m.post} pre ${m.pre} (index ${m.index})`;
  const kind = m.kind === 'inactive' || m.kind === 'gate' ? 'invariant violated' : 'mismatch';
  return `${kind} at sample ${m.sample} (dataset index ${m.datasetIndex}), ${where}: expected ${m.expected}, got ${m.actual} (${m.what})`;
}

async function runVerify(o: Record<string, unknown>, io: CliIO): Promise<number> {
  const layers = hiddenSizes(o.hidden);
  if (layers && layers.length > 1) return runDeepVerify(o, io, layers);
  // weights first: a bad file must fail before the dataset is loaded (a model file also sets options)
  const model = o.loadWeights !== undefined ? loadWeightsArg(o.loadWeights as string, o, command.spec) : null;
  const dataset = o.dataset as 'mnist' | 'fashion';
  const n = o.samples as number;
  const seed = o.seed as number;
  const order = o.order as 'chip' | 'reference';
  const reward = o.reward as 'chip' | 'host';
  const kernel = o.kernel as 'wasm' | 'js' | 'naive';
  const gating = o.gating as Gating;
  const errorWindow = o.errorWindow as number;
  checkErrorWindow(errorWindow, '--error-window');
  const targetTop = o.targetTop as number;
  checkTargetTop(targetTop, '--target-top');
  const shuffle = !(o.noShuffle as boolean);
  const quiet = (o.quiet as boolean) || io.json;

  const loaded: SbpWeights | null = model ? model.weights : null;
  const file = model ? model.file : undefined;
  const train = loadDataset(dataset, 'train', { dataDir: o.dataDir as string | undefined });

  let hidden = layers ? layers[0] : undefined;
  if (loaded) hidden = checkWeightsFit(loaded, file as string, { name: dataset, numInputs: train.numInputs }, hidden).hidden;
  hidden = hidden ?? DEFAULT_HIDDEN;
  const sizes = { input: train.numInputs, hidden, output: NUM_CLASSES };
  const weights = loaded ?? initialWeights(sizes, seed);
  const indices = sampleOrder(train.count, n, seed, shuffle);

  const label = `${dataset} ${sizes.input}-${sizes.hidden}-${sizes.output}`;
  if (!quiet) io.err(`synfire verify: ${formatCount(n)} ${label} samples, order ${order}, reward ${reward}, gating ${gating}, kernel ${kernel}, seed ${seed}${o.lrShift ? `, learning step 2^-${o.lrShift as number} LSB` : ''}${errorWindow || targetTop !== 512 ? `, missed-target window (-${errorWindow}, ${targetTop}]` : ''}${file ? `, weights ${file}` : ''}${shuffle ? '' : ', file order'}`);
  const progress = createProgress({ total: n, label: 'verify', io, quiet });
  const r = verifyRun({
    sizes,
    order,
    reward,
    kernel: kernel === 'naive' ? 'naive' : 'fast',
    rowSum: kernel === 'wasm' ? createWasmRowSumKernel : undefined,
    weights,
    samples: { dataset: train, indices },
    keepGoing: o.keepGoing as boolean,
    gating,
    lrShift: o.lrShift as number,
    errorWindow,
    targetTop,
    onSample(done, bad) {
      progress.update(done, { mismatches: String(bad) });
    },
  });
  progress.finish();
  const failed = r.mismatches + r.invariantViolations > 0;

  if (io.json) {
    io.out(
      JSON.stringify({
        samples: r.samples,
        mismatches: r.mismatches,
        invariantViolations: r.invariantViolations,
        firstMismatch: r.firstMismatch ?? null,
        samplesWithDiscrepancies: r.samplesWithDiscrepancies ?? 0,
        firstWeightMismatch: r.firstWeightMismatch ?? null,
        requestedSamples: n,
        dataset,
        sizes: [sizes.input, sizes.hidden, sizes.output],
        order,
        reward,
        gating,
        errorWindow,
        targetTop,
        kernel,
        seed,
        shuffle,
        weights: file ?? null,
        copiesEqual: r.copiesEqual,
        saturatedLow: r.saturatedLow,
        saturatedHigh: r.saturatedHigh,
        pmAsymmetry: r.pmAsymmetry,
        spikeChecks: r.spikeChecks,
        weightChecks: r.weightChecks,
        activity: r.activity,
        msPerSample: r.msPerSample,
        wallSeconds: r.wallSeconds,
      }),
    );
  } else {
    const a = r.activity;
    io.out(`verified ${formatCount(r.samples)} of ${formatCount(n)} samples (${label}, order ${order}, reward ${reward}, gating ${gating}, kernel ${kernel}, seed ${seed})`);
    io.out(`  oracle mismatches: ${r.mismatches} (spikes compared ${formatCount(r.spikeChecks)}, weights compared ${formatCount(r.weightChecks)})`);
    io.out(`  active-phase invariant violations: ${r.invariantViolations}; W1 and W2 copies equal: ${r.copiesEqual ? 'yes' : 'NO'}`);
    if (o.keepGoing)
      io.out(
        `  samples with any discrepancy: ${formatCount(r.samplesWithDiscrepancies ?? 0)}; weights ${r.firstWeightMismatch ? `first differ from the oracle at sample ${r.firstWeightMismatch.sample}` : 'equal the oracle throughout'}`,
      );
    io.out(`  exercised: d+ ${formatCount(a.dPos)}${errorWindow ? ` (${formatCount(a.dPosWindow)} of them at a potential <= 0, in the wider window)` : ''}${targetTop !== 512 ? ` (${formatCount(a.dPosMargin)} on a target that fired, in the margin)` : ''}, d- ${formatCount(a.dNeg)}, d1+ ${formatCount(a.d1Pos)}, d1- ${formatCount(a.d1Neg)} spikes`);
    io.out(`  at the end: ${formatCount(r.saturatedLow)} weights at ${PLASTIC.min}, ${formatCount(r.saturatedHigh)} at +${PLASTIC.max}; P != -M at ${formatCount(r.pmAsymmetry)} entries`);
    io.out(`  ${r.msPerSample.toFixed(3)} ms/sample, ${r.wallSeconds.toFixed(1)} s`);
  }
  if (failed) {
    const m = r.firstMismatch as Mismatch;
    io.err(`synfire verify: FAILED: ${describeMismatch(m)}`);
    return 1;
  }
  if (!io.json) io.out('OK: the spiking network equals the oracle bit for bit');
  return 0;
}

/** verify for several hidden layers (docs/deep.md): the deep network against the deep oracle. */
function runDeepVerify(o: Record<string, unknown>, io: CliIO, layers: number[]): number {
  if (o.reward !== 'chip') throw new UserError('verify: several hidden layers take the reward from the gating chain only (--reward chip)', 2);
  if (o.keepGoing) throw new UserError('verify: --keep-going is for one hidden layer; several hidden layers stop at the first discrepancy', 2);
  if (o.lrShift !== 0) throw new UserError('verify: --lr-shift is for one hidden layer', 2);
  if (o.errorWindow !== 0) throw new UserError('verify: --error-window is for one hidden layer', 2);
  if (o.targetTop !== 512) throw new UserError('verify: --target-top is for one hidden layer', 2);
  const dataset = o.dataset as 'mnist' | 'fashion';
  const n = o.samples as number;
  const seed = o.seed as number;
  const order = o.order as 'chip' | 'reference';
  const kernel = o.kernel as 'wasm' | 'js' | 'naive';
  const gating = o.gating as Gating;
  const shuffle = !(o.noShuffle as boolean);
  const quiet = (o.quiet as boolean) || io.json;
  const train = loadDataset(dataset, 'train', { dataDir: o.dataDir as string | undefined });
  const sizes = [train.numInputs, ...layers, NUM_CLASSES];
  const loaded = o.loadWeights !== undefined ? loadLayeredWeights(o.loadWeights as string, sizes) : null;
  const label = `${dataset} ${sizes.join('-')}`;
  if (!quiet) io.err(`synfire verify: ${formatCount(n)} ${label} samples, order ${order}, gating ${gating}, kernel ${kernel}, seed ${seed}${shuffle ? '' : ', file order'}`);
  const progress = createProgress({ total: n, label: 'verify', io, quiet });
  const r = deepVerify({
    sizes,
    order,
    gating,
    kernel: kernel === 'naive' ? 'naive' : 'fast',
    rowSum: kernel === 'wasm' ? createWasmRowSumKernel : undefined,
    weights: loaded ? loaded.w : deepInitialWeights(sizes, seed),
    transposed: loaded ?? undefined,
    dataset: train,
    indices: sampleOrder(train.count, n, seed, shuffle),
    onSample(done, bad) {
      progress.update(done, { mismatches: String(bad) });
    },
  });
  progress.finish();
  const failed = r.mismatches + r.invariantViolations > 0;
  if (io.json) {
    io.out(
      JSON.stringify({
        samples: r.samples,
        mismatches: r.mismatches,
        invariantViolations: r.invariantViolations,
        firstMismatch: r.first,
        requestedSamples: n,
        dataset,
        sizes,
        order,
        gating,
        kernel,
        seed,
        shuffle,
        spikeChecks: r.spikeChecks,
        weightChecks: r.weightChecks,
        errorSpikes: r.errors.map(([layer, pos, neg]) => ({ layer, pos, neg })),
        msPerSample: r.msPerSample,
      }),
    );
  } else {
    io.out(`verified ${formatCount(r.samples)} of ${formatCount(n)} samples (${label}, order ${order}, gating ${gating}, kernel ${kernel}, seed ${seed})`);
    io.out(`  oracle mismatches: ${r.mismatches} (spikes compared ${formatCount(r.spikeChecks)}, weights compared ${formatCount(r.weightChecks)})`);
    io.out(`  active-phase invariant violations: ${r.invariantViolations}`);
    io.out(`  exercised error spikes (+/-): ${r.errors.map(([l, p, q]) => `${l === sizes.length - 1 ? 'output' : `h${l}`} ${formatCount(p)}/${formatCount(q)}`).join(', ')}`);
    io.out(`  ${r.msPerSample.toFixed(3)} ms/sample`);
  }
  if (failed) {
    io.err(`synfire verify: FAILED: ${r.first}`);
    return 1;
  }
  if (!io.json) io.out('OK: the spiking network equals the deep oracle bit for bit');
  return 0;
}
