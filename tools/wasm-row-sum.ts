/**
 * The WebAssembly SIMD row-sum kernel for Node (the hand-written tools/wasm/row-sum.wat,
 * embedded as base64 in tools/wasm/row-sum.wasm.ts). It computes exactly what jsRowSumKernel
 * computes (test/wasm-row-sum.test.ts proves it) at a fraction of the time per element.
 *
 * Memory: the arrays a caller works on must live in the module's linear memory, so the kernel
 * owns an arena of fixed size, allocated once when the kernel is created and never grown
 * (growing a WebAssembly memory detaches every typed-array view on it). allocInt16/allocInt32
 * hand out zeroed, 16-byte-aligned views from it with a bump allocator; nothing is ever freed,
 * and an allocation that does not fit throws.
 */
import type { RowSumKernel } from '../src/chip/row-sum';
import { ROW_SUM_WASM_BASE64 } from './wasm/row-sum.wasm';

/** The few parts of the WebAssembly JS API used here (tsconfig's lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const PAGE_BYTES = 65536;
/** Wasm32 memories hold at most 2^16 pages (4 GiB). */
const MAX_PAGES = 65536;
/** The largest |w| for which sum_rows may add eight rows in i16 lanes: 8 * 4095 = 32760 < 2^15. */
const NARROW_MAX = 4095;
/** Integer parameters the module takes as i32 must be below this in magnitude (2^31). */
const I32_LIMIT = 2147483648;
/** Every allocation starts on a 16-byte boundary (one v128). */
const ALIGN = 16;
/** Slack beyond capacityBytes, for alignment padding between allocations. */
const RESERVE_BYTES = 4096;

/**
 * Creates a WebAssembly SIMD row-sum kernel whose arena holds at least `capacityBytes` bytes of
 * arrays (plus a small reserve for alignment padding). Returns null when this JavaScript engine
 * has no WebAssembly or no WebAssembly SIMD.
 */
