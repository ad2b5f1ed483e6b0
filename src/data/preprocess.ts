/**
 * Binarization of 28x28 uint8 images into compact spike datasets (docs/sbp-network.md, "Data").
 *
 * Every input neuron fires at most once per sample (no rate code), so a sample is just the
 * ascending list of active input indices. The authors compare a double-normalized float
 * round(p/255/255*256, 2) > 0.5; on uint8 pixels that is exactly `p >= 129` (see
 * thresholdFromFraction), so everything here is integer comparison.
 *
 * Portable: no Node APIs.
 */
import { UserError } from '../errors';

/**
 * - mnist20: crop 4 px on every side (rows/columns 4..23), 20x20 = 400 inputs (the paper's default).
 * - mnist10: crop 4, then 2x2 block mean of the 20x20, 10x10 = 100 inputs.
 * - mnist28 / fashion28: the whole 28x28 image, 784 inputs.
 */
export type Preprocessing = 'mnist20' | 'mnist10' | 'fashion28' | 'mnist28';

/** A binarized dataset in compressed-row form. Treat all arrays as read-only (they may be shared). */
export interface SpikeDataset {
  name: string;
  numInputs: number;
  count: number;
  /** Side of the square input image: numInputs = side*side. */
  side: number;
  /** 0..9 */
  labels: Uint8Array;
  /** count+1 entries; active input indices of sample k are indices[offsets[k]..offsets[k+1]). */
  offsets: Uint32Array;
  /** Row-major input indices, ascending within a sample. */
  indices: Uint16Array;
}

/** Uint8 threshold equivalent to the authors' default fraction 0.5: active iff pixel >= 129. */
export const DEFAULT_THRESHOLD = 129;

const SIDE_IN = 28;
const CROP = 4;

/** Output side length per preprocessing kind. */
export function sideOf(kind: Preprocessing): number {
  switch (kind) {
    case 'mnist20':
      return 20;
    case 'mnist10':
      return 10;
    case 'mnist28':
    case 'fashion28':
      return 28;
    default:
      throw new UserError(`unknown preprocessing '${String(kind)}' (expected mnist20, mnist10, mnist28 or fashion28)`);
  }
}

/**
 * The smallest uint8 pixel p that the authors' binarization marks active for fraction `f`:
 * value = round(p/255/255*256, 2) > f, with numpy's round-half-to-even on value*100.
 * Returns 256 if no pixel is active (f >= 1.01), 0 if every pixel is (f < 0).
 * f = 0.5 -> 129, 0.4 -> 103, 0.6 -> 154.
 */
export function thresholdFromFraction(f: number): number {
  if (!Number.isFinite(f)) throw new UserError(`threshold fraction must be a finite number, got ${f}`);
  for (let p = 0; p < 256; p++) {
    // Same float operation order as the Python pipeline: p/255 (scikit-image), /255 (load_mnist), *256.
    const value = (p / 255 / 255) * 256 * 100;
    const rounded = roundHalfEven(value) / 100;
    if (rounded > f) return p;
  }
  return 256;
}

/** Round to nearest integer, ties to even (numpy's rint). */
function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +infinity
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Checks the shape of 28x28 images against their labels; returns the number of images. */
function checkImages(images: { dims: number[]; data: Uint8Array }, labels: Uint8Array, name: string): number {
  const dims = images.dims;
  if (dims.length !== 3 || dims[1] !== SIDE_IN || dims[2] !== SIDE_IN) {
    throw new UserError(`${name}: expected images of shape Nx28x28, got ${dims.join('x')}`);
  }
  const total = dims[0];
  if (images.data.length !== total * SIDE_IN * SIDE_IN) {
    throw new UserError(`${name}: image data has ${images.data.length} bytes, expected ${total * SIDE_IN * SIDE_IN}`);
  }
  if (labels.length !== total) {
    throw new UserError(`${name}: ${total} images but ${labels.length} labels`);
  }
  return total;
}

/** The uint8 threshold, default 129, checked to be an integer 0..256. */
function checkThreshold(t: number | undefined, name: string): number {
  const threshold = t ?? DEFAULT_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 256) {
    throw new UserError(`${name}: threshold must be an integer 0..256, got ${threshold}`);
  }
  return threshold;
}

