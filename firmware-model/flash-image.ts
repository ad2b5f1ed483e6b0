/**
 * The weight "flash image" of the firmware program: what a device writes to flash to keep
 * its learned weights across a reset, and reads back at boot.
 *
 * Binary layout, all integers little-endian (version 1), described by typed-binary schemas:
 *
 *   header   magic "SFFW" (4 bytes), version u32, payloadLength u32                12 bytes
 *   payload  sizes u32[3] = [in, hidden, out], samplesTrained as u32 hi + u32 lo,
 *            seed u32, matrixLengths u32[4]                                        40 bytes
 *            then the matrices W1 (hidden x in), W2 (out x hidden), +W2^T and -W2^T
 *            (hidden x out), each post x pre row-major as i16; an inference image leaves
 *            the two transposes empty (length 0)
 *   trailer  CRC-32 (IEEE, src/io/crc32.ts) u32 of every byte before it
 *
 * The training network keeps three copies of W1 and of W2 that stay equal (the firmware
 * checks this before it writes an image); the image stores each once.
 *
 * decodeFlashImage checks the envelope (length, magic, version, CRC) before it trusts any
 * field, then the sizes against the firmware's own; every problem is a UserError that says
 * what is wrong. Portable: no Node APIs.
 */
import * as bin from 'typed-binary';
import { UserError } from '../src/errors';
import { crc32 } from '../src/io/crc32';
import type { SbpSizes } from '../src/sbp/topology';

export const FLASH_MAGIC = 'SFFW';
export const FLASH_VERSION = 1;

export interface FlashImage {
  sizes: SbpSizes;
  samplesTrained: number;
  seed: number;
  w1: Int16Array;
  w2: Int16Array;
  /** Empty (length 0) in an inference image. */
  w2tPos: Int16Array;
  w2tNeg: Int16Array;
}

const headerSchema = bin.object({
  magic: bin.u8Array(4),
  version: bin.u32,
  payloadLength: bin.u32,
});

const runSchema = bin.object({
  sizes: bin.u32Array(3),
  samplesTrainedHi: bin.u32,
  samplesTrainedLo: bin.u32,
  seed: bin.u32,
  lengths: bin.u32Array(4),
});

function bodySchema(lengths: ArrayLike<number>) {
  return bin.object({
    w1: bin.i16Array(lengths[0]),
    w2: bin.i16Array(lengths[1]),
    w2tPos: bin.i16Array(lengths[2]),
    w2tNeg: bin.i16Array(lengths[3]),
  });
}

const HEADER_BYTES = 12;
const RUN_BYTES = 40;
const CRC_BYTES = 4;
const TWO_32 = 4294967296;
const IO = { endianness: 'little' } as const;

/** Bytes of an image of these sizes (with or without the transposes). */
export function flashImageBytes(sizes: SbpSizes, withTransposes: boolean): number {
  const { input: i, hidden: h, output: o } = sizes;
  return HEADER_BYTES + RUN_BYTES + 2 * (h * i + o * h + (withTransposes ? 2 * h * o : 0)) + CRC_BYTES;
}

/** Serialize an image (an inference image when w2tPos and w2tNeg are empty). */
export function encodeFlashImage(img: FlashImage): Uint8Array {
  const lengths = new Uint32Array([img.w1.length, img.w2.length, img.w2tPos.length, img.w2tNeg.length]);
  const total = flashImageBytes(img.sizes, lengths[2] > 0);
  const out = new Uint8Array(total);
  const payloadLength = total - HEADER_BYTES - CRC_BYTES;
  const writer = new bin.BufferWriter(out.buffer, IO);
  const magic = new Uint8Array(4);
  for (let i = 0; i < 4; i++) magic[i] = FLASH_MAGIC.charCodeAt(i);
  headerSchema.write(writer, { magic, version: FLASH_VERSION, payloadLength });
  runSchema.write(writer, {
    sizes: new Uint32Array([img.sizes.input, img.sizes.hidden, img.sizes.output]),
    samplesTrainedHi: Math.floor(img.samplesTrained / TWO_32),
    samplesTrainedLo: img.samplesTrained % TWO_32,
    seed: img.seed >>> 0,
    lengths,
  });
  bodySchema(lengths).write(writer, { w1: img.w1, w2: img.w2, w2tPos: img.w2tPos, w2tNeg: img.w2tNeg });
  const crcAt = total - CRC_BYTES;
  if (writer.currentByteOffset !== crcAt) throw new Error(`encodeFlashImage: internal layout error (${writer.currentByteOffset} != ${crcAt})`);
  bin.u32.write(writer, crc32(out, 0, crcAt));
  return out;
}

