/**
 * Energy / latency model: turns the chip's op counters into energy per kind, latency and
 * energy-delay product, per bucket (a phase of the gating chain) and in total.
 *
 * Model form (docs/energy-latency.md, "Energy" and "Latency"):
 *   E = sum over kinds of count x pJ  (+ static power x chips x time, reported separately)
 *   T = given by the chip: sum over steps of (max over cores of that core's op time) + barrier.
 * The model does not compute latency itself; it only sums the per-bucket latency the chip
 * measured with timeWeights() below, because the critical path needs per-core counts that
 * the aggregate counters no longer hold.
 *
 * The counts are what the chip does (rules stated where they are counted, src/chip/chip.ts):
 * every configured compartment is updated every step (cxActive + cxIdle = compartments x
 * steps); the learning engine visits every plastic synapse every epoch (learnVisits =
 * plastic synapses x epochs); a spike is one message per distinct destination core (local
 * within the sender's tile, otherwise remote plus mesh hops); one barrier per step.
 */
import { CoreOp, NUM_CORE_OPS, Op, OpCounters } from '../chip/counters';
import { EnergyConstants } from './constants';

/** Energy by kind in pJ. Every kind that costs energy has its own line. */
export interface EnergyBreakdownPJ {
  synOps: number;
  learnVisits: number;
  cxActive: number;
  cxIdle: number;
  msgLocal: number;
  /** East-west plus north-south mesh hops. */
  hops: number;
  msgRemote: number;
  /** Per-spike cost beyond the compartment update (0 in sets without one). */
  spikes: number;
  /** Static power x chips x latency; 0 unless includeStatic. */
  static: number;
  total: number;
}

/** The energy kinds in report order (all lines except total). */
export const ENERGY_KINDS = [
  'synOps',
  'learnVisits',
  'cxActive',
  'cxIdle',
  'msgLocal',
  'hops',
  'msgRemote',
  'spikes',
  'static',
] as const;
export type EnergyKind = (typeof ENERGY_KINDS)[number];

export interface BucketCost {
  bucket: number;
  /** Total energy of this bucket in pJ (including its static share if included). */
  energyPJ: number;
  latencyNs: number;
  /** Energy in pJ by kind (the ENERGY_KINDS names). */
  byKind: Record<string, number>;
}

export interface CostReport {
  /** Name of the constant set used. */
  constants: string;
  energyPJ: EnergyBreakdownPJ;
  latencyNs: number;
  perBucket: BucketCost[];
  /** Energy-delay product in mJ x ms (total energy x total latency). */
  edpMilliJouleMs: number;
  /** Number of samples the figures are divided by (1 for a whole-run report). */
  samples: number;
}

/**
 * Time in ns per CoreOp kind, indexed by CoreOp. The chip multiplies each core's per-step
 * CoreOp counts by these, takes the max over cores (cores run in parallel, so the slowest
 * core is the critical path) and adds the barrier time of the step.
 */
export function timeWeights(c: EnergyConstants): Float64Array {
  const w = new Float64Array(NUM_CORE_OPS);
  w[CoreOp.synOps] = c.ns.synOp;
  w[CoreOp.cxActive] = c.ns.cxActive;
  w[CoreOp.cxIdle] = c.ns.cxIdle;
  w[CoreOp.learnVisits] = c.ns.learnVisit;
  w[CoreOp.msgOut] = c.ns.msgOut;
  return w;
}

/** Dynamic energy of one bucket by kind, in pJ (static is added by the caller). */
function bucketEnergy(counters: OpCounters, b: number, c: EnergyConstants, out: Record<string, number>): void {
  const n = (op: number): number => counters.get(op, b);
  // One synaptic op per synapse a spike is delivered over.
  out.synOps = n(Op.synOps) * c.pJ.synOp;
  // The learning engine's cost is per plastic synapse visited each learning epoch, whether
  // or not the weight changes; learnUpdates (weights that changed) is not charged again.
  out.learnVisits = n(Op.learnVisits) * c.pJ.learnVisit;
  // Every configured compartment is updated every step: active ones (input, refractory count
  // or own dynamics) at the active cost, the rest at the idle cost.
  out.cxActive = n(Op.cxActive) * c.pJ.cxActive;
  out.cxIdle = n(Op.cxIdle) * c.pJ.cxIdle;
  // A message delivered to a core within the sender's tile (its own core included).
  out.msgLocal = n(Op.msgLocal) * c.pJ.msgLocal;
  // A message to another tile pays each hop it travels, by direction...
  out.hops = n(Op.hopsEW) * c.pJ.hopEW + n(Op.hopsNS) * c.pJ.hopNS;
  // ...plus the set's per-message remote cost, if it has one.
  out.msgRemote = n(Op.msgRemote) * (c.pJ.msgRemote !== undefined ? c.pJ.msgRemote : 0);
  // A per-spike cost beyond the compartment update, if the set has one. Host-injected
  // spikes (genSpikes) are not charged: their delivery shows up as synOps and messages.
  out.spikes = n(Op.spikes) * (c.pJ.spike !== undefined ? c.pJ.spike : 0);
  // Barriers cost time (inside the given latency) but no published energy.
}