/**
 * Binarizes the window of image `base` (offset of its first pixel) for kind mnist20 (20x20 from
 * row and column 4), mnist28 or fashion28 (the whole 28x28), moved by dy rows and dx columns:
 * input (r, c) is active iff pixel (origin + r + dy, origin + c + dx) is inside the image and
 * >= t. Appends the active indices, ascending, to out from position n; returns the new end.
 */
function windowActive(px: Uint8Array, base: number, kind: Preprocessing, dy: number, dx: number, t: number, out: Uint16Array, n: number): number {
  const side = kind === 'mnist20' ? 20 : SIDE_IN;
  const origin = kind === 'mnist20' ? CROP : 0;
  for (let r = 0; r < side; r++) {
    const y = origin + r + dy;
    if (y < 0 || y >= SIDE_IN) continue;
    const row = base + y * SIDE_IN;
    for (let c = 0; c < side; c++) {
      const x = origin + c + dx;
      if (x >= 0 && x < SIDE_IN && px[row + x] >= t) out[n++] = r * side + c;
    }
  }
  return n;
}

/**
 * Binarizes images (dims [count, 28, 28]) with the given preprocessing.
 * opts.threshold: uint8 threshold 0..256, default 129 (active iff pixel, or 2x2 block mean for
 * mnist10, >= threshold). opts.limit: keep only the first `limit` samples.
 */
export function preprocess(
  images: { dims: number[]; data: Uint8Array },
  labels: Uint8Array,
  kind: Preprocessing,
  name: string,
  opts?: { threshold?: number; limit?: number },
): SpikeDataset {
  const side = sideOf(kind);
  const total = checkImages(images, labels, name);
  const threshold = checkThreshold(opts?.threshold, name);
  let count = total;
  if (opts?.limit !== undefined) {
    const limit = opts.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UserError(`${name}: limit must be a positive integer, got ${limit}`);
    }
    if (limit > total) {
      throw new UserError(`${name}: limit ${limit} exceeds the ${total} samples available`);
    }
    count = limit;
  }

  const px = images.data;
  const numInputs = side * side;
  const outLabels = new Uint8Array(count);
  const offsets = new Uint32Array(count + 1);
  // Growable index buffer, doubled when full; a quarter of the pixels active is a typical start.
  let indices = new Uint16Array(Math.max(1024, Math.floor((count * numInputs) / 4)));
  let n = 0;
  const blockThreshold = 4 * threshold; // mnist10: mean of 4 >= t  <=>  sum >= 4t (exact, integers)

  for (let k = 0; k < count; k++) {
    const lab = labels[k];
    if (lab > 9) throw new UserError(`${name}: label ${lab} of sample ${k} is out of range 0..9`);
    outLabels[k] = lab;
    if (indices.length - n < numInputs) {
      const grown = new Uint16Array(indices.length * 2 + numInputs);
      grown.set(indices.subarray(0, n));
      indices = grown;
    }
    const base = k * SIDE_IN * SIDE_IN;
    if (kind === 'mnist10') {
      let i = 0;
      for (let br = 0; br < 10; br++) {
        const row = base + (CROP + 2 * br) * SIDE_IN + CROP;
        for (let bc = 0; bc < 10; bc++, i++) {
          const o = row + 2 * bc;
          const sum = px[o] + px[o + 1] + px[o + SIDE_IN] + px[o + SIDE_IN + 1];
          if (sum >= blockThreshold) indices[n++] = i;
        }
      }
    } else n = windowActive(px, base, kind, 0, 0, threshold, indices, n);
    offsets[k + 1] = n;
  }
  // Exact-size copy (subarray + set rather than slice: Duktape lacks TypedArray.prototype.slice).
  const exact = new Uint16Array(n);
  exact.set(indices.subarray(0, n));
  return { name, numInputs, count, side, labels: outLabels, offsets, indices: exact };
}

