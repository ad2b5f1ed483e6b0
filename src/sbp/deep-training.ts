/**
 * The L-hidden-layer training network on the chip (deep.ts), driven as SbpTrainingChip drives
 * the one-layer network: the host streams pixel spikes (phase 0) and the label spike
 * (phase L+1) and steps the chip through the 9L + 3 phases; everything else happens on the
 * chip. Plus the lock-step check against the deep oracle (deep-oracle.ts).
 *
 * Portable: no Node APIs (Date.now is plain JavaScript).
 */
import type { Chip, SynapseGroup } from '../chip/chip';
import { Prng } from '../chip/prng';
import type { CompiledNetwork } from '../net/compile';
import type { CompileOptions, CoreLimits } from '../net/network';
import type { SpikeDataset } from '../data/preprocess';
import { UserError } from '../errors';
import { deepMatrices, deepActivePhases, deepPhases, deepSchedule, deepTrainingNetwork, blockStart, family, gateName, hiddenLayers, labelPhase, layerName, errorSigns, type DeepMatrix, type DeepSizes } from './deep';
import { deepOracleState, deepOracleTrain, newDeepTrace } from './deep-oracle';
import type { Gating } from './gating';
import { requireHeadroom } from './headroom';
import { toChipWeight } from './init';
import type { Order } from './oracle';
import type { LayeredWeights } from './weights-file';
import { phaseStep } from './params';
import { compileTraining, PhaseRecord, type Placement } from './training';

export interface DeepChipOptions {
  sizes: DeepSizes;
  order?: Order;
  placement?: Placement;
  chips?: number;
  limits?: CoreLimits;
  kernel?: 'fast' | 'naive';
  rowSum?: CompileOptions['rowSum'];
  gating?: Gating;
  /** Initial W_l (post x pre, l = 1..L+1; index 0 unused); P_l and M_l start as ±W_lᵀ unless `transposed` gives them. */
  weights?: Int16Array[];
  /** Initial P_l and M_l (layer l-1 x layer l, l = 2..L+1), e.g. from a weight file. */
  transposed?: { tPos: Int16Array[]; tNeg: Int16Array[] };
  /** Device storage (ChipSpec.lean), as the firmware would build it. */
  lean?: boolean;
}

/** rand_He for every layer, drawn in order W1, W2, ..., W_{L+1} (for L = 1, init.ts's weights). */
export function deepInitialWeights(sizes: DeepSizes, seed: number): Int16Array[] {
  const rng = new Prng(seed);
  const w: Int16Array[] = [new Int16Array(0)];
  for (let l = 1; l < sizes.length; l++) {
    const s = Math.sqrt(2 / (sizes[l - 1] + sizes[l]));
    const m = new Int16Array(sizes[l] * sizes[l - 1]);
    for (let k = 0; k < m.length; k++) m[k] = toChipWeight(rng.nextNormal() * s);
    w.push(m);
  }
  return w;
}

/** ±W_lᵀ of W_l (rows x cols) as cols x rows. */
function transposed(w: ArrayLike<number>, rows: number, cols: number, sign: number): Int16Array {
  const t = new Int16Array(rows * cols);
  for (let k = 0; k < rows; k++) for (let j = 0; j < cols; j++) t[j * rows + k] = sign * w[k * cols + j];
  return t;
}

export class DeepTrainingChip {
  readonly sizes: number[];
  readonly L: number;
  readonly phases: number;
  readonly order: Order;
  readonly gating: Gating;
  readonly compiled: CompiledNetwork;
  readonly chip: Chip;
  readonly matrices: DeepMatrix[];
  samples = 0;
  private readonly inputPort: number;
  private readonly labelPort: number;
  private readonly oStart: number;
  private readonly plastic: Record<string, SynapseGroup> = {};

  constructor(opts: DeepChipOptions) {
    this.sizes = opts.sizes.slice();
    this.L = hiddenLayers(this.sizes);
    this.phases = deepPhases(this.L);
    this.order = opts.order ?? 'chip';
    this.gating = opts.gating ?? 'paper';
    const w = opts.weights;
    const init: Record<string, ArrayLike<number>> | undefined = w ? {} : undefined;
    if (w && init) {
      for (let l = 1; l < this.sizes.length; l++) {
        init[`w${l}`] = init[`w${l}c1`] = init[`w${l}c2`] = w[l];
        if (l >= 2) {
          const t = opts.transposed;
          init[`p${l}`] = t ? t.tPos[l] : transposed(w[l], this.sizes[l], this.sizes[l - 1], 1);
          init[`m${l}`] = t ? t.tNeg[l] : transposed(w[l], this.sizes[l], this.sizes[l - 1], -1);
        }
      }
    }
    const net = deepTrainingNetwork(this.sizes, this.gating, init);
    this.compiled = compileTraining(net, this.order, this.phases + 1, opts);
    if (this.gating === 'robust') requireHeadroom(net, deepSchedule(this.L));
    this.chip = this.compiled.chip;
    const g = this.compiled.groups;
    this.inputPort = g.input.start;
    this.labelPort = g.in_tgt.start;
    this.oStart = g.o.start;
    this.matrices = deepMatrices(this.L);
    for (const m of this.matrices) this.plastic[m.name] = this.chip.groups[this.compiled.connections[m.connection]];
    // startup: in_g kicks the ring at step P-1, so g00 fires at step P
    const P = this.phases;
    this.chip.setBucket(P);
    while (this.chip.time < P) {
      if (this.chip.time + 1 === P - 1) this.chip.schedule(g.in_g.start, P - 1);
      this.chip.step();
    }
  }

