/**
 * Energy, latency and EDP profile of the sBP network: runs N samples on the chip with the
 * critical-path time model attached, then turns the chip's op counters into a per-sample
 * report (src/energy/report.ts: by kind and by phase) set beside the measured figures of
 * Renner et al. 2024 (Table 1), with the evidence that explains the ratios.
 *
 * The chip's counter buckets are the phases of the gating chain (0..11 training, 0..3
 * inference); the startup steps run in the extra last bucket and are excluded (the counters
 * are cleared after startup and warm-up, before the measured samples).
 *
 * Portable: no Node APIs. The caller loads the data and the weights.
 */
import type { SpikeDataset } from '../data/preprocess';
import { PAPER, TABLE1_ROWS, type EnergyConstants, type Table1Row } from '../energy/constants';
import { pJToMilliJoule } from '../energy/model';
import { attachTimeModel, buildEnergyReport, busiestLearningCore, resetMeasurement, type EnergyReport } from '../energy/report';
import { UserError } from '../errors';
import type { SbpWeights } from './weights-file';
import type { CompiledNetwork } from '../net/compile';
import type { Gating } from './gating';
import { checkErrorWindow, checkTargetTop } from './error-window';
import type { TargetTop } from './oracle';
import { SbpInferenceChip } from './inference';
import { INFER_GATES, TRAIN_GATES } from './params';
import type { SbpSizes } from './topology';
import { loadWeights, SbpTrainingChip, type Placement } from './training';

export type ProfileMode = 'train' | 'infer';

/** Time steps (= phases of the gating chain) per sample. */
export function stepsPerSample(mode: ProfileMode): number {
  return mode === 'train' ? TRAIN_GATES : INFER_GATES;
}

/** The sBP profile: the generic energy report (src/energy/report.ts) of the sBP run, with the paper beside it. */
export interface ProfileReport extends Omit<EnergyReport, 'network' | 'dominantKind' | 'dominantShare' | 'byCore'> {
  mode: ProfileMode;
  warmupSamples: number;
  /** The gating variant, and where the training network's missed-target error counts (error-window.ts). */
  gating: Gating;
  errorWindow: number;
  targetTop: TargetTop;
  /** The run's network and where it sits on the chip. */
  network: {
    name: string;
    sizes: [number, number, number];
    compartments: number;
    synapses: number;
    plasticSynapses: number;
    cores: number;
    tiles: number;
    chips: number;
    placement: Placement;
    /** True for the paper's 400-400-10 network on MNIST (so the comparison is like for like). */
    paperNetwork: boolean;
  };
  paper: { energyMilliJoule: number; latencyMs: number; edpMilliJouleMs: number; stepsPerSample: number; perStepUs: number };
  /** Estimate / paper. */
  ratio: { energy: number; latency: number; edp: number };
  /** Numbers that explain the ratios (see the field comments). */
  evidence: ProfileEvidence;
  /** Renner et al. 2024 Table 1 rows of this mode's block(s), for context. */
  table1: Table1Row[];
}

export interface ProfileEvidence {
  /** Kind with the largest share of the headline energy, and that share. */
  dominantKind: string;
  dominantShare: number;
  /** The core with the most plastic synapses: the learning engine's critical path. */
  busiestLearningCore: { core: number; plasticSynapses: number; compartments: number; learningNsPerEpoch: number } | null;
  /** Estimated time per step in us vs the paper's (paper latency / steps per sample). */
  estimatePerStepUs: number;
  paperPerStepUs: number;
  /** Paper per-step time minus the estimate: time per step the counted ops do not account for. */
  unaccountedPerStepUs: number;
  /** How many ops one core would have to do in one step to fill the paper's per-step time (minus the barrier). */
  paperStepAsOps: { synOps: number; learnVisits: number; cxActive: number };
  /** Whole-chip synOps per step of the estimate (all cores together). */
  synOpsPerStep: number;
  /** Static power x chips x the PAPER's latency, mJ per sample, and its ratio to the paper's energy. */
  staticAtPaperLatencyMilliJoule: number;
  staticAtPaperLatencyOverPaperEnergy: number;
}


/** Inputs of buildProfileReport: a chip that has run `samples` measured samples. */
export interface ReportInput {
  mode: ProfileMode;
  compiled: CompiledNetwork;
  constants: EnergyConstants;
  samples: number;
  warmupSamples: number;
  /** Counter buckets that are phases, one step each (the rest, e.g. startup, must be empty). */
  phases: number;
  tiles: number;
  barrierNs: number;
  includeStatic: boolean;
  placement: Placement;
  sizes: SbpSizes;
  /** True for the paper's network and data. */
  paperNetwork: boolean;
  gating: Gating;
  errorWindow: number;
  targetTop: TargetTop;
}

