// Evaluation split into shards (what --workers N does in worker threads): the shards' tallies
// add up to exactly the whole evaluation, on the dense path and on the chip, and the chip's
// shard of a test set gives what the same samples give inside a run over the whole set.
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/datasets';
import { initialWeights } from '../src/sbp/init';
import { evaluateDense, evaluateShard, MetricsAccumulator, SbpInferenceChip } from '../src/sbp/inference';

describe('evaluation shards', () => {
  const sizes = { input: 400, hidden: 400, output: 10 };
  const w = initialWeights(sizes, 6);
  const test = loadDataset('mnist', 'test', { limit: 500 });

  for (const evalOn of ['dense', 'chip'] as const) {
    it(`${evalOn}: shards of 0..500 add up to the whole, for several splits`, () => {
      const whole = evalOn === 'dense' ? evaluateDense(sizes, w.w1, w.w2, test, 500) : new SbpInferenceChip(sizes, w.w1, w.w2).evaluate(test, 500);
      for (const cuts of [[0, 500], [0, 250, 500], [0, 1, 166, 333, 499, 500]]) {
        const acc = new MetricsAccumulator(10);
        for (let k = 0; k + 1 < cuts.length; k++) acc.addSums(evaluateShard({ sizes, evalOn }, w.w1, w.w2, test, cuts[k], cuts[k + 1]).sums());
        expect(acc.result()).toEqual(whole);
      }
      expect(whole.samples).toBe(500);
    });
  }

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
