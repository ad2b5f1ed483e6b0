/**
 * `synfire train`: train the sBP network on the chip, evaluate it with the paper's metrics,
 * and report accuracy, energy and latency. Checkpoints every half epoch (atomic, CRC-checked),
 * resumes exactly, saves and loads weight files, draws learning curves.
 */
import { existsSync } from 'node:fs';
import { loadDataset, loadShiftedCrops } from '../../src/data/datasets';
import { MAX_SHIFT } from '../../src/data/preprocess';
import { costReport, perSample } from '../../src/energy/model';
import { attachTimeModel, resetMeasurement } from '../../src/energy/report';
import { camelCase, wasGiven } from '../args';
import { getConstants, DEFAULT_CONSTANTS, PAPER } from '../../src/energy/constants';
import { UserError } from '../../src/errors';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/sbp/checkpoint';
import { initialWeights } from '../../src/sbp/init';
import { checkSizesMatch, NUM_CLASSES, type SbpWeights } from '../../src/sbp/matrices';
import { weightsToJson } from '../../src/sbp/weights-file';
import { trainingNetworkFile, type TrainingSample } from '../../src/sbp/export';
import { networkFileToJson } from '../../src/net/network-file';
import { modelToJson, type ModelInfo } from '../../src/sbp/model';
import { loadWeightsArg } from '../model-file';
import { DEFAULT_GATING, GATINGS, type Gating } from '../../src/sbp/gating';
import { checkErrorWindow, checkTargetTop, type TargetTop } from '../../src/sbp/error-window';
import type { TestMetrics } from '../../src/sbp/inference';
import { checkLrHalvings, halvingStart, TrainingSession, type SessionOptions } from '../../src/sbp/session';
import { describeShadow, emptyShadowReport } from '../../src/sbp/shadow-checks';
import { lineChart } from '../../src/viz/svg';
import type { Command, CliIO } from '../cli';
import { atomicWriteFile, readUserFile } from '../fsutil';
import { createProgress } from '../progress';
import { createWasmRowSumKernel } from '../wasm-row-sum';
import { EvalPool } from '../eval-pool';
import { BOARDS, boardNames } from '../../boards/profiles';
import { errorWindowOptions, hiddenListOption, hiddenSizes } from './options';
import { deepCheckpointLayers, runDeepTrain } from './train-deep';
import type { Placement } from '../../src/sbp/training';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function metricsLine(m: TestMetrics): string {
  const dead = m.deadOutputs
    ? `  dead output${m.deadOutputs.length > 1 ? 's' : ''} ${m.deadOutputs.join(', ')} (potential <= 0 on every test image of its class: sBP's error cannot revive it; docs/sbp-network.md)`
    : '';
  return `exact ${pct(m.accExact)}  argmax(spikes) ${pct(m.accArgmaxSpikes)}  argmax(potential) ${pct(m.accArgmaxPotential)}  mse ${m.mse.toFixed(4)}  (${m.samples} test images)${dead}`;
}

