/**
 * Energy, latency and EDP profile of the sBP network: runs N samples on the chip with the
 * critical-path time model attached, then turns the chip's op counters into a per-sample
 * report with a breakdown by kind and by phase, set beside the measured figures of Renner et
 * al. 2024 (Table 1).
 *
 * What is counted (the counting rules live next to the code that counts: src/chip/chip.ts
 * and ./model.ts) is what the chip does, not what the simulator does: every configured
 * compartment is updated every step (idle ones at the idle cost), the learning engine visits
 * every plastic synapse every learning epoch (tEpoch = 1 in sBP, so every step), and a spike
 * costs one message per distinct destination core where the compiler placed its targets.
 *
 * The chip's counter buckets are the phases of the gating chain (0..11 training, 0..3
 * inference); the startup steps run in the extra last bucket and are excluded (the counters
 * are cleared after startup and warm-up, before the measured samples).
 *
 * Portable: no Node APIs. The caller loads the data and the weights.
 */
import type { Chip } from '../chip/chip';
import { NUM_OPS, OP_NAMES, Op } from '../chip/counters';
import type { SpikeDataset } from '../data/preprocess';
import { UserError } from '../errors';
import type { SbpWeights } from '../io/weights-json';
import type { CompiledNetwork } from '../net/compile';
import { SbpInferenceChip } from '../sbp/inference';
import type { Gating } from '../sbp/gating';
import { INFER_GATES, TRAIN_GATES } from '../sbp/params';
import type { SbpSizes } from '../sbp/topology';
import { loadWeights, SbpTrainingChip, type Placement } from '../sbp/training';
import { stackedBarChart, type BarStack } from '../viz/svg';
import { PAPER, TABLE1_ROWS, type EnergyConstants, type Table1Row } from './constants';
import { costReport, ENERGY_KINDS, nsToMs, pJToMilliJoule, timeWeights, type EnergyKind } from './model';

export type ProfileMode = 'train' | 'infer';

/** Time steps (= phases of the gating chain) per sample. */
export function stepsPerSample(mode: ProfileMode): number {
  return mode === 'train' ? TRAIN_GATES : INFER_GATES;
}

/**
 * Number of mesh tiles holding at least one core with compartments: the tiles the barrier
 * sync has to span. Tile of core c = floor(c / coresPerTile); with several chips the tiles
 * are numbered on across chips (coresPerChip is a multiple of coresPerTile). Host spike
 * generators enter through core 0 (see compile.ts); a tile holding only that entry point is
 * not counted, since it has no compartments to synchronise.
 */
export function tilesInUse(compiled: CompiledNetwork): number {
  const spec = compiled.chip.spec;
  const perTile = spec.mesh.coresPerTile;
  const numTiles = Math.ceil(spec.numCores / perTile);
  const used = new Uint8Array(numTiles);
  let n = 0;
  const usage = compiled.stats.coreUsage;
  for (let i = 0; i < usage.length; i++) {
    const t = Math.floor(usage[i].core / perTile);
    if (!used[t]) {
      used[t] = 1;
      n++;
    }
  }
  return n;
}

/**
 * Attach the constant set's time model to the compiled network's chip: ns per core op
 * (timeWeights) and the barrier time for the tiles in use. From then on every step adds
 * (max over cores of that core's op time) + barrier to chip.latencyNs[bucket].
 */
export function attachTimeModel(compiled: CompiledNetwork, c: EnergyConstants): { tiles: number; barrierNs: number } {
  const tiles = tilesInUse(compiled);
  const barrierNs = c.barrierNs(tiles);
  compiled.chip.setTimeModel(timeWeights(c), barrierNs);
  return { tiles, barrierNs };
}

/** Clear the op counters and the latency of every bucket (before the measured samples). */
export function resetMeasurement(chip: Chip): void {
  chip.counters.reset();
  chip.latencyNs.fill(0);
}

/** One line of the breakdown by kind, per sample. */
export interface KindLine {
  /** Events per sample (for hops: east-west plus north-south). */
  count: number;
  /** Energy per sample in mJ (0 for kinds without a published energy). */
  energyMilliJoule: number;
  /** Share of the headline energy per sample (0..1). */
  share: number;
  /** Time per sample in ms, for kinds whose time is known on its own (barriers). */
  latencyMs?: number;
  /** Static only: whether this line is part of the headline energy. */
  included?: boolean;
  note?: string;
}

/** Energy and latency of one phase (counter bucket), per sample. */
export interface PhaseLine {
  phase: number;
  energyMilliJoule: number;
  latencyMs: number;
  /** Energy in mJ per sample by kind (the ENERGY_KINDS of ./model). */
  byKind: Record<string, number>;
}