export function createWasmRowSumKernel(capacityBytes: number): RowSumKernel | null {
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
    throw new Error(`createWasmRowSumKernel: capacityBytes must be a non-negative integer, got ${capacityBytes}`);
  }
  const pages = Math.max(1, Math.ceil((capacityBytes + RESERVE_BYTES) / PAGE_BYTES));
  if (pages > MAX_PAGES) {
    throw new Error(`createWasmRowSumKernel: capacityBytes ${capacityBytes} exceeds the 4 GiB of a wasm32 memory`);
  }

  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  const bytes = base64Bytes(ROW_SUM_WASM_BASE64);
  if (!wasm.validate(bytes)) return null; // no SIMD (or bulk memory) in this engine
  const instance = new wasm.Instance(new wasm.Module(bytes), {});
  const memory = instance.exports.memory as WasmMemory;
  const sumRowsWasm = instance.exports.sum_rows as (
    wPtr: number, rowLen: number, rowsPtr: number, count: number, outPtr: number, narrow: number, keep: number,
  ) => void;

  const visitRangeWasm = instance.exports.visit_range as (...args: number[]) => number;
  const visitListWasm = instance.exports.visit_list as (...args: number[]) => number;
  // Byte offsets of views already checked to be on this kernel's memory: a chip passes the
  // same few arrays over and over, and reading .buffer / .byteOffset on every call costs more
  // than the lookup.
  const checked = new WeakMap<object, number>();
  const ptr = (a: Int16Array | Int32Array | Float64Array, what: string): number => {
    let p = checked.get(a);
    if (p === undefined) {
      if (a.buffer !== buffer) throw new Error(`wasm row-sum kernel: ${what} arrays must come from this kernel's alloc functions`);
      p = a.byteOffset;
      checked.set(a, p);
    }
    return p;
  };

  // The one and only growth, before any view exists: the module declares a 1-page memory.
  const have = memory.buffer.byteLength / PAGE_BYTES;
  if (pages > have) memory.grow(pages - have);
  const buffer = memory.buffer;
  const arenaBytes = buffer.byteLength;
  let next = 0; // bump pointer: the first free byte

  function alloc(n: number, bytesPer: number, what: string): number {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new Error(`wasm row-sum kernel: ${what}(${n}): length must be a non-negative integer`);
    }
    const start = Math.ceil(next / ALIGN) * ALIGN;
    const end = start + n * bytesPer;
    if (end > arenaBytes) {
      throw new Error(
        `wasm row-sum kernel: arena full: ${what}(${n}) needs ${n * bytesPer} bytes at offset ${start}, ` +
          `but the arena has ${arenaBytes} bytes (${arenaBytes - next} free); ` +
          `create the kernel with a larger capacityBytes`,
      );
    }
    next = end;
    return start;
  }

  return {
    name: 'wasm-simd',
    allocInt16: (n) => new Int16Array(buffer, alloc(n, 2, 'allocInt16'), n),
    allocInt32: (n) => new Int32Array(buffer, alloc(n, 4, 'allocInt32'), n),
    allocFloat64: (n) => new Float64Array(buffer, alloc(n, 8, 'allocFloat64'), n),
    allocUint8: (n) => new Uint8Array(buffer, alloc(n, 1, 'allocUint8'), n),
    allocUint16: (n) => new Uint16Array(buffer, alloc(n, 2, 'allocUint16'), n),
    sumRows(w, rowLen, rows, count, out, maxAbs, first = 0, rowBase = 0, keep = false) {
      // Cheap per-call guards (the hot work is count * rowLen): the views must be this
      // kernel's, and the lengths must cover what the module will touch.
      const pw = ptr(w, 'sumRows');
      const pr = ptr(rows, 'sumRows');
      const po = ptr(out, 'sumRows');
      if (!(rowLen >= 0 && rowLen <= out.length && count >= 0 && first >= 0 && first + count <= rows.length)) {
        throw new Error(
          `wasm row-sum kernel: sumRows(rowLen ${rowLen}, first ${first}, count ${count}) exceeds out (${out.length}) or rows (${rows.length})`,
        );
      }
      // rows[first + q] - rowBase: rows advanced by `first` entries and w moved back by rowBase
      // rows (the module's address arithmetic is mod 2^32, so w's offset may wrap below 0)
      // |w| <= NARROW_MAX lets the module add eight rows in i16 lanes (8 * 4095 < 2^15)
      sumRowsWasm(pw - 2 * rowLen * rowBase, rowLen, pr + 4 * first, count, po, maxAbs !== undefined && maxAbs <= NARROW_MAX ? 1 : 0, keep ? 1 : 0);
    },
    listUpdate(u, v, ref, stamp, proto, protoTable, cxCore, coreActive, spiked, refList, state) {
      for (const a of [u, v, ref, stamp, proto, protoTable, cxCore, coreActive, spiked, refList, state]) {
        if (a.buffer !== buffer) throw new Error('wasm row-sum kernel: listUpdate arrays must come from this kernel\'s alloc functions');
      }
      const n = Math.min(u.length, v.length, ref.length, stamp.length, proto.length, cxCore.length);
      if (state.length < 4) throw new Error('wasm row-sum kernel: listUpdate state needs 4 counts');
      // each compartment is updated at most once a step (stamps), so n + 1 entries always hold
      // a step's spikes and refractory ones, spare element included
      if (spiked.length <= n || refList.length <= n) throw new Error('wasm row-sum kernel: listUpdate spiked and refList need n + 1 entries');
      const ptrs = [u.byteOffset, v.byteOffset, ref.byteOffset, stamp.byteOffset, proto.byteOffset, protoTable.byteOffset, cxCore.byteOffset, coreActive.byteOffset];
      const [pu, pv, pr, ps, pp, ptab, pc, pca] = ptrs;
      const pk = spiked.byteOffset;
      const pl = refList.byteOffset;
      const pst = state.byteOffset;
      return (list, from, count, acc, t, timing) => {
        const pList = ptr(list, 'list update');
        const pAcc = ptr(acc, 'list update');
        // (the list's entries index the bound arrays: the chip fills it with compartment ids < n)
        if (!(from >= 0 && count <= list.length && acc.length >= n)) {
          throw new Error(`wasm row-sum kernel: list update (${from}, ${count}) exceeds its arrays`);
        }
        return visitListWasm(pList, from, count, pAcc, pu, pv, pr, ps, pp, ptab, pc, pca, timing ? 1 : 0, t, pk, pl, pst);
      };
    },
    rangeUpdate(u, v, ref, stamp, spiked, refList, state) {
      for (const a of [u, v, ref, stamp, spiked, refList, state]) {
        if (a.buffer !== buffer) throw new Error('wasm row-sum kernel: rangeUpdate arrays must come from this kernel\'s alloc functions');
      }
      const n = Math.min(u.length, v.length, ref.length, stamp.length);
      const pu = u.byteOffset;
      const pv = v.byteOffset;
      const pr = ref.byteOffset;
      const ps = stamp.byteOffset;
      const pk = spiked.byteOffset;
      const pl = refList.byteOffset;
      const pst = state.byteOffset;
      return (acc, sums, sumsBase, start, end, t, off, sumScale, bias, vth, qLo, qHi, rd, integral) => {
        const pAcc = ptr(acc, 'range update');
        const pSums = ptr(sums, 'range update');
        if (!(start >= 0 && end <= n && end <= acc.length && start >= sumsBase && end - sumsBase <= sums.length &&
          end - start < spiked.length - state[0] && end - start < refList.length - state[1])) {
          throw new Error(`wasm row-sum kernel: range update (${start}, ${end}) exceeds its arrays`);
        }
        // (the module takes bias and vth as i32: a chip's are integers far below 2^31)
        if (!(Math.floor(bias) === bias && Math.floor(vth) === vth && Math.abs(bias) < I32_LIMIT && Math.abs(vth) < I32_LIMIT)) {
          throw new Error(`wasm row-sum kernel: range update needs integer bias and vth below 2^31, got ${bias} and ${vth}`);
        }
        return visitRangeWasm(pAcc, pu, pv, pr, ps, pSums, sumsBase, start, end, t, off, sumScale, bias, vth, qLo, qHi, rd, pk, pl, pst, integral ? 1 : 0);
      };
    },
  };
}

/** Decodes base64 into a fresh byte array. */
function base64Bytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
