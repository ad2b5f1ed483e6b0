/**
 * The spiking training network computes exactly the integer backprop of the per-sample oracle
 * (docs/sbp-network.md, "Per-sample oracle"): every per-phase
 * spike, all eight plastic matrices and the active-phase invariants agree after every
 * sample, in both step orders, on random networks, through weight saturation at -256, and on
 * real MNIST. Also: the verifier itself reports faults precisely, the host reward schedule
 * equals the on-chip one, and the order switch changes exactly the backprop sums (docs/sbp-network.md, "Step order").
 */
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Op } from '../src/chip/counters';
import { Prng } from '../src/chip/prng';
import { loadDataset } from '../src/data/datasets';
import { sampleBits, type SpikeDataset } from '../src/data/preprocess';
import { weightsToJson, type SbpWeights } from '../src/sbp/weights-file';
import { initialWeights, transposePair } from '../src/sbp/init';
import { newTrace, oracleTrain, type Order, type OracleState } from '../src/sbp/oracle';
import type { SbpSizes } from '../src/sbp/topology';
import { loadWeights, PhaseRecord, SbpTrainingChip } from '../src/sbp/training';
import { verifyRun, type SampleSource, type VerifyResult } from '../src/sbp/verify';
import { parseArgs } from '../tools/args';
import type { CliIO } from '../tools/cli';
import { command as verifyCommand, sampleOrder } from '../tools/commands/verify';
import { MNIST_SIZES, tempDir } from './fixtures';

const ORDERS: Order[] = ['chip', 'reference'];
/** Both step orders on both chip kernels ('naive' keeps every weight copy in its own memory). */
const RUNS: Array<[Order, 'fast' | 'naive']> = [
  ['chip', 'fast'],
  ['reference', 'fast'],
  ['chip', 'naive'],
  ['reference', 'naive'],
];
/** Plastic weight range (mixed sign, even values). */
const W_MIN = -256;
const W_MAX = 254;

/** An even integer drawn uniformly from [lo, hi] (lo, hi even). */
function randomEven(rng: Prng, lo: number, hi: number): number {
  return lo + 2 * rng.nextInt((hi - lo) / 2 + 1);
}

/**
 * Random weights in [lo, hi]. With `independentPM`, P and M are drawn on their own (the chip
 * and the oracle keep them as separate matrices, so nothing requires P = -M); otherwise they
 * are +W2^T and -W2^T as initialization makes them.
 */
function randomWeights(rng: Prng, s: SbpSizes, lo: number, hi: number, independentPM: boolean): SbpWeights {
  const w1 = new Int16Array(s.hidden * s.input);
  for (let i = 0; i < w1.length; i++) w1[i] = randomEven(rng, lo, hi);
  const w2 = new Int16Array(s.output * s.hidden);
  for (let i = 0; i < w2.length; i++) w2[i] = randomEven(rng, lo, hi);
  let pm = transposePair(w2, s.hidden, s.output);
  if (independentPM) {
    const p = new Int16Array(s.hidden * s.output);
    const m = new Int16Array(s.hidden * s.output);
    for (let i = 0; i < p.length; i++) {
      p[i] = randomEven(rng, lo, hi);
      m[i] = randomEven(rng, lo, hi);
    }
    pm = { w2tPos: p, w2tNeg: m };
  }
  return { sizes: [s.input, s.hidden, s.output], w1, w2, ...pm };
}

/** A synthetic dataset: random binary inputs (density 10..70% per sample) and random labels. */
function randomDataset(rng: Prng, nin: number, nout: number, count: number): SampleSource['dataset'] {
  const labels = new Uint8Array(count);
  const offsets = new Uint32Array(count + 1);
  const idx: number[] = [];
  for (let k = 0; k < count; k++) {
    const density = 0.1 + 0.6 * rng.nextFloat();
    for (let i = 0; i < nin; i++) if (rng.nextFloat() < density) idx.push(i);
    offsets[k + 1] = idx.length;
    labels[k] = rng.nextInt(nout);
  }
  return { name: 'random', numInputs: nin, count, labels, offsets, indices: Uint16Array.from(idx) };
}