export interface ProfileReport {
  mode: ProfileMode;
  samples: number;
  warmupSamples: number;
  constants: string;
  constantsSource: string;
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
  stepsPerSample: number;
  /** Barrier sync time per step for the tiles in use, ns. */
  barrierNs: number;
  /** Whether static power x time is part of the headline energy. */
  includeStatic: boolean;
  perSample: {
    energyMilliJoule: number;
    latencyMs: number;
    edpMilliJouleMs: number;
    dynamicEnergyMilliJoule: number;
    /** Static power x chips x estimated latency, whether included or not. */
    staticEnergyMilliJoule: number;
  };
  /** Per sample, by kind: synOps, cxActive, cxIdle, learnVisits, learnUpdates, msgLocal, hops, msgRemote, spikes, barriers, static. */
  breakdown: Record<string, KindLine>;
  /** The latency per sample split into the barrier syncs and the slowest core of each step. */
  latency: { barrierMs: number; coresMs: number; perStepUs: number };
  /** Per phase of the gating chain (startup excluded). */
  perPhase: PhaseLine[];
  /** Every op counter, per sample (startup and warm-up excluded). */
  counts: Record<string, number>;
  /** Renner et al. 2024 Table 1 figures for this mode; perStepUs = latency / stepsPerSample. */
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

/** The counter kinds that make up each energy line (hops = EW + NS). */
const KIND_COUNTS: Record<EnergyKind, number[]> = {
  synOps: [Op.synOps],
  learnVisits: [Op.learnVisits],
  cxActive: [Op.cxActive],
  cxIdle: [Op.cxIdle],
  msgLocal: [Op.msgLocal],
  hops: [Op.hopsEW, Op.hopsNS],
  msgRemote: [Op.msgRemote],
  spikes: [Op.spikes],
  static: [],
};

const KIND_NOTES: Record<string, string> = {
  synOps: 'one per synapse a spike is delivered over',
  cxActive: 'compartment updates with input, refractory count or own dynamics',
  cxIdle: 'updates of the other configured compartments (the core still visits them)',
  learnVisits: 'every plastic synapse, every learning epoch (tEpoch = 1: every step)',
  learnUpdates: 'weights that changed; their cost is in learnVisits',
  msgLocal: 'spike messages to a core in the sender\'s tile',
  hops: 'mesh hops (east-west + north-south) of messages to other tiles',
  msgRemote: 'messages to other tiles, per-message cost beyond hops (0 unless the set has one)',
  spikes: 'per-spike cost beyond the update (0 unless the set has one)',
  barriers: 'one mesh-wide barrier sync per step: time only, no published energy',
  static: 'static power x chips x estimated latency',
};

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
}

