/**
 * The firmware program (firmware-model/firmware.ts) on Node: on-device training equals the
 * integer oracle of the algorithm weight for weight; the flash image round-trips; a
 * truncated, corrupted or mismatched image is refused and the weights in use are kept;
 * inference of a training firmware equals the inference firmware's.
 */
import { describe, expect, it } from 'vitest';
import { Firmware, runLoop, type SampleResult } from '../firmware-model/firmware';
import { decodeFlashImage } from '../firmware-model/flash-image';
import { planMemory } from '../firmware-model/memory-plan';
import { Prng } from '../src/chip/prng';
import { UserError } from '../src/errors';
import { crc32 } from '../src/io/crc32';
import { initialWeights } from '../src/sbp/init';
import { newTrace, oracleTrain, type OracleState } from '../src/sbp/oracle';

const SIZES = { input: 16, hidden: 12, output: 4 };

function samples(seed: number, count: number): Array<{ input: Uint8Array; label: number }> {
  const rng = new Prng(seed);
  const out: Array<{ input: Uint8Array; label: number }> = [];
  for (let k = 0; k < count; k++) {
    const density = 0.1 + 0.6 * rng.nextFloat();
    const input = new Uint8Array(SIZES.input);
    for (let i = 0; i < input.length; i++) input[i] = rng.nextFloat() < density ? 1 : 0;
    out.push({ input, label: rng.nextInt(SIZES.output) });
  }
  return out;
}

