/**
 * The training checkpoint of a network with several hidden layers (docs/deep.md): the
 * one-layer checkpoint's envelope (checkpoint.ts: magic "SFCK", version, payload length,
 * CRC-32 trailer) with version 2 and a run state sized by the number of layers. One-layer
 * checkpoints stay version 1, written and read by checkpoint.ts.
 *
 * Layout, all integers little-endian:
 *
 *   header   magic "SFCK", version u32 = 2, payloadLength u32                  12 bytes
 *   payload  numSizes u32 (L + 2), sizes u32[numSizes] = [in, h1, ..., hL, out],
 *            epoch u32, sampleInEpoch u32, samplesTrained as u32 hi + u32 lo, seed u32,
 *            rngState u32[4], numMatrices u32, matrixLengths u32[numMatrices],
 *            metaLength u32;
 *            the plastic matrices as i16 arrays in deepMatrices order (w1, w1c1, w1c2, ...,
 *            w{L+1}c2, p2, m2, ..., p{L+1}, m{L+1}), each post×pre row-major;
 *            meta, metaLength bytes of UTF-8 JSON
 *   trailer  CRC-32 (IEEE) u32 of every byte before it
 *
 * Portable: no Node APIs.
 */
import { UserError } from '../errors';
import { crc32 } from '../io/crc32';
import { utf8Decode, utf8Encode } from '../io/utf8';
import { CHECKPOINT_MAGIC } from './checkpoint';
import { deepMatrices } from './deep';

export const DEEP_CHECKPOINT_VERSION = 2;

export interface DeepCheckpoint {
  sizes: number[];
  /** By deepMatrices name. */
  matrices: Record<string, Int16Array>;
  epoch: number;
  sampleInEpoch: number;
  samplesTrained: number;
  seed: number;
  /** The data PRNG's state at the start of the current epoch (before its permutation). */
  rngState: number[];
  meta: unknown;
}

const TWO_32 = 4294967296;

/** Rows x columns of each plastic matrix, in storage order. */
function shapes(sizes: number[]): Array<{ name: string; length: number }> {
  const L = sizes.length - 2;
  return deepMatrices(L).map((m) => {
    const rows = m.kind === 'w' ? sizes[m.layer] : sizes[m.layer - 1];
    const cols = m.kind === 'w' ? sizes[m.layer - 1] : sizes[m.layer];
    return { name: m.name, length: rows * cols };
  });
}

export function encodeDeepCheckpoint(c: DeepCheckpoint): Uint8Array {
  if (c.sizes.length < 4) throw new RangeError('encodeDeepCheckpoint: one hidden layer is a version-1 checkpoint (checkpoint.ts)');
  const list = shapes(c.sizes);
  const meta = utf8Encode(JSON.stringify(c.meta === undefined ? null : c.meta));
  let matrixBytes = 0;
  for (const s of list) {
    const m = c.matrices[s.name];
    if (!(m instanceof Int16Array) || m.length !== s.length) throw new RangeError(`encodeDeepCheckpoint: matrix ${s.name} needs ${s.length} values, got ${m ? m.length : 'none'}`);
    matrixBytes += 2 * s.length;
  }
  const runBytes = 4 * (1 + c.sizes.length + 5 + 4 + 1 + list.length + 1);
  const payloadLength = runBytes + matrixBytes + meta.length;
  const out = new Uint8Array(12 + payloadLength + 4);
  const v = new DataView(out.buffer);
  let at = 0;
  const u32 = (x: number) => {
    v.setUint32(at, x, true);
    at += 4;
  };
  for (let i = 0; i < 4; i++) out[at++] = CHECKPOINT_MAGIC.charCodeAt(i);
  u32(DEEP_CHECKPOINT_VERSION);
  u32(payloadLength);
  u32(c.sizes.length);
  for (const s of c.sizes) u32(s);
  u32(c.epoch);
  u32(c.sampleInEpoch);
  u32(Math.floor(c.samplesTrained / TWO_32));
  u32(c.samplesTrained % TWO_32);
  u32(c.seed);
  for (let i = 0; i < 4; i++) u32(c.rngState[i]);
  u32(list.length);
  for (const s of list) u32(s.length);
  u32(meta.length);
  for (const s of list) {
    const m = c.matrices[s.name];
    for (let i = 0; i < m.length; i++) {
      v.setInt16(at, m[i], true);
      at += 2;
    }
  }
  out.set(meta, at);
  at += meta.length;
  v.setUint32(at, crc32(out, 0, at), true);
  return out;
}