export const command: Command = {
  spec: {
    name: 'train',
    summary: 'Train the sBP network on the chip and report accuracy, energy and latency.',
    usage: '[--dataset mnist|fashion] [--epochs E] [--seeds S1,S2,... --workers N] [options]',
    options: [
      { name: 'dataset', type: 'choice', choices: ['mnist', 'fashion'], default: 'mnist', help: 'MNIST (400 inputs, 20x20 crop) or Fashion-MNIST (784 inputs)' },
      hiddenListOption(false),
      { name: 'epochs', type: 'int', default: 1, min: 0, max: 1000, metavar: 'E', help: 'epochs to train' },
      { name: 'train-limit', type: 'int', min: 0, help: 'training samples per epoch (default: the whole training set)' },
      { name: 'test-limit', type: 'int', default: 10000, min: 0, metavar: 'N', help: 'test images per evaluation (0: no evaluation at all)' },
      { name: 'seed', type: 'int', default: 1, min: 0, max: 4294967295, help: 'seed of the initial weights and the data order' },
      { name: 'no-shuffle', type: 'flag', help: 'take the training samples in file order instead of a new permutation per epoch' },
      { name: 'order', type: 'choice', choices: ['chip', 'reference'], default: 'chip', help: "step ordering: 'chip' (route, then learn) or 'reference' (learn, then route: the authors' numpy order)" },
      { name: 'reward', type: 'choice', choices: ['chip', 'host'], default: 'chip', help: "reward source: the gating chain on the chip, or a host spike schedule (the authors' Loihi 1 workaround)" },
      { name: 'gating', type: 'choice', choices: GATINGS, default: DEFAULT_GATING, help: "'robust': headroom proven for every reachable weight matrix (docs/gating.md); 'paper': the authors' gate weights, inhibition and exponents" },
      { name: 'placement', type: 'choice', choices: ['paper', 'pack', 'spread'], default: 'paper', help: "core placement: the authors' core ranges (packed when they do not hold the network), packed, or spread over the chip's cores (docs/chip-model.md)" },
      { name: 'board', type: 'choice', choices: boardNames(), default: 'loihi1', help: 'board profile: chip limits, number of chips, energy constants' },
      { name: 'chips', type: 'int', min: 1, max: 16384, help: "chips in the system (default: the board's)" },
      { name: 'eval-every', type: 'choice', choices: ['half', 'epoch'], default: 'half', help: 'evaluate every half epoch or every epoch' },
      { name: 'eval-on', type: 'choice', choices: ['dense', 'chip'], default: 'dense', help: 'evaluate with the dense integer path or the 4-phase inference network on the chip (identical results, proven by a test)' },
      { name: 'kernel', type: 'choice', choices: ['wasm', 'js'], default: 'wasm', help: "row sums in WebAssembly SIMD (Node) or in the portable JavaScript kernel (identical results)" },
      { name: 'constants', type: 'string', metavar: 'NAME', help: `energy constant set for the energy and latency estimate (default: the board's, ${DEFAULT_CONSTANTS})` },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory with the IDX files (Fashion-MNIST; default: Debian dataset-fashion-mnist)' },
      { name: 'load-weights', type: 'string', metavar: 'F.json', help: 'start from these weights instead of the seed initialization' },
      { name: 'save-weights', type: 'string', metavar: 'F.json', help: 'write the final weights (synfire-weights/1 JSON)' },
      { name: 'model-note', type: 'string', metavar: 'TEXT', help: "with --save-model: the training command to record (default: this command's options)" },
      { name: 'save-model', type: 'string', metavar: 'F.json', help: 'write the final weights as a model: a weight file that also records the dataset, gating, order, reward, test metrics and training command (models/README.md)' },
      { name: 'checkpoint', type: 'string', metavar: 'F', help: 'write a checkpoint every half epoch (atomically)' },
      { name: 'resume', type: 'string', metavar: 'F', help: 'continue exactly where this checkpoint left off' },
      { name: 'plot', type: 'string', metavar: 'F.svg', help: 'draw the learning curves' },
      { name: 'shift', type: 'int', min: 0, max: MAX_SHIFT, default: 0, metavar: 'R', help: 'train on shifted crops: each training sample of each epoch is binarized through a crop window moved by up to R pixels in each direction, the position drawn from the data order\'s generator; the test set is never shifted (docs/sbp-network.md)' },
      { name: 'lr-halving', type: 'string', metavar: 'E1,E2,...', help: 'halve the expected learning step at these epochs (multiples of 0.5, at most 6 of them): the learning engine then moves a weight by one LSB with probability 1/2, 1/4, ... (stochastic rounding; docs/sbp-network.md)' },
      { name: 'lr-warmup', type: 'number', min: 0, max: 1000, default: 0, metavar: 'E', help: 'halve the learning step once more until epoch E (a multiple of 0.5), on top of --lr-halving: the step doubles at E (docs/sbp-network.md)' },
      ...errorWindowOptions('count'),
      { name: 'shadow', type: 'flag', help: 'run the integer oracle in lock step beside the chip: count the samples after which a weight left the oracle (departures) and the spikes outside their phases' },
      { name: 'quiet', type: 'flag', help: 'no progress output' },
      { name: 'seeds', type: 'string', metavar: 'S1,S2,...', help: 'train one run per seed (file options get a .s<seed> suffix) and report mean and spread' },
      { name: 'export-network', type: 'string', metavar: 'F.json', help: 'also write the training network, its initial weights and the input spikes of this run as a network file (one epoch of at most 10,000 samples); `synfire run` on it gives the same spikes and counters' },
      { name: 'workers', type: 'int', default: 1, min: 1, max: 64, help: 'worker threads: the seeds of --seeds in parallel, or else the shards of each test-set evaluation (results are identical to one worker)' },
    ],
    examples: ['synfire train', 'synfire train --hidden 400,400 --epochs 1', 'synfire train --dataset fashion --epochs 5 --checkpoint fashion.ckpt --plot fashion.svg', 'synfire train --train-limit 0 --save-weights init.json'],
  },
  run(o, io) {
    if (o.testLimit === 0 && o.plot !== undefined) throw new UserError('--plot draws learning curves from the evaluations, and --test-limit 0 makes none', 2);
    let layers = hiddenSizes(o.hidden) as number[];
    // a checkpoint of several hidden layers resumes as such without --hidden
    if (o.resume !== undefined && !wasGiven(o, 'hidden')) layers = deepCheckpointLayers(o.resume as string) ?? layers;
    if (layers.length > 1) {
      if ((o.shift as number) > 0) throw new UserError('--shift: shifted crops train one hidden layer; drop --shift or give --hidden H', 2);
      if ((o.lrWarmup as number) > 0) throw new UserError('--lr-warmup: the learning-rate schedule is for one hidden layer; drop --lr-warmup or give --hidden H', 2);
      if ((o.errorWindow as number) > 0) throw new UserError('--error-window: the wider error window is for one hidden layer; drop --error-window or give --hidden H', 2);
      if (o.targetTop !== 512) throw new UserError('--target-top: the target margin is for one hidden layer; drop --target-top or give --hidden H', 2);
      return runDeepTrain(o, io, layers);
    }
    if (o.seeds !== undefined) return runSeeds(o, io);
    return runTrain(o, io);
  },
};