function hex32(v: number): string {
  return '0x' + ('00000000' + (v >>> 0).toString(16)).slice(-8);
}

function sizesText(s: ArrayLike<number>): string {
  return s[0] + '-' + s[1] + '-' + s[2];
}

/**
 * Parse and check an image for a firmware of `sizes`. `needTransposes`: a training firmware
 * refuses an inference image. Throws UserError naming the problem; returns fresh arrays.
 */
export function decodeFlashImage(bytes: Uint8Array, sizes: SbpSizes, needTransposes: boolean): FlashImage {
  const fail = (msg: string): never => {
    throw new UserError('flash image: ' + msg);
  };
  const n = bytes.length;
  const minimum = HEADER_BYTES + RUN_BYTES + CRC_BYTES;
  for (let i = 0; i < FLASH_MAGIC.length && i < n; i++) {
    if (bytes[i] !== FLASH_MAGIC.charCodeAt(i)) fail(`not a synfire flash image (it does not start with "${FLASH_MAGIC}")`);
  }
  if (n < minimum) fail(`truncated: ${n} bytes, an image has at least ${minimum}`);
  const reader = new bin.BufferReader(bytes.buffer, { byteOffset: bytes.byteOffset, endianness: 'little' });
  const header = headerSchema.read(reader);
  if (header.version !== FLASH_VERSION) fail(`unsupported version ${header.version} (this firmware reads version ${FLASH_VERSION})`);
  const expected = HEADER_BYTES + header.payloadLength + CRC_BYTES;
  if (n < expected) fail(`truncated: expected ${expected} bytes, got ${n}`);
  if (n > expected) fail(`${n - expected} unexpected bytes after the end (expected ${expected} bytes, got ${n})`);
  const crcAt = expected - CRC_BYTES;
  const computed = crc32(bytes, 0, crcAt);
  const stored = (bytes[crcAt] | (bytes[crcAt + 1] << 8) | (bytes[crcAt + 2] << 16) | (bytes[crcAt + 3] << 24)) >>> 0;
  if (computed !== stored) fail(`corrupted: CRC-32 mismatch, expected ${hex32(stored)} (stored), got ${hex32(computed)} (computed)`);
  if (header.payloadLength < RUN_BYTES) fail(`inconsistent: payload of ${header.payloadLength} bytes is shorter than the ${RUN_BYTES}-byte run block`);

  const run = runSchema.read(reader);
  if (run.sizes[0] !== sizes.input || run.sizes[1] !== sizes.hidden || run.sizes[2] !== sizes.output) {
    fail(`holds a ${sizesText(run.sizes)} network, this firmware runs ${sizesText([sizes.input, sizes.hidden, sizes.output])}`);
  }
  const { input: i, hidden: h, output: o } = sizes;
  const want = [h * i, o * h, h * o, h * o];
  const names = ['W1', 'W2', '+W2^T', '-W2^T'];
  const hasT = run.lengths[2] > 0 || run.lengths[3] > 0;
  if (needTransposes && !hasT) fail('is an inference image (no +W2^T and -W2^T); training needs a training image');
  for (let k = 0; k < 4; k++) {
    const ok = run.lengths[k] === want[k] || (k >= 2 && !hasT && run.lengths[k] === 0);
    if (!ok) fail(`inconsistent: ${names[k]} has ${run.lengths[k]} values, a ${sizesText(run.sizes)} network needs ${want[k]}`);
  }
  let bodyBytes = 0;
  for (let k = 0; k < 4; k++) bodyBytes += 2 * run.lengths[k];
  if (RUN_BYTES + bodyBytes !== header.payloadLength) fail(`inconsistent: its matrices need a ${RUN_BYTES + bodyBytes}-byte payload, the header says ${header.payloadLength}`);
  const body = bodySchema(run.lengths).read(reader);
  return {
    sizes: { input: i, hidden: h, output: o },
    samplesTrained: run.samplesTrainedHi * TWO_32 + run.samplesTrainedLo,
    seed: run.seed,
    w1: body.w1,
    w2: body.w2,
    w2tPos: body.w2tPos,
    w2tNeg: body.w2tNeg,
  };
}
