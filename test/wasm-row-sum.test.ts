// The WebAssembly SIMD row-sum kernel must give exactly the results of the JavaScript reference
// kernel (and of a naive sum written here), for every row length (vector body and scalar tail),
// every row count (four-row blocks and the remainder), the chip's weight range and the extreme
// Int16 range, and for views that do not start at the arena's alignment boundaries. Its range
// update (four lanes at a time, one at a time for tails and out-of-interval inputs) and its
// list update must do exactly what their contracts say, element by element.
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/chip/prng';
import { jsRowSumKernel, type RowSumKernel } from '../src/chip/row-sum';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';

function wasmKernel(capacityBytes: number): RowSumKernel {
  const k = createWasmRowSumKernel(capacityBytes);
  if (k === null) throw new Error('Node 20 has WebAssembly SIMD, so the kernel must not be null');
  return k;
}

/** An independent naive sum over plain arrays. */
function naiveSum(w: ArrayLike<number>, rowLen: number, rows: ArrayLike<number>, count: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < rowLen; j++) {
    let s = 0;
    for (let q = 0; q < count; q++) s += w[rows[q] * rowLen + j];
    out.push(s);
  }
  return out;
}

const SENTINEL = 0x5a5a5a5a;
const GUARD = 9; // elements after out[rowLen - 1] that must stay untouched

/**
 * Runs one case on `wasm` with views offset from the allocations (so byteOffsets are not
 * 16-byte aligned), and compares with jsRowSumKernel on copies and with naiveSum.
 */
function checkCase(
  wasm: RowSumKernel, rng: Prng, rowLen: number, nRows: number, count: number, wMin: number, wMax: number,
  maxAbs?: number,
): void {
  const wOff = 1 + rng.nextInt(7);
  const rOff = 1 + rng.nextInt(3);
  const oOff = 1 + rng.nextInt(3);
  const w = wasm.allocInt16(wOff + nRows * rowLen).subarray(wOff);
  const rows = wasm.allocInt32(rOff + count).subarray(rOff);
  const outAll = wasm.allocInt32(oOff + rowLen + GUARD);
  const out = outAll.subarray(oOff, oOff + rowLen);
  for (let i = 0; i < w.length; i++) w[i] = wMin + rng.nextInt(wMax - wMin + 1);
  for (let q = 0; q < count; q++) rows[q] = rng.nextInt(nRows); // repeats allowed
  outAll.fill(SENTINEL); // stale contents must be overwritten, neighbours left alone

  wasm.sumRows(w, rowLen, rows, count, out, maxAbs);

  const jsW = jsRowSumKernel.allocInt16(w.length);
  jsW.set(w);
  const jsRows = jsRowSumKernel.allocInt32(count);
  jsRows.set(rows.subarray(0, count));
  const jsOut = jsRowSumKernel.allocInt32(rowLen);
  jsRowSumKernel.sumRows(jsW, rowLen, jsRows, count, jsOut);

  const label = `rowLen ${rowLen}, count ${count}, weights ${wMin}..${wMax}, maxAbs ${maxAbs}`;
  expect(Array.from(out), label).toEqual(Array.from(jsOut));
  expect(Array.from(out), label).toEqual(naiveSum(w, rowLen, rows, count));
  for (let i = 0; i < oOff; i++) expect(outAll[i], `${label}: guard before out`).toBe(SENTINEL);
  for (let i = oOff + rowLen; i < outAll.length; i++) expect(outAll[i], `${label}: guard after out`).toBe(SENTINEL);
}

