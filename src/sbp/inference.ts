/**
 * Evaluation with the paper's metrics (docs/sbp-network.md, "Metrics"), two ways:
 *  - on the chip: the 4-phase inference network, with the output potential W2.h read
 *    from the o compartments' current u in phase 3;
 *  - the dense integer path h = [W1 x > 512], out = W2 h, o = [out > 512], which a test
 *    proves identical to the chip, spike for spike and potential for potential.
 */
import type { Chip } from '../chip/chip';
import { compileNetwork, type CompiledNetwork } from '../net/compile';
import type { CompileOptions } from '../net/network';
import type { SpikeDataset } from '../data/preprocess';
import { jsRowSumKernel, type RowSumKernel } from '../chip/row-sum';
import { HALF, INFER_GATES, phaseStep } from './params';
import { inferenceNetwork, type SbpSizes } from './topology';
import { corePlacement, type Placement } from './training';
import { gatingPlan, outputReadout, type Gating } from './gating';
import { inferenceSchedule, requireHeadroom } from './headroom';

/** True in a board bundle, undeclared elsewhere (see SYNFIRE_DEVICE in ../chip/chip). */
declare const SYNFIRE_DEVICE: boolean | undefined;

export interface TestMetrics {
  samples: number;
  /** The binary output equals the one-hot target. */
  accExact: number;
  /** argmax of the output spikes equals the label (ties and all-zero go to the lowest index). */
  accArgmaxSpikes: number;
  /** argmax of the output potential W2.h equals the label (ties to the lowest index). */
  accArgmaxPotential: number;
  /** Mean over samples and outputs of (target - o)^2. */
  mse: number;
  /**
   * Dead outputs, present only when there are any: each output k whose potential stayed at or
   * below 0 on every test image of class k. Below 0 the sBP error is zero (a missed target
   * counts only when 0 < potential <= 512: docs/sbp-network.md, "Dead outputs"), so no image
   * of its own class raises its weights again, and it has lost that class for good.
   */
  deadOutputs?: number[];
  /**
   * Mean number of hidden units that spiked per test image, present when the evaluation
   * counted them (the single-hidden-layer paths do). One update of an output row moves that
   * output's potential on the image by about twice this (docs/sbp-network.md, "Dead outputs").
   */
  hiddenActive?: number;
}

/** The integer tallies behind TestMetrics: shards of a test set add up exactly. */
export interface MetricsSums {
  samples: number;
  exact: number;
  argSpikes: number;
  argPotential: number;
  sqErr: number;
  /** Per class: the test images of that class. */
  classImages: number[];
  /** Per class k: the images of class k on which output k's potential was <= 0. */
  ownNonPositive: number[];
  /** Hidden units that spiked, summed over the samples that counted them. */
  hiddenSpikes: number;
  /** Samples whose hidden spikes were counted (all of them, or none). */
  hiddenCounted: number;
}

/** Accumulates the metrics one sample at a time. */
export class MetricsAccumulator {
  samples = 0;
  exact = 0;
  argSpikes = 0;
  argPotential = 0;
  sqErr = 0;
  readonly classImages: number[];
  readonly ownNonPositive: number[];
  hiddenSpikes = 0;
  hiddenCounted = 0;
  constructor(readonly nout: number) {
    this.classImages = [];
    this.ownNonPositive = [];
    for (let k = 0; k < nout; k++) {
      this.classImages.push(0);
      this.ownNonPositive.push(0);
    }
  }

  /** One sample: its output spikes o, potentials out and, if known, how many hidden units spiked. */
  add(o: ArrayLike<number>, out: ArrayLike<number>, label: number, hiddenSpikes?: number): void {
    let exact = 1;
    let bestS = 0;
    let bestP = 0;
    for (let k = 0; k < this.nout; k++) {
      const t = k === label ? 1 : 0;
      if (o[k] !== t) {
        exact = 0;
        this.sqErr += 1;
      }
      if (o[k] > o[bestS]) bestS = k;
      if (out[k] > out[bestP]) bestP = k;
    }
    this.samples++;
    this.exact += exact;
    this.classImages[label]++;
    if (out[label] <= 0) this.ownNonPositive[label]++;
    if (hiddenSpikes !== undefined) {
      this.hiddenSpikes += hiddenSpikes;
      this.hiddenCounted++;
    }
    if (bestS === label) this.argSpikes++;
    if (bestP === label) this.argPotential++;
  }