/** A dataset of explicit (active inputs, label) samples. */
function explicitDataset(nin: number, samples: Array<[number[], number]>): SampleSource['dataset'] {
  const offsets = new Uint32Array(samples.length + 1);
  const idx: number[] = [];
  samples.forEach(([active], k) => {
    idx.push(...active);
    offsets[k + 1] = idx.length;
  });
  return { name: 'explicit', numInputs: nin, count: samples.length, labels: Uint8Array.from(samples.map((s) => s[1])), offsets, indices: Uint16Array.from(idx) };
}

function expectExact(r: VerifyResult, samples: number): void {
  expect(r.firstMismatch).toBeUndefined();
  expect(r.mismatches).toBe(0);
  expect(r.invariantViolations).toBe(0);
  expect(r.copiesEqual).toBe(true);
  expect(r.samples).toBe(samples);
}

function countValue(w: SbpWeights, v: number): number {
  let n = 0;
  for (const m of [w.w1, w.w2, w.w2tPos, w.w2tNeg]) for (let i = 0; i < m.length; i++) if (m[i] === v) n++;
  return n;
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const mnistTrain = (): SpikeDataset => loadDataset('mnist', 'train');

describe('random small networks: zero mismatches in both orders', () => {
  for (const sz of [
    [30, 20, 5],
    [16, 12, 4],
  ]) {
    const sizes: SbpSizes = { input: sz[0], hidden: sz[1], output: sz[2] };
    it(`${sz.join('-')}, 5 seeds x 400 samples, both orders, both chip kernels`, () => {
      const total = { dPos: 0, dNeg: 0, d1Pos: 0, d1Neg: 0, samples: 0 };
      for (let seed = 1; seed <= 5; seed++) {
        const rng = new Prng(1000 * sz[0] + seed);
        // odd seeds: P = W2^T, M = -W2^T from init-like weights; even seeds: separate random P and M
        const weights = seed % 2 === 1 ? randomWeights(rng, sizes, -240, 240, false) : randomWeights(rng, sizes, -254, 254, true);
        const dataset = randomDataset(rng, sizes.input, sizes.output, 400);
        for (const [order, kernel] of RUNS) {
          const r = verifyRun({ sizes, order, kernel, weights, samples: { dataset } });
          expectExact(r, 400);
          expect(r.kernel).toBe(kernel);
          // every neuron of every group in every phase: 2 input-sized, 6 hidden-sized and
          // 7 output-sized groups and 12 gates
          expect(r.spikeChecks).toBe(400 * 12 * (2 * sizes.input + 6 * sizes.hidden + 7 * sizes.output + 12));
          total.dPos += r.activity.dPos;
          total.dNeg += r.activity.dNeg;
          total.d1Pos += r.activity.d1Pos;
          total.d1Neg += r.activity.d1Neg;
          total.samples += r.samples;
        }
      }
      // the runs exercised every learning path
      expect(total.samples).toBe(5 * RUNS.length * 400);
      expect(total.dPos).toBeGreaterThan(100);
      expect(total.dNeg).toBeGreaterThan(100);
      expect(total.d1Pos).toBeGreaterThan(100);
      expect(total.d1Neg).toBeGreaterThan(100);
    });
  }
});

describe('the verifier reports faults precisely', () => {
  const sizes: SbpSizes = { input: 30, hidden: 20, output: 5 };
  const rng = new Prng(77);
  const weights = randomWeights(rng, sizes, -240, 240, false);
  const dataset = randomDataset(rng, sizes.input, sizes.output, 40);
  const inactiveInput = (k: number) => {
    const active = new Set(Array.from(dataset.indices.subarray(dataset.offsets[k], dataset.offsets[k + 1])));
    for (let i = 0; i < sizes.input; i++) if (!active.has(i)) return i;
    throw new Error('sample has every input active');
  };

  it('an extra pixel spike: sample, phase 1, group x, index', () => {
    const k = 17;
    const i = inactiveInput(k);
    const r = verifyRun({
      sizes,
      order: 'chip',
      weights,
      samples: { dataset },
      beforeSample(net, s) {
        // the host's input spike for sample k is at step 13 + 12k
        if (s === k) net.chip.schedule(net.compiled.groups.input.start + i, 13 + 12 * k);
      },
    });
    expect(r.samples).toBe(k + 1);
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.firstMismatch).toMatchObject({ sample: k, datasetIndex: k, phase: 1, group: 'x', index: i, expected: 0, actual: 1, kind: 'spike' });
  });

  it('a corrupted weight copy: sample, matrix, post, pre, values', () => {
    const k = 5;
    const i = inactiveInput(k);
    const j = 7;
    let before = 0;
    const r = verifyRun({
      sizes,
      order: 'reference',
      weights,
      samples: { dataset },
      beforeSample(net, s) {
        if (s !== k) return;
        // x -> h1_copy2, written as the host would (the chip then gives the copy its own memory)
        const m = net.matrix('w1c2');
        before = m[j * sizes.input + i];
        m[j * sizes.input + i] = before > 0 ? before - 2 : before + 2;
        net.setMatrix('w1c2', m);
      },
    });
    expect(r.samples).toBe(k + 1);
    expect(r.mismatches).toBe(1);
    expect(r.invariantViolations).toBe(0);
    expect(r.copiesEqual).toBe(false);
    // pre i was silent in sample k, so neither learning nor spikes touched the corrupted synapse
    expect(r.firstMismatch).toMatchObject({ sample: k, phase: -1, group: 'w1c2', post: j, pre: i, index: j * sizes.input + i, expected: before, actual: before > 0 ? before - 2 : before + 2, kind: 'weight' });
  });

  it('a gate firing out of turn is an active-phase violation', () => {
    const k = 3;
    const r = verifyRun({
      sizes,
      order: 'chip',
      weights,
      samples: { dataset },
      beforeSample(net, s) {
        // in_g kicks g00 (1ge fires any neuron) one step later: phase 5 of sample k is step
        // 13 + 12k + 5, but g00 belongs to phase 11
        if (s === k) net.chip.schedule(net.compiled.groups.in_g.start, 13 + 12 * k + 4);
      },
    });
    expect(r.samples).toBe(k + 1);
    expect(r.invariantViolations).toBeGreaterThan(0);
    expect(r.firstMismatch).toMatchObject({ sample: k, phase: 5, group: 'g00', index: 0, expected: 0, actual: 1, kind: 'gate' });
  });

  it('input sums beyond the 21-bit dendritic accumulator: the chip wraps, the oracle does not', () => {
    // W1 = +254 everywhere: 254 x 104 active pixels of MNIST sample 0, plus the g02 gate, is
    // (26416 + 8704) x 2^6 hardware units > 2^21: q wraps and h1 stays silent in phase 2. The
    // oracle works on unbounded integers, so this is outside its domain (docs/sbp-network.md, "Headroom").
    const ds = mnistTrain();
    const n0 = ds.offsets[1] - ds.offsets[0];
    expect((254 * n0 + 8704) * 64).toBeGreaterThan(2 ** 21);
    const big: SbpSizes = { input: 400, hidden: 30, output: 10 };
    const w = initialWeights(big, 1);
    w.w1.fill(254);
    let chipUnderTest: SbpTrainingChip | undefined;
    const r = verifyRun({ sizes: big, order: 'chip', weights: w, samples: { dataset: ds, indices: [0, 1] }, beforeSample: (net) => (chipUnderTest = net) });
    expect(r.samples).toBe(1);
    expect(r.firstMismatch).toMatchObject({ sample: 0, phase: 2, group: 'h1', index: 0, expected: 1, actual: 0, kind: 'spike' });
    expect(chipUnderTest!.chip.counters.total(Op.qWrap)).toBeGreaterThan(0);
  });
});

