// Evaluation split into shards (what --workers N does in worker threads): the shards' tallies
// add up to exactly the whole evaluation, on the dense path and on the chip, and the chip's
// shard of a test set gives what the same samples give inside a run over the whole set.
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/datasets';
import { initialWeights } from '../src/sbp/init';
import { evaluateDense, Evaluator, MetricsAccumulator, SbpInferenceChip } from '../src/sbp/inference';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';
import { MNIST_SIZES } from './fixtures';

describe('evaluation shards', () => {
  const sizes = MNIST_SIZES;
  const w = initialWeights(sizes, 6);
  const test = loadDataset('mnist', 'test', { limit: 500 });

  for (const evalOn of ['dense', 'chip'] as const) {
    it(`${evalOn}: shards of 0..500 add up to the whole, for several splits`, () => {
      const whole = evalOn === 'dense' ? evaluateDense(sizes, w.w1, w.w2, test, 500) : new SbpInferenceChip(sizes, w.w1, w.w2).evaluate(test, 500);
      for (const cuts of [[0, 500], [0, 250, 500], [0, 1, 166, 333, 499, 500]]) {
        const acc = new MetricsAccumulator(10);
        for (let k = 0; k + 1 < cuts.length; k++) acc.addSums(new Evaluator({ sizes, evalOn }).evaluate(w.w1, w.w2, test, cuts[k], cuts[k + 1]).sums());
        expect(acc.result()).toEqual(whole);
      }
      expect(whole.samples).toBe(500);
    });
  }

  for (const evalOn of ['dense', 'chip'] as const) {
    it(`${evalOn}: one Evaluator reloaded with other weights gives what fresh ones give`, () => {
      const weights = [initialWeights(sizes, 7), initialWeights(sizes, 8), w, initialWeights(sizes, 7)];
      for (const rowSum of [undefined, createWasmRowSumKernel]) {
        const reused = new Evaluator({ sizes, evalOn, rowSum });
        const results = weights.map((x, k) => {
          const r = reused.evaluate(x.w1, x.w2, test, 100 * k, 100 * k + 200).result();
          expect(r, `weights ${k}`).toEqual(new Evaluator({ sizes, evalOn }).evaluate(x.w1, x.w2, test, 100 * k, 100 * k + 200).result());
          return r;
        });
        // (different weights give different metrics here, so the reload is not vacuous)
        expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(4);
      }
    });
  }

  it('an evaluation of samples the dataset does not have throws', () => {
    expect(() => new Evaluator({ sizes, evalOn: 'dense' }).evaluate(w.w1, w.w2, test, 400, 501)).toThrow('evaluation of samples 400..500: the dataset has samples 0..499');
    expect(() => new SbpInferenceChip(sizes, w.w1, w.w2).evaluateRange(test, -1, 3)).toThrow('the dataset has samples 0..499');
  });

  it('the chip refuses weights its format cannot store, naming the entry, and keeps the old ones', () => {
    const chip = new SbpInferenceChip(sizes, w.w1, w.w2);
    const before = chip.evaluate(test, 100);
    const bad = Int16Array.from(w.w2);
    bad[2 * 400 + 5] = 3; // odd: the mixed 8-bit format stores even mantissas only
    expect(() => chip.setWeights(w.w1, bad)).toThrow('h1->o weight [2][5] = 3 is not a stored mantissa of this group (-256..254, step 2)');
    expect(() => chip.setWeights(w.w1.subarray(1), w.w2)).toThrow('x->h1: expected 400x400 = 160000 weights (post x pre), got 159999');
    const again = new SbpInferenceChip(sizes, w.w1, w.w2);
    expect(again.evaluate(test, 100)).toEqual(before);
    // the chip that refused still evaluates with its old weights (a fresh run of the same images)
    const r = new MetricsAccumulator(10);
    r.addSums(chip.evaluateRange(test, 0, 100).sums());
    expect(r.result()).toEqual(before);
  });

  it('a shard on a fresh chip equals the same samples on a chip that ran the samples before them', () => {
    const chip = new SbpInferenceChip(sizes, w.w1, w.w2);
    const o = new Uint8Array(10);
    const out = new Float64Array(10);
    const seen: string[] = [];
    for (let s = 0; s < 300; s++) {
      chip.inferSample(test.indices, test.offsets[s], test.offsets[s + 1], o, out);
      if (s >= 200) seen.push(Array.from(o).join('') + Array.from(out).join(','));
    }
    const fresh = new SbpInferenceChip(sizes, w.w1, w.w2);
    for (let s = 200; s < 300; s++) {
      fresh.inferSample(test.indices, test.offsets[s], test.offsets[s + 1], o, out);
      expect(Array.from(o).join('') + Array.from(out).join(',')).toBe(seen[s - 200]);
    }
  });
});
