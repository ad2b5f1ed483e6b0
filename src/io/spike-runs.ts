/**
 * Spike runs: the compact sample encoding of the serial protocol (hello encoding 2,
 * docs/protocol.md). Binary inputs such as thresholded MNIST digits are long runs of 0s and
 * 1s, so the input is sent as the lengths of its alternating runs, beginning with a run of
 * 0s (empty when the first unit spikes), each length L written as the Elias gamma code of
 * L + 1: floor(log2(L + 1)) zero bits, then L + 1 in binary from its leading 1. Bits are
 * packed most significant first; the last byte is padded with 0 bits.
 *
 * A tail exactly as long as the packed bits (`packBits`, 8 units a byte) IS the packed bits:
 * the sender uses runs only when they are shorter, so a sample never costs more than in
 * encoding 0 and the receiver tells the two apart by length alone.
 *
 * Portable: no Node APIs; plain loops (runs in QuickJS and Duktape).
 */
import { packBits, unpackBits } from './protocol';

/** Longest run length code: 16 leading zeros (run lengths up to 2^17 - 2). */
const MAX_ZEROS = 16;

/** Bytes of the packed-bits form of `units` inputs. */
export function packedBytes(units: number): number {
  return (units + 7) >> 3;
}

/** The spike-runs tail of `bits` (one 0/1 per unit): runs when shorter, else the packed bits. */
export function encodeSpikeRuns(bits: Uint8Array): Uint8Array {
  const limit = packedBytes(bits.length);
  const out = new Uint8Array(limit);
  let bitAt = 0;
  const put = (bit: number): boolean => {
    if (bitAt >= 8 * limit) return false;
    if (bit !== 0) out[bitAt >> 3] |= 0x80 >> (bitAt & 7);
    bitAt++;
    return true;
  };
  const putRun = (len: number): boolean => {
    const v = len + 1;
    let width = 0;
    while (Math.pow(2, width + 1) <= v) width++;
    for (let k = 0; k < width; k++) if (!put(0)) return false;
    for (let k = width; k >= 0; k--) if (!put(Math.floor(v / Math.pow(2, k)) % 2)) return false;
    return true;
  };
  let value = 0;
  let len = 0;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i] !== 0 ? 1 : 0;
    if (b === value) {
      len++;
      continue;
    }
    if (!putRun(len)) return packBits(bits);
    value = b;
    len = 1;
  }
  if (!putRun(len)) return packBits(bits);
  const n = (bitAt + 7) >> 3;
  return n < limit ? out.slice(0, n) : packBits(bits);
}

/**
 * Decodes a spike-runs tail into `out` (`out.length` units). False, with `out` unspecified,
 * when the tail is malformed: a code longer than 16 leading zeros, runs that overshoot or
 * fall short of the units, or bytes or non-zero padding left after the last run.
 */
export function decodeSpikeRuns(tail: Uint8Array, out: Uint8Array): boolean {
  const units = out.length;
  const packed = packedBytes(units);
  if (tail.length === packed) {
    out.set(unpackBits(tail, units));
    return true;
  }
  if (tail.length > packed) return false;
  const total = 8 * tail.length;
  let bitAt = 0;
  const get = (): number => ((tail[bitAt >> 3] >> (7 - (bitAt & 7))) & 1);
  let at = 0;
  let value = 0;
  while (at < units) {
    let zeros = 0;
    while (bitAt < total && get() === 0) {
      zeros++;
      bitAt++;
      if (zeros > MAX_ZEROS) return false;
    }
    if (bitAt + zeros + 1 > total) return false;
    let v = 0;
    for (let k = 0; k <= zeros; k++) {
      v = v * 2 + get();
      bitAt++;
    }
    const len = v - 1;
    if (at + len > units) return false;
    for (let k = 0; k < len; k++) out[at + k] = value;
    at += len;
    value = 1 - value;
  }
  // what is left must be padding: fewer than 8 bits, all 0
  if (total - bitAt >= 8) return false;
  while (bitAt < total) {
    if (get() !== 0) return false;
    bitAt++;
  }
  return true;
}