describe('saturation at -256 (the P != -M asymmetry) stays exact', () => {
  // 16-12-4. One input pattern (inputs 0..7 active); every hidden unit gets 8 x 100 = 800
  // (h = 1 and b = 1, so d1 reaches W1). Output 1 (never the label) sees 584 = 8 x 200 - 4 x 254:
  // o = 1, o> = 0, so d- fires and depression drives its four -254 weights to -256 while
  // M = -W2^T is stuck at +254. Output 0 (the label) sees 2 x 252 - 10 x 20 = 304: d+ fires and
  // potentiation drives W2 to +254 and M to -256.
  const sizes: SbpSizes = { input: 16, hidden: 12, output: 4 };
  function constructed(): SbpWeights {
    const rng = new Prng(5);
    const w1 = new Int16Array(12 * 16);
    for (let j = 0; j < 12; j++) for (let i = 0; i < 16; i++) w1[j * 16 + i] = i < 8 ? 100 : randomEven(rng, -240, 240);
    const w2 = new Int16Array(4 * 12);
    for (let j = 0; j < 12; j++) {
      w2[0 * 12 + j] = j < 2 ? 252 : -20;
      w2[1 * 12 + j] = j < 4 ? -254 : 200;
      w2[2 * 12 + j] = randomEven(rng, -240, 240);
      w2[3 * 12 + j] = -100;
    }
    return { sizes: [16, 12, 4], w1, w2, ...transposePair(w2, 12, 4) };
  }

  it('constructed case, both orders', () => {
    const weights = constructed();
    expect(countValue(weights, W_MIN)).toBe(0);
    const pattern = [0, 1, 2, 3, 4, 5, 6, 7];
    const dataset = explicitDataset(16, Array.from({ length: 60 }, (): [number[], number] => [pattern, 0]));
    for (const order of ORDERS) {
      const r = verifyRun({ sizes, order, weights, samples: { dataset } });
      expectExact(r, 60);
      expect(r.saturatedLow).toBeGreaterThan(0);
      expect(countValue(r.weights, W_MIN)).toBe(r.saturatedLow);
      expect(r.saturatedHigh).toBeGreaterThan(0);
      expect(r.pmAsymmetry).toBeGreaterThan(0);
      // the four depressed W2 entries of output 1 sit at -256 while M is capped at +254
      for (let j = 0; j < 4; j++) {
        expect(r.weights.w2[1 * 12 + j]).toBe(W_MIN);
        expect(r.weights.w2tPos[j * 4 + 1]).toBe(W_MIN);
        expect(r.weights.w2tNeg[j * 4 + 1]).toBe(W_MAX);
      }
    }
  });

  it('random extreme weights and few repeated patterns, both orders', () => {
    let low = 0;
    let asym = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const rng = new Prng(900 + seed);
      const weights = randomWeights(rng, sizes, -254, 254, false);
      expect(countValue(weights, W_MIN)).toBe(0);
      const patterns = randomDataset(rng, 16, 4, 3);
      const indices = Array.from({ length: 600 }, () => rng.nextInt(3));
      for (const order of ORDERS) {
        const r = verifyRun({ sizes, order, weights, samples: { dataset: patterns, indices } });
        expectExact(r, 600);
        low += r.saturatedLow;
        asym += r.pmAsymmetry;
      }
    }
    expect(low).toBeGreaterThan(0);
    expect(asym).toBeGreaterThan(0);
  });
});