/** Turn a measured chip into the per-sample report. */
export function buildProfileReport(r: ReportInput): ProfileReport {
  const chip = r.compiled.chip;
  const c = r.constants;
  const counters = chip.counters;
  const n = r.samples;
  if (!(n > 0)) throw new Error('buildProfileReport: samples must be > 0');
  for (let b = r.phases; b < counters.numBuckets; b++) {
    if (counters.get(Op.steps, b) !== 0 || chip.latencyNs[b] !== 0) {
      throw new Error('buildProfileReport: bucket ' + b + ' is not a phase but holds counts; reset the counters after startup');
    }
  }
  const chips = r.compiled.stats.chips;
  const full = costReport(counters, chip.latencyNs, c, { chips, includeStatic: true });
  const latencyNs = full.latencyNs / n;
  const staticPJ = full.energyPJ.static / n;
  const dynamicPJ = (full.energyPJ.total - full.energyPJ.static) / n;
  const headlinePJ = dynamicPJ + (r.includeStatic ? staticPJ : 0);
  const energyMJ = pJToMilliJoule(headlinePJ);
  const latencyMs = nsToMs(latencyNs);
  const share = (pJ: number) => (headlinePJ > 0 ? pJ / headlinePJ : 0);

  const perSampleCount = (op: number) => counters.total(op) / n;
  const breakdown: Record<string, KindLine> = {};
  let dominantKind = '';
  let dominantPJ = -1;
  for (let k = 0; k < ENERGY_KINDS.length; k++) {
    const kind = ENERGY_KINDS[k];
    const pJ = full.energyPJ[kind] / n;
    let count = 0;
    const ops = KIND_COUNTS[kind];
    for (let i = 0; i < ops.length; i++) count += perSampleCount(ops[i]);
    if (kind === 'static') {
      breakdown.barriers = {
        count: perSampleCount(Op.barriers),
        energyMilliJoule: 0,
        share: 0,
        latencyMs: nsToMs(perSampleCount(Op.barriers) * r.barrierNs),
        note: KIND_NOTES.barriers,
      };
      breakdown.static = {
        count: 0,
        energyMilliJoule: pJToMilliJoule(pJ),
        share: r.includeStatic ? share(pJ) : 0,
        included: r.includeStatic,
        note:
          KIND_NOTES.static +
          (c.staticMilliWattPerChip > 0 ? ' (' + c.staticMilliWattPerChip + ' mW per chip)' : ' (this set has no static power)'),
      };
      if (r.includeStatic && pJ > dominantPJ) {
        dominantPJ = pJ;
        dominantKind = kind;
      }
      continue;
    }
    breakdown[kind] = { count, energyMilliJoule: pJToMilliJoule(pJ), share: share(pJ), note: KIND_NOTES[kind] };
    if (kind === 'learnVisits') {
      breakdown.learnUpdates = { count: perSampleCount(Op.learnUpdates), energyMilliJoule: 0, share: 0, note: KIND_NOTES.learnUpdates };
    }
    if (pJ > dominantPJ) {
      dominantPJ = pJ;
      dominantKind = kind;
    }
  }

  const perPhase: PhaseLine[] = [];
  for (let b = 0; b < r.phases; b++) {
    const pb = full.perBucket[b];
    const byKind: Record<string, number> = {};
    let e = 0;
    for (let k = 0; k < ENERGY_KINDS.length; k++) {
      const kind = ENERGY_KINDS[k];
      const pJ = pb.byKind[kind] / n;
      byKind[kind] = pJToMilliJoule(pJ);
      if (kind !== 'static' || r.includeStatic) e += pJ;
    }
    perPhase.push({ phase: b, energyMilliJoule: pJToMilliJoule(e), latencyMs: nsToMs(pb.latencyNs / n), byKind });
  }

  const counts: Record<string, number> = {};
  for (let i = 0; i < NUM_OPS; i++) counts[OP_NAMES[i]] = perSampleCount(i);

  const paper = PAPER[r.mode];
  // steps per sample of this run (one per phase) and of the paper's network
  const steps = r.phases;
  const paperSteps = stepsPerSample(r.mode);
  const paperEdp = paper.energyMilliJoule * paper.latencyMs;
  const edp = energyMJ * latencyMs;
  const barrierMs = nsToMs(counts.steps * r.barrierNs);
  const paperStepNs = (paper.latencyMs * 1e6) / paperSteps;
  const staticAtPaper = pJToMilliJoule(c.staticMilliWattPerChip * chips * paper.latencyMs * 1e6);

  return {
    mode: r.mode,
    samples: n,
    warmupSamples: r.warmupSamples,
    constants: c.name,
    constantsSource: c.source,
    network: {
      name: networkName(r.mode, r.sizes),
      sizes: [r.sizes.input, r.sizes.hidden, r.sizes.output],
      compartments: r.compiled.stats.compartments,
      synapses: r.compiled.stats.synapses,
      plasticSynapses: r.compiled.stats.plasticSynapses,
      cores: r.compiled.stats.cores,
      tiles: r.tiles,
      chips,
      placement: r.placement,
      paperNetwork: r.paperNetwork,
    },
    stepsPerSample: steps,
    barrierNs: r.barrierNs,
    includeStatic: r.includeStatic,
    perSample: {
      energyMilliJoule: energyMJ,
      latencyMs,
      edpMilliJouleMs: edp,
      dynamicEnergyMilliJoule: pJToMilliJoule(dynamicPJ),
      staticEnergyMilliJoule: pJToMilliJoule(staticPJ),
    },
    breakdown,
    latency: { barrierMs, coresMs: latencyMs - barrierMs, perStepUs: (latencyNs / steps) / 1e3 },
    perPhase,
    counts,
    paper: { energyMilliJoule: paper.energyMilliJoule, latencyMs: paper.latencyMs, edpMilliJouleMs: paperEdp, stepsPerSample: paperSteps, perStepUs: paperStepNs / 1e3 },
    ratio: { energy: energyMJ / paper.energyMilliJoule, latency: latencyMs / paper.latencyMs, edp: edp / paperEdp },
    evidence: {
      dominantKind,
      dominantShare: share(dominantPJ),
      busiestLearningCore: busiestLearningCore(r.compiled, c),
      estimatePerStepUs: latencyNs / steps / 1e3,
      paperPerStepUs: paperStepNs / 1e3,
      unaccountedPerStepUs: (paperStepNs - latencyNs / steps) / 1e3,
      paperStepAsOps: {
        synOps: (paperStepNs - r.barrierNs) / c.ns.synOp,
        learnVisits: (paperStepNs - r.barrierNs) / c.ns.learnVisit,
        cxActive: (paperStepNs - r.barrierNs) / c.ns.cxActive,
      },
      synOpsPerStep: counts.synOps / steps,
      staticAtPaperLatencyMilliJoule: staticAtPaper,
      staticAtPaperLatencyOverPaperEnergy: staticAtPaper / paper.energyMilliJoule,
    },
    table1: table1Context(r.mode),
  };
}

