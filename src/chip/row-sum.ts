/**
 * The row-sum kernel: out[j] = sum over the selected rows r of w[r * rowLen + j]. It is the
 * dense part of spike delivery (the rows of the pre neurons that spiked, summed in weight
 * units) and of the dense inference path. The portable JavaScript implementation is the
 * reference; a host may inject a faster one (the Node CLI injects a WebAssembly SIMD
 * kernel) that a test proves identical.
 *
 * Arrays given to a kernel must come from its own alloc functions, so that a kernel working
 * in its own memory (WebAssembly) can read them without copying.
 */
export interface RowSumKernel {
  readonly name: string;
  allocInt16(n: number): Int16Array;
  allocInt32(n: number): Int32Array;
  allocFloat64(n: number): Float64Array;
  allocUint8(n: number): Uint8Array;
  /**
   * out[j] = sum_{q < count} w[(rows[first + q] - rowBase) * rowLen + j] for j < rowLen: out
   * is overwritten, or added to with `keep`. first and rowBase default to 0 (rows[0..count)
   * are row numbers). maxAbs, when given, is a bound the caller guarantees on |w| over the
   * selected rows; a kernel may then add in narrower integers where that provably cannot wrap
   * (the result is the same). Without it nothing is assumed.
   */
  sumRows(w: Int16Array, rowLen: number, rows: Int32Array, count: number, out: Int32Array, maxAbs?: number, first?: number, rowBase?: number, keep?: boolean): void;
  /**
   * Optional: the update of clean ranges of memoryless compartments sharing one prototype
   * (Compartments.updateRange without its counted slow path), bound once to a chip's state
   * arrays (all from this kernel's alloc functions); see RangeUpdate.
   */
  rangeUpdate?(u: Int32Array, v: Int32Array, ref: Uint8Array, stamp: Int32Array, spiked: Int32Array, refList: Int32Array, state: Int32Array): RangeUpdate;
  allocUint16(n: number): Uint16Array;
  /**
   * Optional: the update of listed compartments of memoryless prototypes (Compartments.updateListed's
   * shortcut), bound once to a chip's state; see ListUpdate.
   */
  listUpdate?(
    u: Int32Array, v: Int32Array, ref: Uint8Array, stamp: Int32Array, proto: Uint16Array, protoTable: Float64Array,
    cxCore: Uint16Array, coreActive: Float64Array, spiked: Int32Array, refList: Int32Array, state: Int32Array,
  ): ListUpdate;
}

/**
 * For cx = start, start + 1, ... while cx < end: q = acc[cx] + off + sums[cx - sumsBase] * sumScale;
 * if q < qLo or q > qHi it stops and returns cx with cx untouched; else acc[cx] = 0,
 * stamp[cx] = t, u[cx] = q, and
 *  - ref[cx] > 0 (refractory): v[cx] = 0, ref[cx] - 1, state[2] (held) += 1 if q !== 0;
 *  - else q + bias > vth: v[cx] = 0, ref[cx] = rd, spiked[state[0]++] = cx;
 *  - else v[cx] = q + bias;
 * and refList[state[1]++] = cx when the new ref[cx] > 0. Returns end when all are done.
 * spiked and refList need one element more than they can hold (stores are unconditional).
 * bias and vth are integers (a chip's are), which a kernel may take as 32-bit integers. u is
 * an Int32Array, so u[cx] = q truncates a fraction toward zero. With `integral` the caller
 * guarantees that every q is an integer (a kernel may then convert more cheaply).
 */
export type RangeUpdate = (
  acc: Float64Array, sums: Int32Array, sumsBase: number, start: number, end: number, t: number,
  off: number, sumScale: number, bias: number, vth: number, qLo: number, qHi: number, rd: number, integral: boolean,
) => number;

/**
 * For k = from, from + 1, ... while k < count, cx = list[k]: skipped if stamp[cx] === t;
 * otherwise, with p = proto[cx] and its row protoTable[6p .. 6p + 5] = (qLo, qHi, bias, vth,
 * rd, memoryless), and q = acc[cx]: if p is not memoryless or q is outside [qLo, qHi], it
 * stops and returns k with cx untouched; else it does what RangeUpdate does for one
 * compartment (state[0..2] as there), counts the visit in state[3] and, when timing,
 * coreActive[cxCore[cx]] += 1. Returns count when all are done.
 */
export type ListUpdate = (list: Int32Array, from: number, count: number, acc: Float64Array, t: number, timing: boolean) => number;

/** The reference implementation, in plain JavaScript. */
export const jsRowSumKernel: RowSumKernel = {
  name: 'js',
  allocInt16: (n) => new Int16Array(n),
  allocInt32: (n) => new Int32Array(n),
  allocFloat64: (n) => new Float64Array(n),
  allocUint8: (n) => new Uint8Array(n),
  allocUint16: (n) => new Uint16Array(n),
  sumRows(w, rowLen, rows, count, out, _maxAbs, first = 0, rowBase = 0, keep = false) {
    // (sums stay below 2^31: at most 2^23 rows of |w| <= 256; every addition is exact)
    if (!keep) for (let j = 0; j < rowLen; j++) out[j] = 0;
    const end = first + count;
    let q = first;
    // eight, then four rows at a time: out is read and written once per eight or four rows
    for (; q + 8 <= end; q += 8) {
      const o0 = (rows[q] - rowBase) * rowLen;
      const o1 = (rows[q + 1] - rowBase) * rowLen;
      const o2 = (rows[q + 2] - rowBase) * rowLen;
      const o3 = (rows[q + 3] - rowBase) * rowLen;
      const o4 = (rows[q + 4] - rowBase) * rowLen;
      const o5 = (rows[q + 5] - rowBase) * rowLen;
      const o6 = (rows[q + 6] - rowBase) * rowLen;
      const o7 = (rows[q + 7] - rowBase) * rowLen;
      for (let j = 0; j < rowLen; j++) {
        out[j] += w[o0 + j] + w[o1 + j] + (w[o2 + j] + w[o3 + j]) + (w[o4 + j] + w[o5 + j] + (w[o6 + j] + w[o7 + j]));
      }
    }
    for (; q + 4 <= end; q += 4) {
      const o0 = (rows[q] - rowBase) * rowLen;
      const o1 = (rows[q + 1] - rowBase) * rowLen;
      const o2 = (rows[q + 2] - rowBase) * rowLen;
      const o3 = (rows[q + 3] - rowBase) * rowLen;
      for (let j = 0; j < rowLen; j++) out[j] += w[o0 + j] + w[o1 + j] + (w[o2 + j] + w[o3 + j]);
    }
    for (; q < end; q++) {
      const off = (rows[q] - rowBase) * rowLen;
      for (let j = 0; j < rowLen; j++) out[j] += w[off + j];
    }
  },
};
