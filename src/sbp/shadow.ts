/**
 * The integer oracle run in lock step beside a training chip (`synfire train --shadow`): after
 * every sample it counts the spikes the chip fired outside their phases and checks that every
 * weight still equals the oracle's. A sample after which some weight differs is a departure;
 * the oracle then restarts from the chip's weights, so the next departure is a new one.
 *
 * The weight check is exact but visits only the weights a sample can have changed: the sBP
 * rule (dw = 4*x0*y0*r1 - 2*x0*y0, tEpoch 1) changes a weight only in a step in which both its
 * pre and its post compartment spiked, so on the chip only weights whose post spiked in a step
 * in which some pre of the matrix spiked, and whose pre spiked at all, can change; in the
 * oracle only the rows and columns its sample updated (rows d1+/d1-, columns x for W1; rows
 * d+/d-, columns h for W2; rows h, columns d+/d- for W2ᵀ). Every other weight is equal after
 * the sample because it was equal before. (src/sbp/verify.ts compares everything, every sample.)
 *
 * Portable: no Node APIs.
 */
import type { GroupLayout } from '../net/compile';
import { newTrace, oracleTrain, type OracleState, type OracleTrace } from './oracle';
import { TRAIN_GATES } from './params';
import { ACTIVE_PHASES, type PlasticName } from './topology';
import { PhaseRecord, type SbpTrainingChip } from './training';

export interface ShadowReport {
  /** Samples run beside the chip. */
  samples: number;
  /** Samples after which some weight differed from the oracle (the oracle restarts from the chip's weights). */
  departures: number;
  /** The first departure: position in the run (counted from where the shadow started). */
  firstDeparture: number | null;
  /** Spikes outside their groups' active phases, and gate spikes outside their own phase. */
  spuriousSpikes: number;
  /** Samples with at least one spurious spike. */
  samplesWithSpurious: number;
  /** The first spurious spike: sample, group, phase. */
  firstSpurious: { sample: number; group: string; phase: number } | null;
}

/** One plastic matrix (and its copies) for the row check. */
interface MatrixCheck {
  names: PlasticName[];
  pre: GroupLayout;
  posts: GroupLayout[];
  oracle: () => Int16Array;
  /** The oracle's rows this sample updated. */
  oracleRows: Array<() => Uint8Array>;
  /** The oracle's columns (pre neurons) this sample updated. */
  oracleCols: Array<() => Uint8Array>;
}

export class Shadow {
  readonly record: PhaseRecord;
  readonly report: ShadowReport;
  private readonly state: OracleState;
  private readonly tr: OracleTrace;
  private readonly x: Uint8Array;
  /** Per phase: the [group, layout] ranges that must be silent. */
  private readonly silent: Array<Array<[string, GroupLayout]>>;
  private readonly matrices: MatrixCheck[];
  private readonly rowMark: Uint8Array;
  private readonly cols: Int32Array;

  /** `counts`: continue these counts (a resumed run) instead of starting from 0. */
  constructor(private readonly net: SbpTrainingChip, counts: ShadowReport | null = null) {
    this.report = counts ? { ...counts } : { samples: 0, departures: 0, firstDeparture: null, spuriousSpikes: 0, samplesWithSpurious: 0, firstSpurious: null };
    const { input: nin, hidden: nhid, output: nout } = net.sizes;
    this.record = new PhaseRecord(net.chip.numCompartments, TRAIN_GATES);
    this.state = { nin, nhid, nout, w1: net.matrix('w1'), w2: net.matrix('w2'), p: net.matrix('w2tPos'), m: net.matrix('w2tNeg') };
    this.tr = newTrace(nhid, nout);
    this.x = new Uint8Array(nin);
    const g = net.compiled.groups;
    this.silent = [];
    for (let p = 0; p < TRAIN_GATES; p++) {
      const list: Array<[string, GroupLayout]> = [];
      for (const name in ACTIVE_PHASES) if (ACTIVE_PHASES[name].indexOf(p) < 0) list.push([name, g[name]]);
      for (let q = 0; q < TRAIN_GATES; q++) {
        const gate = `g${q < 10 ? '0' : ''}${q}`;
        if ((q + TRAIN_GATES - 1) % TRAIN_GATES !== p) list.push([gate, g[gate]]);
      }
      this.silent.push(list);
    }
    const tr = this.tr;
    const st = this.state;
    this.matrices = [
      { names: ['w1', 'w1c1', 'w1c2'], pre: g.x, posts: [g.h1, g.h1_copy, g.h1_copy2], oracle: () => st.w1, oracleRows: [() => tr.d1Pos, () => tr.d1Neg], oracleCols: [() => this.x] },
      { names: ['w2', 'w2c1', 'w2c2'], pre: g.h1, posts: [g.o, g.o_copy, g.o_copy2], oracle: () => st.w2, oracleRows: [() => tr.dPos, () => tr.dNeg], oracleCols: [() => tr.h] },
      { names: ['w2tPos'], pre: g.o, posts: [g.h1T], oracle: () => st.p, oracleRows: [() => tr.h], oracleCols: [() => tr.dPos, () => tr.dNeg] },
      { names: ['w2tNeg'], pre: g['oT-'], posts: [g.h1T], oracle: () => st.m, oracleRows: [() => tr.h], oracleCols: [() => tr.dPos, () => tr.dNeg] },
    ];
    this.rowMark = new Uint8Array(Math.max(nhid, nout));
    this.cols = new Int32Array(Math.max(nin, nhid, nout));
  }