function networkName(mode: ProfileMode, s: SbpSizes): string {
  return (mode === 'train' ? 'sBP training ' : 'sBP inference ') + s.input + '-' + s.hidden + '-' + s.output;
}

/**
 * The core whose synapse memory holds the most plastic synapses. The learning engine of a core
 * visits the plastic synapses stored on it (those whose post compartment it holds) once per
 * epoch, so this core's visits x ns per visit is the learning part of the critical path.
 */
export function busiestLearningCore(
  compiled: CompiledNetwork,
  c: EnergyConstants,
): { core: number; plasticSynapses: number; compartments: number; learningNsPerEpoch: number } | null {
  const chip = compiled.chip;
  const perCore = new Float64Array(chip.spec.numCores);
  let any = false;
  for (let gi = 0; gi < chip.groups.length; gi++) {
    const g = chip.groups[gi];
    if (g.learning === null) continue;
    any = true;
    const cs = g.coreSynapses;
    for (let k = 0; k < cs.length; k += 2) perCore[cs[k]] += cs[k + 1];
  }
  if (!any) return null;
  let best = 0;
  for (let core = 1; core < perCore.length; core++) if (perCore[core] > perCore[best]) best = core;
  let cx = 0;
  const usage = compiled.stats.coreUsage;
  for (let i = 0; i < usage.length; i++) if (usage[i].core === best) cx = usage[i].compartments;
  return { core: best, plasticSynapses: perCore[best], compartments: cx, learningNsPerEpoch: perCore[best] * c.ns.learnVisit };
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
  if (!(samples >= 1) || Math.floor(samples) !== samples) throw new UserError('samples must be a positive integer, got ' + samples);
  if (!(warmup >= 0) || Math.floor(warmup) !== warmup) throw new UserError('warm-up samples must be an integer >= 0, got ' + warmup);
  checkData(o.data, sizes, o.mode === 'train' ? 'training' : 'test');
  const warmData = o.warmupData ?? o.data;
  if (warmup > 0) checkData(warmData, sizes, 'warm-up');
  const progress = o.onProgress;

  let compiled: CompiledNetwork;
  let timing: { tiles: number; barrierNs: number };
  if (o.mode === 'train') {
    const net = new SbpTrainingChip({ sizes, placement, gating: o.gating });
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
      const trainer = new SbpTrainingChip({ sizes, placement, gating: o.gating });
      loadWeights(trainer, o.weights);
      for (let s = 0; s < warmup; s++) {
        const i = s % warmData.count;
        trainer.trainSample(warmData.indices, warmData.offsets[i], warmData.offsets[i + 1], warmData.labels[i]);
        if (progress) progress('warmup', s + 1, warmup);
      }
      w1 = trainer.matrix('w1');
      w2 = trainer.matrix('w2');
    }
    const net = new SbpInferenceChip(sizes, w1, w2, { placement, gating: o.gating });
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
  });
}

// ------------------------------------------------------------------ chart

/** Display names of the energy kinds in the chart legend. */
const KIND_LABELS: Record<string, string> = {
  synOps: 'synaptic ops',
  learnVisits: 'learning engine',
  cxActive: 'compartments, active',
  cxIdle: 'compartments, idle',
  msgLocal: 'spikes within tile',
  hops: 'mesh hops',
  msgRemote: 'remote messages',
  spikes: 'spike out',
  static: 'static power',
};

/** Fixed colour per kind, so a kind keeps its colour whichever kinds a chart leaves out. */
const KIND_COLORS: Record<string, string> = {
  synOps: '#4e79a7',
  learnVisits: '#f28e2b',
  cxActive: '#e15759',
  cxIdle: '#76b7b2',
  msgLocal: '#59a14f',
  hops: '#edc948',
  msgRemote: '#b07aa1',
  spikes: '#ff9da7',
  static: '#9c755f',
};

/**
 * The profile as one SVG of two stacked-bar panels, one bar per phase: energy per sample by
 * kind (µJ), and latency per sample split into the slowest core and the barrier sync (µs).
 * A last bar shows the paper's measured figure divided by the steps per sample (its mean per
 * phase), for comparison. Kinds that are zero in every phase are left out of the legend.
 */