  /** Stream one sample through all phases; `record` gets every phase's spikes, `out` the output spikes of the forward pass. */
  trainSample(active: ArrayLike<number>, start: number, end: number, label: number, record?: PhaseRecord, out?: Uint8Array): void {
    const chip = this.chip;
    const P = this.phases;
    const n = this.samples;
    const lp = labelPhase(this.L);
    const op = this.L + 2;
    for (let p = 0; p < P; p++) {
      const step = phaseStep(P, n, p);
      if (p === 0) chip.scheduleMany(active, start, end, this.inputPort, step);
      if (p === lp) chip.schedule(this.labelPort + label, step);
      chip.setBucket(p);
      chip.step();
      if (record) {
        const f = record.flags[p];
        for (let k = 0; k < chip.spikedCount; k++) f[chip.spikedCx[k]] = 1;
      }
      if (out && p === op) {
        out.fill(0);
        for (let k = 0; k < chip.spikedCount; k++) {
          const i = chip.spikedCx[k] - this.oStart;
          if (i >= 0 && i < out.length) out[i] = 1;
        }
      }
    }
    this.samples = n + 1;
  }

  /** The synapse group of a plastic matrix (deepMatrices names). */
  group(name: string): SynapseGroup {
    return this.plastic[name];
  }

  /** A plastic matrix (deepMatrices names) as post x pre. */
  matrix(name: string): Int16Array {
    return this.plastic[name].postMajor();
  }

  /** The distinct matrices (W_l, P_l, M_l) as layered weights (copies). */
  weights(): LayeredWeights {
    const none = new Int16Array(0);
    const out: LayeredWeights = { sizes: this.sizes.slice(), w: [none], tPos: [none, none], tNeg: [none, none] };
    for (let l = 1; l < this.sizes.length; l++) out.w.push(this.matrix(`w${l}`));
    for (let l = 2; l < this.sizes.length; l++) {
      out.tPos.push(this.matrix(`p${l}`));
      out.tNeg.push(this.matrix(`m${l}`));
    }
    return out;
  }

  /** Set a plastic matrix from post x pre values. */
  setMatrix(name: string, m: ArrayLike<number>): void {
    const g = this.plastic[name];
    if (m.length !== g.preSize * g.postSize) throw new RangeError(`${name}: expected ${g.postSize}x${g.preSize} values, got ${m.length}`);
    g.setPostMajor(m);
  }
}

export interface DeepVerifyOptions extends Omit<DeepChipOptions, 'weights'> {
  weights: Int16Array[];
  dataset: Pick<SpikeDataset, 'numInputs' | 'labels' | 'offsets' | 'indices'> & { name?: string };
  indices: ArrayLike<number>;
  onSample?(done: number, mismatches: number): void;
  /** Called before sample k with the chip under test (fault injection in the tests). */
  beforeSample?(net: DeepTrainingChip, k: number): void;
}

export interface DeepVerifyResult {
  samples: number;
  mismatches: number;
  invariantViolations: number;
  /** The first discrepancy, as one line. */
  first: string | null;
  spikeChecks: number;
  weightChecks: number;
  /** Error spikes per layer: [layer, +, −] for l = 1..L+1. */
  errors: Array<[number, number, number]>;
  msPerSample: number;
}

/**
 * Train the chip and the deep oracle side by side; after every sample compare the forward
 * activations of every layer, the error signs of every layer in the phases they fire, the
 * active-phase invariant for every group, and every plastic matrix (copies included). Stops
 * after the first sample with a discrepancy.
 */
