/**
 * Lock-step verification of the spiking training network against the per-sample oracle
 * (docs/sbp-network.md, "Per-sample oracle").
 *
 * Every sample is streamed through SbpTrainingChip and through oracleTrain with the same
 * order, and then compared:
 *  - every spike of every group in every one of its active phases (docs/sbp-network.md, "The 12 phases") against the oracle's
 *    intermediate of that phase (h, h<, h>, o, o<, o>, d±, b, [s6 > 0], [s10 > 0], d1±, the
 *    replays of x, h and d±, the target);
 *  - the active-phase invariants: no group fires outside its active phases (ACTIVE_PHASES)
 *    and gate g_p fires exactly once per sample, one step before phase p;
 *  - all eight plastic matrices: W1 and its two copies against the oracle's W1, W2 and its
 *    copies against W2, +W2ᵀ (w2tPos) against P and −W2ᵀ (w2tNeg) against M.
 * The run stops after the first sample with any discrepancy; all discrepancies of that sample
 * are counted and the first one (earliest phase, then weights) is reported precisely.
 *
 * Portable: no Node APIs (Date.now is plain JavaScript).
 */
import type { CompileOptions } from '../net/network';
import type { GroupLayout } from '../net/compile';
import type { SpikeDataset } from '../data/preprocess';
import { UserError } from '../errors';
import { matrixShape, PLASTIC, WEIGHT_FILE_MATRICES, type SbpWeights } from './matrices';
import type { Gating } from './gating';
import { newTrace, oracleTrain, type Order, type OracleState, type OracleTrace, type TargetTop } from './oracle';
import { Prng, streamSeed } from '../chip/prng';
import { setLearningShift } from './learning-rate';
import { TRAIN_GATES } from './params';
import { ACTIVE_PHASES, gateName, type PlasticName, type RewardSource, type SbpSizes } from './topology';
import { loadWeights, PhaseRecord, SbpTrainingChip, type Placement } from './training';

/** The seed of the chip under test, from which its rounding streams are seeded (the oracle seeds its own from it). */
const CHIP_SEED = 1;

/** Where the samples come from: a binarized dataset and the dataset indices to train on, in order. */
export interface SampleSource {
  dataset: Pick<SpikeDataset, 'numInputs' | 'count' | 'labels' | 'offsets' | 'indices'> & { name?: string };
  /** Dataset sample indices in training order (repeats allowed); default 0..count-1. */
  indices?: ArrayLike<number>;
}

export interface VerifyOptions {
  sizes: SbpSizes;
  /** Step ordering of the chip and the matching oracle variant (docs/sbp-network.md, "Step order"). */
  order: Order;
  reward?: RewardSource;
  placement?: Placement;
  /**
   * Simulation kernel of the chip (default 'fast'). The fast kernel lets exact weight copies
   * share storage while their updates stay identical and un-shares them the moment they would
   * differ, so a copy compared with the oracle is a real check under both kernels; 'naive'
   * keeps every copy in its own memory from the start.
   */
  kernel?: 'fast' | 'naive';
  /** The fast kernel's row-sum kernel (the host may inject WebAssembly; default portable JS). */
  rowSum?: CompileOptions['rowSum'];
  /** Initial weights (copied; not modified). */
  weights: SbpWeights;
  samples: SampleSource;
  /** Called after every verified sample with the number of samples done so far. */
  onSample?(done: number, mismatches: number): void;
  /**
   * Called before sample k is streamed, with the chip under test: for fault injection in
   * tests (a verifier that cannot fail proves nothing) and for instrumentation.
   */
  beforeSample?(net: SbpTrainingChip, k: number): void;
  /**
   * Do not stop at spike differences and broken invariants: count them and go on, until a
   * weight differs from the oracle (after that the comparison means nothing).
   */
  keepGoing?: boolean;
  /** Gating variant of the chip under test (gating.ts; default 'paper'). */
  gating?: Gating;
  /**
   * Learning-rate shift (params.ts, sbpRule; default 0, the paper's exact step): above 0 every
   * update is a stochastic rounding, drawn on the chip from each matrix's rounding stream and
   * in the oracle from generators it seeds itself from the chip seed (1) and the stream names.
   */
  lrShift?: number;
  /** The error window of the chip under test and the oracle (error-window.ts; default 0, the paper's). */
  errorWindow?: number;
  /** The missed-target window's upper edge (error-window.ts; default 512, the paper's). */
  targetTop?: TargetTop;
}