/** A view of the first `n` samples of `ds` (shares its arrays). */
export function takeFirst(ds: SpikeDataset, n: number): SpikeDataset {
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`${ds.name}: limit must be a positive integer, got ${n}`);
  }
  if (n > ds.count) {
    throw new UserError(`${ds.name}: limit ${n} exceeds the ${ds.count} samples available`);
  }
  if (n === ds.count) return ds;
  return {
    name: ds.name,
    numInputs: ds.numInputs,
    count: n,
    side: ds.side,
    labels: ds.labels.subarray(0, n),
    offsets: ds.offsets.subarray(0, n + 1),
    indices: ds.indices.subarray(0, ds.offsets[n]),
  };
}

/** Writes sample k as a dense 0/1 vector into out[0..numInputs) and returns out. */
export function sampleBits(ds: SpikeDataset, k: number, out: Uint8Array): Uint8Array {
  if (!Number.isInteger(k) || k < 0 || k >= ds.count) {
    throw new RangeError(`${ds.name}: sample index ${k} out of range 0..${ds.count - 1}`);
  }
  if (out.length < ds.numInputs) {
    throw new RangeError(`${ds.name}: output vector has length ${out.length}, need ${ds.numInputs}`);
  }
  for (let i = 0; i < ds.numInputs; i++) out[i] = 0; // no TypedArray.fill in Duktape
  const end = ds.offsets[k + 1];
  for (let j = ds.offsets[k]; j < end; j++) out[ds.indices[j]] = 1;
  return out;
}

/**
 * Training images kept as pixels, so that every training sample can be binarized through a
 * crop window moved by (dy, dx) pixels (`synfire train --shift R`; docs/sbp-network.md, "Data").
 * The test set is never shifted.
 */
export interface ShiftedCrops {
  kind: Preprocessing;
  /** Largest shift in each direction: dy, dx in -radius..radius. */
  radius: number;
  threshold: number;
  numInputs: number;
  count: number;
  labels: Uint8Array;
  /** count x 28 x 28, row-major. */
  pixels: Uint8Array;
}

/** Largest --shift: the 20x20 MNIST crop has 4 pixels of margin on every side. */
export const MAX_SHIFT = CROP;

/** Keeps the 28x28 images of a training split for shifted binarization (kinds mnist20, mnist28, fashion28). */
export function shiftedCrops(
  images: { dims: number[]; data: Uint8Array },
  labels: Uint8Array,
  kind: Preprocessing,
  name: string,
  opts: { radius: number; threshold?: number },
): ShiftedCrops {
  const { radius } = opts;
  if (!(Number.isInteger(radius) && radius >= 0 && radius <= MAX_SHIFT)) {
    throw new UserError(`${name}: shift radius must be an integer 0..${MAX_SHIFT}, got ${radius}`);
  }
  if (kind === 'mnist10') throw new UserError(`${name}: shifted crops are not defined for mnist10 (use mnist20, mnist28 or fashion28)`);
  const side = sideOf(kind);
  const count = checkImages(images, labels, name);
  for (let k = 0; k < count; k++) {
    if (labels[k] > 9) throw new UserError(`${name}: label ${labels[k]} of sample ${k} is out of range 0..9`);
  }
  const threshold = checkThreshold(opts.threshold, name);
  return { kind, radius, threshold, numInputs: side * side, count, labels, pixels: images.data };
}

/** Number of crop positions: (2·radius + 1)². */
export function shiftVariants(radius: number): number {
  return (2 * radius + 1) * (2 * radius + 1);
}

/**
 * Active inputs of sample k with the crop window moved by variant v (0 <= v < shiftVariants):
 * dy = floor(v / (2r+1)) - r rows down, dx = v mod (2r+1) - r columns right. Input i of the
 * window reads pixel (row + dy, column + dx) of the 28x28 image; a pixel outside the image
 * (fashion28 and mnist28 only; the 20x20 window stays inside its 4-pixel margin) is inactive.
 * Writes the indices, ascending, to `out` (at least numInputs long) and returns their number.
 */
export function cropActive(sc: ShiftedCrops, k: number, v: number, out: Uint16Array): number {
  const span = 2 * sc.radius + 1;
  return windowActive(sc.pixels, k * SIDE_IN * SIDE_IN, sc.kind, Math.floor(v / span) - sc.radius, (v % span) - sc.radius, sc.threshold, out, 0);
}