  sums(): MetricsSums {
    return {
      samples: this.samples,
      exact: this.exact,
      argSpikes: this.argSpikes,
      argPotential: this.argPotential,
      sqErr: this.sqErr,
      classImages: this.classImages.slice(),
      ownNonPositive: this.ownNonPositive.slice(),
      hiddenSpikes: this.hiddenSpikes,
      hiddenCounted: this.hiddenCounted,
    };
  }

  /** Add another shard's tallies. */
  addSums(s: MetricsSums): void {
    this.samples += s.samples;
    this.exact += s.exact;
    this.argSpikes += s.argSpikes;
    this.argPotential += s.argPotential;
    this.sqErr += s.sqErr;
    for (let k = 0; k < this.nout; k++) {
      this.classImages[k] += s.classImages[k];
      this.ownNonPositive[k] += s.ownNonPositive[k];
    }
    this.hiddenSpikes += s.hiddenSpikes;
    this.hiddenCounted += s.hiddenCounted;
  }

  result(): TestMetrics {
    const n = this.samples || 1;
    const r: TestMetrics = {
      samples: this.samples,
      accExact: this.exact / n,
      accArgmaxSpikes: this.argSpikes / n,
      accArgmaxPotential: this.argPotential / n,
      mse: this.sqErr / (n * this.nout),
    };
    const dead: number[] = [];
    for (let k = 0; k < this.nout; k++) if (this.classImages[k] > 0 && this.ownNonPositive[k] === this.classImages[k]) dead.push(k);
    if (dead.length > 0) r.deadOutputs = dead;
    if (this.hiddenCounted > 0 && this.hiddenCounted === this.samples) r.hiddenActive = this.hiddenSpikes / this.samples;
    return r;
  }
}

/**
 * Dense integer forward pass of one sample. w1 is hidden x in, w2 out x hidden (post x pre).
 * Writes h (0/1), out (W2.h) and o (0/1). `scratch` must hold `hidden` values.
 */
export function denseForward(
  sizes: SbpSizes,
  w1: ArrayLike<number>,
  w2: ArrayLike<number>,
  active: ArrayLike<number>,
  start: number,
  end: number,
  h: Uint8Array,
  out: Float64Array,
  o: Uint8Array,
): void {
  const { input: nin, hidden: nhid, output: nout } = sizes;
  for (let j = 0; j < nhid; j++) {
    let s = 0;
    const row = j * nin;
    for (let k = start; k < end; k++) s += w1[row + active[k]];
    h[j] = s > HALF ? 1 : 0;
  }
  outputLayer(nhid, nout, w2, h, out, o);
}

/** out = W2.h and o = [out > 512], from the binary hidden layer h (w2 is out x hidden). */
function outputLayer(nhid: number, nout: number, w2: ArrayLike<number>, h: Uint8Array, out: Float64Array, o: Uint8Array): void {
  for (let k = 0; k < nout; k++) {
    let s = 0;
    const row = k * nhid;
    for (let j = 0; j < nhid; j++) if (h[j]) s += w2[row + j];
    out[k] = s;
    o[k] = s > HALF ? 1 : 0;
  }
}

/**
 * The dense integer path as row sums, for speed: W1 is held pre-major (one row of hidden
 * weights per input) and W2 hidden-major, so a sample's hidden sums are the sum of the rows of
 * its active inputs and its output sums the sum of the rows of its active hidden neurons. The
 * same integers as denseForward (a test proves it, image by image), computed by a row-sum
 * kernel: the portable JavaScript one or one a host injects (WebAssembly on Node).
 */