describe('real MNIST, 400-400-10', () => {
  it('2,000 samples in both orders, zero mismatches (the fast kernel with its WebAssembly parts, as train runs it)', () => {
    const ds = mnistTrain();
    const sizes: SbpSizes = MNIST_SIZES;
    const weights = initialWeights(sizes, 2024);
    const indices = sampleOrder(ds.count, 2000, 2024, true);
    for (const order of ORDERS) {
      const r = verifyRun({ sizes, order, weights, rowSum: createWasmRowSumKernel, samples: { dataset: ds, indices } });
      expectExact(r, 2000);
      expect(r.activity.dPos + r.activity.dNeg).toBeGreaterThan(100);
      expect(r.activity.d1Pos + r.activity.d1Neg).toBeGreaterThan(1000);
      // P = W2^T exactly while nothing saturated at -256 (then M = -W2^T too)
      const w2t = transposePair(r.weights.w2, 400, 10);
      expect(sameArray(r.weights.w2tPos, w2t.w2tPos)).toBe(true);
      if (r.saturatedLow === 0) expect(sameArray(r.weights.w2tNeg, w2t.w2tNeg)).toBe(true);
    }
  }, 120_000);
});

describe('real MNIST on the naive kernel', () => {
  it('300 samples: every W1/W2 copy in its own memory stays equal to the oracle', () => {
    const ds = mnistTrain();
    const sizes: SbpSizes = MNIST_SIZES;
    const weights = initialWeights(sizes, 77);
    const indices = sampleOrder(ds.count, 300, 77, true);
    const r = verifyRun({ sizes, order: 'chip', kernel: 'naive', weights, samples: { dataset: ds, indices } });
    expectExact(r, 300);
    expect(r.activity.d1Pos + r.activity.d1Neg).toBeGreaterThan(100);
  }, 60_000);
});

