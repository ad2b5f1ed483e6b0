/**
 * Operation counters. They count what the chip would do, which is not always what the
 * simulator does: the learning engine visits every plastic synapse each learning epoch,
 * and every compartment of a core is updated every step, active or not.
 *
 * Counts accumulate into "buckets". The host chooses the bucket for each step
 * (for sBP, the bucket is the phase of the gating chain, 0..11), so each figure can be read
 * per phase and in total. Storage is one Float64Array: no allocation while counting.
 */

/** Every counted kind of event. Index into the counter arrays. */
export const Op = {
  /** Synaptic ops: one per synapse a spike is delivered over (spike x fan-out). */
  synOps: 0,
  /** Compartment updates where the compartment had input, state, or a pending refractory count. */
  cxActive: 1,
  /** Compartment updates of compartments with nothing to do (the chip still visits them). */
  cxIdle: 2,
  /** Spikes emitted by compartments. */
  spikes: 3,
  /** Spikes injected by host spike generators. */
  genSpikes: 4,
  /** Learning-engine synapse visits (every plastic synapse, every learning epoch). */
  learnVisits: 5,
  /** Weight updates that changed a stored weight. */
  learnUpdates: 6,
  /** Spike messages delivered to a core in the same tile as the sender. */
  msgLocal: 7,
  /** Mesh hops east-west of spike messages between tiles. */
  hopsEW: 8,
  /** Mesh hops north-south of spike messages between tiles. */
  hopsNS: 9,
  /** Spike messages sent to a core in another tile. */
  msgRemote: 10,
  /** Mesh-wide barrier syncs (one per time step). */
  barriers: 11,
  /** Time steps run. */
  steps: 12,
  /** wrap24: the current u left the 24-bit signed range and wrapped. */
  uWrap: 13,
  /** wrap24: u + bias left the 24-bit signed range and wrapped. */
  uBiasWrap: 14,
  /** saturate: v was clamped to +(2^23 - 1). */
  vSatHigh: 15,
  /** saturate: v was clamped to -(2^23 - 1). */
  vSatLow: 16,
  /** wrapQ: the dendritic accumulator left 21 bits plus sign and wrapped. */
  qWrap: 17,
  /** Learning: a weight saturated at the top of its sign mode's range. */
  weightSatHigh: 18,
  /** Learning: a weight saturated at the bottom of its sign mode's range. */
  weightSatLow: 19,
  /** Learning: stochastic rounding of dw rounded away from the truncated value. */
  roundUp: 20,
  /** Learning: the accumulator clipped at +-(2^15 - 1). */
  accSat: 21,
  /** A trace was clipped at its 7-bit maximum. */
  traceSat: 22,
  /** A compartment had input but was held at v = 0 by its refractory counter. */
  refractoryHeld: 23,
} as const;

export type OpName = keyof typeof Op;
export const OP_NAMES = Object.keys(Op) as OpName[];
export const NUM_OPS = OP_NAMES.length;

/** The op kinds that cost time on a core; used for the per-core critical path. */
export const CoreOp = {
  synOps: 0,
  cxActive: 1,
  cxIdle: 2,
  learnVisits: 3,
  msgOut: 4,
} as const;
export const NUM_CORE_OPS = 5;

export class OpCounters {
  readonly data: Float64Array;
  bucket = 0;

  constructor(readonly numBuckets: number) {
    this.data = new Float64Array(numBuckets * NUM_OPS);
  }

  /** Add n events of kind op to the current bucket. */
  add(op: number, n: number): void {
    this.data[this.bucket * NUM_OPS + op] += n;
  }

  get(op: number, bucket: number): number {
    return this.data[bucket * NUM_OPS + op];
  }

  total(op: number): number {
    let s = 0;
    for (let b = 0; b < this.numBuckets; b++) s += this.data[b * NUM_OPS + op];
    return s;
  }

  reset(): void {
    this.data.fill(0);
  }

  /** Plain object of totals by name. */
  totals(): Record<OpName, number> {
    const out = {} as Record<OpName, number>;
    for (let i = 0; i < NUM_OPS; i++) out[OP_NAMES[i]] = this.total(i);
    return out;
  }

  /** Plain object of one bucket's counts by name. */
  bucketTotals(bucket: number): Record<OpName, number> {
    const out = {} as Record<OpName, number>;
    for (let i = 0; i < NUM_OPS; i++) out[OP_NAMES[i]] = this.get(i, bucket);
    return out;
  }
}
