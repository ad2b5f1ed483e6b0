/**
 * The learning engine: at the end of each learning epoch of a plastic group it updates the
 * group's traces and applies its sum-of-products rule to the synapses whose pre and post
 * spiked in the epoch (see docs/chip-model.md, "Learning engine"): dw enters a 15-bit-plus-sign
 * accumulator with 7 fractional bits, is rounded stochastically to the weight's LSB and
 * saturated to its range, the rounding drawn from the group's own stream if it has one
 * (SynapseGroup.roundRng), else from the chip's generator. Reward channels give r0 and r1.
 * Every rule that fires is counted.
 *
 * A plastic copy that follows its leader (the fast kernel's copies, ./copies) shares its
 * storage and learns through it: the leader's updates are counted once per group.
 */
import { NUM_OPS, Op, type OpCounters } from './counters';
import { evaluateRule, VAR_INDEX } from './learning-rule';
import type { Prng } from './prng';
import { signatures } from './routing-table';
import type { ChipSpec, TraceSpec } from './spec';
import type { SynapseGroup } from './synapse-group';
import type { TimeModel } from './time-model';

/** Learning accumulator: 15 bits plus sign, holding dw with 7 fractional bits. */
export const ACC_FRAC = 128;
export const ACC_MAX = 32767;
/** Traces are 7-bit unsigned. */
const TRACE_MAX = 127;

export interface RewardChannel {
  name: string;
  sourceFlag: Uint8Array;
  impulse: number;
  tau: number;
  /** Step of the last reward spike. */
  lastSpike: number;
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

export class LearningEngine {
  readonly plastic: SynapseGroup[];
  /** Index in the chip's groups of each plastic group. */
  readonly plasticIndex: number[];
  readonly rewards: RewardChannel[];
  /**
   * Per source, its plastic groups and roles as a signature: the entries of signature k are
   * plSigEntry[plSigStart[k] .. plSigStart[k + 1]), each 2p (pre of plastic group p) or
   * 2p + 1 (post of p).
   */
  private readonly plSig: Int32Array;
  private readonly plSigStart: Uint32Array;
  private readonly plSigEntry: Uint32Array;
  private readonly vars = new Float64Array(10);
  private readonly numCompartments: number;
  private readonly counters: OpCounters;
  private readonly prng: Prng;
  private readonly time: TimeModel;

  constructor(spec: ChipSpec, groups: SynapseGroup[], counters: OpCounters, prng: Prng, time: TimeModel) {
    this.counters = counters;
    this.prng = prng;
    this.time = time;
    this.numCompartments = spec.numCompartments;
    this.plastic = groups.filter((g) => g.learning !== null);
    this.plasticIndex = this.plastic.map((g) => groups.indexOf(g));
    // per source: the plastic groups it is pre (entry 2p) or post (entry 2p + 1) of, so the
    // learning engine finds each spike's groups directly
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
    this.rewards = spec.rewardChannels.map((rc) => {
      const flag = new Uint8Array(ns);
      for (const s of rc.sources) flag[s] = 1;
      return { name: rc.name, sourceFlag: flag, impulse: rc.r1?.impulse ?? 1, tau: rc.r1?.tau ?? 0, lastSpike: -1 };
    });
  }

  /**
   * This step's spikes (compartments spikedCx[0..nCx), generator ports spikedGen[0..nGen)):
   * reward spikes, and the pre and post spikes of each plastic group's epoch.
   */
  collect(t: number, spikedCx: Int32Array, nCx: number, spikedGen: Int32Array, nGen: number): void {
    const n = this.numCompartments;
    for (let c = 0; c < this.rewards.length; c++) {
      const ch = this.rewards[c];
      for (let k = 0; k < nCx; k++) if (ch.sourceFlag[spikedCx[k]]) ch.lastSpike = t;
      for (let k = 0; k < nGen; k++) if (ch.sourceFlag[n + spikedGen[k]]) ch.lastSpike = t;
    }
    this.collectRuns(spikedCx, nCx, 0);
    this.collectRuns(spikedGen, nGen, n);
  }

  /** The end of step t: every plastic group whose epoch ends now learns, and starts a new epoch. */
  apply(t: number): void {
    const plastic = this.plastic;
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

  /**
   * Remember which pre and post neurons of a plastic group spiked during this epoch, for the sources list[0..count) + add, in runs of sources that belong
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
    const w = g.store;
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
            updates++;
            if (inMemo) {
              memoDelta[j] += nw - old;
              g.memoDirty = true;
            }
          }
        }
      }
      // (g.copies > 1 only for a leader whose copies share its storage: their identical
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
          cd[cOff + Op.learnUpdates]++;
          if (memo) this.noteChange(g, i, g.dense ? k - start : g.targets![k], nw - old);
        }
      }
    }
  }

  /** A learning update of synapse (i, j) of a dense leader: keep the fast kernel's memo of its row sums exact (see FastKernel.sumDenseRows). */
  private noteChange(g: SynapseGroup, i: number, j: number, delta: number): void {
    if (g.memoCount >= 0 && g.memoStamp[i] === g.memoId) {
      g.memoDelta[j] += delta;
      g.memoDirty = true;
    }
  }

  /** The learning engine's visits of one group's synapses in one epoch. */
  private countVisits(g: SynapseGroup): void {
    this.counters.data[this.counters.bucket * NUM_OPS + Op.learnVisits] += g.numSynapses;
    if (this.time.weights !== null) this.time.learnVisits(g);
  }

  /**
   * New weight for old + dw: dw enters the 15-bit-plus-sign accumulator with 7 fractional
   * bits (accSat when it clips), the sum is rounded stochastically to the weight's LSB
   * (roundUp when it rounds away from the floor), then saturated to the sign mode's range.
   */
  private updatedWeight(g: SynapseGroup, old: number, dw: number, cd: Float64Array, cOff: number): number {
    let a = dw * ACC_FRAC;
    // (g.copies > 1 only for a leader whose copies share its storage: their identical
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
    if (frac > 0 && (g.roundRng ?? this.prng).nextFloat() < frac) {
      k++;
      cd[cOff + Op.roundUp] += g.copies;
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
