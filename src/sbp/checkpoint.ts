/**
 * The training checkpoint: everything needed to resume an sBP training run bit for bit.
 *
 * Binary layout, all integers little-endian (version 1):
 *
 *   header   magic "SFCK" (4 bytes), version u32, payloadLength u32            12 bytes
 *   payload  run-state block (fixed, 84 bytes):
 *              sizes u32[3] = [in, hidden, out], epoch u32, sampleInEpoch u32,
 *              samplesTrained as u32 hi + u32 lo (exact up to 2^53), seed u32,
 *              rngState u32[4] (Prng.saveState), matrixLengths u32[8], metaLength u32
 *            body (sized by the run-state block):
 *              the eight plastic matrices as i16 arrays, in MATRIX_NAMES order, each
 *              post×pre row-major; then meta, metaLength bytes of UTF-8 JSON
 *   trailer  CRC-32 (IEEE, see src/io/crc32.ts) u32 of every byte before it
 *
 * The storing is described by typed-binary schemas (headerSchema, runStateSchema, bodySchema);
 * the body schema is built from the lengths in the run-state block. The decoder checks the
 * envelope (length, magic, version, CRC) before it trusts any field, and checks the matrix
 * lengths against `sizes`, so a damaged or foreign file gives a UserError naming the file.
 *
 * The layout is also described in docs/file-formats.md. Portable: no Node APIs.
 */
import * as bin from 'typed-binary';
import { UserError } from '../errors';
import { crc32 } from '../io/crc32';
import { utf8Decode, utf8Encode } from '../io/utf8';
import { matrixShape, PLASTIC_NAMES, type PlasticName } from './matrices';

export const CHECKPOINT_MAGIC = 'SFCK';
export const CHECKPOINT_VERSION = 1;

/** The eight plastic matrices of the training network, in storage order (matrices.ts). */
export const MATRIX_NAMES = PLASTIC_NAMES;
export type MatrixName = PlasticName;

export interface Checkpoint {
  /** [in, hidden, out]. */
  sizes: [number, number, number];
  /** Shapes from matrixShape (matrices.ts): post×pre, row-major. */
  matrices: Record<MatrixName, Int16Array>;
  /** Current epoch (0-based) and the position inside it. */
  epoch: number;
  sampleInEpoch: number;
  /** Samples trained since the start of the run; an integer below 2^53. */
  samplesTrained: number;
  /** The run's seed (u32). */
  seed: number;
  /** The four xoshiro128** state words from Prng.saveState(). */
  rngState: number[];
  /** Run options, evaluation history, ...: anything JSON can hold. `undefined` is stored as null. */
  meta: unknown;
}

const headerSchema = bin.object({
  magic: bin.u8Array(4),
  version: bin.u32,
  payloadLength: bin.u32,
});

const runStateSchema = bin.object({
  sizes: bin.arrayOf(bin.u32, 3),
  epoch: bin.u32,
  sampleInEpoch: bin.u32,
  samplesTrainedHi: bin.u32,
  samplesTrainedLo: bin.u32,
  seed: bin.u32,
  rngState: bin.u32Array(4),
  matrixLengths: bin.u32Array(8),
  metaLength: bin.u32,
});

/** The variable-size part of the payload, with the lengths given by the run-state block. */
function bodySchema(lengths: ArrayLike<number>, metaLength: number) {
  return bin.object({
    w1: bin.i16Array(lengths[0]),
    w1c1: bin.i16Array(lengths[1]),
    w1c2: bin.i16Array(lengths[2]),
    w2: bin.i16Array(lengths[3]),
    w2c1: bin.i16Array(lengths[4]),
    w2c2: bin.i16Array(lengths[5]),
    w2tPos: bin.i16Array(lengths[6]),
    w2tNeg: bin.i16Array(lengths[7]),
    meta: bin.u8Array(metaLength),
  });
}

// measure(MaxValue) rather than .maxSize: the latter needs Object.values, absent in Duktape.
const HEADER_BYTES = headerSchema.measure(bin.MaxValue).size; // 12
const RUN_STATE_BYTES = runStateSchema.measure(bin.MaxValue).size; // 84
const CRC_BYTES = 4;
const TWO_32 = 4294967296;
const IO_OPTIONS = { endianness: 'little' } as const;

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Math.floor(v) === v && v >= 0 && v < TWO_32;
}

function requireU32(field: string, v: number): void {
  if (!isU32(v)) throw new RangeError(`encodeCheckpoint: ${field} must be a u32 integer, got ${v}`);
}

