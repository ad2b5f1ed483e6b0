/**
 * The 4-phase inference network (docs/sbp-network.md) on the chip equals the dense integer
 * forward pass h = [W1x > 512], out = W2.h, o = [out > 512], spike for spike (o) and
 * potential for potential (out); and the paper's metrics on hand-made cases.
 */
import { describe, expect, it } from 'vitest';
import { Op } from '../src/chip/counters';
import { Prng } from '../src/chip/prng';
import { loadDataset } from '../src/data/datasets';
import { sampleBits, type SpikeDataset } from '../src/data/preprocess';
import type { SbpWeights } from '../src/sbp/matrices';
import { DenseInference, denseForward, evaluateDense, MetricsAccumulator, SbpInferenceChip } from '../src/sbp/inference';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';
import { initialWeights } from '../src/sbp/init';
import { newTrace, oracleTrain, type OracleState } from '../src/sbp/oracle';
import type { SbpSizes } from '../src/sbp/topology';
import { MNIST_SIZES } from './fixtures';

const SIZES: SbpSizes = MNIST_SIZES;
const TEST_IMAGES = 600;

/** Weights after `n` oracle training samples from rand_He initialization ("trained-ish"). */
function trainedWeights(train: SpikeDataset, seed: number, n: number): SbpWeights {
  const w = initialWeights(SIZES, seed);
  const s: OracleState = { nin: 400, nhid: 400, nout: 10, w1: w.w1.slice(), w2: w.w2.slice(), p: w.w2tPos.slice(), m: w.w2tNeg.slice() };
  const tr = newTrace(400, 10);
  const x = new Uint8Array(400);
  for (let k = 0; k < n; k++) {
    sampleBits(train, k, x);
    oracleTrain(s, x, train.labels[k], 'chip', tr);
  }
  return { sizes: [400, 400, 10], w1: s.w1, w2: s.w2, w2tPos: s.p, w2tNeg: s.m };
}

/** Uniformly random even weights in [-254, 254] (far from trained, much larger sums). */
function uniformWeights(seed: number): SbpWeights {
  const rng = new Prng(seed);
  const even = () => -254 + 2 * rng.nextInt(255);
  const w1 = Int16Array.from({ length: 400 * 400 }, even);
  const w2 = Int16Array.from({ length: 10 * 400 }, even);
  return { sizes: [400, 400, 10], w1, w2, w2tPos: new Int16Array(4000), w2tNeg: new Int16Array(4000) };
}

/** Runs the chip and the dense pass on the first `n` images; returns what it compared. */
function compareChipDense(test: SpikeDataset, w: SbpWeights, n: number) {
  const chip = new SbpInferenceChip(SIZES, w.w1, w.w2);
  const oc = new Uint8Array(10);
  const outc = new Float64Array(10);
  const h = new Uint8Array(400);
  const od = new Uint8Array(10);
  const outd = new Float64Array(10);
  let spikes = 0;
  const distinctOut = new Set<number>();
  for (let s = 0; s < n; s++) {
    const a = test.offsets[s];
    const b = test.offsets[s + 1];
    const hiddenChip = chip.inferSample(test.indices, a, b, oc, outc);
    denseForward(SIZES, w.w1, w.w2, test.indices, a, b, h, outd, od);
    let hiddenDense = 0;
    for (let j = 0; j < 400; j++) hiddenDense += h[j];
    if (hiddenChip !== hiddenDense) throw new Error(`image ${s}: ${hiddenChip} hidden spikes on the chip, ${hiddenDense} in the dense pass`);
    for (let k = 0; k < 10; k++) {
      if (oc[k] !== od[k] || outc[k] !== outd[k]) {
        throw new Error(`image ${s}, output ${k}: chip o=${oc[k]} out=${outc[k]}, dense o=${od[k]} out=${outd[k]}`);
      }
      // the dense pass itself: o = [out > 512]
      expect(od[k]).toBe(outd[k] > 512 ? 1 : 0);
      spikes += oc[k];
      distinctOut.add(outc[k]);
    }
  }
  const qWrap = chip.chip.counters.total(Op.qWrap);
  return { spikes, distinct: distinctOut.size, qWrap };
}