/** Turn a measured sBP chip into the per-sample report, beside the paper's figures. */
export function buildProfileReport(r: ReportInput): ProfileReport {
  const c = r.constants;
  const e = buildEnergyReport({
    compiled: r.compiled,
    constants: c,
    samples: r.samples,
    phases: r.phases,
    tiles: r.tiles,
    barrierNs: r.barrierNs,
    includeStatic: r.includeStatic,
  });
  // sBP learns with tEpoch = 1: the learning engine's epoch is every step
  if (e.breakdown.learnVisits) e.breakdown.learnVisits.note += ' (tEpoch = 1: every step)';
  const chips = e.network.chips;
  const energyMJ = e.perSample.energyMilliJoule;
  const latencyMs = e.perSample.latencyMs;
  // latency per sample in ns, summed bucket by bucket as the energy model sums it
  let latencyNs = 0;
  const perBucket = r.compiled.chip.latencyNs;
  for (let b = 0; b < perBucket.length; b++) latencyNs += perBucket[b];
  latencyNs /= e.samples;
  const paper = PAPER[r.mode];
  // steps per sample of this run (one per phase) and of the paper's network
  const steps = r.phases;
  const paperSteps = stepsPerSample(r.mode);
  const paperEdp = paper.energyMilliJoule * paper.latencyMs;
  const edp = e.perSample.edpMilliJouleMs;
  const paperStepNs = (paper.latencyMs * 1e6) / paperSteps;
  const staticAtPaper = pJToMilliJoule(c.staticMilliWattPerChip * chips * paper.latencyMs * 1e6);

  return {
    mode: r.mode,
    samples: e.samples,
    warmupSamples: r.warmupSamples,
    gating: r.gating,
    errorWindow: r.errorWindow,
    targetTop: r.targetTop,
    constants: e.constants,
    constantsSource: e.constantsSource,
    network: {
      name: networkName(r.mode, r.sizes),
      sizes: [r.sizes.input, r.sizes.hidden, r.sizes.output],
      compartments: e.network.compartments,
      synapses: e.network.synapses,
      plasticSynapses: e.network.plasticSynapses,
      cores: e.network.cores,
      tiles: e.network.tiles,
      chips,
      placement: r.placement,
      paperNetwork: r.paperNetwork,
    },
    stepsPerSample: e.stepsPerSample,
    barrierNs: e.barrierNs,
    includeStatic: e.includeStatic,
    perSample: e.perSample,
    breakdown: e.breakdown,
    latency: e.latency,
    perPhase: e.perPhase,
    counts: e.counts,
    paper: { energyMilliJoule: paper.energyMilliJoule, latencyMs: paper.latencyMs, edpMilliJouleMs: paperEdp, stepsPerSample: paperSteps, perStepUs: paperStepNs / 1e3 },
    ratio: { energy: energyMJ / paper.energyMilliJoule, latency: latencyMs / paper.latencyMs, edp: edp / paperEdp },
    evidence: {
      dominantKind: e.dominantKind,
      dominantShare: e.dominantShare,
      busiestLearningCore: busiestLearningCore(r.compiled, c),
      estimatePerStepUs: latencyNs / steps / 1e3,
      paperPerStepUs: paperStepNs / 1e3,
      unaccountedPerStepUs: (paperStepNs - latencyNs / steps) / 1e3,
      paperStepAsOps: {
        synOps: (paperStepNs - r.barrierNs) / c.ns.synOp,
        learnVisits: (paperStepNs - r.barrierNs) / c.ns.learnVisit,
        cxActive: (paperStepNs - r.barrierNs) / c.ns.cxActive,
      },
      synOpsPerStep: e.counts.synOps / steps,
      staticAtPaperLatencyMilliJoule: staticAtPaper,
      staticAtPaperLatencyOverPaperEnergy: staticAtPaper / paper.energyMilliJoule,
    },
    table1: table1Context(r.mode),
  };
}

function networkName(mode: ProfileMode, s: SbpSizes): string {
  return (mode === 'train' ? 'sBP training ' : 'sBP inference ') + s.input + '-' + s.hidden + '-' + s.output;
}


/** Table 1 rows for context: the on-chip learning blocks for training, the inference block for inference. */
export function table1Context(mode: ProfileMode): Table1Row[] {
  const out: Table1Row[] = [];
  for (let i = 0; i < TABLE1_ROWS.length; i++) {
    const row = TABLE1_ROWS[i];
    if ((mode === 'infer') === (row.block === 'inference only')) out.push(row);
  }
  return out;
}

// ------------------------------------------------------------------ running the sBP network

export interface ProfileOptions {
  mode: ProfileMode;
  /** Gating variant of the sBP networks (default 'paper'). */
  gating?: Gating;
  /**
   * Where the missed-target error counts in every training the profile runs (the measured
   * samples in 'train', the warm-up in both modes): (-errorWindow, targetTop], default the
   * paper's (0, 512] (error-window.ts). Inference has no error neurons.
   */
  errorWindow?: number;
  targetTop?: TargetTop;
  /** Initial weights; their sizes are the network's. */
  weights: SbpWeights;
  /** The measured samples: the training split for 'train', the test split for 'infer'. */
  data: SpikeDataset;
  samples: number;
  /**
   * Samples to train before measuring (not counted), so the activity is that of a partly
   * trained network. 'train' continues on the same chip and data (the measured samples follow
   * the warm-up samples); 'infer' trains a training chip on warmupData and runs inference with
   * its W1 and W2.
   */
  warmupSamples?: number;
  /** Training data for the warm-up in 'infer' mode (default: data). */
  warmupData?: SpikeDataset;
  constants: EnergyConstants;
  includeStatic?: boolean;
  placement?: Placement;
  /** True when the data is MNIST (the paper's data set). */
  mnist?: boolean;
  /** Called after every sample of the warm-up and of the measurement. */
  onProgress?: (stage: 'warmup' | 'measure', done: number, total: number) => void;
}

