/**
 * The sBP network's weight matrices: their names, their shapes for given layer sizes, the
 * range a plastic weight can hold on the chip, and the check that a set of weights fits a
 * network and a data set. Every other module (topology, training, the file formats, the
 * tools) reads these facts from here. See docs/sbp-network.md ("Weights") and
 * docs/file-formats.md.
 *
 * Portable: no Node APIs.
 */
import type { SignMode } from '../chip/weights';
import { UserError } from '../errors';

/** Layer sizes of the 3-layer network. */
export interface SbpSizes {
  input: number;
  hidden: number;
  output: number;
}

/** Output classes of both data sets (MNIST and Fashion-MNIST). */
export const NUM_CLASSES = 10;

/**
 * Plastic weights on the chip: mixed sign, 8 weight bits, exponent 0. The storable values
 * are the even integers min..max in weight units (docs/chip-model.md, "Weight encoding").
 */
export const PLASTIC = { signMode: 'mixed' as SignMode, numWeightBits: 8, weightExp: 0, min: -256, max: 254, step: 2 };

/**
 * The eight plastic synapse groups of the training network, in storage order (checkpoints
 * store them in this order): W1 and its two copies, W2 and its two copies, +W2ᵀ and −W2ᵀ.
 */
export const PLASTIC_NAMES = ['w1', 'w1c1', 'w1c2', 'w2', 'w2c1', 'w2c2', 'w2tPos', 'w2tNeg'] as const;
export type PlasticName = (typeof PLASTIC_NAMES)[number];

/** The four distinct matrices (copies start equal to their original), in weight-file order. */
export const WEIGHT_FILE_MATRICES = ['w1', 'w2', 'w2tPos', 'w2tNeg'] as const;
export type WeightMatrixName = (typeof WEIGHT_FILE_MATRICES)[number];

/** Which of the four distinct matrices each plastic group is loaded from. */
export const LOADED_FROM: Record<PlasticName, WeightMatrixName> = {
  w1: 'w1',
  w1c1: 'w1',
  w1c2: 'w1',
  w2: 'w2',
  w2c1: 'w2',
  w2c2: 'w2',
  w2tPos: 'w2tPos',
  w2tNeg: 'w2tNeg',
};

/**
 * The weights a run starts from or ends with. Every matrix is post×pre, row-major (one row
 * per postsynaptic neuron): w1 hidden×in, w2 out×hidden, w2tPos (+W2ᵀ) and w2tNeg (−W2ᵀ)
 * hidden×out.
 */
export interface SbpWeights {
  /** [in, hidden, out] layer sizes. */
  sizes: [number, number, number];
  w1: Int16Array;
  w2: Int16Array;
  w2tPos: Int16Array;
  w2tNeg: Int16Array;
}

export interface MatrixShape {
  rows: number;
  cols: number;
  /** Human-readable shape, e.g. "hidden×in = 100×400". */
  label: string;
}

/** Rows (post) and columns (pre) of a matrix for layer sizes [in, hidden, out]. */
export function matrixShape(name: PlasticName, sizes: readonly number[]): MatrixShape {
  const nIn = sizes[0];
  const nHid = sizes[1];
  const nOut = sizes[2];
  switch (LOADED_FROM[name]) {
    case 'w1':
      return { rows: nHid, cols: nIn, label: `hidden×in = ${nHid}×${nIn}` };
    case 'w2':
      return { rows: nOut, cols: nHid, label: `out×hidden = ${nOut}×${nHid}` };
    default:
      return { rows: nHid, cols: nOut, label: `hidden×out = ${nHid}×${nOut}` };
  }
}

/** Why a value is not a storable plastic weight, or null if it is one. */
export function weightProblem(v: unknown): string | null {
  if (typeof v !== 'number') return 'is not a number';
  if (!isFinite(v) || Math.floor(v) !== v) return 'is not an integer';
  if (v < PLASTIC.min || v > PLASTIC.max) return `is outside the weight range [${PLASTIC.min}, ${PLASTIC.max}]`;
  if (v % PLASTIC.step !== 0) return 'is odd (plastic weights are even integers)';
  return null;
}

/** [in, hidden, out] as an SbpSizes. */
export function sizesOf(w: { sizes: readonly number[] }): SbpSizes {
  return { input: w.sizes[0], hidden: w.sizes[1], output: w.sizes[2] };
}

/** "in-hidden-out", e.g. "400-400-10". */
export function sizesLabel(s: SbpSizes): string {
  return `${s.input}-${s.hidden}-${s.output}`;
}

/** The data a network is trained or evaluated on, as far as the weights care. */
export interface DataShape {
  /** Data set name for messages, e.g. "mnist". */
  name: string;
  numInputs: number;
}

/**
 * Check that weights read from `file` fit a data set (its inputs, NUM_CLASSES outputs) and,
 * when the user asked for one, a hidden size. Returns the network's sizes. The messages name
 * the file and both shapes; a conflicting --hidden is a usage error (exit 2).
 */
export function checkWeightsFit(w: { sizes: readonly number[] }, file: string, data: DataShape, hidden?: number): SbpSizes {
  const s = sizesOf(w);
  if (hidden !== undefined && hidden !== s.hidden) {
    throw new UserError(`${file}: the weights have ${s.hidden} hidden units but --hidden is ${hidden}`, 2);
  }
  if (s.input !== data.numInputs || s.output !== NUM_CLASSES) {
    throw new UserError(`${file}: sizes ${sizesLabel(s)} do not fit ${data.name} (${data.numInputs} inputs, ${NUM_CLASSES} outputs)`);
  }
  return s;
}

/**
 * Check that saved state (weights or a checkpoint) from `file` has exactly the sizes of the
 * network being built. `what` names the thing in the message ("sizes", "checkpoint sizes").
 */
export function checkSizesMatch(saved: { sizes: readonly number[] }, file: string, net: SbpSizes, what = 'sizes'): void {
  const s = sizesOf(saved);
  if (s.input !== net.input || s.hidden !== net.hidden || s.output !== net.output) {
    const hint = what === 'sizes' ? ` (use --hidden ${s.hidden}${s.input !== net.input ? ` and a dataset with ${s.input} inputs` : ''})` : '';
    throw new UserError(`${file}: ${what} ${sizesLabel(s)} do not match the network ${sizesLabel(net)}${hint}`);
  }
}

