/**
 * A training run: the training chip, the data order, the position in the run and the
 * evaluation history. Portable (no files, no clocks): the command line saves and restores
 * its state as checkpoints.
 *
 * Data order: each epoch draws a fresh permutation of the training set from the data PRNG
 * (seeded from the run's seed), and trains on its first `trainLimit` entries; with
 * `shuffle: false` the first `trainLimit` samples in file order. A checkpoint stores the
 * data PRNG's state at the start of the current epoch, so a resumed run redraws the same
 * permutation and continues at the same sample.
 *
 * Shifted crops (`shift`): after the permutation the same PRNG draws one crop position per
 * training sample for the epoch, and each sample is binarized through its crop window as it
 * is trained, so a resumed run redraws the positions too.
 */
import { Prng } from '../chip/prng';
import { restoreRounding, saveRounding } from '../chip/reprogram';
import { setLearningShift } from './learning-rate';
import { UserError } from '../errors';
import { MAX_LR_SHIFT } from './params';
import { cropActive, shiftVariants, type ShiftedCrops, type SpikeDataset } from '../data/preprocess';
import type { Checkpoint, MatrixName } from './checkpoint';
import type { SbpWeights } from './matrices';
import type { CompileOptions, CoreLimits } from '../net/network';
import { Evaluator, type EvalSetup, type TestMetrics } from './inference';
import type { Gating } from './gating';
import type { Order, TargetTop } from './oracle';
import { PLASTIC_NAMES, type RewardSource, type SbpSizes } from './topology';
import { Shadow } from './shadow';
import type { ShadowReport } from './shadow-checks';
import { loadWeights, SbpTrainingChip, type Placement } from './training';

export interface SessionOptions {
  sizes: SbpSizes;
  seed: number;
  order: Order;
  reward: RewardSource;
  placement: Placement;
  chips: number;
  /** Core limits of the board (default Loihi 1). */
  limits?: CoreLimits;
  epochs: number;
  /** Samples per epoch (at most the training set size). */
  trainLimit: number;
  testLimit: number;
  shuffle: boolean;
  evalEvery: 'half' | 'epoch';
  /** Evaluate with the 4-phase inference network on the chip, or the equivalent dense integer path. */
  evalOn: 'chip' | 'dense';
  /** Row-sum implementation for the chip's fast kernel (the host may inject WebAssembly). */
  rowSum?: CompileOptions['rowSum'];
  /** Gating variant (gating.ts; default 'paper'). */
  gating?: Gating;
  /** Run the integer oracle in lock step beside the chip (shadow.ts). */
  shadow?: boolean;
  /**
   * Epochs (multiples of 0.5, ascending) at which the expected learning step halves: from the
   * k-th of them on the chip learns with setLearningShift(net, k) (learning-rate.ts). Default none.
   */
  lrHalvings?: number[];
  /**
   * Warm-up: the epoch (a multiple of 0.5) before which the step is halved once more, on top
   * of lrHalvings (the step doubles there). Default 0: no warm-up.
   */
  lrWarmup?: number;
  /** The error window (error-window.ts; default 0, the paper's (0, 512]). */
  errorWindow?: number;
  /** The missed-target window's upper edge (error-window.ts; default 512, the paper's). */
  targetTop?: TargetTop;
  /**
   * Train on shifted crops: each sample of each epoch through a crop window moved by up to
   * `radius` pixels (preprocess.ts, cropActive), the position drawn from the data PRNG after
   * the epoch's permutation. The pixels must be those of `train`. Default: the fixed crop.
   */
  shift?: ShiftedCrops;
}

/**
 * The position in a run (samples from its start) at which the halving at epoch `h` (a
 * multiple of 0.5) takes effect, with `perEpoch` samples per epoch: the start of that epoch,
 * or its half-epoch boundary (the one where evaluations and checkpoints happen).
 */
export function halvingStart(h: number, perEpoch: number): number {
  return Math.floor(h) * perEpoch + (h !== Math.floor(h) ? Math.floor(perEpoch / 2) : 0);
}