/** One discrepancy between the chip and the oracle (or a broken invariant). */
export interface Mismatch {
  /** Position of the sample in the run (0-based). */
  sample: number;
  /** Its index in the dataset. */
  datasetIndex: number;
  /** Phase 0..11 of a spike; -1 for a weight compared after the sample. */
  phase: number;
  /** Compartment group (spikes) or plastic matrix name (weights). */
  group: string;
  /** Neuron index in the group; for weights the flat post x pre index (post * preSize + pre). */
  index: number;
  /** Weights only: postsynaptic and presynaptic neuron. */
  post?: number;
  pre?: number;
  expected: number;
  actual: number;
  /** 'spike' (against the oracle), 'inactive' (fired outside its active phases), 'gate', 'weight'. */
  kind: 'spike' | 'inactive' | 'gate' | 'weight';
  /** What the expected value means, e.g. "h1 in phase 2 = h = [W1x > 512]". */
  what: string;
}

/** Totals of the oracle's intermediates over the run, to show what the run exercised. */
export interface VerifyActivity {
  h: number;
  o: number;
  dPos: number;
  dNeg: number;
  d1Pos: number;
  d1Neg: number;
  /** Of dPos, those only the error window let through: a potential in (-W, 0] (error-window.ts; 0 without it). */
  dPosWindow: number;
  /** Of dPos, those only the target margin let through: a target that fired, potential in (512, 1024] (0 without it). */
  dPosMargin: number;
}

export interface VerifyResult {
  order: Order;
  reward: RewardSource;
  kernel: 'fast' | 'naive';
  sizes: SbpSizes;
  /** Samples run (including a failing one). */
  samples: number;
  /** Spike and weight differences from the oracle, counted over the samples run. */
  mismatches: number;
  /** Spikes outside the active phases and gate irregularities. */
  invariantViolations: number;
  /** The first discrepancy of any kind (mismatch or invariant violation). */
  firstMismatch?: Mismatch;
  /** Samples in which anything differed or an invariant broke. */
  samplesWithDiscrepancies?: number;
  /** The first weight that differed from the oracle (with keepGoing, where the run stopped). */
  firstWeightMismatch?: Mismatch;
  /** At the end, each W1/W2 copy equals its original on the chip. */
  copiesEqual: boolean;
  /** At the end, chip weights at the negative limit -256, over w1, w2, w2tPos, w2tNeg. */
  saturatedLow: number;
  /** ... and at the positive limit +254. */
  saturatedHigh: number;
  /** At the end, entries with P != -M on the chip (the -256 asymmetry, docs/sbp-network.md "Weights"). */
  pmAsymmetry: number;
  /** Spike flags compared per run (group neurons x phases x samples). */
  spikeChecks: number;
  /** Weights compared per run (all eight matrices x samples). */
  weightChecks: number;
  activity: VerifyActivity;
  /** Chip weights at the end (original matrices, post x pre). */
  weights: SbpWeights;
  /** Wall time: building the chip and loading the weights, then the whole run. */
  setupSeconds: number;
  wallSeconds: number;
  /** Wall time per sample of the lock-step loop (chip, oracle and all comparisons). */
  msPerSample: number;
}

/** One (group, phase) whose spikes must equal an oracle vector. */
interface SpikeCheck {
  group: string;
  layout: GroupLayout;
  phase: number;
  expected: Uint8Array;
  kind: Mismatch['kind'];
  what: string;
}