/** Per-seed file name: train.ckpt -> train.s3.ckpt. */
function withSeed(file: string, seed: number): string {
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  return dot > slash + 1 ? `${file.slice(0, dot)}.s${seed}${file.slice(dot)}` : `${file}.s${seed}`;
}

/** `--seeds`: one independent run per seed, in worker threads, then mean and spread. */
async function runSeeds(o: Record<string, unknown>, io: CliIO): Promise<number> {
  const seeds = String(o.seeds)
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
    .map((x) => {
      const n = Number(x);
      if (!(Number.isInteger(n) && n >= 0 && n <= 4294967295)) throw new UserError(`--seeds: '${x}' is not a seed (an integer 0..4294967295)`, 2);
      return n;
    });
  if (seeds.length === 0) throw new UserError('--seeds: give at least one seed, e.g. --seeds 1,2,3', 2);
  const fileOpts = new Set(['checkpoint', 'resume', 'save-weights', 'save-model', 'plot', 'load-weights']);
  const jobs = seeds.map((seed) => {
    const argv = ['train'];
    for (const spec of command.spec.options) {
      if (spec.name === 'seeds' || spec.name === 'workers' || spec.name === 'seed' || spec.name === 'quiet') continue;
      const key = camelCase(spec.name);
      const v = o[key];
      // (defaults stay implicit, so a model file named by --load-weights can set them in each run)
      if (v === undefined || v === false || v === spec.default) continue;
      if (spec.type === 'flag') argv.push(`--${spec.name}`);
      else argv.push(`--${spec.name}`, fileOpts.has(spec.name) && spec.name !== 'load-weights' ? withSeed(String(v), seed) : String(v));
    }
    argv.push('--seed', String(seed), '--json', '--quiet');
    return argv;
  });
  const { runInWorkers } = await import('../pool');
  const workers = o.workers as number;
  if (!io.json) io.err(`training ${seeds.length} seed(s) in ${Math.min(workers, seeds.length)} worker(s)...`);
  const results = await runInWorkers(jobs, workers, (i, r) => {
    if (!io.json) io.err(`seed ${seeds[i]} finished (exit ${r.code})`);
  });
  const failed = results.findIndex((r) => r.code !== 0);
  if (failed >= 0) throw new UserError(`seed ${seeds[failed]} failed: ${results[failed].stderr.trim() || results[failed].stdout.trim()}`);
  const runs = results.map((r) => JSON.parse(r.stdout) as { test: TestMetrics | null; history: Array<{ epoch: number; test: TestMetrics }>; msPerSample: number });
  if (o.testLimit === 0) {
    // --test-limit 0: nothing was evaluated, so there is nothing to average
    const out = { seeds, workers, runs, summary: null, perEvaluation: [] };
    if (io.json) io.out(JSON.stringify(out));
    else for (const s of seeds) io.out(`seed ${s}: trained, not evaluated (--test-limit 0)`);
    return 0;
  }
  const tests = runs.map((r) => r.test as TestMetrics);
  const keys = ['accExact', 'accArgmaxSpikes', 'accArgmaxPotential', 'mse'] as const;
  const stat = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (xs.length - 1)) : 0;
    return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
  };
  const summary: Record<string, ReturnType<typeof stat>> = {};
  for (const k of keys) summary[k] = stat(tests.map((t) => t[k]));
  const perEvaluation = runs[0].history.map((h, e) => {
    const row: Record<string, unknown> = { epoch: h.epoch };
    for (const k of keys) row[k] = stat(runs.map((r) => (r.history[e] ? r.history[e].test[k] : NaN)));
    return row;
  });
  const out = { seeds, workers, runs, summary, perEvaluation };
  if (io.json) io.out(JSON.stringify(out));
  else {
    for (let i = 0; i < seeds.length; i++) io.out(`seed ${seeds[i]}: ${metricsLine(tests[i])}`);
    io.out(
      `mean ± sd over ${seeds.length} seeds: exact ${pct(summary.accExact.mean)} ± ${pct(summary.accExact.sd)}, argmax(spikes) ${pct(summary.accArgmaxSpikes.mean)} ± ${pct(summary.accArgmaxSpikes.sd)}, argmax(potential) ${pct(summary.accArgmaxPotential.mean)} ± ${pct(summary.accArgmaxPotential.sd)}`,
    );
  }
  return 0;
}