/**
 * The learning-rate shift at `position` (samples from the run's start): the halvings that took
 * effect by then, plus one while the warm-up (ending at epoch `warmup`, 0 for none) lasts.
 */
export function lrShiftAt(halvings: number[], position: number, perEpoch: number, warmup = 0): number {
  let k = 0;
  while (k < halvings.length && halvingStart(halvings[k], perEpoch) <= position) k++;
  return position < halvingStart(warmup, perEpoch) ? k + 1 : k;
}

function isEpoch(e: number): boolean {
  return isFinite(e) && e >= 0 && Math.round(e * 2) === e * 2;
}

/**
 * Check a learning-rate schedule (SessionOptions.lrHalvings and lrWarmup); `where` names the
 * halvings and `warmupWhere` the warm-up in errors.
 */
export function checkLrHalvings(h: number[], where: string, warmup = 0, warmupWhere = 'lrWarmup'): void {
  if (h.length > MAX_LR_SHIFT) throw new UserError(`${where}: at most ${MAX_LR_SHIFT} halvings (got ${h.length})`, 2);
  for (let i = 0; i < h.length; i++) {
    if (!isEpoch(h[i])) throw new UserError(`${where}: '${h[i]}' is not an epoch (a multiple of 0.5, e.g. 15 or 7.5)`, 2);
    if (i > 0 && h[i] <= h[i - 1]) throw new UserError(`${where}: the epochs must increase (${h[i - 1]} then ${h[i]})`, 2);
  }
  if (!isEpoch(warmup)) throw new UserError(`${warmupWhere}: '${warmup}' is not an epoch (a multiple of 0.5, e.g. 1 or 0.5)`, 2);
  // the deepest shift during the warm-up: the halvings before its end, plus its own
  const during = h.filter((e) => e < warmup).length + 1;
  if (warmup > 0 && during > MAX_LR_SHIFT)
    throw new UserError(`${warmupWhere}: ${during - 1} halving(s) before epoch ${warmup} plus the warm-up's own make ${during}; the learning engine takes at most ${MAX_LR_SHIFT}`, 2);
}

export interface HistoryEntry {
  epoch: number;
  samplesTrained: number;
  test: TestMetrics;
}

/** The data PRNG of a run: a stream separate from the weight initialization's. */
export function dataPrng(seed: number): Prng {
  return new Prng((seed ^ 0x5bd1e995) >>> 0);
}

export class TrainingSession {
  readonly net: SbpTrainingChip;
  readonly history: HistoryEntry[] = [];
  epoch = 0;
  sampleInEpoch = 0;
  samplesTrained = 0;
  private readonly rng: Prng;
  private epochRngState: number[];
  private order: Uint32Array | null = null;
  /** With opts.shift: the crop position of each training sample in this epoch. */
  private positions: Uint8Array | null = null;
  private readonly cropBuf: Uint16Array;
  /** Output spikes of the last trained sample (o in phase 3), read out for the running accuracy. */
  readonly lastOut: Uint8Array;
  /** The oracle beside the chip, with --shadow (created after the weights are loaded or restored). */
  private shadowRun: Shadow | null = null;
  private resumedShadow: ShadowReport | null = null;

  constructor(
    readonly opts: SessionOptions,
    readonly train: SpikeDataset,
    readonly test: SpikeDataset,
    weights: SbpWeights,
  ) {
    checkLrHalvings(opts.lrHalvings ?? [], 'lrHalvings', opts.lrWarmup ?? 0);
    this.net = new SbpTrainingChip({ sizes: opts.sizes, order: opts.order, reward: opts.reward, placement: opts.placement, chips: opts.chips, limits: opts.limits, rowSum: opts.rowSum, gating: opts.gating, errorWindow: opts.errorWindow, targetTop: opts.targetTop });
    loadWeights(this.net, weights);
    this.rng = dataPrng(opts.seed);
    this.epochRngState = this.rng.saveState();
    this.lastOut = new Uint8Array(opts.sizes.output);
    const sc = opts.shift;
    if (sc && (sc.count !== train.count || sc.numInputs !== train.numInputs)) {
      throw new UserError(`shifted crops: ${sc.count} images of ${sc.numInputs} inputs, but the training set has ${train.count} of ${train.numInputs}`);
    }
    this.cropBuf = new Uint16Array(sc ? sc.numInputs : 0);
  }