/** Copy of a weight matrix as a fresh Int16Array. */
function copyMatrix(m: ArrayLike<number>): Int16Array {
  const out = new Int16Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = m[i];
  return out;
}

function checkShapes(opts: VerifyOptions): void {
  const { sizes, weights, samples } = opts;
  const [nin, nhid, nout] = weights.sizes;
  if (nin !== sizes.input || nhid !== sizes.hidden || nout !== sizes.output) {
    throw new UserError(
      `weights are ${nin}-${nhid}-${nout} but the network is ${sizes.input}-${sizes.hidden}-${sizes.output}`,
    );
  }
  for (const name of WEIGHT_FILE_MATRICES) {
    const { rows, cols } = matrixShape(name, weights.sizes);
    const n = rows * cols;
    const m = weights[name];
    if (!m || m.length !== n) throw new UserError(`weights: ${name} has ${m ? m.length : 'no'} values, expected ${n}`);
  }
  const ds = samples.dataset;
  const dsName = ds.name ?? 'dataset';
  if (ds.numInputs !== sizes.input) {
    throw new UserError(`${dsName} has ${ds.numInputs} inputs but the network has ${sizes.input}`);
  }
  const idx = samples.indices;
  if (idx) {
    for (let k = 0; k < idx.length; k++) {
      const s = idx[k];
      if (!(s >= 0 && s < ds.count && Math.floor(s) === s)) {
        throw new UserError(`${dsName}: sample index ${s} (position ${k}) is outside 0..${ds.count - 1}`);
      }
    }
  }
}

/**
 * Run the chip and the oracle side by side and compare after every sample (see the module
 * comment). Stops after the first sample with a discrepancy.
 */
