/**
 * The naive kernel: the model stated plainly. Every spike is sent over each of its synapse
 * groups synapse by synapse into the accumulators, and every due compartment takes the full
 * update. The fast kernel must equal it to the bit.
 */
import { CoreOp, NUM_CORE_OPS, NUM_OPS, Op } from './counters';
import { addScaledRow, Kernel } from './kernel';
import type { SynapseGroup } from './synapse-group';

export class NaiveKernel extends Kernel {
  readonly name = 'naive' as const;

  advance(): void {}

  protected updateRange(g: SynapseGroup, _gi: number, t: number, _slot: number, acc: Float64Array, timing: boolean): void {
    this.updateEachInRange(g, t, acc, timing);
  }

  protected updateList(list: Int32Array, count: number, t: number, acc: Float64Array, timing: boolean): void {
    this.cx.updateEach(list, count, t, acc, timing);
  }

  route(t: number, spikedCx: Int32Array, nCx: number, spikedGen: Int32Array, nGen: number): void {
    const n = this.cx.n;
    for (let k = 0; k < nCx; k++) this.routeSpike(spikedCx[k], t);
    for (let k = 0; k < nGen; k++) this.routeSpike(n + spikedGen[k], t);
  }

  beforeLearning(): void {}

  /** Send one spike of source `src` over all its synapse groups, synapse by synapse. */
  private routeSpike(src: number, t: number): void {
    const cd = this.counters.data;
    const cOff = this.counters.bucket * NUM_OPS;
    const timing = this.time.weights !== null;
    const coreOps = this.time.coreOps;
    const cxCore = this.cx.cxCore;
    const d = this.d;
    const r = this.routes;
    let synOps = 0;
    for (let k = r.outStart[src]; k < r.outStart[src + 1]; k++) {
      const gi = r.outGroup[k];
      const g = this.groups[gi];
      const i = r.outPre[k];
      const target = t + 1 + g.delay;
      const s = target & d.slotMask;
      const a = d.acc[s];
      const w = g.store;
      const scale = g.scale;
      const base = g.postStart;
      if (g.dense) {
        const ps = g.postSize;
        addScaledRow(a, base, w, i * ps, ps, scale);
        this.rowsDelivered(g, gi, s, target, timing, 1);
        synOps += ps;
      } else {
        const o = g.offsets!;
        const tg = g.targets!;
        const mark = d.singleMark[s];
        const list = d.singles[s];
        for (let q = o[i]; q < o[i + 1]; q++) {
          const cx = base + tg[q];
          a[cx] += w[q] * scale;
          if (mark[cx] !== target) {
            mark[cx] = target;
            list[d.singleCount[s]++] = cx;
          }
          if (timing) coreOps[cxCore[cx] * NUM_CORE_OPS + CoreOp.synOps] += 1;
        }
        synOps += o[i + 1] - o[i];
      }
    }
    // Counting rules: one synOp per synapse the spike is delivered over (its whole fan-out,
    // whatever the weight), and the source's precomputed messages (see RoutingTable's
    // message costs). For the critical path, synOps are charged to the core holding the post
    // compartment and the messages (msgOut) to the sending core.
    cd[cOff + Op.synOps] += synOps;
    const msg = r.srcMsg;
    cd[cOff + Op.msgLocal] += msg[4 * src];
    cd[cOff + Op.msgRemote] += msg[4 * src + 1];
    cd[cOff + Op.hopsEW] += msg[4 * src + 2];
    cd[cOff + Op.hopsNS] += msg[4 * src + 3];
    if (timing) coreOps[r.srcCore[src] * NUM_CORE_OPS + CoreOp.msgOut] += msg[4 * src] + msg[4 * src + 1];
  }
}
