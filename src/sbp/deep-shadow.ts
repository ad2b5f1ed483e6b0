/**
 * The deep integer oracle (deep-oracle.ts) run in lock step beside a training chip with
 * several hidden layers (`synfire train --hidden H1,H2,... --shadow`): the same two counts as
 * the one-layer shadow (shadow.ts), with the same report. After every sample it counts the
 * spikes fired outside their phases (deepActivePhases, and each gate outside its own phase) and
 * checks every weight the sample can have changed (shadow-checks.ts) of every plastic matrix:
 * W_l and its two copies (in the oracle: rows e_l+ / e_l-, columns a_{l-1}), P_l and M_l
 * (rows a_{l-1}, columns e_l+ / e_l-). After a departure the oracle restarts from the chip's
 * weights, so the next departure is a new one.
 *
 * Portable: no Node APIs.
 */
import { deepActivePhases, deepMatrices, gateName } from './deep';
import { deepOracleState, deepOracleTrain, newDeepTrace, type DeepOracleState, type DeepOracleTrace } from './deep-oracle';
import type { DeepTrainingChip } from './deep-training';
import { checkSample, diffScratch, emptyShadowReport, silentLists, type DiffScratch, type ShadowReport, type SilentLists, type WatchedMatrix } from './shadow-checks';
import { PhaseRecord } from './training';

export class DeepShadow {
  /** Pass this to DeepTrainingChip.trainSample: the phases' spikes. */
  readonly record: PhaseRecord;
  readonly report: ShadowReport;
  private state: DeepOracleState;
  private readonly tr: DeepOracleTrace;
  private readonly x: Uint8Array;
  private readonly silent: SilentLists;
  private readonly watched: WatchedMatrix[];
  private readonly scratch: DiffScratch;

  /** `counts`: continue these counts (a resumed run) instead of starting from 0. */
  constructor(private readonly net: DeepTrainingChip, counts: ShadowReport | null = null) {
    this.report = counts ? { ...counts } : emptyShadowReport();
    const sizes = net.sizes;
    this.record = new PhaseRecord(net.chip.numCompartments, net.phases);
    this.state = this.fromChip();
    this.tr = newDeepTrace(sizes);
    this.x = new Uint8Array(sizes[0]);
    const g = net.compiled.groups;
    this.silent = silentLists(deepActivePhases(net.L), net.phases, g, gateName);
    const tr = this.tr;
    const errorsOf = (l: number) => [() => tr.ePos[l], () => tr.eNeg[l]];
    const all = deepMatrices(net.L);
    this.watched = [];
    for (const m of all) {
      if (m.copy !== 0) continue;
      const l = m.layer;
      const group = (name: string) => () => net.group(name).store;
      if (m.kind === 'w') {
        const copies = all.filter((c) => c.kind === 'w' && c.layer === l);
        this.watched.push({
          pre: g[m.pre],
          posts: copies.map((c) => g[c.post]),
          weights: copies.map((c) => group(c.name)),
          oracle: () => this.state.w[l],
          oracleRows: errorsOf(l),
          oracleCols: [() => tr.a[l - 1]],
        });
      } else {
        this.watched.push({
          pre: g[m.pre],
          posts: [g[m.post]],
          weights: [group(m.name)],
          oracle: () => (m.kind === 'p' ? this.state.p[l] : this.state.m[l]),
          oracleRows: [() => tr.a[l - 1]],
          oracleCols: errorsOf(l),
        });
      }
    }
    this.scratch = diffScratch(Math.max(...sizes));
  }

  /** The oracle's state from the chip's matrices. */
  private fromChip(): DeepOracleState {
    const net = this.net;
    const w: Int16Array[] = [new Int16Array(0)];
    for (let l = 1; l < net.sizes.length; l++) w.push(net.matrix(`w${l}`));
    const s = deepOracleState(net.sizes, w);
    for (let l = 2; l < net.sizes.length; l++) {
      s.p[l] = net.matrix(`p${l}`);
      s.m[l] = net.matrix(`m${l}`);
    }
    return s;
  }

  /**
   * After the chip trained dataset sample (active[start..end), label) with `this.record` as its
   * phase record: run the oracle on the same sample and compare.
   */
  afterSample(active: ArrayLike<number>, start: number, end: number, label: number): void {
    const x = this.x;
    x.fill(0);
    for (let j = start; j < end; j++) x[active[j]] = 1;
    deepOracleTrain(this.state, x, label, this.net.order, this.tr);
    // after a departure the oracle restarts from the chip's weights
    if (checkSample(this.record, this.silent, this.watched, this.scratch, this.report)) this.state = this.fromChip();
  }
}