/** Serialize a checkpoint. Throws RangeError (a programming error) on inconsistent input. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const sizes = c.sizes;
  if (!sizes || sizes.length !== 3 || !sizes.every((s) => isU32(s) && s > 0)) {
    throw new RangeError(`encodeCheckpoint: sizes must be three positive integers, got ${JSON.stringify(sizes)}`);
  }
  requireU32('epoch', c.epoch);
  requireU32('sampleInEpoch', c.sampleInEpoch);
  requireU32('seed', c.seed);
  const st = c.samplesTrained;
  if (!(typeof st === 'number' && Math.floor(st) === st && st >= 0 && st <= 9007199254740991)) {
    throw new RangeError(`encodeCheckpoint: samplesTrained must be a non-negative safe integer, got ${c.samplesTrained}`);
  }
  if (!c.rngState || c.rngState.length !== 4 || !c.rngState.every(isU32)) {
    throw new RangeError(`encodeCheckpoint: rngState must be four u32 words, got ${JSON.stringify(c.rngState)}`);
  }
  const lengths = new Uint32Array(8);
  let matrixBytes = 0;
  for (let i = 0; i < MATRIX_NAMES.length; i++) {
    const name = MATRIX_NAMES[i];
    const m = c.matrices[name];
    const { rows, cols } = matrixShape(name, sizes);
    if (!(m instanceof Int16Array) || m.length !== rows * cols) {
      throw new RangeError(
        `encodeCheckpoint: matrix ${name} must be an Int16Array of ${rows}×${cols} = ${rows * cols}, got ${
          m ? m.length : 'none'
        }`,
      );
    }
    lengths[i] = m.length;
    matrixBytes += 2 * m.length;
  }
  const json = JSON.stringify(c.meta === undefined ? null : c.meta);
  const meta = utf8Encode(json);

  const payloadLength = RUN_STATE_BYTES + matrixBytes + meta.length;
  if (payloadLength >= TWO_32) throw new RangeError('encodeCheckpoint: checkpoint larger than 4 GiB');
  const total = HEADER_BYTES + payloadLength + CRC_BYTES;
  const out = new Uint8Array(total);
  const writer = new bin.BufferWriter(out.buffer, IO_OPTIONS);
  headerSchema.write(writer, {
    magic: asciiBytes(CHECKPOINT_MAGIC),
    version: CHECKPOINT_VERSION,
    payloadLength,
  });
  runStateSchema.write(writer, {
    sizes: [sizes[0], sizes[1], sizes[2]],
    epoch: c.epoch,
    sampleInEpoch: c.sampleInEpoch,
    samplesTrainedHi: Math.floor(c.samplesTrained / TWO_32),
    samplesTrainedLo: c.samplesTrained % TWO_32,
    seed: c.seed,
    rngState: new Uint32Array([c.rngState[0], c.rngState[1], c.rngState[2], c.rngState[3]]),
    matrixLengths: lengths,
    metaLength: meta.length,
  });
  const m = c.matrices;
  bodySchema(lengths, meta.length).write(writer, {
    w1: m.w1,
    w1c1: m.w1c1,
    w1c2: m.w1c2,
    w2: m.w2,
    w2c1: m.w2c1,
    w2c2: m.w2c2,
    w2tPos: m.w2tPos,
    w2tNeg: m.w2tNeg,
    meta,
  });
  const crcAt = HEADER_BYTES + payloadLength;
  if (writer.currentByteOffset !== crcAt) {
    throw new Error(`encodeCheckpoint: internal layout error (${writer.currentByteOffset} != ${crcAt})`);
  }
  bin.u32.write(writer, crc32(out, 0, crcAt));
  return out;
}

function hex32(v: number): string {
  return '0x' + ('00000000' + (v >>> 0).toString(16)).slice(-8);
}

/**
 * The envelope version of a synfire checkpoint (CHECKPOINT_VERSION for one hidden layer,
 * DEEP_CHECKPOINT_VERSION for several, deep-checkpoint.ts), or null when the bytes do not start
 * like one. Nothing else is checked: the decoder of that version does.
 */
export function checkpointVersion(bytes: Uint8Array): number | null {
  if (bytes.length < 8) return null;
  for (let i = 0; i < CHECKPOINT_MAGIC.length; i++) if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) return null;
  return (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0;
}

/**
 * Parse and verify a checkpoint. `fileName` is only used in error messages.
 * Throws UserError for a short, foreign, newer, corrupted or inconsistent file.
 */