describe('reward source', () => {
  it("'host' reward spikes give the same weights as the on-chip reward (every sample rewarded)", () => {
    const sizes: SbpSizes = { input: 30, hidden: 20, output: 5 };
    const rng = new Prng(31);
    const weights = randomWeights(rng, sizes, -240, 240, false);
    const dataset = randomDataset(rng, 30, 5, 300);
    for (const order of ORDERS) {
      const chip = verifyRun({ sizes, order, reward: 'chip', weights, samples: { dataset } });
      const host = verifyRun({ sizes, order, reward: 'host', weights, samples: { dataset } });
      expectExact(chip, 300);
      expectExact(host, 300);
      expect(host.reward).toBe('host');
      for (const m of ['w1', 'w2', 'w2tPos', 'w2tNeg'] as const) expect(sameArray(host.weights[m], chip.weights[m])).toBe(true);
      // and learning happened, so equal weights mean something
      expect(sameArray(chip.weights.w1, weights.w1)).toBe(false);
    }
  });

  it('host reward on MNIST equals chip reward', () => {
    const ds = mnistTrain();
    const sizes: SbpSizes = { input: 400, hidden: 100, output: 10 };
    const weights = initialWeights(sizes, 8);
    const indices = sampleOrder(ds.count, 200, 8, true);
    const chip = verifyRun({ sizes, order: 'chip', reward: 'chip', weights, samples: { dataset: ds, indices } });
    const host = verifyRun({ sizes, order: 'chip', reward: 'host', weights, samples: { dataset: ds, indices } });
    expectExact(chip, 200);
    expectExact(host, 200);
    for (const m of ['w1', 'w2', 'w2tPos', 'w2tNeg'] as const) expect(sameArray(host.weights[m], chip.weights[m])).toBe(true);
  }, 60_000);
});