/**
 * Energy, latency and EDP of a run.
 * - counters: the chip's op counts per bucket.
 * - latencyNsPerBucket: the chip's critical-path time per bucket (one entry per bucket).
 * - opts.chips: chips powered (for static power); opts.includeStatic: add static energy
 *   = staticMilliWattPerChip x chips x latency (1 mW x 1 ns = 1 pJ), per bucket.
 * The per-bucket energies sum to the total.
 */
export function costReport(
  counters: OpCounters,
  latencyNsPerBucket: Float64Array,
  c: EnergyConstants,
  opts: { chips: number; includeStatic: boolean },
): CostReport {
  if (latencyNsPerBucket.length !== counters.numBuckets) {
    throw new Error(
      'costReport: latencyNsPerBucket has ' +
        latencyNsPerBucket.length +
        ' entries but the counters have ' +
        counters.numBuckets +
        ' buckets',
    );
  }
  if (!(opts.chips > 0) || !isFinite(opts.chips)) {
    throw new Error('costReport: chips must be a positive number, got ' + opts.chips);
  }
  const staticMilliWatt = opts.includeStatic ? c.staticMilliWattPerChip * opts.chips : 0;
  const totals: EnergyBreakdownPJ = {
    synOps: 0,
    learnVisits: 0,
    cxActive: 0,
    cxIdle: 0,
    msgLocal: 0,
    hops: 0,
    msgRemote: 0,
    spikes: 0,
    static: 0,
    total: 0,
  };
  const perBucket: BucketCost[] = [];
  let latencyNs = 0;
  for (let b = 0; b < counters.numBuckets; b++) {
    const lat = latencyNsPerBucket[b];
    if (!(lat >= 0) || !isFinite(lat)) {
      throw new Error('costReport: latency of bucket ' + b + ' must be a finite number >= 0, got ' + lat);
    }
    const byKind: Record<string, number> = {};
    bucketEnergy(counters, b, c, byKind);
    byKind.static = staticMilliWatt * lat;
    let e = 0;
    for (let k = 0; k < ENERGY_KINDS.length; k++) {
      const kind = ENERGY_KINDS[k];
      e += byKind[kind];
      totals[kind] += byKind[kind];
    }
    totals.total += e;
    latencyNs += lat;
    perBucket.push({ bucket: b, energyPJ: e, latencyNs: lat, byKind });
  }
  return {
    constants: c.name,
    energyPJ: totals,
    latencyNs,
    perBucket,
    edpMilliJouleMs: pJToMilliJoule(totals.total) * nsToMs(latencyNs),
    samples: 1,
  };
}

/**
 * The report divided by a number of samples: energy and latency per sample, and EDP per
 * sample (energy per sample x latency per sample, as Renner et al. 2024 Table 1 computes it).
 */
export function perSample(report: CostReport, samples: number): CostReport {
  if (!(samples > 0) || !isFinite(samples)) {
    throw new Error('perSample: samples must be a positive number, got ' + samples);
  }
  const e = {} as EnergyBreakdownPJ;
  for (let k = 0; k < ENERGY_KINDS.length; k++) e[ENERGY_KINDS[k]] = report.energyPJ[ENERGY_KINDS[k]] / samples;
  e.total = report.energyPJ.total / samples;
  const latencyNs = report.latencyNs / samples;
  const perBucket: BucketCost[] = [];
  for (let i = 0; i < report.perBucket.length; i++) {
    const p = report.perBucket[i];
    const byKind: Record<string, number> = {};
    for (const kind in p.byKind) byKind[kind] = p.byKind[kind] / samples;
    perBucket.push({ bucket: p.bucket, energyPJ: p.energyPJ / samples, latencyNs: p.latencyNs / samples, byKind });
  }
  return {
    constants: report.constants,
    energyPJ: e,
    latencyNs,
    perBucket,
    edpMilliJouleMs: pJToMilliJoule(e.total) * nsToMs(latencyNs),
    samples: report.samples * samples,
  };
}

/** Picojoules to millijoules (1 mJ = 1e9 pJ). */
export function pJToMilliJoule(pJ: number): number {
  return pJ / 1e9;
}

/** Picojoules to microjoules (1 uJ = 1e6 pJ). */
export function pJToMicroJoule(pJ: number): number {
  return pJ / 1e6;
}

/** Nanoseconds to milliseconds (1 ms = 1e6 ns). */
export function nsToMs(ns: number): number {
  return ns / 1e6;
}

/** Nanoseconds to microseconds (1 us = 1e3 ns). */
export function nsToUs(ns: number): number {
  return ns / 1e3;
}