async function runTrain(o: Record<string, unknown>, io: CliIO): Promise<number> {
  const t0 = Date.now();
  const quiet = (o.quiet as boolean) || io.json;
  const info = (s: string) => {
    if (!quiet) io.err(s);
  };
  const board = BOARDS[o.board as string];
  const constants = getConstants((o.constants as string | undefined) ?? board.constants);

  // resume first: a bad checkpoint must fail before anything is written
  let resumed: ReturnType<typeof decodeCheckpoint> | null = null;
  if (o.resume) resumed = decodeCheckpoint(readUserFile(o.resume as string, 'checkpoint'), o.resume as string);
  const meta = resumed ? (resumed.meta as { options?: Record<string, unknown> }) : null;
  const prev = meta && meta.options ? meta.options : {};
  // a resumed run continues with the options it was started with, unless overridden... except
  // the ones that define the trajectory, which must match
  if (resumed) {
    // checkpoints from before --shift existed trained on the fixed crop
    if (prev.shift === undefined) prev.shift = 0;
    // and those from before --lr-warmup existed had none
    if (prev.lrWarmup === undefined) prev.lrWarmup = 0;
    // and those from before --error-window existed had the paper's
    if (prev.errorWindow === undefined) prev.errorWindow = 0;
    prev.targetTop = Number(prev.targetTop ?? 512);
    for (const key of ['dataset', 'seed', 'order', 'reward', 'noShuffle', 'trainLimit', 'hidden', 'gating', 'shift', 'lrWarmup', 'errorWindow', 'targetTop'] as const) {
      if (prev[key] !== undefined && o[key] !== undefined && o[key] !== prev[key] && o[key] !== defaultOf(key))
        throw new UserError(`--resume: option ${key} = ${String(o[key])} differs from the checkpoint's ${String(prev[key])}`);
      if (prev[key] !== undefined) o[key] = prev[key];
    }
    // checkpoints from before --gating existed were trained with the authors' gating
    if (prev.gating === undefined && !wasGiven(o, 'gating')) o.gating = 'paper';
  }
  // the learning-rate schedule: a resumed run keeps the checkpoint's unless given (checked against it below)
  const scheduleGiven = o.lrHalving !== undefined;
  if (resumed && !scheduleGiven) o.lrHalving = prev.lrHalving;
  // (a bad schedule fails before the data is loaded)
  const warmup = o.lrWarmup as number;
  const halvings = lrHalvings(o.lrHalving as string | undefined, warmup);
  // a model file (src/sbp/model.ts) sets the options it records before the data is chosen
  const loaded = o.loadWeights ? loadWeightsArg(o.loadWeights as string, o, command.spec) : null;
  const errorWindow = o.errorWindow as number;
  checkErrorWindow(errorWindow, '--error-window');
  const targetTop = o.targetTop as number;
  checkTargetTop(targetTop, '--target-top');
  const dataset = o.dataset as 'mnist' | 'fashion';

  const train = loadDataset(dataset, 'train', { dataDir: o.dataDir as string | undefined });
  const test = loadDataset(dataset, 'test', { dataDir: o.dataDir as string | undefined });
  const shiftRadius = o.shift as number;
  const shift = shiftRadius > 0 ? loadShiftedCrops(dataset, 'train', { dataDir: o.dataDir as string | undefined, radius: shiftRadius }) : undefined;
  const hidden = o.hidden as number;
  const sizes = { input: train.numInputs, hidden, output: NUM_CLASSES };
  const trainLimit = (o.trainLimit as number | undefined) ?? train.count;
  if (trainLimit > train.count) throw new UserError(`--train-limit ${trainLimit} exceeds the ${train.count} training samples of ${dataset}`);
  // a new schedule may change only after the checkpoint: the halvings up to it made the run so far
  if (resumed && scheduleGiven) {
    const position = resumed.epoch * trainLimit + resumed.sampleInEpoch;
    // the halvings some sample before the checkpoint was trained with
    const before = (h: number[]) => h.filter((e) => halvingStart(e, trainLimit) < position).join(',');
    const was = lrHalvings(prev.lrHalving as string | undefined);
    if (before(was) !== before(halvings))
      throw new UserError(`--resume: --lr-halving ${String(o.lrHalving)} changes the schedule before the checkpoint (epoch ${resumed.epoch + resumed.sampleInEpoch / Math.max(1, trainLimit)}), which had ${was.length ? was.join(',') : 'no halvings'}`, 2);
  }
  const seed = o.seed as number;

  let weights: SbpWeights;
  if (loaded) {
    weights = loaded.weights;
    checkSizesMatch(weights, loaded.file, sizes);
  } else weights = initialWeights(sizes, seed);

  const sopts: SessionOptions = {
    sizes,
    seed,
    order: o.order as 'chip' | 'reference',
    reward: o.reward as 'chip' | 'host',
    placement: o.placement as Placement,
    chips: (o.chips as number | undefined) ?? board.chips,
    limits: board.limits,
    epochs: o.epochs as number,
    trainLimit,
    testLimit: o.testLimit as number,
    shuffle: !(o.noShuffle as boolean),
    evalEvery: o.evalEvery as 'half' | 'epoch',
    evalOn: o.evalOn as 'chip' | 'dense',
    rowSum: o.kernel === 'wasm' ? createWasmRowSumKernel : undefined,
    gating: o.gating as Gating,
    shadow: o.shadow as boolean,
    lrHalvings: halvings,
    lrWarmup: warmup,
    errorWindow,
    targetTop,
    shift,
  };
  const session = new TrainingSession(sopts, train, test, weights);
  if (resumed) {
    checkSizesMatch(resumed, o.resume as string, sizes, 'checkpoint sizes');
    session.restore(resumed);
    info(`resumed from ${o.resume as string}: epoch ${resumed.epoch}, sample ${resumed.sampleInEpoch}, ${resumed.samplesTrained} samples trained`);
  }
  if (o.exportNetwork !== undefined) {
    if (resumed) throw new UserError('--export-network: export from the start of a run, not with --resume', 2);
    if (shift) throw new UserError('--export-network: the file holds the fixed crops; drop --shift', 2);
    if (sopts.epochs !== 1 || trainLimit > 10000) throw new UserError(`--export-network: the file holds one epoch of at most 10,000 samples; use --epochs 1 and --train-limit N (got ${sopts.epochs} epoch(s) of ${trainLimit})`, 2);
    const samples: TrainingSample[] = [];
    for (let k = 0; k < trainLimit; k++) {
      session.sampleInEpoch = k;
      const i = session.nextIndex();
      samples.push({ active: train.indices.subarray(train.offsets[i], train.offsets[i + 1]), label: train.labels[i] });
    }
    session.sampleInEpoch = 0;
    const file = trainingNetworkFile({ weights, samples, order: sopts.order, reward: sopts.reward, placement: sopts.placement, limits: sopts.limits, chips: sopts.chips, gating: sopts.gating, errorWindow, targetTop });
    atomicWriteFile(o.exportNetwork as string, networkFileToJson(file));
    info(`network file written to ${o.exportNetwork as string} (${trainLimit} samples)`);
  }
  const chip = session.net.chip;
  // the same time model and measurement window as `synfire profile` (startup steps excluded)
  attachTimeModel(session.net.compiled, constants);
  resetMeasurement(chip);
  const stats = session.net.compiled.stats;
  info(
    `synfire train: ${dataset} ${sizes.input}-${sizes.hidden}-${sizes.output} on ${stats.cores} cores (${stats.compartments.toLocaleString('en-US')} compartments, ${stats.synapses.toLocaleString('en-US')} synapses, ${stats.plasticSynapses.toLocaleString('en-US')} plastic), ${sopts.epochs} epoch(s) of ${trainLimit.toLocaleString('en-US')} samples, seed ${seed}, order ${sopts.order}, gating ${sopts.gating}${errorWindow || targetTop !== 512 ? `, missed-target window (-${errorWindow}, ${targetTop}]` : ''}`,
  );

  // --workers N > 1 (one seed): each evaluation is split over N worker threads
  const workers = o.workers as number;
  // --test-limit 0: no evaluation at all (no history, no final metrics)
  const evaluating = session.testCount > 0;
  const pool = workers > 1 && evaluating ? EvalPool.start(workers, { sizes, evalOn: sopts.evalOn, placement: sopts.placement, chips: sopts.chips, gating: sopts.gating, wasm: o.kernel === 'wasm' }, test) : null;
  let evalMs = 0;
  const record = async () => {
    const t = Date.now();
    const e = pool ? session.record(await pool.evaluate(session.net.matrix('w1'), session.net.matrix('w2'), session.testCount)) : session.record();
    evalMs += Date.now() - t;
    return e;
  };
  try {
    return await trainAndReport();
  } finally {
    if (pool) await pool.close();
  }

  async function trainAndReport(): Promise<number> {
    const checkpointFile = (o.checkpoint as string | undefined) ?? (o.resume as string | undefined);
    const options = { dataset, hidden, seed, order: sopts.order, reward: sopts.reward, gating: sopts.gating, noShuffle: !sopts.shuffle, trainLimit, epochs: sopts.epochs, lrHalving: o.lrHalving, shift: shiftRadius, lrWarmup: warmup, errorWindow, targetTop };
    const saveCheckpoint = () => {
      if (!checkpointFile) return;
      atomicWriteFile(checkpointFile, encodeCheckpoint(session.checkpoint({ options })));
    };

    // train
    const total = sopts.epochs * trainLimit;
    const progress = createProgress({ total, label: 'train', io, quiet });
    const window: number[] = [];
    let windowCorrect = 0;
    const startTrained = session.samplesTrained;
    const tTrain = Date.now();
    let trainMs = 0;
    while (!session.done) {
      const t = Date.now();
      const r = session.trainChunk(500);
      trainMs += Date.now() - t;
      window.push(r.correct, r.trained);
      windowCorrect += r.correct;
      let inWindow = 0;
      for (let k = 1; k < window.length; k += 2) inWindow += window[k];
      while (inWindow - window[1] >= 5000) {
        windowCorrect -= window[0];
        inWindow -= window[1];
        window.splice(0, 2);
      }
      progress.update(session.samplesTrained, { 'acc(last 5k)': inWindow ? pct(windowCorrect / inWindow) : '-' });
      const evalNow = evaluating && (r.boundary === 'epoch' || (r.boundary === 'half' && sopts.evalEvery === 'half'));
      if (r.boundary !== 'none') {
        if (evalNow) {
          const e = await record();
          progress.finish();
          info(`epoch ${e.epoch.toFixed(1)}: ${metricsLine(e.test)}`);
        }
        saveCheckpoint();
      }
    }
    progress.finish();
    const trainedNow = session.samplesTrained - startTrained;
    const msPerSample = trainedNow > 0 ? trainMs / trainedNow : 0;
    void tTrain;

    // final evaluation (reuse the last one if it is current)
    let final = session.history.length > 0 ? session.history[session.history.length - 1] : null;
    if (evaluating && (!final || final.samplesTrained !== session.samplesTrained)) final = await record();
    const finalTest = evaluating && final ? final.test : null;
    const report = perSample(costReport(chip.counters, chip.latencyNs, constants, { chips: sopts.chips, includeStatic: false }), Math.max(1, trainedNow));
    // exclude the startup steps: they are not part of any sample
    const energyMilliJoule = report.energyPJ.total / 1e9;
    const latencyMs = report.latencyNs / 1e6;

    if (o.saveWeights) atomicWriteFile(o.saveWeights as string, weightsToJson(session.weights()));
    if (o.saveModel) {
      const file = o.saveModel as string;
      const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.json$/, '');
      const info: ModelInfo = {
        name: base,
        dataset,
        gating: sopts.gating,
        order: sopts.order,
        reward: sopts.reward,
        encoding: dataset === 'mnist' ? 'MNIST cropped to the central 20x20, a pixel >= 129 spikes once per sample' : 'Fashion-MNIST 28x28, a pixel >= 129 spikes once per sample',
        test: final?.test,
        trainedWith: (o.modelNote as string | undefined) ?? trainingCommand(o, loaded ? (loaded.model?.trainedWith ?? `weights ${loaded.file}`) : null),
      };
      // training settings beyond the paper's, so continuing, verifying or profiling it uses them
      if (errorWindow !== 0) info.errorWindow = errorWindow;
      if (targetTop !== 512) info.targetTop = targetTop as TargetTop;
      // epochs and seed describe this run only when it started from the seed's initialization
      if (!loaded) {
        info.epochs = session.epoch;
        info.seed = seed;
      }
      atomicWriteFile(file, modelToJson(session.weights(), info));
    }
    if (o.plot) atomicWriteFile(o.plot as string, learningCurves(session.history, dataset, sizes));

    const result = {
      dataset,
      sizes: [sizes.input, sizes.hidden, sizes.output],
      epochs: sopts.epochs,
      samplesTrained: session.samplesTrained,
      seed,
      order: sopts.order,
      reward: sopts.reward,
      gating: sopts.gating,
      shadow: sopts.shadow ? session.shadow ?? emptyShadowReport() : null,
      lrHalvings: sopts.lrHalvings ?? [],
      lrWarmup: warmup,
      errorWindow,
      targetTop,
      shift: shiftRadius,
      network: { compartments: stats.compartments, synapses: stats.synapses, plasticSynapses: stats.plasticSynapses, cores: stats.cores },
      // null with --test-limit 0 (nothing evaluated)
      test: finalTest,
      history: session.history,
      msPerSample,
      wallSeconds: (Date.now() - t0) / 1000,
      evaluation: { testImages: session.testCount, workers: pool ? workers : 1, seconds: evalMs / 1000 },
      /** The training chip's op counters over the samples trained in this run (startup excluded). */
      counts: chip.counters.totals(),
      chipEstimate:
        trainedNow > 0
          ? {
              constants: constants.name,
              energyMilliJoulePerSample: energyMilliJoule,
              latencyMsPerSample: latencyMs,
              edpMilliJouleMsPerSample: energyMilliJoule * latencyMs,
              paper: PAPER.train,
            }
          : null,
    };
    if (io.json) io.out(JSON.stringify(result));
    else {
      const evalNote = evaluating ? `, of which evaluation ${result.evaluation.seconds.toFixed(1)} s in ${result.evaluation.workers} thread(s)` : '';
      io.out(`trained ${session.samplesTrained.toLocaleString('en-US')} samples (${msPerSample.toFixed(3)} ms/sample simulated, ${result.wallSeconds.toFixed(1)} s wall${evalNote})`);
      io.out(finalTest ? `test: ${metricsLine(finalTest)}` : 'test: not evaluated (--test-limit 0)');
      if (result.shadow) io.out(describeShadow(result.shadow));
      if (result.chipEstimate)
        io.out(
          `on-chip cost estimate (${constants.name}): ${energyMilliJoule.toFixed(3)} mJ and ${latencyMs.toFixed(3)} ms per training sample (paper, measured on Loihi: ${PAPER.train.energyMilliJoule} mJ, ${PAPER.train.latencyMs} ms); see 'synfire profile' for the breakdown`,
        );
      if (o.saveWeights) io.out(`weights written to ${o.saveWeights as string}`);
      if (o.saveModel) io.out(`model written to ${o.saveModel as string}`);
      if (checkpointFile && existsSync(checkpointFile)) io.out(`checkpoint: ${checkpointFile}`);
      if (o.plot) io.out(`learning curves written to ${o.plot as string}`);
    }
    return 0;
  }
}