  get samplesPerEpoch(): number {
    return this.opts.trainLimit;
  }

  get done(): boolean {
    return this.epoch >= this.opts.epochs || this.opts.trainLimit === 0;
  }

  private ensureOrder(): Uint32Array {
    if (this.order) return this.order;
    this.epochRngState = this.rng.saveState();
    if (this.opts.shuffle) this.order = this.rng.permutation(this.train.count);
    else {
      this.order = new Uint32Array(this.train.count);
      for (let i = 0; i < this.train.count; i++) this.order[i] = i;
    }
    const sc = this.opts.shift;
    if (sc) {
      const n = shiftVariants(sc.radius);
      const pos = this.positions ?? (this.positions = new Uint8Array(this.train.count));
      for (let i = 0; i < pos.length; i++) pos[i] = this.rng.nextInt(n);
    }
    return this.order;
  }

  /** Index into the training set of the next sample. */
  nextIndex(): number {
    return this.ensureOrder()[this.sampleInEpoch];
  }

  /**
   * Train up to `max` samples, stopping early at the half-epoch and epoch boundaries.
   * Returns the number trained and whether a boundary was reached.
   */
  trainChunk(max: number): { trained: number; boundary: 'none' | 'half' | 'epoch'; correct: number } {
    const order = this.ensureOrder();
    // (halvings and the warm-up's end fall on half-epoch boundaries, and a chunk never crosses one)
    const shift = lrShiftAt(this.opts.lrHalvings ?? [], this.epoch * this.samplesPerEpoch + this.sampleInEpoch, this.samplesPerEpoch, this.opts.lrWarmup ?? 0);
    if (shift !== this.net.lrShift) {
      setLearningShift(this.net, shift);
      if (this.shadowRun) this.shadowRun.learningShiftChanged();
    }
    const spe = this.samplesPerEpoch;
    const half = Math.floor(spe / 2);
    const ds = this.train;
    const sc = this.opts.shift;
    let trained = 0;
    let correct = 0;
    const out = this.lastOut;
    while (trained < max && this.sampleInEpoch < spe) {
      const k = order[this.sampleInEpoch];
      const label = ds.labels[k];
      const sh = this.opts.shadow ? this.shadowRun ?? (this.shadowRun = new Shadow(this.net, this.resumedShadow)) : null;
      let active = ds.indices;
      let from = ds.offsets[k];
      let to = ds.offsets[k + 1];
      if (sc) {
        active = this.cropBuf;
        from = 0;
        to = cropActive(sc, k, (this.positions as Uint8Array)[this.sampleInEpoch], active);
      }
      this.net.trainSample(active, from, to, label, sh ? sh.record : undefined, out);
      if (sh) sh.afterSample(active, from, to, label);
      let exact = 1;
      for (let c = 0; c < out.length; c++) if (out[c] !== (c === label ? 1 : 0)) exact = 0;
      correct += exact;
      this.sampleInEpoch++;
      this.samplesTrained++;
      trained++;
      if (this.sampleInEpoch === half && half > 0 && half < spe) return { trained, boundary: 'half', correct };
    }
    if (this.sampleInEpoch >= spe) {
      this.epoch++;
      this.sampleInEpoch = 0;
      this.order = null;
      return { trained, boundary: 'epoch', correct };
    }
    return { trained, boundary: 'none', correct };
  }

  /** The shadow oracle's counts: those of the checkpoint a resumed run started from until it trains a sample; null without --shadow. */
  get shadow(): Shadow['report'] | null {
    return this.shadowRun ? this.shadowRun.report : this.opts.shadow ? this.resumedShadow : null;
  }