function trainAll(fw: Firmware, data: Array<{ input: Uint8Array; label: number }>): SampleResult[] {
  const results: SampleResult[] = [];
  let i = 0;
  runLoop(fw, { next: () => (i < data.length ? data[i++] : null) }, { result: (r) => results.push({ ...r }) }, 'train');
  return results;
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('Firmware', () => {
  const data = samples(99, 40);

  it('trains on the chip exactly as the integer oracle does (weights in the flash image)', () => {
    const fw = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    const results = trainAll(fw, data);
    const w = initialWeights(SIZES, 5);
    const s: OracleState = { nin: 16, nhid: 12, nout: 4, w1: Int16Array.from(w.w1), w2: Int16Array.from(w.w2), p: Int16Array.from(w.w2tPos), m: Int16Array.from(w.w2tNeg) };
    const tr = newTrace(12, 4);
    for (let k = 0; k < data.length; k++) {
      oracleTrain(s, data[k].input, data[k].label, 'chip', tr);
      let first = -1;
      for (let c = 0; c < 4; c++) if (tr.o[c] && first < 0) first = c;
      expect(results[k].predicted).toBe(first);
      expect(results[k].index).toBe(k);
    }
    const img = decodeFlashImage(fw.snapshot(), SIZES, true);
    expect(Array.from(img.w1)).toEqual(Array.from(s.w1));
    expect(Array.from(img.w2)).toEqual(Array.from(s.w2));
    expect(Array.from(img.w2tPos)).toEqual(Array.from(s.p));
    expect(Array.from(img.w2tNeg)).toEqual(Array.from(s.m));
    expect(img.samplesTrained).toBe(40);
    expect(fw.samplesSeen).toBe(40);
    const c = fw.counters();
    expect(c.values[c.names.indexOf('learnVisits')]).toBeGreaterThan(0);
  });

  it('restores a snapshot into a fresh firmware and continues identically', () => {
    const a = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    trainAll(a, data.slice(0, 20));
    const b = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 1, image: a.snapshot() });
    trainAll(a, data.slice(20));
    trainAll(b, data.slice(20));
    expect(crc32(b.snapshot())).toBe(crc32(a.snapshot()));
  });

  it('refuses a truncated, corrupted or mismatched image and keeps its weights', () => {
    const fw = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    trainAll(fw, data.slice(0, 10));
    const good = fw.snapshot();
    const other = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 8 });
    const before = other.snapshot();
    const corrupt = good.slice();
    corrupt[100] ^= 0x04;
    const cases: Array<[Uint8Array, RegExp]> = [
      [good.subarray(0, good.length - 9), /^flash image: truncated: expected \d+ bytes, got \d+$/],
      [good.subarray(0, 20), /^flash image: truncated: 20 bytes/],
      [corrupt, /^flash image: corrupted: CRC-32 mismatch/],
      [new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: { input: 16, hidden: 10, output: 4 }, seed: 1 }).snapshot(), /holds a 16-10-4 network, this firmware runs 16-12-4/],
      [new Firmware({ board: 'esp32s3-psram', mode: 'infer', sizes: SIZES, seed: 1 }).snapshot(), /is an inference image/],
      [new Uint8Array([1, 2, 3, 4, 5]), /not a synfire flash image/],
    ];
    for (const [bytes, re] of cases) {
      const e = thrown(() => other.restore(bytes));
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toMatch(re);
      expect(Array.from(other.snapshot())).toEqual(Array.from(before));
    }
    other.restore(good);
    expect(Array.from(other.snapshot())).toEqual(Array.from(good));
  });

  it('infers with the inference network as a training firmware does with its weights', () => {
    const t = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    trainAll(t, data.slice(0, 30));
    const inf = new Firmware({ board: 'esp32s3-psram', mode: 'infer', sizes: SIZES, seed: 1, image: t.snapshot() });
    let agree = 0;
    for (const d of data) {
      const a = { ...t.infer(d.input, d.label) };
      const b = { ...inf.infer(d.input, d.label) };
      expect(b.predicted).toBe(a.predicted);
      expect(a.correct).toBe(a.predicted === d.label);
      agree++;
    }
    expect(agree).toBe(data.length);
    // the inference image keeps W1 and W2 and only them
    const img = decodeFlashImage(inf.snapshot(), SIZES, false);
    expect(img.w2tPos.length).toBe(0);
    expect(Array.from(img.w1)).toEqual(Array.from(decodeFlashImage(t.snapshot(), SIZES, true).w1));
  });

  it('refuses a network that cannot fit its heap: by the host\'s memory plan, or by its weights alone', () => {
    const sizes = { input: 100, hidden: 100, output: 10 };
    const plan = planMemory({ board: 'esp32', mode: 'train', sizes, engine: 'quickjs', bundleBytes: 1000 });
    expect(plan.fits).toBe(false);
    const e = thrown(() => new Firmware({ board: 'esp32', mode: 'train', sizes, seed: 1, heapBytes: plan.budgetBytes, plannedBytes: plan.totalBytes }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`100-100-10 train does not fit esp32: needs ${plan.totalBytes.toLocaleString('en-US')} B (memory plan), budget 245,760 B`);
    // without a plan: W1 400x400 in three Int16 copies is 960,000 B, more than the heap
    const big = thrown(() => new Firmware({ board: 'esp32', mode: 'train', sizes: { input: 400, hidden: 400, output: 10 }, seed: 1, heapBytes: 245760 }));
    expect(big.message).toBe(`400-400-10 train does not fit esp32: needs ${(2 * (3 * 400 * 400 + 5 * 10 * 400)).toLocaleString('en-US')} B (weights alone), budget 245,760 B`);
    // a plan that fits builds
    expect(new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 1, heapBytes: 7340032, plannedBytes: 1000000 }).need.bytes).toBe(1000000);
  });

  it('names bad configurations and samples', () => {
    expect(thrown(() => new Firmware({ board: 'esp32s3-psram', mode: 'fly' as 'train', sizes: SIZES, seed: 1 })).message).toMatch(/mode must be 'train' or 'infer'/);
    expect(thrown(() => new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: { input: 0, hidden: 1, output: 1 }, seed: 1 })).message).toMatch(/sizes.input must be an integer/);
    expect(thrown(() => new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 1, gating: 'chip' })).message).toBe("firmware: gating must be 'paper' or 'robust', got chip");
    expect(thrown(() => new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 1, reward: 'paper' })).message).toBe("firmware: reward must be 'chip' or 'host', got paper");
    const fw = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 1 });
    expect(thrown(() => fw.train(new Uint8Array(3), 0)).message).toBe('firmware: a sample has 16 inputs, got 3');
    expect(thrown(() => fw.train(new Uint8Array(16), 4)).message).toBe('firmware: label must be an integer 0..3, got 4');
    expect(fw.samplesSeen).toBe(0);
  });
});