describe('the order switch', () => {
  it('changes only the backprop sums s6/s10 read by h1T, by the phase-5/9 updates of P and M', () => {
    const ds = mnistTrain();
    const sizes: SbpSizes = MNIST_SIZES;
    const nh = 400;
    const no = 10;
    const weights = initialWeights(sizes, 3);
    const nets = ORDERS.map((order) => {
      const net = new SbpTrainingChip({ sizes, order });
      loadWeights(net, weights);
      return net;
    });
    const states: OracleState[] = ORDERS.map(() => ({ nin: 400, nhid: nh, nout: no, w1: weights.w1.slice(), w2: weights.w2.slice(), p: weights.w2tPos.slice(), m: weights.w2tNeg.slice() }));
    const traces = ORDERS.map(() => newTrace(nh, no));
    const h1T = nets[0].compiled.groups.h1T;
    const x = new Uint8Array(400);
    let found = -1;
    for (let k = 0; k < 200 && found < 0; k++) {
      // both chips hold the same weights before the sample (no spike has differed so far)
      for (const name of ['w1', 'w2', 'w2tPos', 'w2tNeg'] as const) expect(sameArray(nets[0].group(name).weights, nets[1].group(name).weights)).toBe(true);
      const pBefore = states[0].p.slice();
      const mBefore = states[0].m.slice();
      const recs = nets.map((net) => new PhaseRecord(net.chip.numCompartments, 12));
      sampleBits(ds, k, x);
      for (let o = 0; o < 2; o++) {
        nets[o].trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k], recs[o]);
        oracleTrain(states[o], x, ds.labels[k], ORDERS[o], traces[o]);
      }
      const differing: number[] = [];
      for (let p = 0; p < 12; p++) if (!sameArray(recs[0].flags[p], recs[1].flags[p])) differing.push(p);
      if (differing.length === 0) continue;
      found = k;
      // the forward pass, the errors and the phase-5 replays are order independent
      expect(differing[0]).toBeGreaterThanOrEqual(6);
      const firstPhase = differing[0];
      expect([6, 10]).toContain(firstPhase);
      // in that phase only h1T differs, and each chip fires [s > 0] with its own order's sum
      const cx = recs[0].numCompartments;
      for (let c = 0; c < cx; c++) {
        if (recs[0].flags[firstPhase][c] !== recs[1].flags[firstPhase][c]) {
          expect(c).toBeGreaterThanOrEqual(h1T.start);
          expect(c).toBeLessThan(h1T.start + h1T.size);
        }
      }
      const [ta, tb] = traces;
      const nnz = ta.dPos.reduce((s, v) => s + v, 0) + ta.dNeg.reduce((s, v) => s + v, 0);
      expect(nnz).toBeGreaterThan(0);
      let unsaturated = 0;
      for (let j = 0; j < nh; j++) {
        expect(recs[0].flags[6][h1T.start + j]).toBe(ta.s6[j] > 0 ? 1 : 0);
        expect(recs[1].flags[6][h1T.start + j]).toBe(tb.s6[j] > 0 ? 1 : 0);
        expect(recs[0].flags[10][h1T.start + j]).toBe(ta.s10[j] > 0 ? 1 : 0);
        expect(recs[1].flags[10][h1T.start + j]).toBe(tb.s10[j] > 0 ? 1 : 0);
        // computed here from P and M before the sample: the reference order reads P and M
        // after phase 5 (P += 2 on d+ columns, M += 2 on d- columns of active units) for s6, and
        // after phase 9 (P -= 2 on d- columns, M -= 2 on d+ columns) for s10, each clipped.
        let d6 = 0;
        let d10 = 0;
        if (ta.h[j]) {
          for (let o = 0; o < no; o++) {
            const pv = pBefore[j * no + o];
            const mv = mBefore[j * no + o];
            if (ta.dPos[o]) d6 += Math.min(W_MAX, pv + 2) - pv;
            if (ta.dNeg[o]) d6 += Math.min(W_MAX, mv + 2) - mv;
            if (ta.dNeg[o]) d10 += Math.max(W_MIN, pv - 2) - pv;
            if (ta.dPos[o]) d10 += Math.max(W_MIN, mv - 2) - mv;
          }
          if (d6 === 2 * nnz && d10 === -2 * nnz) unsaturated++;
        }
        expect(tb.s6[j] - ta.s6[j]).toBe(d6);
        expect(tb.s10[j] - ta.s10[j]).toBe(d10);
        // everything before phase 6 agrees
        expect(tb.h[j]).toBe(ta.h[j]);
      }
      expect(unsaturated).toBeGreaterThan(0);
      for (let p = 0; p < 6; p++) expect(sameArray(recs[0].flags[p], recs[1].flags[p])).toBe(true);
      // and the differing h1T spikes are where the two sums straddle zero
      for (let j = 0; j < nh; j++) {
        const phase = firstPhase;
        const sa = phase === 6 ? ta.s6[j] : ta.s10[j];
        const sb = phase === 6 ? tb.s6[j] : tb.s10[j];
        if (recs[0].flags[phase][h1T.start + j] !== recs[1].flags[phase][h1T.start + j]) {
          expect(ta.h[j]).toBe(1);
          expect(sa > 0).not.toBe(sb > 0);
        }
      }
    }
    expect(found).toBeGreaterThanOrEqual(0);
  }, 60_000);
});