export function verifyRun(opts: VerifyOptions): VerifyResult {
  checkShapes(opts);
  const sizes = opts.sizes;
  const order = opts.order;
  const reward = opts.reward ?? 'chip';
  const nin = sizes.input;
  const nhid = sizes.hidden;
  const nout = sizes.output;
  const w = opts.weights;
  const ds = opts.samples.dataset;
  const sampleIdx = opts.samples.indices;
  const total = sampleIdx ? sampleIdx.length : ds.count;

  const tSetup = Date.now();
  const kernel = opts.kernel ?? 'fast';
  const errorWindow = opts.errorWindow ?? 0;
  const net = new SbpTrainingChip({ sizes, order, reward, placement: opts.placement, kernel, rowSum: opts.rowSum, gating: opts.gating, seed: CHIP_SEED, errorWindow, targetTop: opts.targetTop });
  loadWeights(net, w);
  const state: OracleState = {
    nin,
    nhid,
    nout,
    w1: copyMatrix(w.w1),
    w2: copyMatrix(w.w2),
    p: copyMatrix(w.w2tPos),
    m: copyMatrix(w.w2tNeg),
    errorWindow,
    targetTop: opts.targetTop,
  };
  const shift = opts.lrShift ?? 0;
  if (shift > 0) {
    setLearningShift(net, shift);
    const stream = (name: string) => new Prng(streamSeed(CHIP_SEED, name));
    state.rounding = { shift, w1: stream('w1'), w2: stream('w2'), p: stream('w2tPos'), m: stream('w2tNeg') };
  }
  const tr = newTrace(nhid, nout);
  const x = new Uint8Array(nin);
  const target = new Uint8Array(nout);
  const b = new Uint8Array(nhid);
  const s6pos = new Uint8Array(nhid);
  const s10pos = new Uint8Array(nhid);
  const checks = buildChecks(net, tr, x, target, b, s6pos, s10pos);
  const numCx = net.chip.numCompartments;
  const record = new PhaseRecord(numCx, TRAIN_GATES);
  const t0 = Date.now();
  const setupSeconds = (t0 - tSetup) / 1000;

  const activity: VerifyActivity = { h: 0, o: 0, dPos: 0, dNeg: 0, d1Pos: 0, d1Neg: 0, dPosWindow: 0, dPosMargin: 0 };
  let mismatches = 0;
  let violations = 0;
  let first: Mismatch | undefined;
  let spikeChecks = 0;
  let weightChecks = 0;
  let done = 0;

  let weightDiffers = false;
  let samplesWithDiscrepancies = 0;
  let firstWeightMismatch: Mismatch | undefined;
  const note = (m: Mismatch) => {
    if (m.kind === 'inactive' || m.kind === 'gate') violations++;
    else mismatches++;
    if (m.kind === 'weight') {
      weightDiffers = true;
      if (firstWeightMismatch === undefined) firstWeightMismatch = m;
    }
    if (first === undefined) first = m;
  };

  let bad = 0;
  for (let k = 0; k < total; k++) {
    const s = sampleIdx ? sampleIdx[k] : k;
    const start = ds.offsets[s];
    const end = ds.offsets[s + 1];
    const label = ds.labels[s];
    if (label >= nout) throw new UserError(`${ds.name ?? 'dataset'}: sample ${s} has label ${label}, the network has ${nout} outputs`);

    // oracle inputs
    for (let i = 0; i < nin; i++) x[i] = 0;
    for (let j = start; j < end; j++) {
      const a = ds.indices[j];
      if (a >= nin) throw new UserError(`${ds.name ?? 'dataset'}: sample ${s} has input index ${a}, the network has ${nin} inputs`);
      x[a] = 1;
    }
    for (let o = 0; o < nout; o++) target[o] = o === label ? 1 : 0;

    // the chip and the oracle
    if (opts.beforeSample) opts.beforeSample(net, k);
    // the flags are all 0 here: the spike checks below cover every compartment in every phase
    // and clear each flag as they read it
    const flags = record.flags;
    net.trainSample(ds.indices, start, end, label, record);
    oracleTrain(state, x, label, order, tr);
    for (let j = 0; j < nhid; j++) {
      b[j] = tr.hLow[j] & (1 - tr.hHigh[j]);
      s6pos[j] = tr.s6[j] > 0 ? 1 : 0;
      s10pos[j] = tr.s10[j] > 0 ? 1 : 0;
      activity.h += tr.h[j];
      activity.d1Pos += tr.d1Pos[j];
      activity.d1Neg += tr.d1Neg[j];
    }
    for (let o = 0; o < nout; o++) {
      activity.o += tr.o[o];
      activity.dPos += tr.dPos[o];
      if (tr.dPos[o] && tr.out[o] <= 0) activity.dPosWindow++;
      if (tr.dPos[o] && tr.o[o]) activity.dPosMargin++;
      activity.dNeg += tr.dNeg[o];
    }

    // spikes, phase by phase (checks are sorted by phase)
    for (let c = 0; c < checks.length; c++) {
      const ch = checks[c];
      const f = flags[ch.phase];
      const base = ch.layout.start;
      const n = ch.layout.size;
      const e = ch.expected;
      spikeChecks += n;
      for (let i = 0; i < n; i++) {
        const a = f[base + i];
        f[base + i] = 0;
        if (a !== e[i]) {
          note({ sample: k, datasetIndex: s, phase: ch.phase, group: ch.group, index: i, expected: e[i], actual: a, kind: ch.kind, what: ch.what });
        }
      }
    }

    // weights
    weightChecks += compareWeights(net, 'w1', ['w1c1', 'w1c2'], state.w1, 'W1', k, s, note);
    weightChecks += compareWeights(net, 'w2', ['w2c1', 'w2c2'], state.w2, 'W2', k, s, note);
    weightChecks += compareWeights(net, 'w2tPos', null, state.p, 'P = +W2^T', k, s, note);
    weightChecks += compareWeights(net, 'w2tNeg', null, state.m, 'M = -W2^T', k, s, note);

    done = k + 1;
    if (mismatches + violations > bad) samplesWithDiscrepancies++;
    bad = mismatches + violations;
    if (opts.onSample) opts.onSample(done, mismatches + violations);
    if (opts.keepGoing ? weightDiffers : mismatches + violations > 0) break;
  }

  const final: SbpWeights = {
    sizes: [nin, nhid, nout],
    w1: net.matrix('w1'),
    w2: net.matrix('w2'),
    w2tPos: net.matrix('w2tPos'),
    w2tNeg: net.matrix('w2tNeg'),
  };
  let low = 0;
  let high = 0;
  const mats = [final.w1, final.w2, final.w2tPos, final.w2tNeg];
  for (let m = 0; m < mats.length; m++) {
    const a = mats[m];
    for (let i = 0; i < a.length; i++) {
      if (a[i] === PLASTIC.min) low++;
      else if (a[i] === PLASTIC.max) high++;
    }
  }
  let asym = 0;
  for (let i = 0; i < final.w2tPos.length; i++) if (final.w2tPos[i] !== -final.w2tNeg[i]) asym++;
  const copiesEqual =
    sameWeights(net.group('w1').weights, net.group('w1c1').weights) &&
    sameWeights(net.group('w1').weights, net.group('w1c2').weights) &&
    sameWeights(net.group('w2').weights, net.group('w2c1').weights) &&
    sameWeights(net.group('w2').weights, net.group('w2c2').weights);

  const loopMs = Date.now() - t0;
  const wallSeconds = setupSeconds + loopMs / 1000;
  const result: VerifyResult = {
    order,
    reward,
    kernel,
    sizes: { input: nin, hidden: nhid, output: nout },
    samples: done,
    mismatches,
    invariantViolations: violations,
    copiesEqual,
    saturatedLow: low,
    saturatedHigh: high,
    pmAsymmetry: asym,
    spikeChecks,
    weightChecks,
    activity,
    weights: final,
    wallSeconds,
    setupSeconds,
    msPerSample: done > 0 ? loopMs / done : 0,
  };
  if (first !== undefined) result.firstMismatch = first;
  result.samplesWithDiscrepancies = samplesWithDiscrepancies;
  if (firstWeightMismatch !== undefined) result.firstWeightMismatch = firstWeightMismatch;
  return result;
}