describe('DenseInference (row sums, JS and WebAssembly kernels) equals denseForward', () => {
  const train = loadDataset('mnist', 'train');
  const test = loadDataset('mnist', 'test');
  it(`image by image on trained-ish, rand_He and uniform weights, ${TEST_IMAGES} test images each`, () => {
    for (const w of [trainedWeights(train, 5, 1000), initialWeights(SIZES, 21), uniformWeights(22)]) {
      const variants = [new DenseInference(SIZES, w.w1, w.w2), new DenseInference(SIZES, w.w1, w.w2, createWasmRowSumKernel)];
      const h = new Uint8Array(400);
      const od = new Uint8Array(10);
      const outd = new Float64Array(10);
      const o = new Uint8Array(10);
      const out = new Float64Array(10);
      let fired = 0;
      for (let s = 0; s < TEST_IMAGES; s++) {
        const a = test.offsets[s];
        const b = test.offsets[s + 1];
        denseForward(SIZES, w.w1, w.w2, test.indices, a, b, h, outd, od);
        fired += od.reduce((x, y) => x + y, 0);
        for (const v of variants) {
          o.fill(7);
          out.fill(NaN);
          v.inferSample(test.indices, a, b, o, out);
          expect(Array.from(o), `image ${s}`).toEqual(Array.from(od));
          expect(Array.from(out), `image ${s}`).toEqual(Array.from(outd));
        }
      }
      expect(fired).toBeGreaterThan(0);
    }
  }, 60_000);

  it('rejects weights that are not 16-bit integers, naming the matrix and the entry', () => {
    const w = initialWeights(SIZES, 1);
    const w2 = Float64Array.from(w.w2);
    w2[3 * 400 + 7] = 0.5;
    expect(() => new DenseInference(SIZES, w.w1, w2)).toThrow('w2[3][7] = 0.5 is not a 16-bit integer');
    expect(() => new DenseInference(SIZES, w.w1.subarray(1), w.w2)).toThrow('w1 has 159999 weights, expected 400 x 400');
  });
});

describe('SbpInferenceChip equals denseForward', () => {
  const train = loadDataset('mnist', 'train');
  const test = loadDataset('mnist', 'test');

  it('has 814 compartments for 400-400-10 (x, h1, o and 4 gates)', () => {
    const w = initialWeights(SIZES, 1);
    const chip = new SbpInferenceChip(SIZES, w.w1, w.w2);
    expect(chip.compiled.stats.compartments).toBe(400 + 400 + 10 + 4);
    expect(chip.compiled.stats.compartments).toBe(814);
    // and the fixed matrices are the 164,000 f weights
    expect(chip.compiled.stats.plasticSynapses).toBe(0);
  });

  it(`trained-ish weights (2,000 oracle samples), ${TEST_IMAGES} test images`, () => {
    const w = trainedWeights(train, 4, 2000);
    const r = compareChipDense(test, w, TEST_IMAGES);
    // the output layer fires and the potentials vary, so equality is not vacuous
    expect(r.spikes).toBeGreaterThan(TEST_IMAGES / 2);
    expect(r.distinct).toBeGreaterThan(100);
    // every sum stayed inside the 21-bit dendritic accumulator (the dense pass has no such limit)
    expect(r.qWrap).toBe(0);
    // the metrics agree too
    const chip = new SbpInferenceChip(SIZES, w.w1, w.w2);
    expect(chip.evaluate(test, TEST_IMAGES)).toEqual(evaluateDense(SIZES, w.w1, w.w2, test, TEST_IMAGES));
  }, 60_000);

  it(`random weights (rand_He and uniform), ${TEST_IMAGES} test images each`, () => {
    for (const w of [initialWeights(SIZES, 11), initialWeights(SIZES, 12), uniformWeights(13)]) {
      const r = compareChipDense(test, w, TEST_IMAGES);
      expect(r.spikes).toBeGreaterThan(0);
      expect(r.distinct).toBeGreaterThan(100);
      expect(r.qWrap).toBe(0);
    }
  }, 60_000);

  it('the chip keeps its 4-step schedule: sample n ends at step 5 + 4n + 3', () => {
    const w = initialWeights(SIZES, 2);
    const chip = new SbpInferenceChip(SIZES, w.w1, w.w2);
    const o = new Uint8Array(10);
    const out = new Float64Array(10);
    for (let s = 0; s < 7; s++) chip.inferSample(test.indices, test.offsets[s], test.offsets[s + 1], o, out);
    expect(chip.chip.time).toBe(5 + 4 * 6 + 3);
  });
});

