/**
 * Run-time state of one synapse group: its weights, its shape, its learning state, and the
 * per-group caches the fast kernel keeps (see fast-kernel.ts).
 *
 * Weights: every group has its own array (own). The kernels and the learning engine work on
 * `store`, which is `own` except while the fast kernel lets a plastic copy follow its
 * leader (./copies): then the copy's store is the leader's array, and the copy set (its
 * `sharing`) owns that storage. Every access from outside goes through `weights`,
 * `setPostMajor`, `postMajor` or `weight`: the first two release the group from its copy set
 * first (every member gets its own array back, holding the current values), so whatever is
 * written there changes this group alone.
 */
import { weightScale } from './arith';
import type { Prng } from './prng';
import { ruleUses } from './learning-rule';
import type { LearningSpec, SynapseGroupSpec } from './spec';
import { storeWeight, weightLsb, weightRange, type SignMode } from './weights';
import { UserError } from '../errors';

/**
 * The empty arrays every group that lacks some state holds in its place: one of each type
 * for all groups of all chips (an empty typed array can be neither written nor grown, and
 * on a device each would cost the engine a typed-array header).
 */
export const NO_INT32 = new Int32Array(0);
export const NO_FLOAT64 = new Float64Array(0);

/** The owner of shared weight storage: releases a group (and its set) from sharing. */
export interface WeightSharing {
  release(g: SynapseGroup): void;
}

/** Run-time state of one synapse group. */
export class SynapseGroup {
  readonly name: string;
  readonly preStart: number;
  readonly preSize: number;
  readonly postStart: number;
  readonly postSize: number;
  readonly dense: boolean;
  /** The group's own weight array. Dense: [pre * postSize + post]. Sparse: parallel to targets. */
  own: Int16Array;
  /** The array the kernels and the learning engine read and write: own, or the leader's while this group follows it. */
  store: Int16Array;
  /** The copy set whose storage this group is part of (fast kernel, ./copies), or null. */
  sharing: WeightSharing | null = null;
  /** Fast kernel: this plastic group follows its leader: they share storage, and the leader's learning is this group's. */
  followsLeader = false;
  /** Fast kernel, a plastic leader: this group plus the copies that follow it (for counting their updates). */
  copies = 1;
  readonly offsets: Uint32Array | null;
  readonly targets: Uint32Array | null;
  /** Sparse group whose every row reaches all posts 0..postSize-1 in order (one-to-all). */
  readonly fullRows: boolean;
  /** Sparse group in which pre i reaches at most post i, over one synapse (one-to-one). */
  readonly identity: boolean;
  readonly scale: number;
  readonly delay: number;
  readonly numSynapses: number;
  /** The learning spec; its rule can be replaced at run time (./reprogram), the rest is fixed. */
  learning: LearningSpec | null;
  readonly signMode: SignMode;
  readonly numWeightBits: number;
  readonly wMin: number;
  readonly wMax: number;
  readonly lsb: number;
  /** Per-core synapse counts of this group, as (core, count) pairs. */
  coreSynapses: Int32Array = NO_INT32;
  /** Dense groups: per-core post counts, as (core, count) pairs, for one pre spike. */
  corePosts: Int32Array = NO_INT32;
  /** Per pre: number of synapses (fan-out). */
  readonly fanout: Uint32Array;
  /**
   * Fast kernel: the group whose dense row sums this group reads. A group is its own
   * leader unless it is an exact copy of an earlier group (same pre, shape, delay, scale,
   * rule and identical weights): then only the leader adds rows and the copy reads the sums.
   */
  leader = -1;
  /** Fast kernel, dense groups: row sums in weight units, one buffer per delay slot. */
  scratch: Int32Array[] | null = null;
  /**
   * Fast kernel, dense leaders: memoSum holds the latest row sums, and stepPreCount the rows
   * delivered this step. Plastic leaders also keep this step's pre spikes (stepPre) and a memo
   * of the last row sum computed: which pres it covered (memoStamp[i] === memoId) and the
   * weight changes made since to synapses of those pres. When the same pres fire again the
   * sum is memoSum + memoDelta, exactly what adding the rows again would give.
   */
  stepPre: Int32Array = NO_INT32;
  stepPreCount = 0;
  memoStamp: Int32Array = NO_INT32;
  memoId = 0;
  memoCount = -1;
  memoSum: Int32Array = NO_INT32;
  memoDelta: Float64Array = NO_FLOAT64;
  memoDirty = false;
  /** Fast kernel: the prototype of all post compartments if they share a memoryless one, else -1. */
  postMemoryless = -1;
  /** The first group with the same post range: whole-row deliveries mark ranges by it, so a
   * range that several groups deliver to is visited once per step. */
  rangeId = -1;
  /** No other group's post range partly overlaps this one's (equal ranges share rangeId). */
  rangeClean = true;
  /**
   * Fast kernel: a one-to-all group without learning whose weights are all equal, into a
   * clean memoryless range, delivers a row as one number: its weight in hardware units
   * (added to the range's offset for that slot). NaN otherwise.
   */
  uniformRow = NaN;
  /**
   * Fast kernel, dense groups: a bound on |w| over all weights, handed to the row-sum kernel
   * (which may add in narrower integers below a bound). The larger of the format's range and
   * the largest |w| found when the weights were last written from outside (learning keeps
   * them inside the format's range). Set by FastKernel.checkWrites.
   */
  absBound = 32768;
  /**
   * Fast kernel: a one-to-one group without learning in which every pre i has its synapse to
   * post i, all of one weight: that weight in hardware units. NaN otherwise. Set by
   * FastKernel.checkWrites.
   */
  uniformIdentity = NaN;
  /** Spikes this group delivered in the current step (for the per-core time model). */
  stepSpikes = 0;
  /**
   * Writes from outside (setPostMajor, Chip.weightsChanged) to any group of any chip: a chip
   * re-derives its copies when this changes.
   */
  static allWrites = 0;
  // learning state
  preList: Int32Array;
  preCount = 0;
  preStamp: Int32Array;
  postList: Int32Array;
  postCount = 0;
  postStamp: Int32Array;
  epochId = 1;
  x1: Float64Array | null = null;
  x2: Float64Array | null = null;
  y1: Float64Array | null = null;
  y2: Float64Array | null = null;
  y3: Float64Array | null = null;
  /** Reward trace r1 as this group's learning rule sees it (decays over the group's epochs). */
  r1 = 0;
  /** The generator of the group's own rounding stream (LearningSpec.roundingStream), or null: the chip's. */
  ownRng: Prng | null = null;
  /** The rounding generator learning draws from: ownRng, or the leader's while this group follows it (as store is own or the leader's). */
  roundRng: Prng | null = null;

