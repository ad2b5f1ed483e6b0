/**
 * The chip: compartments, synapse memory, an event-driven spike router with axonal delays,
 * the learning engine and the op counters, stepped one time step at a time.
 *
 * A time step, in the order the hardware runs it:
 *   1. compartment update: every compartment with input due this step, a running refractory
 *      counter, or dynamics of its own (non-full decay, bias-driven firing) is updated with
 *      the integer rules of ./compartment (the others are at rest and stay there exactly);
 *   2. spike routing: each spike (compartment or host generator) is sent over its synapse
 *      groups, reading the weights as they are now, into the dendritic accumulator slot of
 *      step t + 1 + delay;
 *   3. learning: at the end of each learning epoch the engine applies the sum-of-products
 *      rule to the plastic synapses.
 * `ordering: 'learn-then-route'` swaps 2 and 3 (spikes then see this step's new weights).
 *
 * Work per step is proportional to spikes and their fan-out, not to the network's size.
 * The hot path allocates nothing: all state lives in typed arrays sized at construction.
 *
 * What this model still lacks compared with Loihi 1: noise, multi-compartment joins,
 * graded spikes, tag/delay learning (dt, dd), the u (epoch-counter) dependencies, axon
 * routing tables and synaptic-delay memory sharing, and the exact hardware trace decay
 * (traces decay in floating point, then round stochastically, as Lava does).
 */
import { decay, effectiveBias, saturateV, thresholdUnits, TWO_21, TWO_23, V_MAX, V_MIN, weightScale, wrap24, wrapQ } from './arith';
import { CoreOp, NUM_CORE_OPS, NUM_OPS, Op, OpCounters } from './counters';
import { evaluateRule, ruleUses, VAR_INDEX } from './learning-rule';
import { Prng } from './prng';
import { jsRowSumKernel, type ListUpdate, type RangeUpdate, type RowSumKernel } from './row-sum';
import type { ChipSpec, LearningSpec, SynapseGroupSpec, TraceSpec } from './spec';
import { storeWeight, weightLsb, weightRange, type SignMode } from './weights';
import { UserError } from '../errors';

/** Learning accumulator: 15 bits plus sign, holding dw with 7 fractional bits. */
const ACC_FRAC = 128;
const ACC_MAX = 32767;
/** Traces are 7-bit unsigned. */
const TRACE_MAX = 127;

/** srcMsgPacked's field width: 2^26. */
const MSG_PACK = 67108864;

/** Indices of Chip.ruleSteps: the per-step tallies of each integer rule that fired. */
const RS_Q_WRAP = 0;
const RS_U_WRAP = 1;
const RS_U_BIAS_WRAP = 2;
const RS_V_SAT_HIGH = 3;
const RS_V_SAT_LOW = 4;
const RS_REFRACTORY_HELD = 5;

/** wrapQ, tallied when it fires. */
function countedWrapQ(q: number, rs: Float64Array): number {
  if (q < TWO_21 && q >= -TWO_21) return q;
  rs[RS_Q_WRAP]++;
  return wrapQ(q);
}

/** wrap24, tallied in rs[k] when it fires. */
function countedWrap24(x: number, rs: Float64Array, k: number): number {
  if (x <= TWO_23 && x > -TWO_23) return x;
  rs[k]++;
  return wrap24(x);
}

/** saturateV, tallied when it clamps. */
function countedSaturateV(v: number, rs: Float64Array): number {
  if (v > V_MAX) {
    rs[RS_V_SAT_HIGH]++;
    return V_MAX;
  }
  if (v < V_MIN) {
    rs[RS_V_SAT_LOW]++;
    return V_MIN;
  }
  return v;
}

/**
 * Number the distinct lists of a compressed table (list q is entries[start[q] .. start[q + 1])):
 * sig[q] is the signature of list q, and the entries of signature k are
 * sigEntries[sigStart[k] .. sigStart[k + 1]). Neighbouring sources mostly share a list (they
 * are one population), so each list is first compared with the previous one; only a change
 * builds a key (this keeps the construction's garbage, and the heap it grows, small).
 */
function signatures(start: Uint32Array, entries: ArrayLike<number>): { sig: Int32Array; start: Uint32Array; entries: Uint32Array } {
  const n = start.length - 1;
  // (a plain object, not a Map: the portable core runs on ES5 engines)
  const ids: Record<string, number> = Object.create(null);
  const firstOf: number[] = [];
  const sig = new Int32Array(n);
  let total = 0;
  for (let q = 0; q < n; q++) {
    const a = start[q];
    const len = start[q + 1] - a;
    if (q > 0 && start[q] - start[q - 1] === len) {
      const p = start[q - 1];
      let same = true;
      for (let k = 0; same && k < len; k++) if (entries[p + k] !== entries[a + k]) same = false;
      if (same) {
        sig[q] = sig[q - 1];
        continue;
      }
    }
    let key = '';
    for (let k = 0; k < len; k++) key += entries[a + k] + ',';
    let id = ids[key];
    if (id === undefined) {
      id = firstOf.length;
      ids[key] = id;
      firstOf.push(q);
      total += len;
    }
    sig[q] = id;
  }
  const sigStart = new Uint32Array(firstOf.length + 1);
  const sigEntries = new Uint32Array(total);
  for (let k = 0; k < firstOf.length; k++) {
    const q = firstOf[k];
    const len = start[q + 1] - start[q];
    for (let e = 0; e < len; e++) sigEntries[sigStart[k] + e] = entries[start[q] + e];
    sigStart[k + 1] = sigStart[k] + len;
  }
  return { sig, start: sigStart, entries: sigEntries };
}

