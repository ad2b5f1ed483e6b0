// The fast kernel (row sums per step, shared copies, memoized sums, range updates) against
// the naive kernel (every spike adds every synapse): identical weights, spikes, counters and
// critical-path latency, on real MNIST samples and on a random small network in both orders;
// the fast kernel with the WebAssembly kernel (row sums, range updates) must match too.
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/chip/prng';
import { loadDataset } from '../src/data/datasets';
import { getConstants } from '../src/energy/constants';
import { timeWeights } from '../src/energy/model';
import { initialWeights } from '../src/sbp/init';
import { PLASTIC_NAMES } from '../src/sbp/topology';
import { DenseInference, evaluateDense, SbpInferenceChip } from '../src/sbp/inference';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';
import { loadWeights, PhaseRecord, SbpTrainingChip } from '../src/sbp/training';

function runBoth(sizes: { input: number; hidden: number; output: number }, order: 'chip' | 'reference', samples: Array<{ active: number[]; label: number }>, seed: number) {
  const c = getConstants('loihi1-davies2018');
  const nets = (['fast', 'naive', 'fast+wasm'] as const).map((variant) => {
    const kernel = variant === 'naive' ? 'naive' : 'fast';
    const net = new SbpTrainingChip({ sizes, order, kernel, rowSum: variant === 'fast+wasm' ? createWasmRowSumKernel : undefined });
    loadWeights(net, initialWeights(sizes, seed));
    net.chip.setTimeModel(timeWeights(c), c.barrierNs(20));
    return net;
  });
  const recs = nets.map((n) => new PhaseRecord(n.chip.numCompartments, 12));
  for (const s of samples) {
    for (let k = 0; k < 3; k++) {
      recs[k].clear();
      nets[k].trainSample(s.active, 0, s.active.length, s.label, recs[k]);
    }
    for (let p = 0; p < 12; p++) {
      expect(Array.from(recs[0].flags[p])).toEqual(Array.from(recs[1].flags[p]));
      expect(Array.from(recs[2].flags[p])).toEqual(Array.from(recs[1].flags[p]));
    }
  }
  // the WebAssembly variant must equal the other two in weights and counters as well
  for (const name of PLASTIC_NAMES) expect(Array.from(nets[2].matrix(name))).toEqual(Array.from(nets[1].matrix(name)));
  expect(Array.from(nets[2].chip.counters.data)).toEqual(Array.from(nets[1].chip.counters.data));
  expect(nets[2].chip.rowSum.name).toBe('wasm-simd');
  return nets;
}