  /** Stop drawing from a leader's generator: the own one takes over where that one is (the two drew alike). */
  ownRounding(): void {
    if (this.ownRng && this.roundRng !== this.ownRng) {
      this.ownRng.restoreState(this.roundRng!.state);
      this.roundRng = this.ownRng;
    }
  }
  /**
   * A dense plastic group whose rule has pair support, no traces and no w: every term is a
   * multiple of x0*y0 and reads no per-synapse state (LearningEngine.applyRule's fast path).
   */
  readonly pairFast: boolean;

  /**
   * With `adopt` (a device chip, ChipSpec.lean) the group keeps the spec's weight array as its
   * own instead of a copy: learning and writes then change the spec's array.
   */
  constructor(spec: SynapseGroupSpec, adopt = false) {
    this.name = spec.name;
    this.preStart = spec.preStart;
    this.preSize = spec.preSize;
    this.postStart = spec.postStart;
    this.postSize = spec.postSize;
    this.scale = weightScale(spec.weightExp);
    this.delay = spec.delay;
    this.learning = spec.learning ?? null;
    this.signMode = spec.signMode;
    this.numWeightBits = spec.numWeightBits;
    const range = weightRange(spec.signMode, spec.numWeightBits);
    this.wMin = range[0];
    this.wMax = range[1];
    this.lsb = weightLsb(spec.signMode, spec.numWeightBits);
    this.fanout = new Uint32Array(spec.preSize);
    if (spec.connectivity.kind === 'dense') {
      this.dense = true;
      this.own = adopt ? spec.connectivity.weights : spec.connectivity.weights.slice();
      this.store = this.own;
      this.offsets = null;
      this.targets = null;
      this.numSynapses = spec.preSize * spec.postSize;
      this.fanout.fill(spec.postSize);
      this.fullRows = false;
      this.identity = false;
    } else {
      this.dense = false;
      this.own = adopt ? spec.connectivity.weights : spec.connectivity.weights.slice();
      this.store = this.own;
      this.offsets = spec.connectivity.offsets;
      this.targets = spec.connectivity.targets;
      this.numSynapses = this.targets.length;
      for (let i = 0; i < spec.preSize; i++) this.fanout[i] = this.offsets[i + 1] - this.offsets[i];
      let full = true;
      for (let i = 0; full && i < spec.preSize; i++) {
        if (this.fanout[i] !== spec.postSize) full = false;
        for (let k = 0; full && k < spec.postSize; k++) if (this.targets[this.offsets[i] + k] !== k) full = false;
      }
      this.fullRows = full;
      let ident = true;
      for (let i = 0; ident && i < spec.preSize; i++) if (this.fanout[i] > 1 || (this.fanout[i] === 1 && this.targets[this.offsets[i]] !== i)) ident = false;
      this.identity = ident;
    }
    this.preList = this.learning ? new Int32Array(spec.preSize) : NO_INT32;
    this.preStamp = this.learning ? new Int32Array(spec.preSize) : NO_INT32;
    this.postList = this.learning ? new Int32Array(spec.postSize) : NO_INT32;
    this.postStamp = this.learning ? new Int32Array(spec.postSize) : NO_INT32;
    const l = this.learning;
    if (l) {
      if (l.x1 || ruleUses(l.rule, 'x1')) this.x1 = new Float64Array(spec.preSize);
      if (l.x2 || ruleUses(l.rule, 'x2')) this.x2 = new Float64Array(spec.preSize);
      if (l.y1 || ruleUses(l.rule, 'y1')) this.y1 = new Float64Array(spec.postSize);
      if (l.y2 || ruleUses(l.rule, 'y2')) this.y2 = new Float64Array(spec.postSize);
      if (l.y3 || ruleUses(l.rule, 'y3')) this.y3 = new Float64Array(spec.postSize);
    }
    this.pairFast = l !== null && l.rule.support === 'pair' && this.dense && !this.x1 && !this.x2 && !this.y1 && !this.y2 && !this.y3 && !ruleUses(l.rule, 'w');
  }