describe('wasm SIMD row-sum kernel', () => {
  it('is available on Node and hands out zeroed, 16-byte-aligned views of one fixed memory', () => {
    const k = wasmKernel(1 << 16);
    expect(k.name).not.toBe('js');
    const a = k.allocInt16(3);
    const b = k.allocInt32(5);
    const c = k.allocInt16(0);
    const d = k.allocInt32(7);
    for (const v of [a, b, c, d]) expect(v.byteOffset % 16).toBe(0);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + a.byteLength);
    expect(d.byteOffset).toBeGreaterThanOrEqual(b.byteOffset + b.byteLength);
    expect(Array.from(d)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('matches the JS kernel for rowLen 1..41, 400, 784 and counts 0..300, chip weights -256..255', () => {
    const wasm = wasmKernel(64 << 20);
    const rng = new Prng(20240917);
    const rowLens = [...Array.from({ length: 41 }, (_, i) => i + 1), 400, 784];
    for (const rowLen of rowLens) {
      // every count 0..9 (the four-row blocks, the 1..3 remainder rows) and a few large ones
      const counts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17 + rng.nextInt(100), 150, 299, 300];
      for (const count of counts) checkCase(wasm, rng, rowLen, 1 + rng.nextInt(40), count, -256, 255);
    }
  });

  it('with a bound on |w| (eight rows added in i16 lanes up to 4095) matches the JS kernel', () => {
    const wasm = wasmKernel(64 << 20);
    const rng = new Prng(4095);
    for (const rowLen of [1, 7, 8, 9, 10, 15, 16, 17, 33, 400]) {
      // every count 0..25 (eight-row blocks, then four-row blocks and single rows) and larger ones
      const counts = [...Array.from({ length: 26 }, (_, i) => i), 130, 299];
      for (const count of counts) {
        checkCase(wasm, rng, rowLen, 1 + rng.nextInt(40), count, -256, 255, 256);
        checkCase(wasm, rng, rowLen, 1 + rng.nextInt(40), count, -4095, 4095, 4095);
        // a bound above 4095 must not take the narrow path: extreme weights would wrap in i16
        checkCase(wasm, rng, rowLen, 1 + rng.nextInt(40), count, -32768, 32767, 32768);
      }
    }
    // all selected weights at +-4095 (the largest narrow sums, 8 * 4095 = 32760 in an i16
    // lane) and at +-4096 with the bound said truthfully (must take the wide path)
    for (const value of [-4095, 4095, -4096, 4096]) {
      const rowLen = 19;
      const w = wasm.allocInt16(2 * rowLen).fill(value);
      const rows = wasm.allocInt32(27);
      for (let q = 0; q < rows.length; q++) rows[q] = q % 2;
      const out = wasm.allocInt32(rowLen);
      wasm.sumRows(w, rowLen, rows, rows.length, out, Math.abs(value));
      expect(Array.from(out), `value ${value}`).toEqual(new Array<number>(rowLen).fill(27 * value));
    }
  });

  it('takes rows from an offset, as row numbers plus a base, and adds to out when asked (both kernels)', () => {
    const wasm = wasmKernel(16 << 20);
    const rng = new Prng(31);
    for (let trial = 0; trial < 300; trial++) {
      const rowLen = 1 + rng.nextInt(40);
      const nRows = 1 + rng.nextInt(30);
      const count = rng.nextInt(25);
      const first = rng.nextInt(6);
      const rowBase = rng.nextInt(3) === 0 ? 0 : rng.nextInt(100000);
      const keep = rng.nextInt(2) === 1;
      const maxAbs = rng.nextInt(2) === 0 ? 256 : undefined;
      const kernels = [wasm, jsRowSumKernel];
      const ws = kernels.map((k) => k.allocInt16(nRows * rowLen));
      const rowsOf = kernels.map((k) => k.allocInt32(first + count + 2));
      const outs = kernels.map((k) => k.allocInt32(rowLen));
      for (let i = 0; i < nRows * rowLen; i++) {
        const x = -256 + rng.nextInt(512);
        for (const w of ws) w[i] = x;
      }
      const picked: number[] = [];
      for (let q = 0; q < first + count + 2; q++) {
        const r = rng.nextInt(nRows);
        if (q >= first && q < first + count) picked.push(r);
        for (const rows of rowsOf) rows[q] = r + rowBase;
      }
      const start = Array.from({ length: rowLen }, () => rng.nextInt(2001) - 1000);
      for (const out of outs) out.set(start);
      kernels.forEach((k, i) => k.sumRows(ws[i], rowLen, rowsOf[i], count, outs[i], maxAbs, first, rowBase, keep));
      const sums = naiveSum(ws[1], rowLen, picked, count);
      const expected = sums.map((x, j) => x + (keep ? start[j] : 0));
      const label = `trial ${trial}: rowLen ${rowLen}, count ${count}, first ${first}, rowBase ${rowBase}, keep ${keep}`;
      expect(Array.from(outs[0]), label).toEqual(expected);
      expect(Array.from(outs[1]), label).toEqual(expected);
    }
  });

  it('matches the JS kernel on the extreme Int16 range -32768..32767 with few rows', () => {
    const wasm = wasmKernel(8 << 20);
    const rng = new Prng(7);
    for (const rowLen of [1, 7, 8, 9, 15, 16, 17, 33, 400]) {
      for (let count = 0; count <= 12; count++) checkCase(wasm, rng, rowLen, 6, count, -32768, 32767);
    }
    // all weights at the two extremes: sign extension and the largest sums
    for (const value of [-32768, 32767]) {
      const rowLen = 13;
      const w = wasm.allocInt16(2 * rowLen).fill(value);
      const rows = wasm.allocInt32(11);
      for (let q = 0; q < rows.length; q++) rows[q] = q % 2;
      const out = wasm.allocInt32(rowLen);
      wasm.sumRows(w, rowLen, rows, rows.length, out);
      expect(Array.from(out)).toEqual(new Array<number>(rowLen).fill(11 * value));
    }
  });

  it('throws a clear error when the arena is full, and keeps earlier views attached', () => {
    const capacity = 100_000;
    const k = wasmKernel(capacity);
    const first = k.allocInt16(capacity / 2); // the promised capacity fits
    first[0] = 123;
    expect(() => k.allocInt32(1 << 20)).toThrow(/arena full/);
    let total = first.byteLength;
    let thrown: unknown = null;
    for (let i = 0; i < 1000 && thrown === null; i++) {
      try {
        total += k.allocInt32(1000).byteLength;
      } catch (e) {
        thrown = e;
      }
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(String((thrown as Error).message)).toMatch(/arena full.*allocInt32\(1000\).*capacityBytes/);
    expect(total).toBeGreaterThanOrEqual(capacity);
    expect(first.byteLength).toBe(capacity); // not detached: memory never grew
    expect(first[0]).toBe(123);
    expect(() => k.allocInt16(-1)).toThrow(/non-negative integer/);
  });

  it('range update: equals the contract written out here, on random ranges, offsets, refractory states, out-of-interval and fractional inputs', () => {
    const rng = new Prng(77);
    const n = 300;
    const k = wasmKernel(1 << 20);
    const acc = k.allocFloat64(n), u = k.allocInt32(n), v = k.allocInt32(n), ref = k.allocUint8(n), stamp = k.allocInt32(n);
    const spiked = k.allocInt32(n + 1), refList = k.allocInt32(n + 1), state = k.allocInt32(4), sums = k.allocInt32(n);
    const update = k.rangeUpdate!(u, v, ref, stamp, spiked, refList, state);
    for (let trial = 0; trial < 150; trial++) {
      const start = rng.nextInt(40);
      const end = start + rng.nextInt(n - start - 8);
      const bias = -8192 * 64 + rng.nextInt(3) * 4000;
      const vth = 1024 * 64;
      const qLo = Math.max(-(2 ** 21), -(2 ** 23 - 1) - bias);
      const qHi = Math.min(2 ** 21 - 1, 2 ** 23 - 1 - bias);
      const off = rng.nextInt(3) === 0 ? 0 : 8704 * 64;
      const sumScale = rng.nextInt(2) * 64;
      const rd = rng.nextInt(3);
      // a third of the trials have fractional inputs (not integral: the kernel must not assume)
      const integral = trial % 3 !== 0;
      for (let i = 0; i < n; i++) {
        acc[i] = rng.nextInt(4) === 0 ? 0 : (rng.nextInt(200000) - 100000) * (rng.nextInt(40) === 0 ? 64 : 1);
        if (!integral && rng.nextInt(2) === 0) acc[i] = acc[i] / 4 + (rng.nextInt(2) === 0 ? bias % 3 : 0) + rng.nextInt(3) / 4;
        sums[i] = rng.nextInt(3000) - 1000;
        ref[i] = rng.nextInt(4) === 0 ? 1 + rng.nextInt(3) : 0;
        u[i] = v[i] = stamp[i] = -1;
      }
      const before = { acc: Array.from(acc), ref: Array.from(ref) };
      state[0] = 3;
      state[1] = 4;
      state[2] = 0;
      const stop = update(acc, sums, start, start, end, trial + 1, off, sumScale, bias, vth, qLo, qHi, rd, integral);
      // (Int32Array stores truncate toward zero; + 0 turns -0 into 0)
      const int = (x: number) => Math.trunc(x) + 0;
      // the contract, element by element
      const e = { spiked: [] as number[], refList: [] as number[], held: 0 };
      let cx = start;
      for (; cx < end; cx++) {
        const q = before.acc[cx] + off + sums[cx - start] * sumScale;
        if (q < qLo || q > qHi) break;
        expect([cx, acc[cx], stamp[cx], u[cx]]).toEqual([cx, 0, trial + 1, int(q)]);
        const r = before.ref[cx];
        let nr: number;
        if (r > 0) {
          if (q !== 0) e.held++;
          expect([cx, v[cx]]).toEqual([cx, 0]);
          nr = r - 1;
        } else if (q + bias > vth) {
          expect([cx, v[cx]]).toEqual([cx, 0]);
          e.spiked.push(cx);
          nr = rd;
        } else {
          expect([cx, v[cx]]).toEqual([cx, int(q + bias)]);
          nr = 0;
        }
        expect([cx, ref[cx]]).toEqual([cx, nr]);
        if (nr > 0) e.refList.push(cx);
      }
      expect(stop).toBe(cx);
      // untouched from the stop on
      for (let i = cx; i < n; i++) if (i >= start) expect([i, acc[i], stamp[i], ref[i]]).toEqual([i, before.acc[i], -1, before.ref[i]]);
      expect([state[0], state[1], state[2]]).toEqual([3 + e.spiked.length, 4 + e.refList.length, e.held]);
      expect(Array.from(spiked.subarray(3, state[0]))).toEqual(e.spiked);
      expect(Array.from(refList.subarray(4, state[1]))).toEqual(e.refList);
    }
  });

  it('list update: equals its contract, with stamped, repeated, non-memoryless and out-of-interval entries', () => {
    const rng = new Prng(78);
    const n = 200;
    const np = 3;
    const k = wasmKernel(1 << 20);
    const acc = k.allocFloat64(n), u = k.allocInt32(n), v = k.allocInt32(n), ref = k.allocUint8(n), stamp = k.allocInt32(n);
    const proto = k.allocUint16(n), cxCore = k.allocUint16(n), coreActive = k.allocFloat64(4), table = k.allocFloat64(6 * np);
    const spiked = k.allocInt32(n + 1), refList = k.allocInt32(n + 1), state = k.allocInt32(4), list = k.allocInt32(3 * n);
    // prototypes: two memoryless (different bias, threshold, refractory), one not
    const rows = [
      [-(2 ** 21), 2 ** 21 - 1, -524288, 65536, 1, 1],
      [-(2 ** 21), 2 ** 21 - 1 - 100000, 100000, 4096, 0, 1],
      [-(2 ** 21), 2 ** 21 - 1, 0, 65536, 2, 0],
    ];
    rows.forEach((r, p) => table.set(r, 6 * p));
    const update = k.listUpdate!(u, v, ref, stamp, proto, table, cxCore, coreActive, spiked, refList, state);
    for (let trial = 0; trial < 150; trial++) {
      const t = trial + 10;
      for (let i = 0; i < n; i++) {
        acc[i] = rng.nextInt(5) === 0 ? 0 : (rng.nextInt(2000000) - 1000000) * (rng.nextInt(100) === 0 ? 8 : 1);
        ref[i] = rng.nextInt(4) === 0 ? 1 + rng.nextInt(3) : 0;
        proto[i] = rng.nextInt(40) === 0 ? 2 : rng.nextInt(2);
        cxCore[i] = rng.nextInt(4);
        stamp[i] = rng.nextInt(6) === 0 ? t : t - 1;
        u[i] = v[i] = -1;
      }
      coreActive.fill(0);
      const count = rng.nextInt(3 * n);
      for (let q = 0; q < count; q++) list[q] = rng.nextInt(n);
      const from = rng.nextInt(5);
      const timing = rng.nextInt(2) === 0;
      const before = { acc: Array.from(acc), ref: Array.from(ref), stamp: Array.from(stamp) };
      state.set([2, 3, 0, 0]);
      const stop = update(list, from, count, acc, t, timing);
      // the contract, entry by entry
      const seen = new Set<number>();
      const e = { spiked: [] as number[], refList: [] as number[], held: 0, visits: 0, active: [0, 0, 0, 0] };
      let q = from;
      for (; q < count; q++) {
        const cx = list[q];
        if (before.stamp[cx] === t || seen.has(cx)) continue;
        const [qLo, qHi, bias, vth, rd, mless] = rows[proto[cx]];
        const x = before.acc[cx];
        if (!mless || x < qLo || x > qHi) break;
        seen.add(cx);
        expect([cx, acc[cx], stamp[cx], u[cx]]).toEqual([cx, 0, t, x]);
        const r = before.ref[cx];
        let nr: number;
        if (r > 0) {
          if (x !== 0) e.held++;
          expect([cx, v[cx]]).toEqual([cx, 0]);
          nr = r - 1;
        } else if (x + bias > vth) {
          expect([cx, v[cx]]).toEqual([cx, 0]);
          e.spiked.push(cx);
          nr = rd;
        } else {
          expect([cx, v[cx]]).toEqual([cx, x + bias]);
          nr = 0;
        }
        expect([cx, ref[cx]]).toEqual([cx, nr]);
        if (nr > 0) e.refList.push(cx);
        e.visits++;
        if (timing) e.active[cxCore[cx]]++;
      }
      expect(stop).toBe(q);
      if (q < count) expect([acc[list[q]], stamp[list[q]]]).toEqual([before.acc[list[q]], before.stamp[list[q]]]);
      expect(Array.from(state)).toEqual([2 + e.spiked.length, 3 + e.refList.length, e.held, e.visits]);
      expect(Array.from(spiked.subarray(2, state[0]))).toEqual(e.spiked);
      expect(Array.from(refList.subarray(3, state[1]))).toEqual(e.refList);
      expect(Array.from(coreActive)).toEqual(e.active);
    }
  });

  it('rejects arrays that are not its own', () => {
    const k = wasmKernel(1 << 16);
    const w = k.allocInt16(8);
    const rows = k.allocInt32(1);
    expect(() => k.sumRows(w, 8, rows, 1, new Int32Array(8))).toThrow(/must come from this kernel/);
    expect(() => k.sumRows(w, 8, rows, 1, k.allocInt32(4))).toThrow(/exceeds out/);
    expect(() => k.sumRows(w, 8, rows, rows.length, k.allocInt32(8), undefined, 1)).toThrow(/first 1, count/);
  });

  it('is not slower than the JS kernel for 150 rows x 400 columns', () => {
    const nRows = 784;
    const rowLen = 400;
    const count = 150;
    const rng = new Prng(99);
    const wasm = wasmKernel(nRows * rowLen * 2 + (1 << 16));
    const setup = (k: RowSumKernel) => {
      const w = k.allocInt16(nRows * rowLen);
      const rows = k.allocInt32(count);
      const out = k.allocInt32(rowLen);
      return { w, rows, out };
    };
    const a = setup(jsRowSumKernel);
    const b = setup(wasm);
    for (let i = 0; i < a.w.length; i++) a.w[i] = b.w[i] = rng.nextInt(512) - 256;
    const perm = rng.permutation(nRows);
    for (let q = 0; q < count; q++) a.rows[q] = b.rows[q] = perm[q];

    const nsPerElement = (k: RowSumKernel, x: { w: Int16Array; rows: Int32Array; out: Int32Array }) => {
      const calls = 400;
      for (let i = 0; i < calls; i++) k.sumRows(x.w, rowLen, x.rows, count, x.out); // warm up / tier up
      const samples: number[] = [];
      for (let round = 0; round < 5; round++) {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) k.sumRows(x.w, rowLen, x.rows, count, x.out);
        samples.push(((performance.now() - t0) * 1e6) / (calls * count * rowLen));
      }
      samples.sort((p, q) => p - q);
      return samples[2]; // median
    };
    const jsNs = nsPerElement(jsRowSumKernel, a);
    const wasmNs = nsPerElement(wasm, b);
    console.log(
      `row-sum 150x400: js ${jsNs.toFixed(3)} ns/element, wasm-simd ${wasmNs.toFixed(3)} ns/element ` +
        `(${(jsNs / wasmNs).toFixed(1)}x)`,
    );
    expect(Array.from(b.out)).toEqual(Array.from(a.out));
    expect(wasmNs).toBeLessThanOrEqual(jsNs);
  });
});