/** Sort a[0..n) ascending in place (insertion sort: the lists arrive nearly sorted). */
function sortAscending(a: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

/** a[base + j] += w[off + j] * scale for j < n: the dense delivery kernel. */
function addScaledRow(a: Float64Array, base: number, w: Int16Array, off: number, n: number, scale: number): void {
  for (let j = 0; j < n; j++) a[base + j] += w[off + j] * scale;
}

/** Run-time state of one synapse group. */
export class SynapseGroup {
  readonly name: string;
  readonly preStart: number;
  readonly preSize: number;
  readonly postStart: number;
  readonly postSize: number;
  readonly dense: boolean;
  /**
   * Dense: [pre * postSize + post]. Sparse: parallel to targets. Every group owns its array:
   * no other group's array is ever the same storage.
   */
  weights: Int16Array;
  /**
   * Fast kernel: this plastic group learns as its leader's copy (see Chip.checkSharing): the
   * leader's learning writes this group's weights too, and counts its updates.
   */
  followsLeader = false;
  /** Fast kernel, a plastic leader: this group plus the copies that follow it (for counting their updates). */
  copies = 1;
  /** Fast kernel, a plastic leader: the weight arrays of its copies, written with its own by every learning update. */
  mirrors: Int16Array[] = [];
  readonly offsets: Uint32Array | null;
  readonly targets: Uint32Array | null;
  /** Sparse group whose every row reaches all posts 0..postSize-1 in order (one-to-all). */
  readonly fullRows: boolean;
  /** Sparse group in which pre i reaches at most post i, over one synapse (one-to-one). */
  readonly identity: boolean;
  readonly scale: number;
  readonly delay: number;
  readonly numSynapses: number;
  readonly learning: LearningSpec | null;
  readonly signMode: SignMode;
  readonly numWeightBits: number;
  readonly wMin: number;
  readonly wMax: number;
  readonly lsb: number;
  /** Per-core synapse counts of this group, as (core, count) pairs. */
  coreSynapses: Int32Array = new Int32Array(0);
  /** Dense groups: per-core post counts, as (core, count) pairs, for one pre spike. */
  corePosts: Int32Array = new Int32Array(0);
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
  stepPre: Int32Array = new Int32Array(0);
  stepPreCount = 0;
  memoStamp: Int32Array = new Int32Array(0);
  memoId = 0;
  memoCount = -1;
  memoSum: Int32Array = new Int32Array(0);
  memoDelta: Float64Array = new Float64Array(0);
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
   * them inside the format's range). Set by Chip.checkSharing.
   */
  absBound = 32768;
  /**
   * Fast kernel: a one-to-one group without learning in which every pre i has its synapse to
   * post i, all of one weight: that weight in hardware units. NaN otherwise. Set by
   * Chip.checkSharing.
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
  /**
   * A dense plastic group whose rule has pair support, no traces and no w: every term is a
   * multiple of x0*y0 and reads no per-synapse state (Chip.applyRule's fast path).
   */
  readonly pairFast: boolean;

  constructor(spec: SynapseGroupSpec) {
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
      this.weights = spec.connectivity.weights;
      this.offsets = null;
      this.targets = null;
      this.numSynapses = spec.preSize * spec.postSize;
      this.fanout.fill(spec.postSize);
      this.fullRows = false;
      this.identity = false;
    } else {
      this.dense = false;
      this.weights = spec.connectivity.weights;
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
    this.preList = new Int32Array(this.learning ? spec.preSize : 0);
    this.preStamp = new Int32Array(this.learning ? spec.preSize : 0);
    this.postList = new Int32Array(this.learning ? spec.postSize : 0);
    this.postStamp = new Int32Array(this.learning ? spec.postSize : 0);
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

  /** Weight of pre i -> post j (dense groups), or NaN if absent (sparse without that synapse). */
  weight(i: number, j: number): number {
    if (this.dense) return this.weights[i * this.postSize + j];
    const o = this.offsets!;
    const t = this.targets!;
    for (let k = o[i]; k < o[i + 1]; k++) if (t[k] === j) return this.weights[k];
    return NaN;
  }

  /** The weights as a post x pre matrix (the layout weight files use). Dense groups only. */
  postMajor(out?: Int16Array): Int16Array {
    const m = out ?? new Int16Array(this.preSize * this.postSize);
    const w = this.weights;
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

interface RewardChannel {
  name: string;
  sourceFlag: Uint8Array;
  impulse: number;
  tau: number;
  /** Step of the last reward spike. */
  lastSpike: number;
}

export class Chip {
  readonly spec: ChipSpec;
  readonly numCompartments: number;
  readonly numSources: number;
  readonly counters: OpCounters;
  readonly groups: SynapseGroup[];
  readonly prng: Prng;
  /** Last completed step; the first step run is 1. */
  time = 0;

  // compartment state and parameters
  readonly u: Int32Array;
  readonly v: Int32Array;
  readonly ref: Uint8Array;
  /** Step of each compartment's last update: also the per-step visit stamp (each is updated at most once a step). */
  readonly lastUpdate: Int32Array;
  private readonly cxProto: Uint16Array;
  private readonly cxCore: Uint16Array;
  private readonly pDecayU: Float64Array;
  private readonly pDecayV: Float64Array;
  private readonly pBias: Float64Array;
  private readonly pVth: Float64Array;
  private readonly pRef: Uint8Array;
  /** Prototype is memoryless (both decays 4096) and cannot fire on bias alone. */
  private readonly pQuiet: Uint8Array;
  private readonly pRestV: Float64Array;
  /** Memoryless prototypes: the inputs q for which no wrap or saturation rule can fire. */
  private readonly pQLo: Float64Array;
  private readonly pQHi: Float64Array;
  /** 1 if the prototype is memoryless (both decays 4096). */
  private readonly pMemoryless: Uint8Array;
  private readonly alwaysList: Int32Array;

  // dendritic accumulators, one per delay slot, in hardware units
  private readonly slots: number;
  private readonly slotMask: number;
  private readonly acc: Float64Array[];
  private readonly singles: Int32Array[];
  private readonly singleCount: Int32Array;
  private readonly singleMark: Int32Array[];
  private readonly rangeGroups: Int32Array[];
  private readonly rangeCount: Int32Array;
  private readonly rangeMark: Int32Array;
  /** Fast kernel: uniform input per (range, slot), in hardware units (see visitMemorylessRange). */
  private readonly rangeOffset: Float64Array;
  /** Fast kernel: per range, the step whose update adds fusedSrc * fusedScale (see flush). */
  private readonly fusedMark: Int32Array;
  private readonly fusedSrc: Int32Array[];
  private readonly fusedScale: Float64Array;
  /** Zeros, for a range update with no fused sums. */
  private readonly zeroSums: Int32Array;

  // generator schedule, per slot
  private readonly genPending: Int32Array[];
  private readonly genPendingCount: Int32Array;
  private readonly genMark: Int32Array[];

  // routing tables: per source, its (group, local pre index) pairs and message costs
  private readonly outStart: Uint32Array;
  private readonly outGroup: Uint16Array;
  private readonly outPre: Uint32Array;
  /**
   * Fast kernel: sources with the same list of synapse groups share a signature; the groups
   * of signature k are sigGroup[sigStart[k] .. sigStart[k + 1]). Spikes are routed in runs
   * of consecutive spikes with one signature, group by group.
   */
  private readonly srcSig: Int32Array;
  private readonly sigStart: Uint32Array;
  private readonly sigGroup: Uint16Array;
  private readonly srcCore: Uint16Array;
  /** Per source s, its messages per spike: srcMsg[4s .. 4s + 3] = msgLocal, msgRemote, hopsEW, hopsNS. */
  private readonly srcMsg: Float64Array;
  /**
   * The same, two numbers to a source: srcMsgPacked[2s] = msgLocal + msgRemote * 2^26 and
   * srcMsgPacked[2s + 1] = hopsEW + hopsNS * 2^26, or null. Exact only while every field
   * summed over all sources stays below 2^26 (one step routes each source at most once), so
   * it is built only for chips where it does.
   */
  private srcMsgPacked: Float64Array | null = null;

  // per-step work lists
  /** Per-step tallies of the rules that fired: qWrap, uWrap, uBiasWrap, vSatHigh, vSatLow, refractoryHeld. */
  private readonly ruleSteps = new Float64Array(6);
  private nVisit = 0;
  private nSpiked = 0;
  private nRef = 0;
  /**
   * Compartments with a refractory count running: refIn lists those of the last step (updated
   * this step), refOut collects this step's; the two swap at the end of a step.
   */
  private refIn: Int32Array;
  private refCount = 0;
  private refOut: Int32Array;
  /** Compartments that spiked in the last step. */
  readonly spikedCx: Int32Array;
  spikedCount = 0;
  /** Generator ports that spiked in the last step (valid until the next step). */
  spikedGen: Int32Array;
  spikedGenCount = 0;

  private readonly fast: boolean;
  /** Fast kernel: the row-sum implementation (plain JS unless the host injects another). */
  readonly rowSum: RowSumKernel;
  /**
   * Fast kernel: the row-sum kernel's update of memoryless ranges, if it has one, else null;
   * bound to refOut (kernelVisitAlt to refIn: the two swap with the lists).
   */
  private kernelVisit: RangeUpdate | null;
  private kernelVisitAlt: RangeUpdate | null;
  /** Fast kernel: the row-sum kernel's update of listed memoryless compartments, or null (and bound as above). */
  private kernelList: ListUpdate | null;
  private kernelListAlt: ListUpdate | null;
  /** Counts passed to and from kernelVisit and kernelList: nSpiked, nRef, held, visits. */
  private readonly kernelState: Int32Array;
  /**
   * Every group delivers whole hardware units (weight exponents of -6 and up: mantissa times
   * an integer power of two), so every compartment input is an integer.
   */
  private readonly integralInputs: boolean;
  private readonly flushList: Int32Array[];
  private readonly flushCount: Int32Array;
  private readonly flushMark: Int32Array;
  private sharingWrites = -1;

  private readonly rewards: RewardChannel[];
  private readonly plastic: SynapseGroup[];
  private readonly plasticIndex: number[];
  /**
   * Per source, its plastic groups and roles as a signature: the entries of signature k are
   * plSigEntry[plSigStart[k] .. plSigStart[k + 1]), each 2p (pre of plastic group p) or
   * 2p + 1 (post of p).
   */
  private readonly plSig: Int32Array;
  private readonly plSigStart: Uint32Array;
  private readonly plSigEntry: Uint32Array;
  private readonly vars = new Float64Array(10);

  // per-core load of the current step, for the critical-path latency
  readonly coreOps: Float64Array;
  private readonly coreCx: Float64Array;
  private readonly coreActive: Float64Array;
  private timeWeights: Float64Array | null = null;
  private readonly denseTouched: Int32Array;
  private readonly denseRouted: Int32Array;
  private denseRoutedCount = 0;
  private denseTouchedCount = 0;
  /** Learning visits per core of the plastic groups with tEpoch 1 (the same every step). */
  private readonly learnVisitsEveryStep: Float64Array;
  private barrierNs = 0;
  /** Critical-path latency per counter bucket, ns (filled when a time model is set). */
  latencyNs: Float64Array;

  constructor(spec: ChipSpec) {
    this.spec = spec;
    const n = spec.numCompartments;
    this.numCompartments = n;
    this.numSources = n + spec.numGeneratorPorts;
    this.counters = new OpCounters(spec.numBuckets);
    this.latencyNs = new Float64Array(spec.numBuckets);
    this.prng = new Prng(spec.seed);

    let maxDelay = 0;
    let maxPost = 0;
    for (const g of spec.synapseGroups) {
      if (g.delay > maxDelay) maxDelay = g.delay;
      if (g.postSize > maxPost) maxPost = g.postSize;
    }
    let slots = 2;
    while (slots < maxDelay + 2) slots *= 2;
    this.slots = slots;
    this.slotMask = slots - 1;
    this.fast = (spec.kernel ?? 'fast') === 'fast';
    // The fast kernel keeps the arrays its row-sum kernel works on in that kernel's memory:
    // per dense group its weights, pre list and sums; the compartment state, the accumulators
    // and the spike and refractory lists. Each allocation is padded to 16 bytes.
    let kernelBytes = 0;
    for (const g of spec.synapseGroups)
      if (g.connectivity.kind === 'dense') kernelBytes += 2 * g.preSize * g.postSize + 4 * (g.preSize + g.postSize) + 48;
    kernelBytes += slots * (8 * n + 16) + 3 * (4 * n + 16) + (n + 16) + 2 * (4 * (n + 1) + 16) + (4 * maxPost + 16) + 32;
    // the lists the kernel's list update walks, the tables it reads, the per-core counts it adds to
    kernelBytes += slots * (4 * n + 16) + 2 * (4 * n + 16) + 2 * (2 * n + 16) + (48 * spec.prototypes.length + 16) + (8 * spec.numCores + 16);
    // the generator spike lists (a fixed-weight dense group sums its rows straight from them)
    kernelBytes += (slots + 1) * (4 * spec.numGeneratorPorts + 16);
    this.rowSum = (this.fast && spec.rowSum ? spec.rowSum(kernelBytes) : null) ?? jsRowSumKernel;
    const k = this.rowSum;
    this.kernelState = k.allocInt32(4);
    this.u = k.allocInt32(n);
    this.v = k.allocInt32(n);
    this.ref = k.allocUint8(n);
    this.lastUpdate = k.allocInt32(n);
    // (one spare element: the kernel's range update stores before it counts)
    this.refOut = k.allocInt32(n + 1);
    this.refIn = k.allocInt32(n + 1);
    this.spikedCx = k.allocInt32(n + 1);
    const visitInto = (refs: Int32Array) => (this.fast && k.rangeUpdate ? k.rangeUpdate(this.u, this.v, this.ref, this.lastUpdate, this.spikedCx, refs, this.kernelState) : null);
    this.kernelVisit = visitInto(this.refOut);
    this.kernelVisitAlt = visitInto(this.refIn);
    this.zeroSums = k.allocInt32(maxPost);
    this.cxProto = k.allocUint16(n);
    this.cxProto.set(spec.cxPrototype);
    this.cxCore = k.allocUint16(n);
    this.cxCore.set(spec.cxCore);

    const np = spec.prototypes.length;
    this.pDecayU = new Float64Array(np);
    this.pDecayV = new Float64Array(np);
    this.pBias = new Float64Array(np);
    this.pVth = new Float64Array(np);
    this.pRef = new Uint8Array(np);
    this.pQuiet = new Uint8Array(np);
    this.pRestV = new Float64Array(np);
    this.pQLo = new Float64Array(np);
    this.pQHi = new Float64Array(np);
    this.pMemoryless = new Uint8Array(np);
    for (let p = 0; p < np; p++) {
      const pr = spec.prototypes[p];
      this.pDecayU[p] = pr.decayU;
      this.pDecayV[p] = pr.decayV;
      this.pBias[p] = effectiveBias(pr.biasMant, pr.biasExp);
      this.pVth[p] = thresholdUnits(pr.vthMant);
      this.pRef[p] = pr.refractoryDelay;
      const rest = saturateV(wrap24(this.pBias[p]));
      this.pRestV[p] = rest;
      // q in [-2^21, 2^21 - 1] passes wrapQ and wrap24 unchanged; q + bias in [-V_MAX, V_MAX]
      // passes wrap24 and saturateV unchanged
      this.pMemoryless[p] = pr.decayU >= 4096 && pr.decayV >= 4096 ? 1 : 0;
      this.pQLo[p] = Math.max(-TWO_21, V_MIN - this.pBias[p]);
      this.pQHi[p] = Math.min(TWO_21 - 1, V_MAX - this.pBias[p]);
      this.pQuiet[p] = pr.decayU >= 4096 && pr.decayV >= 4096 && !(rest > this.pVth[p]) ? 1 : 0;
    }
    let always = 0;
    for (let i = 0; i < n; i++) if (!this.pQuiet[this.cxProto[i]]) always++;
    this.alwaysList = k.allocInt32(always);
    always = 0;
    for (let i = 0; i < n; i++) {
      if (!this.pQuiet[this.cxProto[i]]) this.alwaysList[always++] = i;
      this.v[i] = this.pQuiet[this.cxProto[i]] ? this.pRestV[this.cxProto[i]] : 0;
    }

    this.groups = spec.synapseGroups.map((g) => new SynapseGroup(g));
    this.integralInputs = this.groups.every((g) => Number.isInteger(g.scale));
    this.plastic = this.groups.filter((g) => g.learning !== null);
    this.plasticIndex = this.plastic.map((g) => this.groups.indexOf(g));
    // per source: the plastic groups it is pre (entry 2p) or post (entry 2p + 1) of, so the
    // learning engine finds each spike's groups directly
    {
      const ns = spec.numCompartments + spec.numGeneratorPorts;
      const start = new Uint32Array(ns + 1);
      const add = (each: (q: number, e: number) => void) =>
        this.plastic.forEach((g, p) => {
          for (let i = 0; i < g.preSize; i++) each(g.preStart + i, 2 * p);
          for (let j = 0; j < g.postSize; j++) each(g.postStart + j, 2 * p + 1);
        });
      add((q) => start[q + 1]++);
      for (let q = 0; q < ns; q++) start[q + 1] += start[q];
      const entries = new Uint32Array(start[ns]);
      const fill = start.slice(0, ns);
      add((q, e) => (entries[fill[q]++] = e));
      const t = signatures(start, entries);
      this.plSig = t.sig;
      this.plSigStart = t.start;
      this.plSigEntry = t.entries;
    }

    this.acc = [];
    this.singles = [];
    this.singleMark = [];
    this.rangeGroups = [];
    this.genPending = [];
    this.genMark = [];
    for (let s = 0; s < slots; s++) {
      this.acc.push(k.allocFloat64(n));
      this.singles.push(k.allocInt32(n));
      this.singleMark.push(new Int32Array(n));
      this.rangeGroups.push(new Int32Array(this.groups.length));
      this.genPending.push(k.allocInt32(spec.numGeneratorPorts));
      this.genMark.push(new Int32Array(spec.numGeneratorPorts).fill(-1));
    }
    this.singleCount = new Int32Array(slots);
    this.rangeCount = new Int32Array(slots);
    this.rangeMark = new Int32Array(this.groups.length * slots);
    this.rangeOffset = new Float64Array(this.groups.length * slots);
    this.fusedMark = new Int32Array(this.groups.length).fill(-1);
    this.fusedScale = new Float64Array(this.groups.length);
    this.fusedSrc = this.groups.map(() => this.zeroSums);
    this.genPendingCount = new Int32Array(slots);
    this.flushList = [];
    for (let s = 0; s < slots; s++) this.flushList.push(new Int32Array(this.groups.length));
    this.flushCount = new Int32Array(slots);
    this.flushMark = new Int32Array(this.groups.length * slots).fill(-1);
    this.groups.forEach((g, gi) => {
      g.leader = gi;
      g.rangeId = gi;
      for (let r = 0; r < gi; r++)
        if (this.groups[r].postStart === g.postStart && this.groups[r].postSize === g.postSize) {
          g.rangeId = r;
          break;
        }
      for (const h of this.groups) {
        const overlap = h.postStart < g.postStart + g.postSize && g.postStart < h.postStart + h.postSize;
        if (overlap && (h.postStart !== g.postStart || h.postSize !== g.postSize)) g.rangeClean = false;
      }
      if (this.fast) {
        const p0 = this.cxProto[g.postStart];
        let uniform = spec.prototypes[p0].decayU >= 4096 && spec.prototypes[p0].decayV >= 4096;
        for (let j = 1; uniform && j < g.postSize; j++) if (this.cxProto[g.postStart + j] !== p0) uniform = false;
        g.postMemoryless = uniform ? p0 : -1;
      }
      if (this.fast && g.dense) {
        const k = this.rowSum;
        const own = k.allocInt16(g.weights.length);
        own.set(g.weights);
        g.weights = own;
        g.memoSum = k.allocInt32(g.postSize);
        if (g.learning !== null) {
          // (the spike list and the memo serve plastic groups only: fixed ones sum their
          // rows straight from the spike list as they are routed)
          g.stepPre = k.allocInt32(g.preSize);
          g.memoStamp = new Int32Array(g.preSize);
          g.memoDelta = new Float64Array(g.postSize);
        }
        // a group without delay delivers into the next step only, so its pending sum is memoSum
        // itself (nothing changes memoSum between the routing and the next step's flush);
        // a delayed group keeps one buffer per slot
        g.scratch = [];
        if (g.delay > 0) for (let s = 0; s < slots; s++) g.scratch.push(new Int32Array(g.postSize));
      }
    });

    this.spikedGen = k.allocInt32(spec.numGeneratorPorts);

    // routing tables
    const ns = this.numSources;
    const counts = new Uint32Array(ns + 1);
    for (const g of this.groups) for (let i = 0; i < g.preSize; i++) counts[g.preStart + i + 1]++;
    for (let s = 0; s < ns; s++) counts[s + 1] += counts[s];
    this.outStart = counts;
    const total = counts[ns];
    this.outGroup = new Uint16Array(total);
    this.outPre = new Uint32Array(total);
    const fill = counts.slice(0, ns);
    this.groups.forEach((g, gi) => {
      for (let i = 0; i < g.preSize; i++) {
        const k = fill[g.preStart + i]++;
        this.outGroup[k] = gi;
        this.outPre[k] = i;
      }
    });
    {
      const t = signatures(counts, this.outGroup);
      this.srcSig = t.sig;
      this.sigStart = t.start;
      this.sigGroup = Uint16Array.from(t.entries);
    }
    this.srcCore = new Uint16Array(ns);
    for (let i = 0; i < n; i++) this.srcCore[i] = spec.cxCore[i];
    for (let p = 0; p < spec.numGeneratorPorts; p++) this.srcCore[n + p] = spec.genCore[p];
    this.srcMsg = new Float64Array(4 * ns);
    this.buildMessageCosts();

    this.coreOps = new Float64Array(spec.numCores * NUM_CORE_OPS);
    this.coreCx = new Float64Array(spec.numCores);
    this.coreActive = k.allocFloat64(spec.numCores);
    // the kernel's list update: per prototype (qLo, qHi, bias, vth, rd, memoryless)
    const table = k.allocFloat64(6 * np);
    for (let p = 0; p < np; p++) table.set([this.pQLo[p], this.pQHi[p], this.pBias[p], this.pVth[p], this.pRef[p] - 1, this.pMemoryless[p]], 6 * p);
    const listInto = (refs: Int32Array) =>
      this.fast && k.listUpdate ? k.listUpdate(this.u, this.v, this.ref, this.lastUpdate, this.cxProto, table, this.cxCore, this.coreActive, this.spikedCx, refs, this.kernelState) : null;
    this.kernelList = listInto(this.refOut);
    this.kernelListAlt = listInto(this.refIn);
    for (let i = 0; i < n; i++) this.coreCx[spec.cxCore[i]]++;
    this.buildCoreTables();
    this.denseTouched = new Int32Array(this.groups.length);
    this.denseRouted = new Int32Array(this.groups.length);
    this.learnVisitsEveryStep = new Float64Array(spec.numCores);
    for (const g of this.plastic) {
      if (g.learning!.tEpoch !== 1) continue;
      const cs = g.coreSynapses;
      for (let c = 0; c < cs.length; c += 2) this.learnVisitsEveryStep[cs[c]] += cs[c + 1];
    }

    this.rewards = spec.rewardChannels.map((rc) => {
      const flag = new Uint8Array(ns);
      for (const s of rc.sources) flag[s] = 1;
      return { name: rc.name, sourceFlag: flag, impulse: rc.r1?.impulse ?? 1, tau: rc.r1?.tau ?? 0, lastSpike: -1 };
    });
  }

  /**
   * Counting rule for spike messages (msgLocal, msgRemote, hopsEW, hopsNS), fixed per source
   * at construction: a spike is sent once to each distinct core that holds at least one of
   * its targets, over all the source's synapse groups (Loihi's output axons are per source
   * and destination core; the destination core fans the spike out to its synapses itself).
   * A destination in the sender's tile (its own core included) is one msgLocal; any other is
   * one msgRemote plus |dx| east-west and |dy| north-south mesh hops between the two tiles
   * (dimension-order routing; chips sit side by side in x). Host generator spikes are sent
   * from their entry core (spec.genCore, core 0 from the compiler).
   */
  private buildMessageCosts(): void {
    const spec = this.spec;
    const seen = new Int32Array(spec.numCores).fill(-1);
    const mesh = spec.mesh;
    const coord = (core: number) => {
      const chip = Math.floor(core / spec.coresPerChip);
      const tile = Math.floor((core % spec.coresPerChip) / mesh.coresPerTile);
      return { tile: chip * mesh.tilesX * mesh.tilesY + tile, x: chip * mesh.tilesX + (tile % mesh.tilesX), y: Math.floor(tile / mesh.tilesX) };
    };
    for (let s = 0; s < this.numSources; s++) {
      const from = coord(this.srcCore[s]);
      for (let k = this.outStart[s]; k < this.outStart[s + 1]; k++) {
        const g = this.groups[this.outGroup[k]];
        const i = this.outPre[k];
        const visit = (cx: number) => {
          const core = this.spec.cxCore[cx];
          if (seen[core] === s) return;
          seen[core] = s;
          const to = coord(core);
          const m = this.srcMsg;
          if (to.tile === from.tile) m[4 * s]++;
          else {
            m[4 * s + 1]++;
            m[4 * s + 2] += Math.abs(to.x - from.x);
            m[4 * s + 3] += Math.abs(to.y - from.y);
          }
        };
        if (g.dense) for (let j = 0; j < g.postSize; j++) visit(g.postStart + j);
        else for (let q = g.offsets![i]; q < g.offsets![i + 1]; q++) visit(g.postStart + g.targets![q]);
      }
    }
    const total = [0, 0, 0, 0];
    for (let s = 0; s < this.numSources; s++) for (let f = 0; f < 4; f++) total[f] += this.srcMsg[4 * s + f];
    if (total.every((x) => x < MSG_PACK)) {
      const p = new Float64Array(2 * this.numSources);
      const m = this.srcMsg;
      for (let s = 0; s < this.numSources; s++) {
        p[2 * s] = m[4 * s] + m[4 * s + 1] * MSG_PACK;
        p[2 * s + 1] = m[4 * s + 2] + m[4 * s + 3] * MSG_PACK;
      }
      this.srcMsgPacked = p;
    }
  }

  private buildCoreTables(): void {
    const nc = this.spec.numCores;
    const tmp = new Float64Array(nc);
    const pairs = (): Int32Array => {
      const list: number[] = [];
      for (let c = 0; c < nc; c++) if (tmp[c] > 0) list.push(c, tmp[c]);
      tmp.fill(0);
      return new Int32Array(list);
    };
    for (const g of this.groups) {
      for (let j = 0; j < g.postSize; j++) tmp[this.cxCore[g.postStart + j]]++;
      g.corePosts = pairs();
      if (g.dense) {
        for (let j = 0; j < g.postSize; j++) tmp[this.cxCore[g.postStart + j]] += g.preSize;
      } else {
        const t = g.targets!;
        for (let k = 0; k < t.length; k++) tmp[this.cxCore[g.postStart + t[k]]]++;
      }
      g.coreSynapses = pairs();
    }
  }

  /**
   * Attach a time model for the critical-path latency: ns per CoreOp kind and the barrier
   * time. Each step then costs max over cores of sum(ops * ns) plus the barrier.
   */
  setTimeModel(nsPerCoreOp: ArrayLike<number>, barrierNs: number): void {
    this.timeWeights = Float64Array.from(nsPerCoreOp as ArrayLike<number>);
    this.barrierNs = barrierNs;
  }

  /** Choose the counter bucket for the following steps. */
  setBucket(b: number): void {
    this.counters.bucket = b;
  }

  /**
   * Schedule generator port `port` (0-based within the chip's generator ports) to spike at
   * `step`, which must be after the current time and within the delay window.
   */
  schedule(port: number, step: number): void {
    this.checkSchedule(port, step);
    const s = step & this.slotMask;
    if (this.genMark[s][port] === step) return;
    this.genMark[s][port] = step;
    this.genPending[s][this.genPendingCount[s]++] = port;
  }

  /** schedule(base + ports[k], step) for k = start .. end - 1 (a sample's input spikes at once). */
  scheduleMany(ports: ArrayLike<number>, start: number, end: number, base: number, step: number): void {
    if (end <= start) return;
    this.checkSchedule(base, step);
    const s = step & this.slotMask;
    const mark = this.genMark[s];
    const pending = this.genPending[s];
    const np = this.spec.numGeneratorPorts;
    const c0 = this.genPendingCount[s];
    let c = c0;
    for (let k = start; k < end; k++) {
      const port = base + ports[k];
      if (!(port >= 0 && port < np && Math.floor(port) === port)) {
        // a bad port changes nothing: unschedule the ports taken so far, then throw
        for (let r = c0; r < c; r++) mark[pending[r]] = -1;
        this.checkSchedule(port, step);
      }
      if (mark[port] === step) continue;
      mark[port] = step;
      pending[c++] = port;
    }
    this.genPendingCount[s] = c;
  }

  private checkSchedule(port: number, step: number): void {
    if (!(Math.floor(port) === port && port >= 0 && port < this.spec.numGeneratorPorts)) {
      throw new RangeError(`generator port ${port} does not exist (the chip has ports 0..${this.spec.numGeneratorPorts - 1})`);
    }
    if (step <= this.time || step >= this.time + this.slots) {
      throw new RangeError(`generator spike at step ${step} is outside the schedulable window ${this.time + 1}..${this.time + this.slots - 1}`);
    }
  }

  /** Current u of a compartment (resting compartments report their rest value). */
  current(cx: number): number {
    return this.lastUpdate[cx] === this.time || !this.pQuiet[this.cxProto[cx]] ? this.u[cx] : 0;
  }

  /** Voltage of a compartment (resting compartments report their rest value). */
  voltage(cx: number): number {
    const p = this.cxProto[cx];
    return this.lastUpdate[cx] === this.time || !this.pQuiet[p] ? this.v[cx] : this.pRestV[p];
  }

  /** Run one time step. */
  step(): void {
    const t = this.time + 1;
    this.time = t;
    const slot = t & this.slotMask;
    const counters = this.counters;
    const cOff = counters.bucket * NUM_OPS;
    const cd = counters.data;
    const timing = this.timeWeights !== null;

    if (this.fast) {
      this.checkSharing();
      this.flush(slot, true);
    }

    // 1 and 2. update every compartment with input due, a running refractory counter or
    // dynamics of its own, each once (visitStamp), in that order
    this.nVisit = 0;
    this.nSpiked = 0;
    this.nRef = 0;
    const rs = this.ruleSteps;
    for (let k = 0; k < rs.length; k++) rs[k] = 0;
    const acc = this.acc[slot];
    const stamp = this.lastUpdate;
    const rc = this.rangeCount[slot];
    const rg = this.rangeGroups[slot];
    const offs = this.rangeOffset;
    for (let r = 0; r < rc; r++) {
      const g = this.groups[rg[r]];
      const end = g.postStart + g.postSize;
      const oi = rg[r] * this.slots + slot;
      if (g.postMemoryless >= 0) {
        const fused = this.fusedMark[rg[r]] === t;
        const sums = fused ? this.fusedSrc[rg[r]] : this.zeroSums;
        const sumScale = fused ? this.fusedScale[rg[r]] : 0;
        // (a clean range is visited whole: its active compartments per core are its corePosts)
        const tm = timing && !g.rangeClean;
        if (g.rangeClean && this.kernelVisit !== null) this.visitRangeKernel(g.postStart, end, g.postMemoryless, t, acc, tm, offs[oi], sums, sumScale);
        else this.visitMemorylessRange(g.postStart, end, g.postMemoryless, t, acc, tm, offs[oi], g.rangeClean, sums, sumScale);
        if (timing && g.rangeClean) {
          const cp = g.corePosts;
          for (let c = 0; c < cp.length; c += 2) this.coreActive[cp[c]] += cp[c + 1];
        }
        offs[oi] = 0;
      } else
        for (let cx = g.postStart; cx < end; cx++) {
          if (stamp[cx] !== t) {
            stamp[cx] = t;
            this.visitCx(cx, t, acc, timing);
          }
        }
    }
    this.rangeCount[slot] = 0;
    this.visitList(this.singles[slot], this.singleCount[slot], t, acc, timing);
    this.singleCount[slot] = 0;
    this.visitList(this.refIn, this.refCount, t, acc, timing);
    this.visitList(this.alwaysList, this.alwaysList.length, t, acc, timing);
    const nVisit = this.nVisit;
    const nSpiked = this.nSpiked;
    const nRef = this.nRef;
    const qWraps = rs[RS_Q_WRAP];
    const uWraps = rs[RS_U_WRAP];
    const ubWraps = rs[RS_U_BIAS_WRAP];
    const vHigh = rs[RS_V_SAT_HIGH];
    const vLow = rs[RS_V_SAT_LOW];
    const held = rs[RS_REFRACTORY_HELD];
    // swap the refractory lists (and the kernel updates bound to them)
    const refs = this.refIn;
    this.refIn = this.refOut;
    this.refOut = refs;
    this.refCount = nRef;
    const kv = this.kernelVisit;
    this.kernelVisit = this.kernelVisitAlt;
    this.kernelVisitAlt = kv;
    const kl = this.kernelList;
    this.kernelList = this.kernelListAlt;
    this.kernelListAlt = kl;
    this.spikedCount = nSpiked;

    // Counting rule: every configured compartment is serviced every step. Those updated above
    // (input due, refractory count running, or own dynamics) are cxActive; all the others are
    // cxIdle, since the core still visits them. "Configured" = the chip's compartments, not
    // the 1,024 slots of each core.
    cd[cOff + Op.cxActive] += nVisit;
    cd[cOff + Op.cxIdle] += this.numCompartments - nVisit;
    cd[cOff + Op.spikes] += nSpiked;
    cd[cOff + Op.qWrap] += qWraps;
    cd[cOff + Op.uWrap] += uWraps;
    cd[cOff + Op.uBiasWrap] += ubWraps;
    cd[cOff + Op.vSatHigh] += vHigh;
    cd[cOff + Op.vSatLow] += vLow;
    cd[cOff + Op.refractoryHeld] += held;
    cd[cOff + Op.steps] += 1;
    cd[cOff + Op.barriers] += 1; // one mesh-wide barrier sync ends every step

    // generator spikes due this step
    // (the slot's pending list becomes spikedGen; the old spikedGen is the slot's new, empty list)
    const gp = this.genPending[slot];
    const gc = this.genPendingCount[slot];
    this.genPending[slot] = this.spikedGen;
    this.spikedGen = gp;
    this.spikedGenCount = gc;
    this.genPendingCount[slot] = 0;
    cd[cOff + Op.genSpikes] += gc;

    // 3 and 4: routing and learning, in the configured order
    if (this.spec.ordering === 'route-then-learn') {
      this.routeAll(t);
      this.learn(t);
    } else {
      this.learn(t);
      this.routeAll(t);
    }

    if (timing) this.accumulateLatency();
  }

  /**
   * Update the compartments list[0..count) not yet updated this step. Fast kernel: those of a
   * memoryless prototype take the shortcut of visitMemorylessRange (inputs inside the safe
   * interval skip the rule checks), the others visitCx.
   */
  private visitList(list: Int32Array, count: number, t: number, acc: Float64Array, timing: boolean): void {
    if (count === 0) return;
    const stamp = this.lastUpdate;
    if (!this.fast) {
      for (let k = 0; k < count; k++) {
        const cx = list[k];
        if (stamp[cx] !== t) {
          stamp[cx] = t;
          this.visitCx(cx, t, acc, timing);
        }
      }
      return;
    }
    const update = this.kernelList;
    if (update !== null) {
      // the kernel takes the memoryless compartments whose input is safe; it stops at any
      // other one, which goes through visitOne here, and resumes after it
      const st = this.kernelState;
      let k = 0;
      for (;;) {
        st[0] = this.nSpiked;
        st[1] = this.nRef;
        st[2] = 0;
        st[3] = 0;
        k = update(list, k, count, acc, t, timing);
        this.nSpiked = st[0];
        this.nRef = st[1];
        this.ruleSteps[RS_REFRACTORY_HELD] += st[2];
        this.nVisit += st[3];
        if (k >= count) return;
        this.visitOne(list[k], t, acc, timing);
        k++;
      }
    }
    for (let k = 0; k < count; k++) {
      const cx = list[k];
      if (stamp[cx] !== t) this.visitOne(cx, t, acc, timing);
    }
  }

  /** Fast kernel: update compartment cx, not yet updated this step. */
  private visitOne(cx: number, t: number, acc: Float64Array, timing: boolean): void {
    this.lastUpdate[cx] = t;
    const p = this.cxProto[cx];
    if (this.pMemoryless[p] === 0) {
      this.visitCx(cx, t, acc, timing);
      return;
    }
    const q = acc[cx];
    acc[cx] = 0;
    this.updateMemoryless(cx, p, q);
    this.nVisit++;
    if (timing) this.coreActive[this.cxCore[cx]]++;
  }

  /**
   * The update of one compartment of memoryless prototype p with input q (hardware units):
   * the rules of visitCx with the decays folded away; an input inside the safe interval
   * [pQLo, pQHi] skips the wrap and saturation checks. (The caller stamps, clears the
   * accumulator and counts the visit.)
   */
  private updateMemoryless(cx: number, p: number, q: number): void {
    const bias = this.pBias[p];
    let vv = q + bias;
    if (q < this.pQLo[p] || q > this.pQHi[p]) {
      const rs = this.ruleSteps;
      q = countedWrap24(countedWrapQ(q, rs), rs, RS_U_WRAP);
      vv = countedSaturateV(countedWrap24(q + bias, rs, RS_U_BIAS_WRAP), rs);
    }
    this.u[cx] = q;
    const r = this.ref[cx];
    if (r > 0) {
      if (q !== 0) this.ruleSteps[RS_REFRACTORY_HELD]++;
      this.v[cx] = 0;
      this.ref[cx] = r - 1;
      if (r > 1) this.refOut[this.nRef++] = cx;
    } else if (vv > this.pVth[p]) {
      this.v[cx] = 0;
      this.spikedCx[this.nSpiked++] = cx;
      const rd = this.pRef[p] - 1;
      this.ref[cx] = rd;
      if (rd > 0) this.refOut[this.nRef++] = cx;
    } else this.v[cx] = vv;
  }

  /**
   * Update one compartment at step t with the integer rules, in the hardware's order:
   * q (21-bit wrap) -> u = decay(u) + q (24-bit wrap) -> u + bias (24-bit wrap) ->
   * v = decay(v) + u + bias (saturate) -> refractory hold, or strict threshold, spike, reset.
   * A resting memoryless compartment may hold stale u and v: its decays of 4096 clear them.
   */
  private visitCx(cx: number, t: number, acc: Float64Array, timing: boolean): void {
    const p = this.cxProto[cx];
    const rs = this.ruleSteps;
    const q = countedWrapQ(acc[cx], rs);
    acc[cx] = 0;
    const uu = countedWrap24(decay(this.u[cx], this.pDecayU[p]) + q, rs, RS_U_WRAP);
    this.u[cx] = uu;
    const u2 = countedWrap24(uu + this.pBias[p], rs, RS_U_BIAS_WRAP);
    const vv = countedSaturateV(decay(this.v[cx], this.pDecayV[p]) + u2, rs);
    this.nVisit++;
    if (timing) this.coreActive[this.cxCore[cx]]++;
    const r = this.ref[cx];
    if (r > 0) {
      // refractory: v is held at 0 and the counter runs down
      if (q !== 0) rs[RS_REFRACTORY_HELD]++;
      this.v[cx] = 0;
      this.ref[cx] = r - 1;
      if (r > 1) this.refOut[this.nRef++] = cx;
      return;
    }
    if (vv > this.pVth[p]) {
      this.v[cx] = 0;
      this.spikedCx[this.nSpiked++] = cx;
      const rd = this.pRef[p] - 1;
      this.ref[cx] = rd;
      if (rd > 0) this.refOut[this.nRef++] = cx;
    } else {
      this.v[cx] = vv;
    }
  }

  /**
   * visitCx for a range of compartments sharing one memoryless prototype (both decays 4096):
   * the same rules with the decays folded away (decay(x, 4096) = 0) and the prototype's
   * parameters hoisted out of the loop. `off` (hardware units) is input every compartment of
   * the range receives this step on top of its accumulator (uniform one-to-all rows, kept
   * as one number), and sums[j] * sumScale the row sums of one dense group (see flush). An
   * input inside the prototype's safe interval [pQLo, pQHi] can fire no
   * wrap or saturation rule, so it skips their checks; any other input takes the counted
   * rules. `clean`: no other range overlaps this one, so no compartment of it can have been
   * visited this step already; otherwise those are skipped.
   */
  private visitMemorylessRange(start: number, end: number, p: number, t: number, acc: Float64Array, timing: boolean, off: number, clean: boolean, sums: Int32Array, sumScale: number): void {
    const stamp = this.lastUpdate;
    const u = this.u;
    const v = this.v;
    const ref = this.ref;
    const bias = this.pBias[p];
    const vth = this.pVth[p];
    const qLo = this.pQLo[p];
    const qHi = this.pQHi[p];
    const rd = this.pRef[p] - 1;
    const rs = this.ruleSteps;
    const spiked = this.spikedCx;
    const refList2 = this.refOut;
    let nVisit = this.nVisit;
    let nSpiked = this.nSpiked;
    let nRef = this.nRef;
    let held = 0;
    // (no row sums: skip their loads; adding 0 would change nothing)
    const withSums = sumScale !== 0;
    for (let cx = start; cx < end; cx++) {
      if (!clean) {
        if (stamp[cx] === t) continue;
        nVisit++;
        if (timing) this.coreActive[this.cxCore[cx]]++;
      }
      stamp[cx] = t;
      let q = acc[cx] + off;
      if (withSums) q += sums[cx - start] * sumScale;
      acc[cx] = 0;
      // u = decay(u, 4096) + q = q; v = decay(v, 4096) + u + bias = q + bias
      let vv = q + bias;
      if (q < qLo || q > qHi) {
        q = countedWrap24(countedWrapQ(q, rs), rs, RS_U_WRAP);
        vv = countedSaturateV(countedWrap24(q + bias, rs, RS_U_BIAS_WRAP), rs);
      }
      u[cx] = q;
      const r = ref[cx];
      if (r > 0) {
        if (q !== 0) held++;
        v[cx] = 0;
        ref[cx] = r - 1;
        if (r > 1) refList2[nRef++] = cx;
      } else if (vv > vth) {
        v[cx] = 0;
        spiked[nSpiked++] = cx;
        ref[cx] = rd;
        if (rd > 0) refList2[nRef++] = cx;
      } else v[cx] = vv;
    }
    if (clean) {
      nVisit += end - start;
      if (timing) {
        const cc = this.cxCore;
        for (let cx = start; cx < end; cx++) this.coreActive[cc[cx]]++;
      }
    }
    rs[RS_REFRACTORY_HELD] += held;
    this.nVisit = nVisit;
    this.nSpiked = nSpiked;
    this.nRef = nRef;
  }

  /**
   * visitMemorylessRange of a clean range by the kernel's range update. An input outside the
   * safe interval stops the kernel; that compartment takes the counted rules here, and the
   * kernel resumes after it.
   */
  private visitRangeKernel(start: number, end: number, p: number, t: number, acc: Float64Array, timing: boolean, off: number, sums: Int32Array, sumScale: number): void {
    const update = this.kernelVisit!;
    const st = this.kernelState;
    st[0] = this.nSpiked;
    st[1] = this.nRef;
    st[2] = 0;
    const bias = this.pBias[p];
    const vth = this.pVth[p];
    const qLo = this.pQLo[p];
    const qHi = this.pQHi[p];
    const rd = this.pRef[p] - 1;
    let cx = start;
    for (;;) {
      cx = update(acc, sums, start, cx, end, t, off, sumScale, bias, vth, qLo, qHi, rd, this.integralInputs);
      if (cx >= end) break;
      this.nSpiked = st[0];
      this.nRef = st[1];
      const q = acc[cx] + off + sums[cx - start] * sumScale;
      acc[cx] = 0;
      this.lastUpdate[cx] = t;
      this.updateMemoryless(cx, p, q);
      st[0] = this.nSpiked;
      st[1] = this.nRef;
      cx++;
    }
    this.nSpiked = st[0];
    this.nRef = st[1];
    this.ruleSteps[RS_REFRACTORY_HELD] += st[2];
    this.nVisit += end - start;
    if (timing) {
      const cc = this.cxCore;
      for (let c = start; c < end; c++) this.coreActive[cc[c]]++;
    }
  }

  /** Fast kernel: the pending row sums of dense group g for `slot` (its leader's). */
  private pendingSums(g: SynapseGroup, slot: number): Int32Array {
    const L = this.groups[g.leader];
    return g.delay === 0 ? L.memoSum : L.scratch![slot];
  }

  /**
   * Fast kernel: the row sums due at this slot. With `fuse` (the current step), the first
   * undelayed dense group into a clean memoryless range hands its sums to that range's update, which
   * adds them as it reads the accumulators (fusedSrc); the others are added into the
   * accumulators here.
   */
  private flush(slot: number, fuse: boolean): void {
    const n = this.flushCount[slot];
    if (n === 0) return;
    const list = this.flushList[slot];
    const a = this.acc[slot];
    const t = this.time;
    for (let k = 0; k < n; k++) {
      const g = this.groups[list[k]];
      const src = this.pendingSums(g, slot);
      const rid = g.rangeId;
      // (a delayed group's buffer is cleared below, so only undelayed sums are handed over)
      if (fuse && g.delay === 0 && g.rangeClean && g.postMemoryless >= 0 && this.fusedMark[rid] !== t) {
        this.fusedMark[rid] = t;
        this.fusedSrc[rid] = src;
        this.fusedScale[rid] = g.scale;
        continue;
      }
      const base = g.postStart;
      const scale = g.scale;
      for (let j = 0; j < g.postSize; j++) a[base + j] += src[j] * scale;
    }
    for (let k = 0; k < n; k++) {
      const g = this.groups[list[k]];
      if (g.leader === list[k] && g.delay > 0) g.scratch![slot].fill(0);
    }
    this.flushCount[slot] = 0;
  }

  /** Fast kernel: move every pending row sum into the accumulators (before copies change). */
  private flushAll(): void {
    for (let s = 0; s < this.slots; s++) this.flush(s, false);
  }

  /** Can group b read group a's row sums (a copy with identical weights and learning)? */
  private sameCopy(a: SynapseGroup, b: SynapseGroup): boolean {
    if (!a.dense || !b.dense || a.preStart !== b.preStart || a.preSize !== b.preSize || a.postSize !== b.postSize) return false;
    if (a.delay !== b.delay || a.scale !== b.scale) return false;
    const la = a.learning;
    const lb = b.learning;
    if ((la === null) !== (lb === null)) return false;
    if (la && lb) {
      if (la.rule.text !== lb.rule.text || la.tEpoch !== lb.tEpoch || la.rewardChannel !== lb.rewardChannel) return false;
      if (!a.pairFast || !b.pairFast || !this.neverRounds(a)) return false;
    }
    const wa = a.weights;
    const wb = b.weights;
    for (let k = 0; k < wa.length; k++) if (wa[k] !== wb[k]) return false;
    return true;
  }

  /**
   * Copies may follow their leader only if learning never draws from the PRNG for them: a reward
   * channel without decay (r1 is 0 or its impulse) and a dw that is always a multiple of the
   * weight LSB. Then following cannot change the PRNG stream.
   */
  private neverRounds(g: SynapseGroup): boolean {
    const l = g.learning!;
    const ch = this.rewards[l.rewardChannel];
    if (ch && ch.tau > 0) return false;
    const v = new Float64Array(10);
    v[VAR_INDEX.x0] = 1;
    v[VAR_INDEX.y0] = 1;
    for (const r0 of [0, 1])
      for (const r1 of [0, ch ? ch.impulse : 0]) {
        v[VAR_INDEX.r0] = r0;
        v[VAR_INDEX.r1] = r1;
        const dw = evaluateRule(l.rule, v);
        if (Math.floor(dw / g.lsb) * g.lsb !== dw || Math.abs(dw * ACC_FRAC) > ACC_MAX) return false;
      }
    return true;
  }

  /** Re-derive which dense groups are copies, when weights were written from outside. */
  private checkSharing(): void {
    const writes = SynapseGroup.allWrites;
    if (writes === this.sharingWrites) return;
    this.sharingWrites = writes;
    this.flushAll();
    const gs = this.groups;
    for (const g of gs) {
      g.followsLeader = false;
      g.copies = 1;
      g.mirrors = [];
    }
    for (const g of gs) {
      g.uniformIdentity = NaN;
      if (g.identity && !g.learning && g.numSynapses === g.preSize && g.preSize > 0) {
        const w = g.weights;
        let same = true;
        for (let k = 1; same && k < w.length; k++) if (w[k] !== w[0]) same = false;
        if (same) g.uniformIdentity = w[0] * g.scale;
      }
      if (g.dense) {
        let m = Math.max(-g.wMin, g.wMax);
        const w = g.weights;
        for (let k = 0; k < w.length; k++) {
          const a = w[k] < 0 ? -w[k] : w[k];
          if (a > m) m = a;
        }
        g.absBound = m;
      }
      g.uniformRow = NaN;
      if (g.dense || !g.fullRows || g.learning || !g.rangeClean || g.postMemoryless < 0) continue;
      const w = g.weights;
      let same = true;
      for (let k = 1; same && k < w.length; k++) if (w[k] !== w[0]) same = false;
      if (same && w.length > 0) g.uniformRow = w[0] * g.scale;
    }
    for (let b = 0; b < gs.length; b++) {
      gs[b].leader = b;
      gs[b].memoCount = -1;
      if (!gs[b].dense) continue;
      for (let a = 0; a < b; a++) {
        if (gs[a].leader === a && this.sameCopy(gs[a], gs[b])) {
          gs[b].leader = a;
          if (gs[b].learning) {
            gs[b].followsLeader = true;
            gs[a].copies++;
            gs[a].mirrors.push(gs[b].weights);
          }
          break;
        }
      }
    }
  }

  /** Call after writing a group's weights directly (not through setPostMajor). */
  weightsChanged(): void {
    SynapseGroup.allWrites++;
  }

  /**
   * A copy stays a copy only while every learning epoch updates it exactly like its leader:
   * no pre spike (nothing changes), or the same post spikes (the pre population is shared). Otherwise it stops reading the
   * leader's sums, taking over the sums already pending (routed with identical weights).
   */
  private checkCopiesStillEqual(): void {
    for (let p = 0; p < this.plastic.length; p++) {
      const g = this.plastic[p];
      const gi = this.plasticIndex[p];
      if (g.leader === gi || this.time % g.learning!.tEpoch !== 0) continue;
      const L = this.groups[g.leader];
      // no pre spike in the epoch: neither group changes
      if (g.preCount === 0) continue;
      let same = g.postCount === L.postCount;
      for (let k = 0; same && k < g.postCount; k++) if (L.postStamp[g.postList[k]] !== L.epochId) same = false;
      if (same) continue;
      if (g.delay > 0) for (let s = 0; s < this.slots; s++) g.scratch![s].set(L.scratch![s]);
      else g.memoSum.set(L.memoSum);
      g.leader = gi;
      g.memoCount = -1;
      if (g.followsLeader) {
        g.followsLeader = false;
        L.copies--;
        L.mirrors.splice(L.mirrors.indexOf(g.weights), 1);
      }
    }
  }

  private routeAll(t: number): void {
    const n = this.numCompartments;
    if (this.fast) {
      this.routeRuns(this.spikedCx, this.spikedCount, 0, t);
      this.routeRuns(this.spikedGen, this.spikedGenCount, n, t);
    } else {
      for (let k = 0; k < this.spikedCount; k++) this.route(this.spikedCx[k], t);
      for (let k = 0; k < this.spikedGenCount; k++) this.route(n + this.spikedGen[k], t);
    }
    if (this.denseRoutedCount > 0) this.sumDenseRows(t);
  }

  /**
   * Fast kernel: route the sources list[0..count) + add (add = numCompartments for generator
   * ports) in runs of one signature, each run group by group. The counting rules are those
   * of route(); only the order in which the (exact, integer) sums are added differs.
   */
  private routeRuns(list: Int32Array, count: number, add: number, t: number): void {
    if (count === 0) return;
    const sig = this.srcSig;
    const cd = this.counters.data;
    const cOff = this.counters.bucket * NUM_OPS;
    const timing = this.timeWeights !== null;
    // Counting rules of route(): the sources' precomputed messages (msgOut on the sender's
    // core), added as the runs are found
    const msg = this.srcMsg;
    let local = 0;
    let remote = 0;
    let ew = 0;
    let nsh = 0;
    let synOps = 0;
    // without a time model, two sums of packed fields (each field's sum stays below 2^26, see
    // srcMsgPacked); with one, the four counts and each sender's msgOut
    const packed = timing ? null : this.srcMsgPacked;
    let lr = 0;
    let hops = 0;
    let k = 0;
    while (k < count) {
      const sg = sig[list[k] + add];
      let e = k;
      do {
        const src = list[e] + add;
        if (sig[src] !== sg) break;
        if (packed !== null) {
          lr += packed[2 * src];
          hops += packed[2 * src + 1];
        } else {
          const m = 4 * src;
          local += msg[m];
          remote += msg[m + 1];
          ew += msg[m + 2];
          nsh += msg[m + 3];
          if (timing) this.coreOps[this.srcCore[src] * NUM_CORE_OPS + CoreOp.msgOut] += msg[m] + msg[m + 1];
        }
        e++;
      } while (e < count);
      synOps += this.routeRun(list, k, e, add, sg, t, timing);
      k = e;
    }
    if (packed !== null) {
      remote = Math.floor(lr / MSG_PACK);
      local = lr - remote * MSG_PACK;
      nsh = Math.floor(hops / MSG_PACK);
      ew = hops - nsh * MSG_PACK;
    }
    cd[cOff + Op.synOps] += synOps;
    cd[cOff + Op.msgLocal] += local;
    cd[cOff + Op.msgRemote] += remote;
    cd[cOff + Op.hopsEW] += ew;
    cd[cOff + Op.hopsNS] += nsh;
  }

  /** Fast kernel: deliver the spikes list[k..e) (sources with signature sg) group by group; returns synOps. */
  private routeRun(list: Int32Array, k: number, e: number, add: number, sg: number, t: number, timing: boolean): number {
    const run = e - k;
    let synOps = 0;
    for (let m = this.sigStart[sg]; m < this.sigStart[sg + 1]; m++) {
      const gi = this.sigGroup[m];
      const g = this.groups[gi];
      const target = t + 1 + g.delay;
      const s = target & this.slotMask;
      const pre0 = add - g.preStart;
      if (g.dense) {
        if (g.leader === gi) {
          const c = g.stepPreCount;
          if (c === 0) this.denseRouted[this.denseRoutedCount++] = gi;
          if (g.learning === null) {
            // fixed weights (no memo): the run's rows are summed now, straight from the spike
            // list (row = list[r] - (preStart - add)); the first run of the step overwrites the
            // sums, later ones add to them
            this.rowSum.sumRows(g.weights, g.postSize, list, run, g.memoSum, g.absBound, k, g.preStart - add, c > 0);
            g.stepPreCount = c + run;
          } else {
            const sp = g.stepPre;
            let q = c;
            for (let r = k; r < e; r++) sp[q++] = list[r] + pre0;
            g.stepPreCount = q;
          }
        }
        const fm = gi * this.slots + s;
        if (this.flushMark[fm] !== target) {
          this.flushMark[fm] = target;
          this.flushList[s][this.flushCount[s]++] = gi;
        }
        this.rowsDelivered(g, gi, s, target, timing, run);
        synOps += g.postSize * run;
      } else if (g.fullRows) {
        if (g.uniformRow === g.uniformRow) this.rangeOffset[g.rangeId * this.slots + s] += run * g.uniformRow;
        else for (let r = k; r < e; r++) addScaledRow(this.acc[s], g.postStart, g.weights, g.offsets![list[r] + pre0], g.postSize, g.scale);
        this.rowsDelivered(g, gi, s, target, timing, run);
        synOps += g.postSize * run;
      } else {
        const a = this.acc[s];
        const w = g.weights;
        const scale = g.scale;
        const base = g.postStart;
        const o = g.offsets!;
        const tg = g.targets!;
        const mark = this.singleMark[s];
        const sl = this.singles[s];
        let sc = this.singleCount[s];
        if (g.identity) {
          // one-to-one: pre i reaches post i (if at all) over synapse o[i]. When the post
          // range is already due for a whole visit at `target` (a gate's row came first),
          // that visit updates these posts: they need not be listed as singles.
          const listed = this.rangeMark[g.rangeId * this.slots + s] !== target;
          const uw = g.uniformIdentity;
          if (!listed && uw === uw && !timing) {
            // every pre has its synapse, all of one weight: one addition per spike
            for (let r = k; r < e; r++) a[base + list[r] + pre0] += uw;
            synOps += run;
            continue;
          }
          for (let r = k; r < e; r++) {
            const i = list[r] + pre0;
            const q = o[i];
            if (o[i + 1] === q) continue;
            const cx = base + i;
            a[cx] += w[q] * scale;
            if (listed && mark[cx] !== target) {
              mark[cx] = target;
              sl[sc++] = cx;
            }
            if (timing) this.coreOps[this.cxCore[cx] * NUM_CORE_OPS + CoreOp.synOps] += 1;
            synOps++;
          }
          this.singleCount[s] = sc;
          continue;
        }
        for (let r = k; r < e; r++) {
          const i = list[r] + pre0;
          const q1 = o[i + 1];
          for (let q = o[i]; q < q1; q++) {
            const cx = base + tg[q];
            a[cx] += w[q] * scale;
            if (mark[cx] !== target) {
              mark[cx] = target;
              sl[sc++] = cx;
            }
            if (timing) this.coreOps[this.cxCore[cx] * NUM_CORE_OPS + CoreOp.synOps] += 1;
          }
          synOps += q1 - o[i];
        }
        this.singleCount[s] = sc;
      }
    }
    return synOps;
  }

  /**
   * Fast kernel: the row sums of the dense leaders that received spikes this step. A plastic
   * group whose pre spikes are exactly the memo's set reuses memoSum + memoDelta; otherwise
   * the rows are added afresh and become the new memo. (memoSum always holds the latest sums.)
   */
  private sumDenseRows(t: number): void {
    for (let k = 0; k < this.denseRoutedCount; k++) {
      const g = this.groups[this.denseRouted[k]];
      const n = g.stepPreCount;
      const ps = g.postSize;
      if (g.learning === null) {
        // fixed weights: the same spikes rarely come twice in a row here, so no memo; the
        // rows were summed as they were routed (routeRun)
        if (g.delay > 0) g.scratch![(t + 1 + g.delay) & this.slotMask].set(g.memoSum);
        g.stepPreCount = 0;
        continue;
      }
      let same = n === g.memoCount;
      for (let q = 0; same && q < n; q++) if (g.memoStamp[g.stepPre[q]] !== g.memoId) same = false;
      const sum = g.memoSum;
      if (same) {
        if (g.memoDirty) {
          const d = g.memoDelta;
          for (let j = 0; j < ps; j++) {
            sum[j] += d[j];
            d[j] = 0;
          }
          g.memoDirty = false;
        }
      } else {
        g.memoId++;
        g.memoDelta.fill(0);
        g.memoDirty = false;
        this.rowSum.sumRows(g.weights, ps, g.stepPre, n, sum, g.absBound);
        for (let q = 0; q < n; q++) g.memoStamp[g.stepPre[q]] = g.memoId;
        g.memoCount = n;
      }
      if (g.delay > 0) g.scratch![(t + 1 + g.delay) & this.slotMask].set(sum);
      g.stepPreCount = 0;
    }
    this.denseRoutedCount = 0;
  }

  /** A learning update of synapse (i, j) of a dense leader: keep its memo exact. */
  private noteChange(g: SynapseGroup, i: number, j: number, delta: number): void {
    if (g.memoCount >= 0 && g.memoStamp[i] === g.memoId) {
      g.memoDelta[j] += delta;
      g.memoDirty = true;
    }
  }

  /** Naive kernel: send one spike of source `src` over all its synapse groups, synapse by synapse. */
  private route(src: number, t: number): void {
    const cd = this.counters.data;
    const cOff = this.counters.bucket * NUM_OPS;
    const timing = this.timeWeights !== null;
    const coreOps = this.coreOps;
    let synOps = 0;
    for (let k = this.outStart[src]; k < this.outStart[src + 1]; k++) {
      const gi = this.outGroup[k];
      const g = this.groups[gi];
      const i = this.outPre[k];
      const target = t + 1 + g.delay;
      const s = target & this.slotMask;
      const a = this.acc[s];
      const w = g.weights;
      const scale = g.scale;
      const base = g.postStart;
      if (g.dense) {
        const ps = g.postSize;
        addScaledRow(a, base, w, i * ps, ps, scale);
        this.rowDelivered(g, gi, s, target, timing);
        synOps += ps;
      } else {
        const o = g.offsets!;
        const tg = g.targets!;
        const mark = this.singleMark[s];
        const list = this.singles[s];
        for (let q = o[i]; q < o[i + 1]; q++) {
          const cx = base + tg[q];
          a[cx] += w[q] * scale;
          if (mark[cx] !== target) {
            mark[cx] = target;
            list[this.singleCount[s]++] = cx;
          }
          if (timing) coreOps[this.cxCore[cx] * NUM_CORE_OPS + CoreOp.synOps] += 1;
        }
        synOps += o[i + 1] - o[i];
      }
    }
    // Counting rules: one synOp per synapse the spike is delivered over (its whole fan-out,
    // whatever the weight), and the source's precomputed messages (see buildMessageCosts).
    // For the critical path, synOps are charged to the core holding the post compartment and
    // the messages (msgOut) to the sending core.
    cd[cOff + Op.synOps] += synOps;
    const msg = this.srcMsg;
    cd[cOff + Op.msgLocal] += msg[4 * src];
    cd[cOff + Op.msgRemote] += msg[4 * src + 1];
    cd[cOff + Op.hopsEW] += msg[4 * src + 2];
    cd[cOff + Op.hopsNS] += msg[4 * src + 3];
    if (timing) coreOps[this.srcCore[src] * NUM_CORE_OPS + CoreOp.msgOut] += msg[4 * src] + msg[4 * src + 1];
  }

  /**
   * A whole row (all posts of g) was delivered into slot s for step `target`: mark the post
   * range for updating then, and (time model) count the row for the per-core synops, which
   * are added once per step as spikes x posts per core.
   */
  private rowDelivered(g: SynapseGroup, gi: number, s: number, target: number, timing: boolean): void {
    this.rowsDelivered(g, gi, s, target, timing, 1);
  }

  /** rowDelivered for `rows` rows of g at once. */
  private rowsDelivered(g: SynapseGroup, gi: number, s: number, target: number, timing: boolean, rows: number): void {
    const mk = g.rangeId * this.slots + s;
    if (this.rangeMark[mk] !== target) {
      this.rangeMark[mk] = target;
      this.rangeGroups[s][this.rangeCount[s]++] = g.rangeId;
    }
    if (timing) {
      if (g.stepSpikes === 0) this.denseTouched[this.denseTouchedCount++] = gi;
      g.stepSpikes += rows;
    }
  }

  /**
   * Critical path of this step: max over cores of their op time, plus the barrier sync.
   * A core's time = synOps into its compartments x ns(synOp) + its active and idle
   * compartment updates x ns(cxActive / cxIdle) + plastic synapses it visits x ns(learnVisit)
   * + messages its compartments (or, for core 0, the host generators) send x ns(msgOut).
   * Mesh hop times are not on the critical path (the per-step barrier covers the mesh).
   */
  private accumulateLatency(): void {
    const w = this.timeWeights!;
    // (the weights and arrays in locals: stores into one typed array may alias another, so
    // the compiler would reload them for every core otherwise)
    const wSyn = w[CoreOp.synOps];
    const wActive = w[CoreOp.cxActive];
    const wIdle = w[CoreOp.cxIdle];
    const wLearn = w[CoreOp.learnVisits];
    const wMsg = w[CoreOp.msgOut];
    const nc = this.spec.numCores;
    const ops = this.coreOps;
    for (let k = 0; k < this.denseTouchedCount; k++) {
      const g = this.groups[this.denseTouched[k]];
      const cp = g.corePosts;
      const spikes = g.stepSpikes;
      for (let c = 0; c < cp.length; c += 2) ops[cp[c] * NUM_CORE_OPS + CoreOp.synOps] += cp[c + 1] * spikes;
      g.stepSpikes = 0;
    }
    this.denseTouchedCount = 0;
    const lv = this.learnVisitsEveryStep;
    const act = this.coreActive;
    const cxs = this.coreCx;
    let worst = 0;
    for (let c = 0, o = 0; c < nc; c++, o += NUM_CORE_OPS) {
      const active = act[c];
      // (evaluated left to right, in this order, by every kernel: the same float result)
      const tcore =
        ops[o + CoreOp.synOps] * wSyn +
        active * wActive +
        (cxs[c] - active) * wIdle +
        (ops[o + CoreOp.learnVisits] + lv[c]) * wLearn +
        ops[o + CoreOp.msgOut] * wMsg;
      if (tcore > worst) worst = tcore;
    }
    ops.fill(0);
    act.fill(0);
    this.latencyNs[this.counters.bucket] += worst + this.barrierNs;
  }


  // ---------------------------------------------------------------- learning engine

  private learn(t: number): void {
    const plastic = this.plastic;
    if (plastic.length === 0) return;
    // reward channels: r1 for an epoch ending now
    for (let c = 0; c < this.rewards.length; c++) {
      const ch = this.rewards[c];
      for (let k = 0; k < this.spikedCount; k++) if (ch.sourceFlag[this.spikedCx[k]]) ch.lastSpike = t;
      for (let k = 0; k < this.spikedGenCount; k++) if (ch.sourceFlag[this.numCompartments + this.spikedGen[k]]) ch.lastSpike = t;
    }
    this.collectEpochSpikes();
    if (this.fast) this.checkCopiesStillEqual();
    for (let gi = 0; gi < plastic.length; gi++) {
      const g = plastic[gi];
      if (t % g.learning!.tEpoch !== 0) continue;
      if (g.followsLeader) this.countVisits(g);
      else this.applyRule(g, t);
      g.preCount = 0;
      g.postCount = 0;
      g.epochId++;
    }
  }

  /** Remember which pre and post neurons of a plastic group spiked during this epoch. */
  private collectEpochSpikes(): void {
    this.collectRuns(this.spikedCx, this.spikedCount, 0);
    this.collectRuns(this.spikedGen, this.spikedGenCount, this.numCompartments);
  }

  /**
   * collectEpochSpikes for the sources list[0..count) + add, in runs of sources that belong
   * to the same plastic groups in the same roles (plSig), group by group.
   */
  private collectRuns(list: Int32Array, count: number, add: number): void {
    const sig = this.plSig;
    const st = this.plSigStart;
    const ent = this.plSigEntry;
    const plastic = this.plastic;
    let k = 0;
    while (k < count) {
      const sg = sig[list[k] + add];
      let e = k + 1;
      while (e < count && sig[list[e] + add] === sg) e++;
      for (let m = st[sg]; m < st[sg + 1]; m++) {
        const g = plastic[ent[m] >> 1];
        const ep = g.epochId;
        const pre = (ent[m] & 1) === 0;
        const base = add - (pre ? g.preStart : g.postStart);
        const stamp = pre ? g.preStamp : g.postStamp;
        const out = pre ? g.preList : g.postList;
        let c = pre ? g.preCount : g.postCount;
        for (let r = k; r < e; r++) {
          const i = list[r] + base;
          if (stamp[i] !== ep) {
            stamp[i] = ep;
            out[c++] = i;
          }
        }
        if (pre) g.preCount = c;
        else g.postCount = c;
      }
      k = e;
    }
  }

  /** Trace update at an epoch boundary: decay, add the impulse of a spike, round, clip at 7 bits. */
  private updateTrace(x: number, spiked: boolean, spec: TraceSpec | undefined, tEpoch: number): number {
    const impulse = spec ? spec.impulse / 256 : 0;
    const tau = spec ? spec.tau : 0;
    let y = tau > 0 ? x * Math.exp(-tEpoch / tau) : 0;
    if (spiked) y += impulse;
    y = this.stochasticRound(y);
    if (y > TRACE_MAX) {
      this.counters.add(Op.traceSat, 1);
      y = TRACE_MAX;
    }
    return y;
  }

  /** Stochastic rounding to an integer: rounds up with probability equal to the fraction. */
  private stochasticRound(y: number): number {
    const f = Math.floor(y);
    const frac = y - f;
    if (frac === 0) return f;
    return this.prng.nextFloat() < frac ? f + 1 : f;
  }

  private applyRule(g: SynapseGroup, t: number): void {
    const l = g.learning!;
    const rule = l.rule;
    const vars = this.vars;
    const cd = this.counters.data;
    const cOff = this.counters.bucket * NUM_OPS;
    const ep = g.epochId;
    const ch = this.rewards[l.rewardChannel];
    const rewarded = ch !== undefined && ch.lastSpike > t - l.tEpoch;
    // r1 is kept per plastic group: each group decays it once per own epoch (a channel-wide
    // value would be decayed, and get the impulse, once per group sharing the channel)
    const r1 = ch ? (ch.tau > 0 ? this.stochasticRound(g.r1 * Math.exp(-l.tEpoch / ch.tau)) + (rewarded ? ch.impulse : 0) : rewarded ? ch.impulse : 0) : 0;
    g.r1 = r1;

    // traces (only allocated when the rule or its spec uses them)
    if (g.x1 || g.x2) {
      for (let i = 0; i < g.preSize; i++) {
        const s = g.preStamp[i] === ep;
        if (g.x1) g.x1[i] = this.updateTrace(g.x1[i], s, l.x1, l.tEpoch);
        if (g.x2) g.x2[i] = this.updateTrace(g.x2[i], s, l.x2, l.tEpoch);
      }
    }
    if (g.y1 || g.y2 || g.y3) {
      for (let j = 0; j < g.postSize; j++) {
        const s = g.postStamp[j] === ep;
        if (g.y1) g.y1[j] = this.updateTrace(g.y1[j], s, l.y1, l.tEpoch);
        if (g.y2) g.y2[j] = this.updateTrace(g.y2[j], s, l.y2, l.tEpoch);
        if (g.y3) g.y3[j] = this.updateTrace(g.y3[j], s, l.y3, l.tEpoch);
      }
    }

    // Counting rule: the learning engine visits every plastic synapse at every epoch end, so
    // learnVisits += all synapses of the group, whether or not pre or post spiked or a weight
    // changes (learnUpdates counts only changed weights, and costs nothing extra). With
    // tEpoch = 1 (sBP) that is every synapse every step. For the critical path the visits are
    // charged to the core whose synapse memory holds them (the post compartment's core).
    this.countVisits(g);

    const memo = g.scratch !== null && g.memoCount >= 0;
    vars[VAR_INDEX.r0] = rewarded ? 1 : 0;
    vars[VAR_INDEX.r1] = r1;
    const w = g.weights;
    if (g.pairFast) {
      // Every term is a multiple of x0*y0 and reads no per-synapse state: dw is the same for
      // every synapse whose pre and post both spiked, and zero elsewhere.
      if (g.preCount === 0 || g.postCount === 0) return;
      vars[VAR_INDEX.x0] = 1;
      vars[VAR_INDEX.y0] = 1;
      vars[VAR_INDEX.x1] = vars[VAR_INDEX.x2] = vars[VAR_INDEX.y1] = vars[VAR_INDEX.y2] = vars[VAR_INDEX.y3] = 0;
      vars[VAR_INDEX.w] = 0;
      const dw = evaluateRule(rule, vars);
      if (dw === 0) return;
      const ps = g.postSize;
      // dw a multiple of the LSB that fits the accumulator: on a stored (LSB-aligned) weight
      // updatedWeight reduces to old + dw, saturated; that case is inlined here
      const lsb = g.lsb;
      const aligned = Math.floor(dw / lsb) * lsb === dw && Math.abs(dw * ACC_FRAC) <= ACC_MAX;
      const wMax = g.wMax;
      const wMin = g.wMin;
      // Rounding draws from the PRNG: walk the synapses in memory order (pre, then post,
      // ascending), as the general path does, whatever order the spikes came in.
      if (!aligned) {
        sortAscending(g.preList, g.preCount);
        sortAscending(g.postList, g.postCount);
      }
      const preList = g.preList;
      const postList = g.postList;
      const nPost = g.postCount;
      const memoDelta = g.memoDelta;
      const mirrors = g.mirrors;
      const nm = mirrors.length;
      const lsbMask = lsb - 1;
      let updates = 0;
      let satHigh = 0;
      let satLow = 0;
      for (let a = 0; a < g.preCount; a++) {
        const i = preList[a];
        const off = i * ps;
        // the memo covers this pre's row: keep its sum exact (see sumDenseRows)
        const inMemo = memo && g.memoStamp[i] === g.memoId;
        for (let b = 0; b < nPost; b++) {
          const j = postList[b];
          const old = w[off + j];
          let nw: number;
          if (aligned && (old & lsbMask) === 0) {
            nw = old + dw;
            if (nw > wMax) {
              nw = wMax;
              satHigh++;
            } else if (nw < wMin) {
              nw = wMin;
              satLow++;
            }
          } else nw = this.updatedWeight(g, old, dw, cd, cOff);
          if (nw !== old) {
            w[off + j] = nw;
            for (let c = 0; c < nm; c++) mirrors[c][off + j] = nw;
            updates++;
            if (inMemo) {
              memoDelta[j] += nw - old;
              g.memoDirty = true;
            }
          }
        }
      }
      // (g.copies > 1 only for a leader whose copies follow it: their identical
      // updates are counted here too)
      cd[cOff + Op.learnUpdates] += updates * g.copies;
      cd[cOff + Op.weightSatHigh] += satHigh * g.copies;
      cd[cOff + Op.weightSatLow] += satLow * g.copies;
      return;
    }
    // general path: visit the synapses the rule's support allows
    for (let i = 0; i < g.preSize; i++) {
      const x0 = g.preStamp[i] === ep ? 1 : 0;
      if (x0 === 0 && (rule.support === 'pair' || rule.support === 'pre')) continue;
      vars[VAR_INDEX.x0] = x0;
      vars[VAR_INDEX.x1] = g.x1 ? g.x1[i] : 0;
      vars[VAR_INDEX.x2] = g.x2 ? g.x2[i] : 0;
      const start = g.dense ? i * g.postSize : g.offsets![i];
      const end = g.dense ? start + g.postSize : g.offsets![i + 1];
      for (let k = start; k < end; k++) {
        const j = g.dense ? k - start : g.targets![k];
        const y0 = g.postStamp[j] === ep ? 1 : 0;
        if (y0 === 0 && (rule.support === 'pair' || rule.support === 'post')) continue;
        vars[VAR_INDEX.y0] = y0;
        vars[VAR_INDEX.y1] = g.y1 ? g.y1[j] : 0;
        vars[VAR_INDEX.y2] = g.y2 ? g.y2[j] : 0;
        vars[VAR_INDEX.y3] = g.y3 ? g.y3[j] : 0;
        vars[VAR_INDEX.w] = w[k];
        const dw = evaluateRule(rule, vars);
        if (dw === 0) continue;
        const old = w[k];
        const nw = this.updatedWeight(g, old, dw, cd, cOff);
        if (nw !== old) {
          w[k] = nw;
          for (let c = 0; c < g.mirrors.length; c++) g.mirrors[c][k] = nw;
          cd[cOff + Op.learnUpdates]++;
          if (memo) this.noteChange(g, i, g.dense ? k - start : g.targets![k], nw - old);
        }
      }
    }
  }

  /** The learning engine's visits of one group's synapses in one epoch. */
  private countVisits(g: SynapseGroup): void {
    this.counters.data[this.counters.bucket * NUM_OPS + Op.learnVisits] += g.numSynapses;
    if (this.timeWeights !== null && g.learning!.tEpoch !== 1) {
      // (groups with tEpoch 1 are in learnVisitsEveryStep)
      const cs = g.coreSynapses;
      for (let c = 0; c < cs.length; c += 2) this.coreOps[cs[c] * NUM_CORE_OPS + CoreOp.learnVisits] += cs[c + 1];
    }
  }


  /**
   * New weight for old + dw: dw enters the 15-bit-plus-sign accumulator with 7 fractional
   * bits (accSat when it clips), the sum is rounded stochastically to the weight's LSB
   * (roundUp when it rounds away from the floor), then saturated to the sign mode's range.
   */
  private updatedWeight(g: SynapseGroup, old: number, dw: number, cd: Float64Array, cOff: number): number {
    let a = dw * ACC_FRAC;
    // (g.copies > 1 only for a leader whose copies follow it: their identical
    // updates are counted here too)
    if (a > ACC_MAX) {
      a = ACC_MAX;
      cd[cOff + Op.accSat] += g.copies;
    } else if (a < -ACC_MAX) {
      a = -ACC_MAX;
      cd[cOff + Op.accSat] += g.copies;
    }
    const lsb = g.lsb;
    const steps = (old * ACC_FRAC + a) / (lsb * ACC_FRAC);
    let k = Math.floor(steps);
    const frac = steps - k;
    if (frac > 0 && this.prng.nextFloat() < frac) {
      k++;
      cd[cOff + Op.roundUp]++;
    }
    let nw = k * lsb;
    if (nw > g.wMax) {
      nw = g.wMax;
      cd[cOff + Op.weightSatHigh] += g.copies;
    } else if (nw < g.wMin) {
      nw = g.wMin;
      cd[cOff + Op.weightSatLow] += g.copies;
    }
    return nw;
  }
}