/** Parse and check a version-2 checkpoint; a UserError names the file and what is wrong. */
export function decodeDeepCheckpoint(bytes: Uint8Array, fileName: string): DeepCheckpoint {
  const fail = (msg: string): never => {
    throw new UserError(`${fileName}: ${msg}`);
  };
  const n = bytes.length;
  if (n < 16) fail(`too short to be a synfire checkpoint: ${n} bytes`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) fail(`not a synfire checkpoint (the file does not start with "${CHECKPOINT_MAGIC}")`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(4, true);
  if (version !== DEEP_CHECKPOINT_VERSION) fail(`checkpoint version ${version} is not one of several hidden layers (version ${DEEP_CHECKPOINT_VERSION}); resume a one-layer run without a --hidden list`);
  const payloadLength = v.getUint32(8, true);
  const crcAt = 12 + payloadLength;
  if (n !== crcAt + 4) fail(`truncated or padded checkpoint: expected ${crcAt + 4} bytes, got ${n}`);
  if (crc32(bytes, 0, crcAt) !== v.getUint32(crcAt, true)) fail('corrupted: CRC-32 mismatch');
  let at = 12;
  const u32 = (): number => {
    if (at + 4 > crcAt) fail('inconsistent checkpoint: the run state is longer than the payload');
    const x = v.getUint32(at, true);
    at += 4;
    return x;
  };
  const numSizes = u32();
  if (numSizes < 4 || numSizes > 64) fail(`inconsistent checkpoint: ${numSizes} layer sizes`);
  const sizes: number[] = [];
  for (let i = 0; i < numSizes; i++) sizes.push(u32());
  if (!sizes.every((s) => s > 0)) fail(`inconsistent checkpoint: sizes [${sizes.join(', ')}] must all be positive`);
  const epoch = u32();
  const sampleInEpoch = u32();
  const hi = u32();
  const samplesTrained = hi * TWO_32 + u32();
  const seed = u32();
  const rngState = [u32(), u32(), u32(), u32()];
  const list = shapes(sizes);
  const numMatrices = u32();
  if (numMatrices !== list.length) fail(`inconsistent checkpoint: ${numMatrices} matrices, sizes [${sizes.join(', ')}] need ${list.length}`);
  for (const s of list) {
    const len = u32();
    if (len !== s.length) fail(`inconsistent checkpoint: matrix ${s.name} has ${len} values, sizes [${sizes.join(', ')}] need ${s.length}`);
  }
  const metaLength = u32();
  let body = metaLength;
  for (const s of list) body += 2 * s.length;
  if (at + body !== crcAt) fail(`inconsistent checkpoint: its matrices and meta need ${at + body - 12} payload bytes, the header says ${payloadLength}`);
  const matrices: Record<string, Int16Array> = {};
  for (const s of list) {
    const m = new Int16Array(s.length);
    for (let i = 0; i < s.length; i++) {
      m[i] = v.getInt16(at, true);
      at += 2;
    }
    matrices[s.name] = m;
  }
  let meta: unknown = null;
  try {
    meta = JSON.parse(utf8Decode(bytes.subarray(at, at + metaLength)));
  } catch (e) {
    fail(`meta is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  return { sizes, matrices, epoch, sampleInEpoch, samplesTrained, seed, rngState, meta };
}
