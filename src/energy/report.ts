/**
 * The energy report of any network: a chip that has run some samples (or steps) with the
 * time model attached, its op counters turned into energy, latency and energy-delay product
 * per sample, by kind, by phase (counter bucket) and, when a CoreActivity watched the run,
 * by core. Network-agnostic: the sBP profile (src/sbp/profile.ts) and `synfire profile
 * --network` both build on it.
 *
 * What is counted is what the chip does, not what the simulator does (the counting rules
 * live next to the code that counts: src/chip and ./model.ts): every configured compartment
 * is updated every step (idle ones at the idle cost), the learning engine visits every
 * plastic synapse every learning epoch, and a spike costs one message per distinct
 * destination core where the compiler placed its targets.
 *
 * Portable: no Node APIs.
 */
import type { Chip } from '../chip/chip';
import { NUM_OPS, OP_NAMES, Op } from '../chip/counters';
import type { CompiledNetwork } from '../net/compile';
import type { EnergyConstants } from './constants';
import type { CoreActivity, CoreLine } from './core-activity';
import { costReport, ENERGY_KINDS, nsToMs, pJToMilliJoule, timeWeights, type EnergyKind } from './model';

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
  learnVisits: 'every plastic synapse, every learning epoch',
  learnUpdates: 'weights that changed; their cost is in learnVisits',
  msgLocal: 'spike messages to a core in the sender\'s tile',
  hops: 'mesh hops (east-west + north-south) of messages to other tiles',
  msgRemote: 'messages to other tiles, per-message cost beyond hops (0 unless the set has one)',
  spikes: 'per-spike cost beyond the update (0 unless the set has one)',
  barriers: 'one mesh-wide barrier sync per step: time only, no published energy',
  static: 'static power x chips x estimated latency',
};

/** What buildEnergyReport needs: a chip that has run `samples` measured samples. */
export interface EnergyReportInput {
  compiled: CompiledNetwork;
  constants: EnergyConstants;
  /** The figures are divided by this (1 for a whole run). */
  samples: number;
  /** Counter buckets that are phases, one step each per sample (the rest must be empty). */
  phases: number;
  tiles: number;
  barrierNs: number;
  includeStatic: boolean;
  /** Per-core activity watched during the measured steps, if any. */
  cores?: CoreActivity;
}

/** The network-agnostic energy, latency and EDP report, per sample. */
export interface EnergyReport {
  samples: number;
  constants: string;
  constantsSource: string;
  network: { compartments: number; synapses: number; plasticSynapses: number; cores: number; tiles: number; chips: number };
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
  /** Per phase (counter bucket); startup buckets excluded. */
  perPhase: PhaseLine[];
  /** Every op counter, per sample. */
  counts: Record<string, number>;
  /** Kind with the largest share of the headline energy, and that share. */
  dominantKind: string;
  dominantShare: number;
  /** Per core, per sample, when a CoreActivity watched the run. */
  byCore?: CoreLine[];
}

/** Turn a measured chip into the per-sample energy report. */
export function buildEnergyReport(r: EnergyReportInput): EnergyReport {
  const chip = r.compiled.chip;
  const c = r.constants;
  const counters = chip.counters;
  const n = r.samples;
  if (!(n > 0)) throw new Error('buildEnergyReport: samples must be > 0');
  for (let b = r.phases; b < counters.numBuckets; b++) {
    if (counters.get(Op.steps, b) !== 0 || chip.latencyNs[b] !== 0) {
      throw new Error('buildEnergyReport: bucket ' + b + ' is not a phase but holds counts; reset the counters after startup');
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
  const steps = r.phases;
  const barrierMs = nsToMs(counts.steps * r.barrierNs);
  const s = r.compiled.stats;
  const report: EnergyReport = {
    samples: n,
    constants: c.name,
    constantsSource: c.source,
    network: { compartments: s.compartments, synapses: s.synapses, plasticSynapses: s.plasticSynapses, cores: s.cores, tiles: r.tiles, chips },
    stepsPerSample: steps,
    barrierNs: r.barrierNs,
    includeStatic: r.includeStatic,
    perSample: {
      energyMilliJoule: energyMJ,
      latencyMs,
      edpMilliJouleMs: energyMJ * latencyMs,
      dynamicEnergyMilliJoule: pJToMilliJoule(dynamicPJ),
      staticEnergyMilliJoule: pJToMilliJoule(staticPJ),
    },
    breakdown,
    latency: { barrierMs, coresMs: latencyMs - barrierMs, perStepUs: latencyNs / steps / 1e3 },
    perPhase,
    counts,
    dominantKind,
    dominantShare: share(dominantPJ),
  };
  if (r.cores) report.byCore = r.cores.lines(c, n);
  return report;
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