describe('fast kernel = naive kernel', () => {
  it('on 400 MNIST samples: spikes, all eight matrices, every counter in every phase, latency', () => {
    const ds = loadDataset('mnist', 'train', { limit: 400 });
    const samples = [];
    for (let k = 0; k < 400; k++) samples.push({ active: Array.from(ds.indices.subarray(ds.offsets[k], ds.offsets[k + 1])), label: ds.labels[k] });
    const [fast, naive] = runBoth({ input: 400, hidden: 400, output: 10 }, 'chip', samples, 11);
    for (const name of PLASTIC_NAMES) expect(Array.from(fast.matrix(name))).toEqual(Array.from(naive.matrix(name)));
    expect(Array.from(fast.chip.counters.data)).toEqual(Array.from(naive.chip.counters.data));
    const lf = Array.from(fast.chip.latencyNs);
    const ln = Array.from(naive.chip.latencyNs);
    for (let b = 0; b < lf.length; b++) expect(lf[b]).toBeCloseTo(ln[b], 6);
    expect(fast.chip.counters.totals().learnUpdates).toBeGreaterThan(0);
  });

  for (const order of ['chip', 'reference'] as const) {
    it(`on a random 24-16-4 network with copies that must separate (order ${order})`, () => {
      const rng = new Prng(99);
      const sizes = { input: 24, hidden: 16, output: 4 };
      const samples = [];
      for (let k = 0; k < 300; k++) {
        const active: number[] = [];
        for (let i = 0; i < 24; i++) if (rng.nextFloat() < 0.5) active.push(i);
        samples.push({ active, label: rng.nextInt(4) });
      }
      const [fast, naive] = runBoth(sizes, order, samples, 3);
      // make the copies differ from outside, then keep training: sharing must be re-derived
      for (const net of [fast, naive]) {
        const m = net.matrix('w1c1');
        m[0] = m[0] === 254 ? 252 : m[0] + 2;
        net.setMatrix('w1c1', m);
      }
      for (const s of samples.slice(0, 100)) for (const net of [fast, naive]) net.trainSample(s.active, 0, s.active.length, s.label);
      for (const name of PLASTIC_NAMES) expect(Array.from(fast.matrix(name))).toEqual(Array.from(naive.matrix(name)));
      expect(Array.from(fast.chip.counters.data)).toEqual(Array.from(naive.chip.counters.data));
      expect(Array.from(fast.matrix('w1c1'))).not.toEqual(Array.from(fast.matrix('w1')));
    });
  }

  it('device storage (lean) changes nothing: spikes, all eight matrices, every counter, both kernels, writes from outside included', () => {
    const rng = new Prng(5);
    const sizes = { input: 24, hidden: 16, output: 4 };
    const samples: Array<{ active: number[]; label: number }> = [];
    for (let k = 0; k < 200; k++) {
      const active: number[] = [];
      for (let i = 0; i < 24; i++) if (rng.nextFloat() < 0.4) active.push(i);
      samples.push({ active, label: rng.nextInt(4) });
    }
    for (const kernel of ['fast', 'naive'] as const) {
      const nets = [false, true].map((lean) => {
        const net = new SbpTrainingChip({ sizes, kernel, lean });
        loadWeights(net, initialWeights(sizes, 4));
        return net;
      });
      const recs = nets.map((n) => new PhaseRecord(n.chip.numCompartments, 12));
      samples.forEach((s, k) => {
        if (k === 100)
          for (const net of nets) {
            // a write from outside releases and re-derives the copy sets
            const m = net.matrix('w1c2');
            m[3] = m[3] === 254 ? 252 : m[3] + 2;
            net.setMatrix('w1c2', m);
          }
        for (let n = 0; n < 2; n++) {
          recs[n].clear();
          nets[n].trainSample(s.active, 0, s.active.length, s.label, recs[n]);
        }
        for (let p = 0; p < 12; p++) expect(Array.from(recs[1].flags[p])).toEqual(Array.from(recs[0].flags[p]));
      });
      for (const name of PLASTIC_NAMES) expect(Array.from(nets[1].matrix(name))).toEqual(Array.from(nets[0].matrix(name)));
      expect(Array.from(nets[1].chip.counters.data)).toEqual(Array.from(nets[0].chip.counters.data));
      expect(nets[1].chip.counters.totals().learnUpdates).toBeGreaterThan(0);
      // a lean chip keeps no time model
      expect(() => nets[1].chip.setTimeModel([1, 1, 1, 1, 1], 1)).toThrow(/keeps no time model/);
    }
  });

  it('the dense evaluation path with the WebAssembly row sums equals the JS path and the chip', () => {
    const sizes = { input: 400, hidden: 400, output: 10 };
    const test = loadDataset('mnist', 'test', { limit: 400 });
    const w = initialWeights(sizes, 2);
    const k = createWasmRowSumKernel(DenseInference.arenaBytes(sizes));
    expect(k).not.toBeNull();
    const js = evaluateDense(sizes, w.w1, w.w2, test, 400);
    expect(evaluateDense(sizes, w.w1, w.w2, test, 400, k!)).toEqual(js);
    expect(new SbpInferenceChip(sizes, w.w1, w.w2, { rowSum: createWasmRowSumKernel }).evaluate(test, 400)).toEqual(js);
  });
});
