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
  /** out[j] = sum_{q < count} w[rows[q] * rowLen + j] for j < rowLen (out is overwritten). */
  sumRows(w: Int16Array, rowLen: number, rows: Int32Array, count: number, out: Int32Array): void;
}

/** The reference implementation, in plain JavaScript. */
export const jsRowSumKernel: RowSumKernel = {
  name: 'js',
  allocInt16: (n) => new Int16Array(n),
  allocInt32: (n) => new Int32Array(n),
  sumRows(w, rowLen, rows, count, out) {
    for (let j = 0; j < rowLen; j++) out[j] = 0;
    for (let q = 0; q < count; q++) {
      const off = rows[q] * rowLen;
      // sums stay below 2^31: at most 2^23 rows of |w| <= 256
      for (let j = 0; j < rowLen; j++) out[j] += w[off + j];
    }
  },
};