export function decodeCheckpoint(bytes: Uint8Array, fileName: string): Checkpoint {
  const fail = (msg: string): never => {
    throw new UserError(`${fileName}: ${msg}`);
  };
  const n = bytes.length;
  const minimum = HEADER_BYTES + CRC_BYTES;
  if (n < CHECKPOINT_MAGIC.length) {
    fail(`too short to be a synfire checkpoint: ${n} bytes, a checkpoint has at least ${minimum}`);
  }
  for (let i = 0; i < CHECKPOINT_MAGIC.length; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) {
      fail(`not a synfire checkpoint (the file does not start with "${CHECKPOINT_MAGIC}")`);
    }
  }
  if (n < minimum) fail(`truncated checkpoint: ${n} bytes, a checkpoint has at least ${minimum}`);

  const reader = new bin.BufferReader(bytes.buffer, { byteOffset: bytes.byteOffset, endianness: 'little' });
  const header = headerSchema.read(reader);
  if (header.version !== CHECKPOINT_VERSION) {
    fail(`unsupported checkpoint version ${header.version} (this build reads version ${CHECKPOINT_VERSION})`);
  }
  const crcAt = HEADER_BYTES + header.payloadLength;
  const expected = crcAt + CRC_BYTES;
  if (n < expected) fail(`truncated checkpoint: expected ${expected} bytes, got ${n}`);
  if (n > expected) fail(`${n - expected} unexpected bytes after the end of the checkpoint (expected ${expected} bytes, got ${n})`);

  const computed = crc32(bytes, 0, crcAt);
  // Assemble the stored little-endian u32 from its four bytes.
  const stored = (bytes[crcAt] | (bytes[crcAt + 1] << 8) | (bytes[crcAt + 2] << 16) | (bytes[crcAt + 3] << 24)) >>> 0;
  if (computed !== stored) {
    fail(`corrupted: CRC-32 mismatch, expected ${hex32(stored)} (stored in the file), got ${hex32(computed)} (computed)`);
  }

  // The envelope is intact; now check that the contents agree with themselves.
  if (header.payloadLength < RUN_STATE_BYTES) {
    fail(`inconsistent checkpoint: payload of ${header.payloadLength} bytes is shorter than the ${RUN_STATE_BYTES}-byte run state`);
  }
  const run = runStateSchema.read(reader);
  const sizes: [number, number, number] = [run.sizes[0], run.sizes[1], run.sizes[2]];
  if (!(sizes[0] > 0 && sizes[1] > 0 && sizes[2] > 0)) {
    fail(`inconsistent checkpoint: sizes [${sizes.join(', ')}] must all be positive`);
  }
  let bodyBytes = run.metaLength;
  for (let i = 0; i < MATRIX_NAMES.length; i++) {
    const name = MATRIX_NAMES[i];
    const { rows, cols } = matrixShape(name, sizes);
    const len = run.matrixLengths[i];
    if (len !== rows * cols) {
      fail(
        `inconsistent checkpoint: matrix ${name} has ${len} values, but sizes [${sizes.join(', ')}] need ${rows}×${cols} = ${rows * cols}`,
      );
    }
    bodyBytes += 2 * len;
  }
  if (RUN_STATE_BYTES + bodyBytes !== header.payloadLength) {
    fail(
      `inconsistent checkpoint: its matrices and meta need a ${RUN_STATE_BYTES + bodyBytes}-byte payload, the header says ${header.payloadLength}`,
    );
  }
  if ((run.rngState[0] | run.rngState[1] | run.rngState[2] | run.rngState[3]) === 0) {
    fail('inconsistent checkpoint: the PRNG state is all zero, which xoshiro128** cannot leave');
  }
  const body = bodySchema(run.matrixLengths, run.metaLength).read(reader);

  let metaText = '';
  try {
    metaText = utf8Decode(body.meta);
  } catch (e) {
    fail(`meta is not valid UTF-8: ${(e as Error).message}`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch (e) {
    fail(`meta is not valid JSON: ${(e as Error).message}`);
  }

  return {
    sizes,
    matrices: {
      w1: body.w1,
      w1c1: body.w1c1,
      w1c2: body.w1c2,
      w2: body.w2,
      w2c1: body.w2c1,
      w2c2: body.w2c2,
      w2tPos: body.w2tPos,
      w2tNeg: body.w2tNeg,
    },
    epoch: run.epoch,
    sampleInEpoch: run.sampleInEpoch,
    samplesTrained: run.samplesTrainedHi * TWO_32 + run.samplesTrainedLo,
    seed: run.seed,
    rngState: [run.rngState[0], run.rngState[1], run.rngState[2], run.rngState[3]],
    meta,
  };
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
}
