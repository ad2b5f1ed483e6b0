/**
 * The time model: the per-core load of each step and its critical path (see
 * docs/chip-model.md, "Latency"). A core's time in a step = synOps into its compartments x
 * ns(synOp) + its active and idle compartment updates x ns(cxActive / cxIdle) + plastic
 * synapses it visits x ns(learnVisit) + messages its compartments (or, for core 0, the host
 * generators) send x ns(msgOut). The step costs the slowest core's time plus the barrier
 * sync. Mesh hop times are not on the critical path (the per-step barrier covers the mesh).
 * Without weights (setTimeModel never called) nothing is tallied.
 */
import { CoreOp, NUM_CORE_OPS } from './counters';
import type { Compartments } from './compartments';
import { NO_FLOAT64, type SynapseGroup } from './synapse-group';

/**
 * What a chip keeps of the time model whether or not one is set: the per-core load arrays,
 * the latency per bucket, no weights. A board bundle builds only this (see SYNFIRE_DEVICE in ./chip):
 * it never sets a time model, so it needs none of TimeModel's tallying.
 */
export class CoreLoad {
  /** ns per CoreOp kind, or null: no time model. */
  weights: Float64Array | null = null;
  barrierNs = 0;
  /** Per core, per CoreOp kind: this step's load ([core * NUM_CORE_OPS + kind]). */
  readonly coreOps: Float64Array;
  /** The compartments, whose coreActive holds this step's active updates per core. */
  protected readonly cx: Compartments;
  /** Configured compartments per core. */
  protected readonly coreCx: Float64Array;
  /** Learning visits per core of the plastic groups with tEpoch 1 (the same every step). */
  protected readonly learnVisitsEveryStep: Float64Array;
  /** Groups that delivered whole rows this step (their stepSpikes), charged at the step's end. */
  protected readonly rowsTouched: Int32Array;
  protected rowsTouchedCount = 0;
  protected readonly groups: SynapseGroup[];
  /** Critical-path latency per counter bucket, ns. */
  readonly latencyNs: Float64Array;

  constructor(numCores: number, cx: Compartments, groups: SynapseGroup[], numBuckets: number, perCore: boolean) {
    const cxCore = cx.cxCore;
    this.coreOps = new Float64Array(numCores * NUM_CORE_OPS);
    this.cx = cx;
    this.coreCx = new Float64Array(numCores);
    for (let i = 0; i < cxCore.length; i++) this.coreCx[cxCore[i]]++;
    this.groups = groups;
    this.rowsTouched = new Int32Array(groups.length);
    this.latencyNs = new Float64Array(numBuckets);
    this.learnVisitsEveryStep = perCore ? new Float64Array(numCores) : NO_FLOAT64;
  }
}

export class TimeModel extends CoreLoad {
  /**
   * Without `perCore` (a device chip, which never gets a time model) the per-group (core,
   * count) tables and the per-core learning visits are not built: set() is never called.
   */
  constructor(numCores: number, cx: Compartments, groups: SynapseGroup[], numBuckets: number, perCore = true) {
    super(numCores, cx, groups, numBuckets, perCore);
    if (!perCore) return;
    const cxCore = cx.cxCore;
    // per group: its posts and its synapses per core, as (core, count) pairs
    const tmp = new Float64Array(numCores);
    const pairs = (): Int32Array => {
      const list: number[] = [];
      for (let c = 0; c < numCores; c++) if (tmp[c] > 0) list.push(c, tmp[c]);
      tmp.fill(0);
      return new Int32Array(list);
    };
    for (const g of groups) {
      for (let j = 0; j < g.postSize; j++) tmp[cxCore[g.postStart + j]]++;
      g.corePosts = pairs();
      if (g.dense) {
        for (let j = 0; j < g.postSize; j++) tmp[cxCore[g.postStart + j]] += g.preSize;
      } else {
        const t = g.targets!;
        for (let k = 0; k < t.length; k++) tmp[cxCore[g.postStart + t[k]]]++;
      }
      g.coreSynapses = pairs();
    }
    for (const g of groups) {
      if (g.learning === null || g.learning.tEpoch !== 1) continue;
      const cs = g.coreSynapses;
      for (let c = 0; c < cs.length; c += 2) this.learnVisitsEveryStep[cs[c]] += cs[c + 1];
    }
  }

  /** Attach ns per CoreOp kind and the barrier time. */
  set(nsPerCoreOp: ArrayLike<number>, barrierNs: number): void {
    this.weights = Float64Array.from(nsPerCoreOp as ArrayLike<number>);
    this.barrierNs = barrierNs;
  }

  /** `rows` whole rows of group gi were delivered: their synOps are charged per core at the step's end (spikes x posts per core). */
  rowsDelivered(g: SynapseGroup, gi: number, rows: number): void {
    if (g.stepSpikes === 0) this.rowsTouched[this.rowsTouchedCount++] = gi;
    g.stepSpikes += rows;
  }

  /** The learning engine's visits of plastic group g (one epoch), charged to the cores holding its synapses. */
  learnVisits(g: SynapseGroup): void {
    // (groups with tEpoch 1 are in learnVisitsEveryStep)
    if (g.learning!.tEpoch === 1) return;
    const cs = g.coreSynapses;
    for (let c = 0; c < cs.length; c += 2) this.coreOps[cs[c] * NUM_CORE_OPS + CoreOp.learnVisits] += cs[c + 1];
  }

  /** End of a step: add its critical path to latencyNs[bucket] and clear the per-core loads. */
  endStep(bucket: number): void {
    const w = this.weights!;
    // (the weights and arrays in locals: stores into one typed array may alias another, so
    // the compiler would reload them for every core otherwise)
    const wSyn = w[CoreOp.synOps];
    const wActive = w[CoreOp.cxActive];
    const wIdle = w[CoreOp.cxIdle];
    const wLearn = w[CoreOp.learnVisits];
    const wMsg = w[CoreOp.msgOut];
    const nc = this.coreCx.length;
    const ops = this.coreOps;
    for (let k = 0; k < this.rowsTouchedCount; k++) {
      const g = this.groups[this.rowsTouched[k]];
      const cp = g.corePosts;
      const spikes = g.stepSpikes;
      for (let c = 0; c < cp.length; c += 2) ops[cp[c] * NUM_CORE_OPS + CoreOp.synOps] += cp[c + 1] * spikes;
      g.stepSpikes = 0;
    }
    this.rowsTouchedCount = 0;
    const lv = this.learnVisitsEveryStep;
    const act = this.cx.coreActive;
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
    this.latencyNs[bucket] += worst + this.barrierNs;
  }
}