/**
 * --lr-halving E1,E2,...: the epochs at which the learning step halves (none when absent),
 * checked together with the warm-up (--lr-warmup) that runs on top of them.
 */
function lrHalvings(text: string | undefined, warmup = 0): number[] {
  const h = text === undefined || text === '' ? [] : text.split(',').map((x) => {
    const n = Number(x.trim());
    if (x.trim() === '' || !isFinite(n)) throw new UserError(`--lr-halving: '${x}' is not an epoch (e.g. --lr-halving 15,30,45)`, 2);
    return n;
  });
  checkLrHalvings(h, '--lr-halving', warmup, '--lr-warmup');
  return h;
}

/** The command line that reproduces this run's weights (options at their defaults left out). */
function trainingCommand(o: Record<string, unknown>, from: string | null): string {
  const skip = new Set(['quiet', 'json', 'saveWeights', 'saveModel', 'modelNote', 'checkpoint', 'resume', 'plot', 'loadWeights', 'workers', 'seeds', 'kernel']);
  const args: string[] = ['synfire train'];
  for (const spec of command.spec.options) {
    const k = camelCase(spec.name);
    if (skip.has(k) || o[k] === undefined || o[k] === false || o[k] === spec.default) continue;
    args.push(spec.type === 'flag' ? `--${spec.name}` : `--${spec.name} ${String(o[k])}`);
  }
  return from ? `${args.join(' ')} (continuing from ${from})` : args.join(' ');
}