export function deepVerify(opts: DeepVerifyOptions): DeepVerifyResult {
  const net = new DeepTrainingChip(opts);
  const sizes = net.sizes;
  const L = net.L;
  const P = net.phases;
  const order = opts.order ?? 'chip';
  const state = deepOracleState(sizes, opts.weights);
  if (opts.transposed) {
    for (let l = 2; l < sizes.length; l++) {
      state.p[l] = Int16Array.from(opts.transposed.tPos[l]);
      state.m[l] = Int16Array.from(opts.transposed.tNeg[l]);
    }
  }
  const tr = newDeepTrace(sizes);
  const g = net.compiled.groups;
  const record = new PhaseRecord(net.chip.numCompartments, P);
  const active = deepActivePhases(L);
  const x = new Uint8Array(sizes[0]);
  // checks: [phase, group, expected vector]
  const checks: Array<[number, string, () => Uint8Array]> = [[1, 'x', () => tr.a[0]]];
  for (let l = 1; l <= L + 1; l++) checks.push([l + 1, layerName(L, l), () => tr.a[l]]);
  const top = L + 1;
  checks.push([L + 3, 'd+', () => tr.ePos[top]], [L + 3, 'd-', () => tr.eNeg[top]]);
  for (let l = 1; l <= L; l++) {
    const t0 = blockStart(L, l + 1);
    for (const f of family(L, l)) checks.push([t0 + 3, f, () => tr.ePos[l]], [t0 + 7, f, () => tr.eNeg[l]]);
    if (l >= 2) {
      const [sp, sn] = errorSigns(L, l);
      const s = blockStart(L, l);
      checks.push([s, sp, () => tr.ePos[l]], [s, sn, () => tr.eNeg[l]]);
      for (const f of family(L, l)) checks.push([s + 1, f, () => tr.ePos[l]], [s + 5, f, () => tr.eNeg[l]]);
    }
  }
  const errors: Array<[number, number, number]> = [];
  for (let l = 1; l <= L + 1; l++) errors.push([l, 0, 0]);
  let mismatches = 0;
  let violations = 0;
  let first: string | null = null;
  let spikeChecks = 0;
  let weightChecks = 0;
  let done = 0;
  const t0 = Date.now();
  for (let k = 0; k < opts.indices.length; k++) {
    const s = opts.indices[k];
    const ds = opts.dataset;
    const start = ds.offsets[s];
    const end = ds.offsets[s + 1];
    const label = ds.labels[s];
    if (label >= sizes[L + 1]) throw new UserError(`${ds.name ?? 'dataset'}: sample ${s} has label ${label}, the network has ${sizes[L + 1]} outputs`);
    x.fill(0);
    for (let j = start; j < end; j++) x[ds.indices[j]] = 1;
    record.clear();
    if (opts.beforeSample) opts.beforeSample(net, k);
    net.trainSample(ds.indices, start, end, label, record);
    deepOracleTrain(state, x, label, order, tr);
    const note = (msg: string, inv: boolean) => {
      if (inv) violations++;
      else mismatches++;
      if (first === null) first = `sample ${k} (dataset index ${s}): ${msg}`;
    };
    for (const [p, name, exp] of checks) {
      const e = exp();
      const lay = g[name];
      spikeChecks += lay.size;
      for (let i = 0; i < lay.size; i++) {
        const a = record.flags[p][lay.start + i];
        if (a !== e[i]) note(`phase ${p}, group ${name}, neuron ${i}: expected ${e[i]}, got ${a}`, false);
      }
    }
    for (const name in active) {
      const lay = g[name];
      for (let p = 0; p < P; p++) {
        if (active[name].indexOf(p) >= 0) continue;
        const c = record.count(lay, p);
        if (c > 0) note(`group ${name} fired ${c} spikes in phase ${p}, outside its active phases`, true);
      }
    }
    for (let p = 0; p < P; p++) {
      const gate = g[gateName((p + 1) % P)];
      if (record.flags[p][gate.start] !== 1) note(`gate ${gateName((p + 1) % P)} did not fire in phase ${p}`, true);
    }
    for (const m of net.matrices) {
      const want = m.kind === 'w' ? state.w[m.layer] : m.kind === 'p' ? state.p[m.layer] : state.m[m.layer];
      const got = net.matrix(m.name);
      weightChecks += got.length;
      for (let i = 0; i < got.length; i++)
        if (got[i] !== want[i]) {
          note(`matrix ${m.name} index ${i}: expected ${want[i]}, got ${got[i]}`, false);
          break;
        }
    }
    for (let l = 1; l <= L + 1; l++) {
      for (let i = 0; i < sizes[l]; i++) {
        errors[l - 1][1] += tr.ePos[l][i];
        errors[l - 1][2] += tr.eNeg[l][i];
      }
    }
    done = k + 1;
    if (opts.onSample) opts.onSample(done, mismatches + violations);
    if (mismatches + violations > 0) break;
  }
  return { samples: done, mismatches, invariantViolations: violations, first, spikeChecks, weightChecks, errors, msPerSample: done ? (Date.now() - t0) / done : 0 };
}