function checkData(ds: SpikeDataset, sizes: SbpSizes, what: string): void {
  if (ds.count < 1) throw new UserError(what + ' data set "' + ds.name + '" has no samples');
  if (ds.numInputs !== sizes.input) {
    throw new UserError(
      what + ' data set "' + ds.name + '" has ' + ds.numInputs + ' inputs but the weights expect ' + sizes.input +
        ' (sizes ' + sizes.input + '-' + sizes.hidden + '-' + sizes.output + ')',
    );
  }
}

/** Run the sBP network for the requested samples with the time model attached and report. */
export function runProfile(o: ProfileOptions): ProfileReport {
  const sizes: SbpSizes = { input: o.weights.sizes[0], hidden: o.weights.sizes[1], output: o.weights.sizes[2] };
  const samples = o.samples;
  const warmup = o.warmupSamples ?? 0;
  const placement = o.placement ?? 'paper';
  const gating = o.gating ?? 'paper';
  const errorWindow = o.errorWindow ?? 0;
  const targetTop = o.targetTop ?? 512;
  checkErrorWindow(errorWindow, 'error window');
  checkTargetTop(targetTop, 'target top');
  if (!(samples >= 1) || Math.floor(samples) !== samples) throw new UserError('samples must be a positive integer, got ' + samples);
  if (!(warmup >= 0) || Math.floor(warmup) !== warmup) throw new UserError('warm-up samples must be an integer >= 0, got ' + warmup);
  checkData(o.data, sizes, o.mode === 'train' ? 'training' : 'test');
  const warmData = o.warmupData ?? o.data;
  if (warmup > 0) checkData(warmData, sizes, 'warm-up');
  const progress = o.onProgress;

  let compiled: CompiledNetwork;
  let timing: { tiles: number; barrierNs: number };
  if (o.mode === 'train') {
    const net = new SbpTrainingChip({ sizes, placement, gating, errorWindow, targetTop });
    loadWeights(net, o.weights);
    const ds = o.data;
    let k = 0;
    for (let s = 0; s < warmup; s++) {
      const i = k++ % warmData.count;
      net.trainSample(warmData.indices, warmData.offsets[i], warmData.offsets[i + 1], warmData.labels[i]);
      if (progress) progress('warmup', s + 1, warmup);
    }
    // Measured samples follow the warm-up ones when both come from the same data.
    if (warmData !== ds) k = 0;
    compiled = net.compiled;
    timing = attachTimeModel(compiled, o.constants);
    resetMeasurement(net.chip);
    for (let s = 0; s < samples; s++) {
      const i = k++ % ds.count;
      net.trainSample(ds.indices, ds.offsets[i], ds.offsets[i + 1], ds.labels[i]);
      if (progress) progress('measure', s + 1, samples);
    }
  } else {
    let w1: ArrayLike<number> = o.weights.w1;
    let w2: ArrayLike<number> = o.weights.w2;
    if (warmup > 0) {
      const trainer = new SbpTrainingChip({ sizes, placement, gating, errorWindow, targetTop });
      loadWeights(trainer, o.weights);
      for (let s = 0; s < warmup; s++) {
        const i = s % warmData.count;
        trainer.trainSample(warmData.indices, warmData.offsets[i], warmData.offsets[i + 1], warmData.labels[i]);
        if (progress) progress('warmup', s + 1, warmup);
      }
      w1 = trainer.matrix('w1');
      w2 = trainer.matrix('w2');
    }
    const net = new SbpInferenceChip(sizes, w1, w2, { placement, gating });
    compiled = net.compiled;
    timing = attachTimeModel(compiled, o.constants);
    resetMeasurement(net.chip);
    const ds = o.data;
    const out = new Uint8Array(sizes.output);
    const pot = new Float64Array(sizes.output);
    for (let s = 0; s < samples; s++) {
      const i = s % ds.count;
      net.inferSample(ds.indices, ds.offsets[i], ds.offsets[i + 1], out, pot);
      if (progress) progress('measure', s + 1, samples);
    }
  }
  return buildProfileReport({
    mode: o.mode,
    compiled,
    constants: o.constants,
    samples,
    warmupSamples: warmup,
    phases: stepsPerSample(o.mode),
    tiles: timing.tiles,
    barrierNs: timing.barrierNs,
    includeStatic: o.includeStatic === true,
    placement,
    sizes,
    paperNetwork: o.mnist === true && sizes.input === 400 && sizes.hidden === 400 && sizes.output === 10,
    gating,
    errorWindow,
    targetTop,
  });
}