  /** Built at the first evaluation, then reloaded with the current weights. */
  private evaluator: Evaluator | null = null;

  /** How this run evaluates (for evaluating elsewhere, e.g. in worker threads). */
  get evalSetup(): EvalSetup {
    const o = this.opts;
    return { sizes: o.sizes, evalOn: o.evalOn, placement: o.placement, chips: o.chips, rowSum: o.rowSum, gating: o.gating };
  }

  /** Number of test samples an evaluation covers. */
  get testCount(): number {
    return Math.min(this.opts.testLimit, this.test.count);
  }

  /** Test-set metrics of the current weights. */
  evaluate(): TestMetrics {
    if (this.evaluator === null) this.evaluator = new Evaluator(this.evalSetup);
    return this.evaluator.evaluate(this.net.matrix('w1'), this.net.matrix('w2'), this.test, 0, this.testCount).result();
  }

  /** Evaluate (or take `test`, the metrics of the current weights computed elsewhere) and append to the history. */
  record(test?: TestMetrics): HistoryEntry {
    const e: HistoryEntry = { epoch: this.epoch + this.sampleInEpoch / Math.max(1, this.samplesPerEpoch), samplesTrained: this.samplesTrained, test: test ?? this.evaluate() };
    this.history.push(e);
    return e;
  }

  weights(): SbpWeights {
    const s = this.opts.sizes;
    return { sizes: [s.input, s.hidden, s.output], w1: this.net.matrix('w1'), w2: this.net.matrix('w2'), w2tPos: this.net.matrix('w2tPos'), w2tNeg: this.net.matrix('w2tNeg') };
  }

  /** The run's state as a checkpoint (taken at a sample boundary). */
  checkpoint(meta: Record<string, unknown>): Checkpoint {
    this.ensureOrder();
    const s = this.opts.sizes;
    const matrices = {} as Record<MatrixName, Int16Array>;
    for (const name of PLASTIC_NAMES) matrices[name] = this.net.matrix(name);
    return {
      sizes: [s.input, s.hidden, s.output],
      matrices,
      epoch: this.epoch,
      sampleInEpoch: this.sampleInEpoch,
      samplesTrained: this.samplesTrained,
      seed: this.opts.seed,
      rngState: this.epochRngState.slice(),
      meta: { ...meta, history: this.history, chipRng: this.net.chip.prng.saveState(), roundingRng: saveRounding(this.net.chip), ...(this.shadowRun ? { shadow: this.shadowRun.report } : {}) },
    };
  }

  /**
   * Continue from a checkpoint. The chip restarts its gating ring; the network carries no
   * state across a sample boundary except weights (every group is silent in phase 0 apart
   * from the ring, and no refractory count or delayed spike reaches a later sample's active
   * phases), so the continuation is exact.
   */
  restore(cp: Checkpoint): void {
    for (const name of PLASTIC_NAMES) this.net.setMatrix(name, cp.matrices[name]);
    this.epoch = cp.epoch;
    this.sampleInEpoch = cp.sampleInEpoch;
    this.samplesTrained = cp.samplesTrained;
    this.rng.restoreState(cp.rngState);
    this.order = null;
    const meta = cp.meta as { history?: HistoryEntry[]; chipRng?: number[]; roundingRng?: Record<string, number[]>; shadow?: ShadowReport } | null;
    if (meta && Array.isArray(meta.history)) for (const h of meta.history) this.history.push(h);
    if (meta && Array.isArray(meta.chipRng)) this.net.chip.prng.restoreState(meta.chipRng);
    if (meta && meta.roundingRng) restoreRounding(this.net.chip, meta.roundingRng);
    // the shadow's counts continue (its oracle restarts from the checkpoint's weights, which the chip has too)
    if (meta && meta.shadow && this.opts.shadow) this.resumedShadow = meta.shadow;
    this.ensureOrder();
  }
}
