/**
 * The fast kernel: the naive kernel's results, to the bit, with less work per step.
 *   - Dense groups add their rows per step, not per spike: the row-sum kernel (plain JS, or
 *     WebAssembly injected by the host) sums the rows of this step's spikes, and the sums
 *     enter the accumulators when their step comes (flush). A plastic leader keeps a memo of
 *     its last sum and the weight changes since, so the same spikes again cost no row adds.
 *   - Exact copies of a group read its sums (./copies).
 *   - Spikes are routed in runs of sources with the same synapse groups, group by group.
 *   - Ranges of memoryless compartments take the shortcut update (Compartments.updateRange,
 *     or the row-sum kernel's range update); one-to-all groups of uniform weight deliver a
 *     row as one number; uniform one-to-one groups one addition per spike.
 * The caches these rest on (uniform weights, bounds, copies) are re-derived whenever weights
 * were written from outside (checkWrites).
 */
import { CoreOp, NUM_CORE_OPS, NUM_OPS, Op } from './counters';
import { Copies } from './copies';
import { addScaledRow, Kernel, type ChipParts } from './kernel';
import { MSG_PACK } from './routing-table';
import { jsRowSumKernel, type RowSumKernel } from './row-sum';
import { SynapseGroup } from './synapse-group';

export class FastKernel extends Kernel {
  readonly name = 'fast' as const;
  private readonly rowSum: RowSumKernel;
  private readonly copies: Copies;
  /** Per slot, the dense groups whose row sums are due at its step (each once: flushMark). */
  private readonly flushList: Int32Array[];
  private readonly flushCount: Int32Array;
  private readonly flushMark: Int32Array;
  /** Per range, the step whose update adds fusedSrc * fusedScale (see flush). */
  private readonly fusedMark: Int32Array;
  private readonly fusedSrc: Int32Array[];
  private readonly fusedScale: Float64Array;
  /** Zeros, for a range update with no fused sums. */
  private readonly zeroSums: Int32Array;
  /** The dense leaders that received spikes this step. */
  private readonly denseRouted: Int32Array;
  private denseRoutedCount = 0;
  /** SynapseGroup.allWrites when the caches were last derived. */
  private writesSeen = -1;