export class DenseInference {
  private readonly kernel: RowSumKernel;
  private readonly w1t: Int16Array;
  private readonly w2t: Int16Array;
  private max1 = 0;
  private max2 = 0;
  private readonly rows: Int32Array;
  private readonly hid: Int32Array;
  private readonly act: Int32Array;
  private readonly outI: Int32Array;

  constructor(
    readonly sizes: SbpSizes,
    w1: ArrayLike<number>,
    w2: ArrayLike<number>,
    kernel?: RowSumKernel | ((capacityBytes: number) => RowSumKernel | null),
  ) {
    const { input: nin, hidden: nhid, output: nout } = sizes;
    const k = typeof kernel === 'function' ? kernel(DenseInference.arenaBytes(sizes)) : kernel;
    this.kernel = k ?? jsRowSumKernel;
    this.w1t = this.kernel.allocInt16(nin * nhid);
    this.w2t = this.kernel.allocInt16(nhid * nout);
    this.setWeights(w1, w2);
    this.rows = this.kernel.allocInt32(nin);
    this.hid = this.kernel.allocInt32(nhid);
    this.act = this.kernel.allocInt32(nhid);
    this.outI = this.kernel.allocInt32(nout);
  }

  /** Load new weights w1 (hidden x input) and w2 (output x hidden). */
  setWeights(w1: ArrayLike<number>, w2: ArrayLike<number>): void {
    const { input: nin, hidden: nhid, output: nout } = this.sizes;
    this.max1 = transposeInto(w1, nhid, nin, this.w1t, 'w1');
    this.max2 = transposeInto(w2, nout, nhid, this.w2t, 'w2');
  }

  /** The arena a kernel needs for the matrices and buffers of `sizes`. */
  static arenaBytes(sizes: SbpSizes): number {
    const { input: nin, hidden: nhid, output: nout } = sizes;
    return 2 * (nin * nhid + nhid * nout) + 4 * (nin + 2 * nhid + nout) + 6 * 16;
  }

  /** One sample: writes o (0/1) and out = W2.h, as denseForward does; returns how many hidden units spiked. */
  inferSample(active: ArrayLike<number>, start: number, end: number, o: Uint8Array, out: Float64Array): number {
    const { hidden: nhid, output: nout } = this.sizes;
    const rows = this.rows;
    const n = end - start;
    for (let k = 0; k < n; k++) rows[k] = active[start + k];
    this.kernel.sumRows(this.w1t, nhid, rows, n, this.hid, this.max1);
    const hid = this.hid;
    const act = this.act;
    let m = 0;
    for (let j = 0; j < nhid; j++) if (hid[j] > HALF) act[m++] = j;
    this.kernel.sumRows(this.w2t, nout, act, m, this.outI, this.max2);
    for (let k = 0; k < nout; k++) {
      const s = this.outI[k];
      out[k] = s;
      o[k] = s > HALF ? 1 : 0;
    }
    return m;
  }

  /** The samples first..end-1, as tallies (a shard of an evaluation). */
  evaluateRange(ds: SpikeDataset, first: number, end: number): MetricsAccumulator {
    return evaluateSamples(this, ds, first, end);
  }
}

/**
 * dst[i * rows + j] = src[j * cols + i] (src is rows x cols); returns max |w|. The row sums
 * hold weights as Int16, so every weight must be an integer in -32768..32767 (the chip's are
 * in -256..255).
 */
function transposeInto(src: ArrayLike<number>, rows: number, cols: number, dst: Int16Array, what: string): number {
  if (src.length !== rows * cols) throw new RangeError(`dense inference: ${what} has ${src.length} weights, expected ${rows} x ${cols}`);
  let max = 0;
  for (let j = 0; j < rows; j++)
    for (let i = 0; i < cols; i++) {
      const x = src[j * cols + i];
      if (!(Math.floor(x) === x && x >= -32768 && x <= 32767)) throw new RangeError(`dense inference: ${what}[${j}][${i}] = ${x} is not a 16-bit integer`);
      dst[i * rows + j] = x;
      const a = x < 0 ? -x : x;
      if (a > max) max = a;
    }
  return max;
}