  /**
   * The weights, to read or write from outside (dense: [pre * postSize + post]; sparse:
   * parallel to targets). The group is released from any copy set first, so the array is
   * this group's alone. After writing, call Chip.weightsChanged() before the next step; do
   * not keep the array across steps (the next step may let copies share storage again).
   */
  get weights(): Int16Array {
    if (this.sharing !== null) this.sharing.release(this);
    return this.store;
  }

  /** Weight of pre i -> post j (dense groups), or NaN if absent (sparse without that synapse). */
  weight(i: number, j: number): number {
    if (this.dense) return this.store[i * this.postSize + j];
    const o = this.offsets!;
    const t = this.targets!;
    for (let k = o[i]; k < o[i + 1]; k++) if (t[k] === j) return this.store[k];
    return NaN;
  }

  /** The weights as a post x pre matrix (the layout weight files use). Dense groups only. */
  postMajor(out?: Int16Array): Int16Array {
    const m = out ?? new Int16Array(this.preSize * this.postSize);
    const w = this.store;
    for (let i = 0; i < this.preSize; i++)
      for (let j = 0; j < this.postSize; j++) m[j * this.preSize + i] = w[i * this.postSize + j];
    return m;
  }

  /** Throws, naming the entry, unless setPostMajor(m) would accept m. */
  checkPostMajor(m: ArrayLike<number>): void {
    if (m.length !== this.preSize * this.postSize) {
      throw new UserError(`${this.name}: expected ${this.postSize}x${this.preSize} = ${this.preSize * this.postSize} weights (post x pre), got ${m.length}`);
    }
    for (let k = 0; k < m.length; k++) {
      const x = m[k];
      if (storeWeight(x, this.signMode, this.numWeightBits) !== x) {
        const j = Math.floor(k / this.preSize);
        throw new UserError(
          `${this.name} weight [${j}][${k - j * this.preSize}] = ${x} is not a stored mantissa of this group (${this.wMin}..${this.wMax}, step ${this.lsb})`,
        );
      }
    }
  }

  /**
   * Set the weights from a post x pre matrix (dense groups only). Every value must be a
   * mantissa this group's format stores as it is (what storeWeight leaves unchanged: an
   * integer in wMin..wMax, a multiple of lsb); otherwise nothing is written and it throws.
   */
  setPostMajor(m: ArrayLike<number>): void {
    this.checkPostMajor(m);
    SynapseGroup.allWrites++;
    const w = this.weights;
    for (let i = 0; i < this.preSize; i++)
      for (let j = 0; j < this.postSize; j++) w[i * this.postSize + j] = m[j * this.preSize + i];
  }
}