  constructor(parts: ChipParts) {
    super(parts);
    const k = parts.rowSum;
    this.rowSum = k;
    const groups = this.groups;
    const slots = this.d.slots;
    const protos = parts.spec.prototypes;
    const cxProto = this.cx.cxProto;
    let maxPost = 0;
    for (const g of groups) if (g.postSize > maxPost) maxPost = g.postSize;
    this.zeroSums = k.allocInt32(maxPost);
    for (const g of groups) {
      const p0 = cxProto[g.postStart];
      let uniform = protos[p0].decayU >= 4096 && protos[p0].decayV >= 4096;
      for (let j = 1; uniform && j < g.postSize; j++) if (cxProto[g.postStart + j] !== p0) uniform = false;
      g.postMemoryless = uniform ? p0 : -1;
      if (!g.dense) continue;
      // the dense groups' weights, spike lists and sums live in the row-sum kernel's memory
      // (the portable kernel's memory is the JS heap: the group's own array serves as it is)
      if (k !== jsRowSumKernel) {
        const own = k.allocInt16(g.own.length);
        own.set(g.own);
        g.own = own;
        g.store = own;
      }
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
    this.fusedMark = new Int32Array(groups.length).fill(-1);
    this.fusedScale = new Float64Array(groups.length);
    this.fusedSrc = groups.map(() => this.zeroSums);
    this.flushList = [];
    for (let s = 0; s < slots; s++) this.flushList.push(new Int32Array(groups.length));
    this.flushCount = new Int32Array(slots);
    this.flushMark = new Int32Array(groups.length * slots).fill(-1);
    this.denseRouted = new Int32Array(groups.length);
    const l = parts.learning;
    this.copies = new Copies(groups, l.plastic, l.plasticIndex, l.rewards, slots);
  }

  advance(t: number, slot: number): void {
    this.checkWrites();
    this.flush(slot, true, t);
  }

  protected updateRange(g: SynapseGroup, gi: number, t: number, slot: number, acc: Float64Array, timing: boolean): void {
    if (g.postMemoryless < 0) {
      this.updateEachInRange(g, t, acc, timing);
      return;
    }
    const cx = this.cx;
    const end = g.postStart + g.postSize;
    const oi = gi * this.d.slots + slot;
    const offs = this.d.rangeOffset;
    const fused = this.fusedMark[gi] === t;
    const sums = fused ? this.fusedSrc[gi] : this.zeroSums;
    const sumScale = fused ? this.fusedScale[gi] : 0;
    // (a clean range is visited whole: its active compartments per core are its corePosts)
    if (g.rangeClean && cx.rangeUpdate !== null) cx.updateRangeByKernel(g.postStart, end, g.postMemoryless, t, acc, timing && !g.rangeClean, offs[oi], sums, sumScale);
    else cx.updateRange(g.postStart, end, g.postMemoryless, t, acc, timing && !g.rangeClean, offs[oi], g.rangeClean, sums, sumScale);
    if (timing && g.rangeClean) {
      const cp = g.corePosts;
      for (let c = 0; c < cp.length; c += 2) cx.coreActive[cp[c]] += cp[c + 1];
    }
    offs[oi] = 0;
  }

  protected updateList(list: Int32Array, count: number, t: number, acc: Float64Array, timing: boolean): void {
    if (count > 0) this.cx.updateListed(list, count, t, acc, timing);
  }

  route(t: number, spikedCx: Int32Array, nCx: number, spikedGen: Int32Array, nGen: number): void {
    this.routeRuns(spikedCx, nCx, 0, t);
    this.routeRuns(spikedGen, nGen, this.cx.n, t);
    if (this.denseRoutedCount > 0) this.sumDenseRows(t);
  }

  beforeLearning(t: number): void {
    this.copies.separateDiverged(t);
  }

  /**
   * When weights were written from outside since the last step (SynapseGroup.allWrites
   * moved): the pending sums go into the accumulators, then the caches that depend on the
   * weights are derived again (uniform rows and one-to-one weights, bounds, copies).
   * Otherwise copy sets released for reading share their storage again.
   */
  private checkWrites(): void {
    const writes = SynapseGroup.allWrites;
    if (writes === this.writesSeen) {
      if (this.copies.anyReleased) this.copies.reshare();
      return;
    }
    this.writesSeen = writes;
    this.flushAll();
    const gs = this.groups;
    for (const g of gs) {
      g.uniformIdentity = NaN;
      if (g.identity && !g.learning && g.numSynapses === g.preSize && g.preSize > 0) {
        const w = g.store;
        let same = true;
        for (let k = 1; same && k < w.length; k++) if (w[k] !== w[0]) same = false;
        if (same) g.uniformIdentity = w[0] * g.scale;
      }
      if (g.dense) {
        let m = Math.max(-g.wMin, g.wMax);
        const w = g.store;
        for (let k = 0; k < w.length; k++) {
          const a = w[k] < 0 ? -w[k] : w[k];
          if (a > m) m = a;
        }
        g.absBound = m;
      }
      g.uniformRow = NaN;
      if (g.dense || !g.fullRows || g.learning || !g.rangeClean || g.postMemoryless < 0) continue;
      const w = g.store;
      let same = true;
      for (let k = 1; same && k < w.length; k++) if (w[k] !== w[0]) same = false;
      if (same && w.length > 0) g.uniformRow = w[0] * g.scale;
    }
    this.copies.derive();
  }

  /** The pending row sums of dense group g for `slot` (its leader's). */
  private pendingSums(g: SynapseGroup, slot: number): Int32Array {
    const L = this.groups[g.leader];
    return g.delay === 0 ? L.memoSum : L.scratch![slot];
  }

  /**
   * The row sums due at this slot. With `fuse` (the current step), the first
   * undelayed dense group into a clean memoryless range hands its sums to that range's update, which
   * adds them as it reads the accumulators (fusedSrc); the others are added into the
   * accumulators here.
   */
  private flush(slot: number, fuse: boolean, t: number): void {
    const n = this.flushCount[slot];
    if (n === 0) return;
    const list = this.flushList[slot];
    const a = this.d.acc[slot];
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

  /** Move every pending row sum into the accumulators (before copies change). */
  private flushAll(): void {
    for (let s = 0; s < this.d.slots; s++) this.flush(s, false, -1);
  }

  /**
   * Route the sources list[0..count) + add (add = numCompartments for generator
   * ports) in runs of one signature, each run group by group. The counting rules are those
   * of the naive kernel; only the order in which the (exact, integer) sums are added differs.
   */
  private routeRuns(list: Int32Array, count: number, add: number, t: number): void {
    if (count === 0) return;
    const sig = this.routes.srcSig;
    const cd = this.counters.data;
    const cOff = this.counters.bucket * NUM_OPS;
    const timing = this.time.weights !== null;
    // Counting rules of the naive kernel: the sources' precomputed messages (msgOut on the sender's
    // core), added as the runs are found
    const msg = this.routes.srcMsg;
    let local = 0;
    let remote = 0;
    let ew = 0;
    let nsh = 0;
    let synOps = 0;
    // without a time model, two sums of packed fields (each field's sum stays below 2^26, see
    // srcMsgPacked); with one, the four counts and each sender's msgOut
    const packed = timing ? null : this.routes.srcMsgPacked;
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
          if (timing) this.time.coreOps[this.routes.srcCore[src] * NUM_CORE_OPS + CoreOp.msgOut] += msg[m] + msg[m + 1];
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

  /** Deliver the spikes list[k..e) (sources with signature sg) group by group; returns synOps. */
  private routeRun(list: Int32Array, k: number, e: number, add: number, sg: number, t: number, timing: boolean): number {
    const run = e - k;
    let synOps = 0;
    for (let m = this.routes.sigStart[sg]; m < this.routes.sigStart[sg + 1]; m++) {
      const gi = this.routes.sigGroup[m];
      const g = this.groups[gi];
      const target = t + 1 + g.delay;
      const s = target & this.d.slotMask;
      const pre0 = add - g.preStart;
      if (g.dense) {
        if (g.leader === gi) {
          const c = g.stepPreCount;
          if (c === 0) this.denseRouted[this.denseRoutedCount++] = gi;
          if (g.learning === null) {
            // fixed weights (no memo): the run's rows are summed now, straight from the spike
            // list (row = list[r] - (preStart - add)); the first run of the step overwrites the
            // sums, later ones add to them
            this.rowSum.sumRows(g.store, g.postSize, list, run, g.memoSum, g.absBound, k, g.preStart - add, c > 0);
            g.stepPreCount = c + run;
          } else {
            const sp = g.stepPre;
            let q = c;
            for (let r = k; r < e; r++) sp[q++] = list[r] + pre0;
            g.stepPreCount = q;
          }
        }
        const fm = gi * this.d.slots + s;
        if (this.flushMark[fm] !== target) {
          this.flushMark[fm] = target;
          this.flushList[s][this.flushCount[s]++] = gi;
        }
        this.rowsDelivered(g, gi, s, target, timing, run);
        synOps += g.postSize * run;
      } else if (g.fullRows) {
        if (g.uniformRow === g.uniformRow) this.d.rangeOffset[g.rangeId * this.d.slots + s] += run * g.uniformRow;
        else for (let r = k; r < e; r++) addScaledRow(this.d.acc[s], g.postStart, g.store, g.offsets![list[r] + pre0], g.postSize, g.scale);
        this.rowsDelivered(g, gi, s, target, timing, run);
        synOps += g.postSize * run;
      } else {
        const a = this.d.acc[s];
        const w = g.store;
        const scale = g.scale;
        const base = g.postStart;
        const o = g.offsets!;
        const tg = g.targets!;
        const mark = this.d.singleMark[s];
        const sl = this.d.singles[s];
        let sc = this.d.singleCount[s];
        if (g.identity) {
          // one-to-one: pre i reaches post i (if at all) over synapse o[i]. When the post
          // range is already due for a whole visit at `target` (a gate's row came first),
          // that visit updates these posts: they need not be listed as singles.
          const listed = this.d.rangeMark[g.rangeId * this.d.slots + s] !== target;
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
            if (timing) this.time.coreOps[this.cx.cxCore[cx] * NUM_CORE_OPS + CoreOp.synOps] += 1;
            synOps++;
          }
          this.d.singleCount[s] = sc;
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
            if (timing) this.time.coreOps[this.cx.cxCore[cx] * NUM_CORE_OPS + CoreOp.synOps] += 1;
          }
          synOps += q1 - o[i];
        }
        this.d.singleCount[s] = sc;
      }
    }
    return synOps;
  }

  /**
   * The row sums of the dense leaders that received spikes this step. A plastic
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
        if (g.delay > 0) g.scratch![(t + 1 + g.delay) & this.d.slotMask].set(g.memoSum);
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
        this.rowSum.sumRows(g.store, ps, g.stepPre, n, sum, g.absBound);
        for (let q = 0; q < n; q++) g.memoStamp[g.stepPre[q]] = g.memoId;
        g.memoCount = n;
      }
      if (g.delay > 0) g.scratch![(t + 1 + g.delay) & this.d.slotMask].set(sum);
      g.stepPreCount = 0;
    }
    this.denseRoutedCount = 0;
  }
}