/** What evaluates one sample: its output spikes o and potentials out = W2.h. */
interface Inference {
  readonly sizes: SbpSizes;
  /** Returns how many hidden units spiked. */
  inferSample(active: ArrayLike<number>, start: number, end: number, o: Uint8Array, out: Float64Array): number;
}

/** The metrics' tallies of samples first..end-1 of ds (which must exist) under `inf`. */
function evaluateSamples(inf: Inference, ds: SpikeDataset, first: number, end: number): MetricsAccumulator {
  if (!(Number.isInteger(first) && Number.isInteger(end) && 0 <= first && first <= end && end <= ds.count)) {
    throw new RangeError(`evaluation of samples ${first}..${end - 1}: the dataset has samples 0..${ds.count - 1}`);
  }
  const nout = inf.sizes.output;
  const acc = new MetricsAccumulator(nout);
  const o = new Uint8Array(nout);
  const out = new Float64Array(nout);
  for (let s = first; s < end; s++) {
    const hidden = inf.inferSample(ds.indices, ds.offsets[s], ds.offsets[s + 1], o, out);
    acc.add(o, out, ds.labels[s], hidden);
  }
  return acc;
}

/** Evaluate a dataset with the dense integer path (DenseInference, with `kernel` if given). */
export function evaluateDense(
  sizes: SbpSizes,
  w1: ArrayLike<number>,
  w2: ArrayLike<number>,
  ds: SpikeDataset,
  limit = ds.count,
  kernel?: RowSumKernel,
): TestMetrics {
  return new DenseInference(sizes, w1, w2, kernel).evaluateRange(ds, 0, limit).result();
}

/** The 4-phase inference network on the chip. */
export class SbpInferenceChip {
  readonly compiled: CompiledNetwork;
  readonly chip: Chip;
  samples = 0;
  private readonly inputPort: number;
  private readonly oStart: number;
  private readonly hStart: number;
  /** The g03 gate's contribution to o's input in phase 3, in hardware units. */
  private readonly gateUnits: number;
  /** Hardware units per weight unit of W2 (64, or less with robust gating). */
  private readonly outScale: number;

  constructor(
    readonly sizes: SbpSizes,
    w1: ArrayLike<number>,
    w2: ArrayLike<number>,
    opts: { placement?: Placement; chips?: number; rowSum?: CompileOptions['rowSum']; lean?: boolean; gating?: Gating } = {},
  ) {
    const plan = gatingPlan(sizes, opts.gating ?? 'paper');
    const desc = inferenceNetwork(sizes, w1, w2, plan.gating);
    // (a board bundle leaves the proof out: the host's memory plan makes it, see ./training)
    if (plan.gating === 'robust' && typeof SYNFIRE_DEVICE !== 'boolean') requireHeadroom(desc, inferenceSchedule());
    this.compiled = compileNetwork(desc, {
      placement: corePlacement(opts.placement),
      chips: opts.chips,
      numBuckets: INFER_GATES + 1,
      rowSum: opts.rowSum,
      lean: opts.lean,
    });
    this.chip = this.compiled.chip;
    this.inputPort = this.compiled.groups.input.start;
    this.oStart = this.compiled.groups.o.start;
    this.hStart = this.compiled.groups.h1.start;
    const readout = outputReadout(plan);
    this.gateUnits = readout.gateUnits;
    this.outScale = readout.scale;
    const chip = this.chip;
    chip.setBucket(INFER_GATES);
    while (chip.time < INFER_GATES) {
      if (chip.time + 1 === INFER_GATES - 1) chip.schedule(this.compiled.groups.in_g.start, INFER_GATES - 1);
      chip.step();
    }
  }

  /**
   * Load new weights w1 (hidden x input) and w2 (output x hidden) between samples, as the
   * host rewrites synapse memory: the next sample runs with them (nothing is in flight after
   * a sample's phase 3). A weight the format cannot store throws and changes nothing.
   */
  setWeights(w1: ArrayLike<number>, w2: ArrayLike<number>): void {
    const g1 = this.chip.groups[this.compiled.connections['x->h1']];
    const g2 = this.chip.groups[this.compiled.connections['h1->o']];
    // (both checked before either is written)
    g1.checkPostMajor(w1);
    g2.checkPostMajor(w2);
    g1.setPostMajor(w1);
    g2.setPostMajor(w2);
  }