describe('MetricsAccumulator (the paper metrics) on hand-made cases', () => {
  it('exact match needs o equal to the one-hot target', () => {
    const m = new MetricsAccumulator(4);
    m.add([0, 0, 1, 0], [0, 100, 600, 0], 2); // exact
    m.add([0, 1, 1, 0], [0, 600, 700, 0], 2); // extra spike: not exact
    m.add([0, 0, 0, 0], [0, 0, 500, 0], 2); // missing spike: not exact
    const r = m.result();
    expect(r.samples).toBe(3);
    expect(r.accExact).toBeCloseTo(1 / 3, 12);
  });

  it('argmax ties and an all-zero output go to the lowest index', () => {
    const m = new MetricsAccumulator(4);
    // spikes tie between 1 and 2 -> 1; potentials tie between 2 and 3 -> 2
    m.add([0, 1, 1, 0], [10, 20, 30, 30], 1); // spikes right, potential wrong
    m.add([0, 1, 1, 0], [10, 20, 30, 30], 2); // spikes wrong, potential right
    // all-zero spikes -> index 0; all-equal potentials -> index 0
    m.add([0, 0, 0, 0], [-5, -5, -5, -5], 0); // both right
    m.add([0, 0, 0, 0], [-5, -5, -5, -5], 3); // both wrong
    // negative potentials: the largest is the least negative
    m.add([0, 0, 0, 1], [-300, -20, -40, -100], 1); // spikes wrong (3), potential right (1)
    const r = m.result();
    expect(r.samples).toBe(5);
    expect(r.accArgmaxSpikes).toBeCloseTo(2 / 5, 12);
    expect(r.accArgmaxPotential).toBeCloseTo(3 / 5, 12);
  });

  it('MSE is the mean over samples and outputs of (target - o)^2', () => {
    const m = new MetricsAccumulator(5);
    m.add([1, 0, 0, 0, 0], [600, 0, 0, 0, 0], 0); // 0 wrong
    m.add([1, 1, 0, 0, 0], [600, 600, 0, 0, 0], 0); // 1 wrong
    m.add([0, 0, 0, 1, 1], [0, 0, 0, 600, 600], 0); // 3 wrong: target 0 missed, 3 and 4 extra
    m.add([0, 0, 0, 0, 0], [0, 0, 0, 0, 0], 4); // 1 wrong
    const r = m.result();
    expect(r.mse).toBeCloseTo((0 + 1 + 3 + 1) / (4 * 5), 12);
    expect(r.accExact).toBeCloseTo(1 / 4, 12);
  });

  it('an output whose potential is <= 0 on every image of its class is reported dead', () => {
    const m = new MetricsAccumulator(4);
    // class 1: output 1 at 0 and below on both of its images (0 counts: the error needs > 0)
    m.add([0, 0, 0, 0], [100, 0, 50, 50], 1);
    m.add([1, 0, 0, 0], [900, -40, 50, 50], 1);
    // class 2: output 2 below 0 once, above once: not dead
    m.add([0, 0, 0, 0], [0, 0, -10, 0], 2);
    m.add([0, 0, 0, 0], [0, 0, 1, 0], 2);
    // class 3: one image, output 3 at -1; output 1 stays negative on class 3 but that is not its class
    m.add([0, 0, 0, 0], [0, -5, 0, -1], 3);
    // class 0 has no image: nothing can be said of output 0
    expect(m.result().deadOutputs).toEqual([1, 3]);
    // shards add up: the same five images split 2 + 3
    const a = new MetricsAccumulator(4);
    const b = new MetricsAccumulator(4);
    a.add([0, 0, 0, 0], [100, 0, 50, 50], 1);
    a.add([1, 0, 0, 0], [900, -40, 50, 50], 1);
    b.add([0, 0, 0, 0], [0, 0, -10, 0], 2);
    b.add([0, 0, 0, 0], [0, 0, 1, 0], 2);
    b.add([0, 0, 0, 0], [0, -5, 0, -1], 3);
    const whole = new MetricsAccumulator(4);
    whole.addSums(a.sums());
    whole.addSums(b.sums());
    expect(whole.result()).toEqual(m.result());
    // no dead output: the field is absent
    const ok = new MetricsAccumulator(2);
    ok.add([1, 0], [600, -3], 0);
    ok.add([0, 1], [-3, 1], 1);
    expect('deadOutputs' in ok.result()).toBe(false);
  });

  it('weights that hold an output at or below 0 give a dead output on real images', () => {
    const test = loadDataset('mnist', 'test');
    const w = initialWeights(SIZES, 5);
    // output 6's weights all <= 0: its potential W2.h is a sum of non-positive terms
    for (let j = 0; j < 400; j++) w.w2[6 * 400 + j] = -2 * (j % 3);
    const r = evaluateDense(SIZES, w.w1, w.w2, test, TEST_IMAGES);
    expect(r.deadOutputs).toContain(6);
    // and the chip's evaluation says the same
    expect(new SbpInferenceChip(SIZES, w.w1, w.w2).evaluate(test, TEST_IMAGES).deadOutputs).toEqual(r.deadOutputs);
  }, 60_000);

  it('hiddenActive is the mean number of hidden units with W1.x > 512, counted here from W1 directly', () => {
    const train = loadDataset('mnist', 'train');
    const test = loadDataset('mnist', 'test');
    const w = trainedWeights(train, 6, 500);
    const n = 200;
    let expected = 0;
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < 400; j++) {
        let sum = 0;
        for (let q = test.offsets[s]; q < test.offsets[s + 1]; q++) sum += w.w1[j * 400 + test.indices[q]];
        if (sum > 512) expected++;
      }
    }
    expected /= n;
    // not vacuous: some but not all hidden units fire
    expect(expected).toBeGreaterThan(10);
    expect(expected).toBeLessThan(390);
    const dense = evaluateDense(SIZES, w.w1, w.w2, test, n);
    expect(dense.hiddenActive).toBe(expected);
    expect(new SbpInferenceChip(SIZES, w.w1, w.w2).evaluate(test, n).hiddenActive).toBe(expected);
    // shards add up; an accumulator that was not given hidden counts reports none
    const a = new DenseInference(SIZES, w.w1, w.w2).evaluateRange(test, 0, 77);
    a.addSums(new DenseInference(SIZES, w.w1, w.w2).evaluateRange(test, 77, n).sums());
    expect(a.result().hiddenActive).toBe(expected);
    const m = new MetricsAccumulator(2);
    m.add([1, 0], [600, 0], 0);
    expect('hiddenActive' in m.result()).toBe(false);
  }, 60_000);

  it('an empty accumulator reports zeros, not NaN', () => {
    const r = new MetricsAccumulator(10).result();
    expect(r).toEqual({ samples: 0, accExact: 0, accArgmaxSpikes: 0, accArgmaxPotential: 0, mse: 0 });
  });
});