describe('synfire verify (command)', () => {
  function io(): CliIO & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, json: false, isTTY: false, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
  }
  async function run(argv: string[]) {
    const o = parseArgs(verifyCommand.spec, argv);
    const c = io();
    c.json = o.json === true;
    const code = await verifyCommand.run(o, c);
    return { code, stdout: c.stdout.join('\n'), stderr: c.stderr.join('\n') };
  }

  it('draws the data order from Prng((seed ^ 0x5bd1e995) >>> 0).permutation(count), or file order', () => {
    const perm = new Prng((42 ^ 0x5bd1e995) >>> 0).permutation(1000);
    expect(Array.from(sampleOrder(1000, 300, 42, true))).toEqual(Array.from(perm.subarray(0, 300)));
    expect(Array.from(sampleOrder(10, 25, 42, false))).toEqual(Array.from({ length: 25 }, (_, k) => k % 10));
    // beyond one pass: a second, different permutation of the whole set
    const two = sampleOrder(50, 100, 1, true);
    expect(Array.from(two.subarray(0, 50)).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(Array.from(two.subarray(50)).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(Array.from(two.subarray(50))).not.toEqual(Array.from(two.subarray(0, 50)));
  });

  it('--json prints {"samples":N,"mismatches":0,...} and exits 0', async () => {
    const r = await run(['--samples', '40', '--hidden', '30', '--seed', '9', '--order', 'reference', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('{"samples":40,"mismatches":0,')).toBe(true);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ samples: 40, mismatches: 0, invariantViolations: 0, order: 'reference', seed: 9, sizes: [400, 30, 10], copiesEqual: true });
    expect(r.stderr).toBe('');
  }, 30_000);

  it('exits 1 naming the first mismatch: weights without headroom make h1 fire in phase 8 (paper gating; the robust gating holds)', async () => {
    // W1 = +200 everywhere. The replay of x in phase 7 drives h1 in phase 8 with 200 x (active
    // pixels), and the g08 inhibition (-8128) does not hold it below the 9216 a layer neuron
    // needs (bias -8192, threshold 1024): the headroom limit. b = 0 (W1x > 1024), so h1 is
    // not refractory from a d1+ spike in phase 7. The phase-2 sum plus the gate stays inside
    // the 21-bit dendritic accumulator, so phases 0..7 are still exact.
    const ds = mnistTrain();
    const n0 = ds.offsets[1] - ds.offsets[0];
    expect(200 * n0 - 8128).toBeGreaterThan(9216);
    expect((200 * n0 + 8704) * 64).toBeLessThan(2 ** 21);
    const sizes: SbpSizes = { input: 400, hidden: 30, output: 10 };
    const w = initialWeights(sizes, 1);
    w.w1.fill(200);
    const dir = tempDir('verify');
    try {
      const file = join(dir, 'w.json');
      writeFileSync(file, weightsToJson(w));
      const r = await run(['--samples', '5', '--load-weights', file, '--no-shuffle', '--gating', 'paper']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('invariant violated at sample 0 (dataset index 0), phase 8, group h1, neuron 0: expected 0, got 1');
      const j = await run(['--samples', '5', '--load-weights', file, '--no-shuffle', '--json', '--gating', 'paper']);
      expect(j.code).toBe(1);
      // docs/gating.md: with headroom for every weight matrix the same weights stay exact
      const robust = await run(['--samples', '5', '--load-weights', file, '--no-shuffle', '--json', '--gating', 'robust']);
      expect(robust.code).toBe(0);
      expect(JSON.parse(robust.stdout)).toMatchObject({ samples: 5, mismatches: 0, invariantViolations: 0 });
      const out = JSON.parse(j.stdout);
      expect(out.samples).toBe(1);
      expect(out.firstMismatch).toMatchObject({ sample: 0, datasetIndex: 0, phase: 8, group: 'h1', index: 0, expected: 0, actual: 1, kind: 'inactive' });
      // and a weight file that does not fit the dataset is a clear user error
      const small = join(dir, 'small.json');
      writeFileSync(small, weightsToJson(initialWeights({ input: 30, hidden: 20, output: 10 }, 1)));
      await expect(run(['--samples', '5', '--load-weights', small])).rejects.toThrow(/small\.json: sizes 30-20-10 do not fit mnist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('verify keepGoing', () => {
  it('counts spikes outside their phases and runs on until a weight leaves the oracle', () => {
    const sizes: SbpSizes = { input: 60, hidden: 20, output: 5 };
    const rng = new Prng(4242);
    const weights = randomWeights(rng, sizes, -240, 240, false);
    // hidden unit 0 gets +254 from every input: with more than 36 of the 60 inputs active its
    // W1 drive exceeds 9,216 wu, the headroom of phase 0 (no gate there), so it fires
    // after x's phase-11 replay; samples with fewer active inputs stay clean
    for (let i = 0; i < sizes.input; i++) weights.w1[i] = 254;
    const dataset = randomDataset(rng, sizes.input, sizes.output, 200);
    const stop = verifyRun({ sizes, order: 'chip', weights, samples: { dataset } });
    expect(stop.invariantViolations + stop.mismatches).toBeGreaterThan(0);
    expect(stop.samples).toBe(stop.firstMismatch!.sample + 1);
    const go = verifyRun({ sizes, order: 'chip', weights, samples: { dataset }, keepGoing: true });
    // the same first discrepancy, but the run goes past it
    expect(go.firstMismatch).toEqual(stop.firstMismatch);
    expect(go.samples).toBeGreaterThan(stop.samples);
    expect(go.samplesWithDiscrepancies).toBeGreaterThan(1);
    if (go.firstWeightMismatch) expect(go.samples).toBe(go.firstWeightMismatch.sample + 1);
    else expect(go.samples).toBe(200);
  });
});