  /**
   * Run one sample; writes the phase-3 output spikes o and potentials out = W2.h, and returns
   * the spikes of the hidden group in the sample's four steps.
   */
  inferSample(active: ArrayLike<number>, start: number, end: number, o: Uint8Array, out: Float64Array): number {
    const chip = this.chip;
    const n = this.samples;
    const nout = this.sizes.output;
    const h0 = this.hStart;
    const h1 = h0 + this.sizes.hidden;
    let hidden = 0;
    o.fill(0);
    for (let p = 0; p < INFER_GATES; p++) {
      const step = phaseStep(INFER_GATES, n, p);
      if (p === 0) chip.scheduleMany(active, start, end, this.inputPort, step);
      chip.setBucket(p);
      chip.step();
      // one pass over the step's spikes: hidden spikes in any phase, output spikes in phase 3
      for (let k = 0; k < chip.spikedCount; k++) {
        const cx = chip.spikedCx[k];
        if (cx >= h0 && cx < h1) hidden++;
        else if (p === 3 && cx >= this.oStart && cx < this.oStart + nout) o[cx - this.oStart] = 1;
      }
      if (p === 3) {
        // u holds W2.h * scale + gate this step (scale 2^6 with the paper's gating): the gate is known, so W2.h is exact
        for (let k = 0; k < nout; k++) out[k] = (chip.current(this.oStart + k) - this.gateUnits) / this.outScale;
      }
    }
    this.samples = n + 1;
    return hidden;
  }

  evaluate(ds: SpikeDataset, limit = ds.count): TestMetrics {
    return this.evaluateRange(ds, 0, limit).result();
  }

  /**
   * The samples first..end-1, as tallies. No state crosses a sample boundary (every group is
   * silent in phase 0 but the gates), so a shard gives what the same samples give in a run
   * over the whole set.
   */
  evaluateRange(ds: SpikeDataset, first: number, end: number): MetricsAccumulator {
    return evaluateSamples(this, ds, first, end);
  }
}

/** How a test set is evaluated: the dense integer path or the inference network on the chip. */
export interface EvalSetup {
  sizes: SbpSizes;
  evalOn: 'chip' | 'dense';
  placement?: Placement;
  chips?: number;
  rowSum?: CompileOptions['rowSum'];
  /** Gating variant of the inference network (default 'paper'; the dense path is the same for both). */
  gating?: Gating;
}

/**
 * Evaluations of one setup with changing weights: the inference network (or the dense
 * path's matrices) is built at the first evaluation and only loaded with the new weights at
 * the next ones (building the chip network costs more than evaluating a few thousand
 * images). Results are those of a freshly built one (a test proves it).
 */
export class Evaluator {
  private chip: SbpInferenceChip | null = null;
  private dense: DenseInference | null = null;

  constructor(readonly setup: EvalSetup) {}

  /** Evaluate the samples first..end-1 of ds with weights w1, w2 (post x pre), as tallies. */
  evaluate(w1: ArrayLike<number>, w2: ArrayLike<number>, ds: SpikeDataset, first: number, end: number): MetricsAccumulator {
    const { sizes } = this.setup;
    if (this.setup.evalOn === 'chip') {
      if (this.chip === null) this.chip = new SbpInferenceChip(sizes, w1, w2, { placement: this.setup.placement, chips: this.setup.chips, rowSum: this.setup.rowSum, gating: this.setup.gating });
      else this.chip.setWeights(w1, w2);
      return this.chip.evaluateRange(ds, first, end);
    }
    if (this.dense === null) this.dense = new DenseInference(sizes, w1, w2, this.setup.rowSum);
    else this.dense.setWeights(w1, w2);
    return this.dense.evaluateRange(ds, first, end);
  }
}
