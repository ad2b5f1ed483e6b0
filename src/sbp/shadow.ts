/**
 * The integer oracle run in lock step beside a training chip (`synfire train --shadow`): after
 * every sample it counts the spikes the chip fired outside their phases and checks that every
 * weight still equals the oracle's. A sample after which some weight differs is a departure;
 * the oracle then restarts from the chip's weights, so the next departure is a new one.
 *
 * The weight check is exact but visits only the weights a sample can have changed
 * (shadow-checks.ts): in the oracle, rows d1+/d1-, columns x for W1; rows d+/d-, columns h for
 * W2; rows h, columns d+/d- for W2ᵀ. (src/sbp/verify.ts compares everything, every sample.)
 * With a learning step below one LSB (learning-rate.ts) the oracle draws from copies of the
 * chip's rounding streams, and every stream's state is compared too.
 * Several hidden layers: deep-shadow.ts.
 *
 * Portable: no Node APIs.
 */
import { Prng } from '../chip/prng';
import { LOADED_FROM, PLASTIC_NAMES, type WeightMatrixName } from './matrices';
import { newTrace, oracleTrain, type OracleState, type OracleTrace } from './oracle';
import { TRAIN_GATES } from './params';
import { checkSample, diffScratch, emptyShadowReport, silentLists, type DiffScratch, type ShadowReport, type SilentLists, type WatchedMatrix } from './shadow-checks';
import { ACTIVE_PHASES, gateName, type PlasticName } from './topology';
import { PhaseRecord, type SbpTrainingChip } from './training';

export class Shadow {
  readonly record: PhaseRecord;
  readonly report: ShadowReport;
  private readonly state: OracleState;
  private readonly tr: OracleTrace;
  private readonly x: Uint8Array;
  /** Per phase: the [group, layout] ranges that must be silent. */
  private readonly silent: SilentLists;
  private readonly matrices: WatchedMatrix[];
  private readonly scratch: DiffScratch;

  /** `counts`: continue these counts (a resumed run) instead of starting from 0. */
  constructor(private readonly net: SbpTrainingChip, counts: ShadowReport | null = null) {
    this.report = counts ? { ...counts } : emptyShadowReport();
    const { input: nin, hidden: nhid, output: nout } = net.sizes;
    this.record = new PhaseRecord(net.chip.numCompartments, TRAIN_GATES);
    this.state = { nin, nhid, nout, w1: net.matrix('w1'), w2: net.matrix('w2'), p: net.matrix('w2tPos'), m: net.matrix('w2tNeg'), errorWindow: net.errorWindow, targetTop: net.targetTop };
    this.tr = newTrace(nhid, nout);
    this.x = new Uint8Array(nin);
    const g = net.compiled.groups;
    this.silent = silentLists(ACTIVE_PHASES, TRAIN_GATES, g, gateName);
    const tr = this.tr;
    const st = this.state;
    const weights = (names: PlasticName[]) => names.map((name) => () => net.group(name).store);
    this.matrices = [
      { weights: weights(['w1', 'w1c1', 'w1c2']), pre: g.x, posts: [g.h1, g.h1_copy, g.h1_copy2], oracle: () => st.w1, oracleRows: [() => tr.d1Pos, () => tr.d1Neg], oracleCols: [() => this.x] },
      { weights: weights(['w2', 'w2c1', 'w2c2']), pre: g.h1, posts: [g.o, g.o_copy, g.o_copy2], oracle: () => st.w2, oracleRows: [() => tr.dPos, () => tr.dNeg], oracleCols: [() => tr.h] },
      { weights: weights(['w2tPos']), pre: g.o, posts: [g.h1T], oracle: () => st.p, oracleRows: [() => tr.h], oracleCols: [() => tr.dPos, () => tr.dNeg] },
      { weights: weights(['w2tNeg']), pre: g['oT-'], posts: [g.h1T], oracle: () => st.m, oracleRows: [() => tr.h], oracleCols: [() => tr.dPos, () => tr.dNeg] },
    ];
    this.scratch = diffScratch(Math.max(nin, nhid, nout));
    this.learningShiftChanged();
  }

  /**
   * Call before the next sample whenever the chip's learning shift changed
   * (learning-rate.ts, setLearningShift): the oracle takes the new shift; the first time the
   * step drops below one LSB it takes the chip's rounding generators as they are.
   */
  learningShiftChanged(): void {
    const st = this.state;
    if (st.rounding) st.rounding.shift = this.net.lrShift;
    else if (this.net.lrShift > 0) this.takeChipState();
  }

  /** The rounding stream of a matrix's group on the chip (copies draw alike: checked after every sample). */
  private chipRng(name: PlasticName): Prng {
    const r = this.net.group(name).roundRng;
    if (r === null) throw new Error(`plastic group ${name} has no rounding stream`);
    return r;
  }

  /** Start (or restart) the oracle from the chip's weights and, below one LSB, its rounding generators. */
  private takeChipState(): void {
    const st = this.state;
    const net = this.net;
    st.w1 = net.matrix('w1');
    st.w2 = net.matrix('w2');
    st.p = net.matrix('w2tPos');
    st.m = net.matrix('w2tNeg');
    if (net.lrShift > 0 || st.rounding) {
      const copy = (name: PlasticName) => {
        const g = new Prng(0);
        g.restoreState(this.chipRng(name).state);
        return g;
      };
      st.rounding = { shift: net.lrShift, w1: copy('w1'), w2: copy('w2'), p: copy('w2tPos'), m: copy('w2tNeg') };
    }
  }

  /** Whether some chip group's rounding generator is in another state than its stream's in the oracle. */
  private generatorsDiffer(): boolean {
    const r = this.state.rounding;
    if (!r) return false;
    for (const name of PLASTIC_NAMES) {
      const mine = r[ORACLE_STREAM[LOADED_FROM[name]]];
      if (!sameState(mine.state, this.chipRng(name).state)) return true;
    }
    return false;
  }

  /**
   * After the chip trained dataset sample (active[start..end), label) with `this.record` as its
   * phase record: run the oracle on the same sample and compare.
   */
  afterSample(active: ArrayLike<number>, start: number, end: number, label: number): void {
    const x = this.x;
    x.fill(0);
    for (let j = start; j < end; j++) x[active[j]] = 1;
    oracleTrain(this.state, x, label, this.net.order, this.tr);

    // below one LSB the generators must agree too (a draw too many or too few shows there first)
    const differs = checkSample(this.record, this.silent, this.matrices, this.scratch, this.report, this.generatorsDiffer());
    // a departure: the oracle restarts from the chip's state
    if (differs) this.takeChipState();
  }
}

function sameState(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The oracle's generator of each stored matrix's stream. */
const ORACLE_STREAM: Record<WeightMatrixName, 'w1' | 'w2' | 'p' | 'm'> = { w1: 'w1', w2: 'w2', w2tPos: 'p', w2tNeg: 'm' };