/**
 * Compare a chip matrix (pre-major, [pre * postSize + post]) and its two copies, if any, with
 * the oracle's matrix (post x pre) in one pass over the chip's memory order. Returns the number
 * of weights checked.
 */
function compareWeights(
  net: SbpTrainingChip,
  name: PlasticName,
  copies: [PlasticName, PlasticName] | null,
  oracle: Int16Array,
  label: string,
  sample: number,
  datasetIndex: number,
  note: (m: Mismatch) => void,
): number {
  const g = net.group(name);
  const a = g.weights;
  const pre = g.preSize;
  const post = g.postSize;
  const report = (matrix: PlasticName, i: number, j: number, actual: number) =>
    note({
      sample,
      datasetIndex,
      phase: -1,
      group: matrix,
      index: j * pre + i,
      post: j,
      pre: i,
      expected: oracle[j * pre + i],
      actual,
      kind: 'weight',
      what: `${label}${matrix === name ? '' : ` (copy ${matrix})`} after the sample`,
    });
  if (copies === null) {
    let q = 0;
    for (let i = 0; i < pre; i++) for (let j = 0; j < post; j++, q++) if (a[q] !== oracle[j * pre + i]) report(name, i, j, a[q]);
    return pre * post;
  }
  const b = net.group(copies[0]).weights;
  const c = net.group(copies[1]).weights;
  let q = 0;
  for (let i = 0; i < pre; i++) {
    for (let j = 0; j < post; j++, q++) {
      const e = oracle[j * pre + i];
      if (a[q] !== e || b[q] !== e || c[q] !== e) {
        if (a[q] !== e) report(name, i, j, a[q]);
        if (b[q] !== e) report(copies[0], i, j, b[q]);
        if (c[q] !== e) report(copies[1], i, j, c[q]);
      }
    }
  }
  return 3 * pre * post;
}