function defaultOf(key: string): unknown {
  const spec = command.spec.options.find((x) => camelCase(x.name) === key);
  return spec ? (spec.default ?? (spec.type === 'flag' ? false : undefined)) : undefined;
}

function learningCurves(history: TrainingSession['history'], dataset: string, sizes: { input: number; hidden: number; output: number }): string {
  const pts = (f: (t: TestMetrics) => number): Array<[number, number]> => history.map((h) => [h.epoch, f(h.test)]);
  return lineChart({
    title: `synfire: sBP on the chip, ${dataset} ${sizes.input}-${sizes.hidden}-${sizes.output}`,
    xLabel: 'epoch',
    yLabel: 'test accuracy (%)',
    rightYLabel: 'MSE',
    series: [
      { name: 'argmax of potential', points: pts((t) => 100 * t.accArgmaxPotential) },
      { name: 'argmax of spikes', points: pts((t) => 100 * t.accArgmaxSpikes) },
      { name: 'exact match', points: pts((t) => 100 * t.accExact) },
      { name: 'MSE', points: pts((t) => t.mse), axis: 'right', dashed: true },
      // the paper's MNIST results (Table 1: 96.3% from spikes, 97.5% from potentials) for reference
      ...(dataset === 'mnist' && history.length > 0
        ? [
            { name: 'paper: 97.5% (potential)', points: [[history[0].epoch, 97.5], [history[history.length - 1].epoch, 97.5]] as Array<[number, number]>, dashed: true, color: '#9ab' },
            { name: 'paper: 96.3% (spikes)', points: [[history[0].epoch, 96.3], [history[history.length - 1].epoch, 96.3]] as Array<[number, number]>, dashed: true, color: '#cba' },
          ]
        : []),
    ],
  });
}
