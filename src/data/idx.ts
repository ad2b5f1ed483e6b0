/**
 * IDX file parsing (the MNIST / Fashion-MNIST container format), unsigned-byte arrays only.
 *
 * Layout, all big-endian: two zero bytes, the element type code (0x08 = unsigned byte), the number
 * of dimensions n, then n uint32 sizes, then the elements in row-major order. Nothing may follow.
 *
 * Portable: no Node APIs. Decompression and file access live in datasets.ts.
 */
import { UserError } from '../errors';

/** A parsed unsigned-byte IDX array. `data` is a view into the input bytes (no copy). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** IDX element type code for unsigned bytes, the only type MNIST-style files use. */
const TYPE_UBYTE = 0x08;

/**
 * Parses an unsigned-byte IDX array. `name` (usually the file path) is quoted in every error.
 * If `expectedDims` is given, the file must have exactly that many dimensions.
 */
export function parseIdx(bytes: Uint8Array, name: string, expectedDims?: number): IdxArray {
  if (bytes.length < 4) {
    throw new UserError(
      `${name}: too short for an IDX header (${bytes.length} bytes, need at least 4)`,
    );
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new UserError(`${name}: bad IDX magic 0x1f8b: the file is gzip-compressed, decompress it first`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(
      `${name}: bad IDX magic: first two bytes must be 0x0000, found 0x${hex2(bytes[0])}${hex2(bytes[1])}`,
    );
  }
  if (bytes[2] !== TYPE_UBYTE) {
    throw new UserError(
      `${name}: bad IDX magic: element type 0x${hex2(bytes[2])} is not supported (only 0x08, unsigned byte)`,
    );
  }
  const ndims = bytes[3];
  if (expectedDims !== undefined && ndims !== expectedDims) {
    throw new UserError(
      `${name}: bad number of IDX dimensions: expected ${expectedDims}, found ${ndims}`,
    );
  }
  if (ndims === 0) {
    throw new UserError(`${name}: bad number of IDX dimensions: 0`);
  }
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new UserError(
      `${name}: too short for an IDX header with ${ndims} dimensions (${bytes.length} bytes, need ${headerLen})`,
    );
  }
  const dims: number[] = [];
  let expected = 1; // exact while <= 2^53; larger products fail the length check anyway
  for (let i = 0; i < ndims; i++) {
    const o = 4 + 4 * i;
    // Big-endian uint32, assembled with multiplication so the top bit does not go negative.
    const d = bytes[o] * 16777216 + bytes[o + 1] * 65536 + bytes[o + 2] * 256 + bytes[o + 3];
    dims.push(d);
    expected *= d;
  }
  const actual = bytes.length - headerLen;
  if (actual < expected) {
    throw new UserError(
      `${name}: truncated IDX data: dimensions ${dims.join('x')} need ${expected} data bytes, ` +
        `but only ${actual} follow the header`,
    );
  }
  if (actual > expected) {
    throw new UserError(
      `${name}: trailing garbage: ${actual - expected} extra bytes after the ${expected} data bytes ` +
        `of dimensions ${dims.join('x')}`,
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

/** Parses an IDX image file: exactly 3 dimensions (count, rows, columns). */
export function parseIdxImages(bytes: Uint8Array, name: string): IdxArray {
  return parseIdx(bytes, name, 3);
}

/** Parses an IDX label file: exactly 1 dimension (count). */
export function parseIdxLabels(bytes: Uint8Array, name: string): IdxArray {
  return parseIdx(bytes, name, 1);
}

/**
 * Checks that an image file and a label file belong together: equal sample counts and labels 0..9.
 * Returns the sample count.
 */
export function pairImagesLabels(
  images: IdxArray,
  labels: IdxArray,
  imagesName: string,
  labelsName: string,
): number {
  const n = images.dims[0];
  const m = labels.dims[0];
  if (n !== m) {
    throw new UserError(
      `sample counts differ: ${imagesName} has ${n} images but ${labelsName} has ${m} labels`,
    );
  }
  const lab = labels.data;
  for (let i = 0; i < lab.length; i++) {
    if (lab[i] > 9) {
      throw new UserError(`${labelsName}: label ${lab[i]} of sample ${i} is out of range 0..9`);
    }
  }
  return n;
}

function hex2(b: number): string {
  return (b < 16 ? '0' : '') + b.toString(16);
}