function sameWeights(a: Int16Array, b: Int16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The full per-phase table (docs/sbp-network.md, "The 12 phases"): for every group and phase, the vector its spikes must equal.
 * Expected vectors are the oracle's trace arrays (and a few derived buffers) refilled every
 * sample, so the table is built once. Outside a group's active phases the expectation is
 * silence (an invariant); each gate g_p must fire exactly in phase p-1 (mod 12).
 */
function buildChecks(
  net: SbpTrainingChip,
  tr: OracleTrace,
  x: Uint8Array,
  target: Uint8Array,
  b: Uint8Array,
  s6pos: Uint8Array,
  s10pos: Uint8Array,
): SpikeCheck[] {
  const g = net.compiled.groups;
  const active: Array<[string, number, Uint8Array, string]> = [
    ['x', 1, x, 'x in phase 1 = the input pixels'],
    ['x', 7, x, 'x in phase 7 = x replayed by m_x6'],
    ['x', 11, x, 'x in phase 11 = x replayed by m_x6 (delay 4)'],
    ['m_x6', 6, x, 'm_x6 in phase 6 = x(1) (delay 4)'],
    ['h1', 2, tr.h, 'h1 in phase 2 = h = [W1x > 512]'],
    ['h1', 5, tr.h, 'h1 in phase 5 = h replayed by m_h1'],
    ['h1', 7, tr.d1Pos, 'h1 in phase 7 = d1+ = b & [s6 > 0]'],
    ['h1', 9, tr.h, 'h1 in phase 9 = h replayed by m_h1 (delay 5)'],
    ['h1', 11, tr.d1Neg, 'h1 in phase 11 = d1- = b & [s10 > 0]'],
    ['h1_copy', 2, tr.hLow, 'h1_copy in phase 2 = h< = [W1x > 0]'],
    ['h1_copy', 7, tr.d1Pos, 'h1_copy in phase 7 = d1+'],
    ['h1_copy', 11, tr.d1Neg, 'h1_copy in phase 11 = d1-'],
    ['h1_copy2', 2, tr.hHigh, 'h1_copy2 in phase 2 = h> = [W1x > 1024]'],
    ['h1_copy2', 7, tr.d1Pos, 'h1_copy2 in phase 7 = d1+'],
    ['h1_copy2', 11, tr.d1Neg, 'h1_copy2 in phase 11 = d1-'],
    ['m_h1', 3, tr.h, 'm_h1 in phase 3 = h(2)'],
    ['c_h1', 6, b, 'c_h1 in phase 6 = b = h< & !h>'],
    ['h1T', 5, tr.h, 'h1T in phase 5 = h replayed by m_h1'],
    ['h1T', 6, s6pos, 'h1T in phase 6 = [s6 > 0], s6 = P.d+ + M.d-'],
    ['h1T', 9, tr.h, 'h1T in phase 9 = h replayed by m_h1 (delay 5)'],
    ['h1T', 10, s10pos, 'h1T in phase 10 = [s10 > 0], s10 = P.d- + M.d+'],
    ['o', 3, tr.o, 'o in phase 3 = [W2h > 512]'],
    ['o', 5, tr.dPos, 'o in phase 5 = d+'],
    ['o', 9, tr.dNeg, 'o in phase 9 = d- (delay 4)'],
    ['o_copy', 3, tr.oLow, `o_copy in phase 3 = o< = [W2h > ${net.errorWindow > 0 ? -net.errorWindow : 0}]`],
    ['o_copy', 5, tr.dPos, 'o_copy in phase 5 = d+'],
    ['o_copy', 9, tr.dNeg, 'o_copy in phase 9 = d- (delay 4)'],
    ['o_copy2', 3, tr.oHigh, 'o_copy2 in phase 3 = o> = [W2h > 1024]'],
    ['o_copy2', 5, tr.dPos, 'o_copy2 in phase 5 = d+'],
    ['o_copy2', 9, tr.dNeg, 'o_copy2 in phase 9 = d- (delay 4)'],
    ['t', 3, target, 't in phase 3 = the one-hot label'],
    ['d+', 4, tr.dPos, 'd+ in phase 4 = o< & t & !o'],
    ['d-', 4, tr.dNeg, 'd- in phase 4 = o< & o & !t & !o>'],
    ['oT-', 5, tr.dNeg, 'oT- in phase 5 = d-'],
    ['oT-', 9, tr.dPos, 'oT- in phase 9 = d+ (delay 4)'],
  ];
  const byPhase: SpikeCheck[][] = [];
  for (let p = 0; p < TRAIN_GATES; p++) byPhase.push([]);
  const zeros: Record<string, Uint8Array> = {};
  const covered: Record<string, boolean> = {};
  for (const name in ACTIVE_PHASES) {
    const layout = g[name];
    if (!layout) throw new Error(`verify: group ${name} of ACTIVE_PHASES is not in the training network`);
    covered[name] = true;
    zeros[name] = new Uint8Array(layout.size);
    const phases = ACTIVE_PHASES[name];
    for (let p = 0; p < TRAIN_GATES; p++) {
      let found: [string, number, Uint8Array, string] | undefined;
      for (const a of active) if (a[0] === name && a[1] === p) found = a;
      const isActive = phases.indexOf(p) >= 0;
      if (isActive !== (found !== undefined)) {
        // the table above and ACTIVE_PHASES must describe the same phase sets
        throw new Error(`verify: ${name} phase ${p} is ${isActive ? 'active' : 'inactive'} in ACTIVE_PHASES but ${found ? 'has' : 'lacks'} an oracle expectation`);
      }
      if (found) byPhase[p].push({ group: name, layout, phase: p, expected: found[2], kind: 'spike', what: found[3] });
      else byPhase[p].push({ group: name, layout, phase: p, expected: zeros[name], kind: 'inactive', what: `${name} must be silent in phase ${p} (active only in ${phases.join(', ')})` });
    }
  }
  const one = new Uint8Array([1]);
  const none = new Uint8Array([0]);
  for (let q = 0; q < TRAIN_GATES; q++) {
    const name = gateName(q);
    const layout = g[name];
    covered[name] = true;
    const own = (q + TRAIN_GATES - 1) % TRAIN_GATES;
    for (let p = 0; p < TRAIN_GATES; p++) {
      byPhase[p].push({
        group: name,
        layout,
        phase: p,
        expected: p === own ? one : none,
        kind: 'gate',
        what: p === own ? `${name} must fire in phase ${own}, one step before phase ${q}` : `${name} must fire only in phase ${own}`,
      });
    }
  }
  for (const name in g) {
    if (g[name].kind === 'compartments' && !covered[name]) throw new Error(`verify: group ${name} has no phase expectations`);
  }
  // phase-major order, so the first discrepancy found is the earliest in the sample
  const checks: SpikeCheck[] = [];
  const numCx = net.chip.numCompartments;
  for (let p = 0; p < TRAIN_GATES; p++) {
    // every compartment exactly once per phase: the checks also clear the record's flags
    let covered = 0;
    for (let c = 0; c < byPhase[p].length; c++) {
      checks.push(byPhase[p][c]);
      covered += byPhase[p][c].layout.size;
    }
    if (covered !== numCx) throw new Error(`verify: phase ${p} checks cover ${covered} of ${numCx} compartments`);
  }
  return checks;
}