  /**
   * After the chip trained dataset sample (active[start..end), label) with `this.record` as its
   * phase record: run the oracle on the same sample and compare.
   */
  afterSample(active: ArrayLike<number>, start: number, end: number, label: number): void {
    const k = this.report.samples;
    const x = this.x;
    x.fill(0);
    for (let j = start; j < end; j++) x[active[j]] = 1;
    oracleTrain(this.state, x, label, this.net.order, this.tr);

    // spikes outside their phases
    const flags = this.record.flags;
    let spurious = 0;
    for (let p = 0; p < TRAIN_GATES; p++) {
      const f = flags[p];
      const list = this.silent[p];
      for (let c = 0; c < list.length; c++) {
        const l = list[c][1];
        let n = 0;
        for (let i = l.start; i < l.start + l.size; i++) n += f[i];
        if (n > 0 && this.report.firstSpurious === null) this.report.firstSpurious = { sample: k, group: list[c][0], phase: p };
        spurious += n;
      }
    }
    if (spurious > 0) {
      this.report.spuriousSpikes += spurious;
      this.report.samplesWithSpurious++;
    }

    // weights: the rows either side can have changed
    let differs = false;
    for (const m of this.matrices) if (this.checkMatrix(m)) differs = true;
    this.record.clear();
    if (differs) {
      this.report.departures++;
      if (this.report.firstDeparture === null) this.report.firstDeparture = k;
      const st = this.state;
      st.w1 = this.net.matrix('w1');
      st.w2 = this.net.matrix('w2');
      st.p = this.net.matrix('w2tPos');
      st.m = this.net.matrix('w2tNeg');
    }
    this.report.samples = k + 1;
  }

  /** True when a row either side may have changed differs between the chip and the oracle. */
  private checkMatrix(m: MatrixCheck): boolean {
    const flags = this.record.flags;
    const mark = this.rowMark;
    const post = m.posts[0].size;
    const pre = m.pre.size;
    mark.fill(0, 0, post);
    for (let p = 0; p < TRAIN_GATES; p++) {
      const f = flags[p];
      let any = 0;
      for (let i = m.pre.start; i < m.pre.start + pre && any === 0; i++) any = f[i];
      if (!any) continue;
      for (const l of m.posts) for (let j = 0; j < post; j++) if (f[l.start + j]) mark[j] = 1;
    }
    for (const r of m.oracleRows) {
      const v = r();
      for (let j = 0; j < post; j++) if (v[j]) mark[j] = 1;
    }
    // columns: pre neurons that spiked in any phase on the chip, or that the oracle updated
    const cols = this.cols;
    let nc = 0;
    const oc = m.oracleCols.map((c) => c());
    for (let i = 0; i < pre; i++) {
      let hit = 0;
      for (let p = 0; p < TRAIN_GATES && hit === 0; p++) hit = flags[p][m.pre.start + i];
      for (let c = 0; c < oc.length && hit === 0; c++) hit = oc[c][i];
      if (hit) cols[nc++] = i;
    }
    const o = m.oracle();
    for (const name of m.names) {
      const a = this.net.group(name).weights;
      for (let j = 0; j < post; j++) {
        if (!mark[j]) continue;
        const row = j * pre;
        for (let c = 0; c < nc; c++) {
          const i = cols[c];
          if (a[i * post + j] !== o[row + i]) return true;
        }
      }
    }
    return false;
  }
}