export function profileChartSvg(report: ProfileReport): string {
  const np = report.perPhase.length;
  const categories: string[] = [];
  for (let p = 0; p < np; p++) categories.push('phase ' + p);
  categories.push('paper / ' + report.paper.stepsPerSample);
  const paperColor = '#3a3a3a';
  const stacks: BarStack[] = [];
  for (let k = 0; k < ENERGY_KINDS.length; k++) {
    const kind = ENERGY_KINDS[k];
    if (kind === 'static' && !report.includeStatic) continue;
    const values: number[] = [];
    let any = false;
    for (let p = 0; p < np; p++) {
      const v = report.perPhase[p].byKind[kind] * 1e3; // mJ -> µJ
      values.push(v);
      if (v > 0) any = true;
    }
    values.push(0);
    if (any) stacks.push({ name: KIND_LABELS[kind] || kind, values, color: KIND_COLORS[kind] });
  }
  const paperEnergy: number[] = [];
  for (let p = 0; p < np; p++) paperEnergy.push(0);
  paperEnergy.push((report.paper.energyMilliJoule * 1e3) / report.paper.stepsPerSample);
  stacks.push({ name: 'paper, measured (mean per phase)', values: paperEnergy, color: paperColor });

  const mode = report.mode === 'train' ? 'training' : 'inference';
  const energyTitle =
    'Energy per ' + mode + ' sample by phase: ' + chartNumber(report.perSample.energyMilliJoule * 1e3) + ' µJ (paper ' +
    chartNumber(report.paper.energyMilliJoule * 1e3) + ' µJ, ratio ' + report.ratio.energy.toPrecision(2) + ')';
  const width = 1040;
  const top = stackedBarChart({
    title: energyTitle,
    categories,
    stacks,
    yLabel: 'energy per sample (µJ)',
    xLabel:
      'phase of the gating chain (one time step each); ' + report.constants + (report.includeStatic ? ', static power included' : ', dynamic energy'),
    width,
    height: 430,
  });
  const cores: number[] = [];
  const barrier: number[] = [];
  const paperTime: number[] = [];
  const barrierUs = report.barrierNs / 1e3;
  for (let p = 0; p < np; p++) {
    const total = report.perPhase[p].latencyMs * 1e3;
    barrier.push(barrierUs);
    cores.push(Math.max(0, total - barrierUs));
    paperTime.push(0);
  }
  cores.push(0);
  barrier.push(0);
  paperTime.push(report.paper.perStepUs);
  const latencyTitle =
    'Latency per ' + mode + ' sample by phase: ' + chartNumber(report.perSample.latencyMs * 1e3) + ' µs (paper ' +
    chartNumber(report.paper.latencyMs * 1e3) + ' µs, ratio ' + report.ratio.latency.toPrecision(2) + ')';
  const bottom = stackedBarChart({
    title: latencyTitle,
    categories,
    stacks: [
      { name: 'slowest core (critical path)', values: cores, color: '#4e79a7' },
      { name: 'barrier sync (' + report.network.tiles + ' tiles)', values: barrier, color: '#bab0ac' },
      { name: 'paper, measured (mean per phase)', values: paperTime, color: paperColor },
    ],
    yLabel: 'time per sample (µs)',
    xLabel: 'phase of the gating chain',
    width,
    height: 330,
  });
  return stackSvgs([top, bottom], width);
}

/** 3 significant digits without exponent for values >= 0.001 (1500 -> "1500", 0.625 -> "0.625"). */
function chartNumber(v: number): string {
  if (v >= 100) return String(Math.round(v));
  if (v >= 0.001) return String(parseFloat(v.toPrecision(3)));
  return v.toExponential(2);
}

/** Size of a chart from its opening tag. */
function svgSize(svg: string): { w: number; h: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('stackSvgs: chart without width/height');
  return { w: parseFloat(m[1]), h: parseFloat(m[2]) };
}

/** Place complete <svg> charts one below the other in one SVG document (nested <svg> with y offsets). */
function stackSvgs(charts: string[], width: number): string {
  let y = 0;
  const parts: string[] = [];
  for (let i = 0; i < charts.length; i++) {
    const size = svgSize(charts[i]);
    parts.push(charts[i].replace('<svg xmlns="http://www.w3.org/2000/svg"', '<svg x="0" y="' + y + '"'));
    y += size.h;
  }
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + width + ' ' + y + '" width="' + width + '" height="' + y +
    '" font-family="sans-serif" style="background:#fff">\n' +
    parts.join('\n') +
    '\n</svg>\n'
  );
}
