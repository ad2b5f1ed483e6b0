/**
 * A learning step below one LSB (docs/sbp-network.md, "A smaller learning step"): with the sBP
 * rule scaled by 2^-k the chip rounds every update stochastically from each matrix's rounding
 * stream, and still equals the oracle extended with the same streams, spike for spike and
 * weight for weight, in both step orders and with both kernels. The copies of W1 and W2 stay
 * equal; the fast kernel's copies keep following their leader (storage and generator) and count
 * as the naive kernel's separate copies do. `train --lr-halving` runs it, with the shadow
 * oracle and exact resuming.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Op } from '../src/chip/counters';
import { setLearningRule } from '../src/chip/reprogram';
import { initialWeights } from '../src/sbp/init';
import { setLearningShift } from '../src/sbp/learning-rate';
import { PLASTIC_NAMES, type SbpSizes } from '../src/sbp/matrices';
import { sbpRule } from '../src/sbp/params';
import { halvingStart, lrShiftAt } from '../src/sbp/session';
import { PLASTIC_CONNECTIONS } from '../src/sbp/topology';
import { loadWeights, SbpTrainingChip } from '../src/sbp/training';
import { verifyRun } from '../src/sbp/verify';
import { randomData, runCli, tempDir } from './fixtures';

const RUNS: Array<['chip' | 'reference', 'fast' | 'naive']> = [
  ['chip', 'fast'],
  ['reference', 'fast'],
  ['chip', 'naive'],
  ['reference', 'naive'],
];

function dataset(nin: number, nout: number, n: number, seed: number) {
  return { name: 'random', count: n, ...randomData(nin, nout, n, seed) };
}

describe('a learning step of 2^-k LSB: the chip equals the extended oracle', () => {
  const sizes: SbpSizes = { input: 30, hidden: 20, output: 5 };
  for (const shift of [1, 3]) {
    it(`k = ${shift}: 300 samples, both orders, both kernels, every spike and weight; the rounding drew`, () => {
      const weights = initialWeights(sizes, 7);
      const ds = dataset(sizes.input, sizes.output, 300, 11 + shift);
      const finals: Int16Array[][] = [];
      for (const [order, kernel] of RUNS) {
        let net: SbpTrainingChip | null = null;
        const r = verifyRun({ sizes, order, kernel, weights, samples: { dataset: ds }, lrShift: shift, beforeSample: (n) => (net = n) });
        expect(r.firstMismatch).toBeUndefined();
        expect(r.mismatches).toBe(0);
        expect(r.invariantViolations).toBe(0);
        expect(r.copiesEqual).toBe(true);
        expect(r.samples).toBe(300);
        const chip = net!;
        // updates did round: some went up by a whole LSB from a fraction, so weights moved by less than the paper's rule would
        expect(chip.chip.counters.total(Op.roundUp)).toBeGreaterThan(100);
        finals.push(PLASTIC_NAMES.map((m) => chip.matrix(m)));
      }
      // the same draws in both kernels (per order)
      expect(finals[2]).toEqual(finals[0]);
      expect(finals[3]).toEqual(finals[1]);
      // and not the paper's step: the run at k = 0 ends elsewhere
      let exact: SbpTrainingChip | null = null;
      verifyRun({ sizes, order: 'chip', weights, samples: { dataset: ds }, beforeSample: (n) => (exact = n) });
      expect(exact!.matrix('w1')).not.toEqual(finals[0][0]);
    });
  }

  it('the verifier catches one extra draw from a stream (a weight of that matrix, at or after the sample)', () => {
    const weights = initialWeights(sizes, 8);
    const ds = dataset(sizes.input, sizes.output, 200, 5);
    const r = verifyRun({
      sizes,
      order: 'chip',
      weights,
      samples: { dataset: ds },
      lrShift: 2,
      beforeSample(net, k) {
        if (k === 20) net.group('w2tPos').roundRng!.nextU32();
      },
    });
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.firstMismatch!.kind).toBe('weight');
    expect(r.firstMismatch!.group).toBe('w2tPos');
    expect(r.firstMismatch!.sample).toBeGreaterThanOrEqual(20);
  });
});

describe('the fast kernel with rounding streams', () => {
  it('copies follow their leader while they draw alike, and count as the naive kernel counts its separate copies', () => {
    const sizes: SbpSizes = { input: 100, hidden: 30, output: 10 };
    const weights = initialWeights(sizes, 3);
    const ds = randomData(sizes.input, sizes.output, 150, 9);
    const nets = (['fast', 'naive'] as const).map((kernel) => {
      const net = new SbpTrainingChip({ sizes, kernel, gating: 'robust' });
      loadWeights(net, weights);
      setLearningShift(net, 2);
      for (let k = 0; k < 150; k++) net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k]);
      return net;
    });
    const [fast, naive] = nets;
    // the copies still follow (one storage, one generator) in the fast kernel
    expect(fast.group('w1c1').followsLeader).toBe(true);
    expect(fast.group('w1c1').roundRng).toBe(fast.group('w1').roundRng);
    expect(naive.group('w1c1').roundRng).not.toBe(naive.group('w1').roundRng);
    for (const m of PLASTIC_NAMES) expect(fast.matrix(m), m).toEqual(naive.matrix(m));
    expect(fast.chip.counters.totals()).toEqual(naive.chip.counters.totals());
    expect(fast.chip.counters.total(Op.roundUp)).toBeGreaterThan(0);
    // and every generator ended where its naive twin did
    for (const m of PLASTIC_NAMES) expect(Array.from(fast.group(m).roundRng!.state), m).toEqual(Array.from(naive.group(m).roundRng!.state));
  });

  it('reprogramming refuses a rule that reads other variables, and names the group', () => {
    const net = new SbpTrainingChip({ sizes: { input: 10, hidden: 6, output: 3 } });
    const gi = net.compiled.connections[PLASTIC_CONNECTIONS.w1];
    expect(() => setLearningRule(net.chip, gi, 'dw = x0*y0*4 - x0*y0*2')).toThrow(/x->h1.*r1 differs/);
    expect(() => setLearningRule(net.chip, gi, 'dw = x1*y0')).toThrow(/x->h1/);
    expect(() => sbpRule(7)).toThrow(RangeError);
    setLearningRule(net.chip, gi, sbpRule(3));
    expect(net.group('w1').learning!.rule.text).toBe('dw = y0*x0*r1*4*2^-3 - y0*x0*2*2^-3');
  });
});

describe('the schedule', () => {
  it('a halving takes effect at the start of its epoch or at its half-epoch boundary (odd epochs round the half down, as evaluations do)', () => {
    expect(halvingStart(0, 2001)).toBe(0);
    expect(halvingStart(0.5, 2001)).toBe(1000);
    expect(halvingStart(3, 2001)).toBe(6003);
    expect(halvingStart(3.5, 2001)).toBe(7003);
    const h = [0.5, 1, 3.5];
    expect([0, 999, 1000, 2000, 2001, 7002, 7003, 99999].map((n) => lrShiftAt(h, n, 2001))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(lrShiftAt([], 5000, 2001)).toBe(0);
  });

  it('a warm-up halves the step once more until its epoch, then the halvings alone count', () => {
    // warm-up to epoch 1.5 over halvings at 1 and 3: 1 before epoch 1, 2 from 1 to 1.5, 1 to 3, 2 after
    const h = [1, 3];
    expect([0, 2000, 2001, 3000, 3001, 6002, 6003, 99999].map((n) => lrShiftAt(h, n, 2001, 1.5))).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    // no warm-up (0) is the plain schedule
    expect([0, 2001, 6003].map((n) => lrShiftAt(h, n, 2001, 0))).toEqual([0, 1, 2]);
    expect([0, 999, 1000].map((n) => lrShiftAt([], n, 2001, 0.5))).toEqual([1, 1, 0]);
  });
});

describe('synfire train --lr-halving', () => {
  const common = ['train', '--hidden', '16', '--train-limit', '300', '--test-limit', '50', '--json', '--quiet'];

  it('the shadow oracle follows the halvings with 0 departures; a run resumed with a new schedule after its checkpoint equals the run started with it', () => {
    const dir = tempDir('lr');
    const whole = runCli([...common, '--epochs', '2', '--lr-halving', '1,1.5', '--shadow', '--save-weights', join(dir, 'whole.json')]);
    expect(whole.status, whole.stderr).toBe(0);
    const w = JSON.parse(whole.stdout);
    expect(w.lrHalvings).toEqual([1, 1.5]);
    expect(w.shadow).toMatchObject({ samples: 600, departures: 0, spuriousSpikes: 0 });
    expect(w.counts.roundUp).toBeGreaterThan(0);
    const ckpt = join(dir, 'first.ckpt');
    const first = runCli([...common, '--epochs', '1', '--checkpoint', ckpt]);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).counts.roundUp).toBe(0);
    const resumed = runCli(['train', '--resume', ckpt, '--epochs', '2', '--lr-halving', '1,1.5', '--shadow', '--test-limit', '50', '--json', '--quiet', '--save-weights', join(dir, 'resumed.json')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).shadow).toMatchObject({ samples: 300, departures: 0 });
    expect(readFileSync(join(dir, 'resumed.json'), 'utf8')).toBe(readFileSync(join(dir, 'whole.json'), 'utf8'));
    // the checkpoint now records the schedule: an earlier halving is refused, and nothing is written
    const before = readFileSync(ckpt);
    const changed = runCli(['train', '--resume', ckpt, '--epochs', '3', '--lr-halving', '0.5,1,1.5', '--quiet', '--save-weights', join(dir, 'no.json')]);
    expect(changed.status).toBe(2);
    expect(changed.stderr).toMatch(/--lr-halving 0\.5,1,1\.5 changes the schedule before the checkpoint \(epoch 2\), which had 1,1\.5/);
    expect(changed.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(ckpt)).toEqual(before);
    expect(existsSync(join(dir, 'no.json'))).toBe(false);
  });

  it('--lr-warmup: the first epoch at half the step equals --lr-halving 0 and draws as much, the second draws nothing; the shadow follows the step back up; a resume keeps the warm-up', () => {
    const dir = tempDir('warmup');
    const warm = runCli([...common, '--epochs', '2', '--lr-warmup', '1', '--shadow', '--checkpoint', join(dir, 'warm.ckpt'), '--save-weights', join(dir, 'warm.json')]);
    expect(warm.status, warm.stderr).toBe(0);
    const w = JSON.parse(warm.stdout);
    expect(w.lrWarmup).toBe(1);
    expect(w.shadow).toMatchObject({ samples: 600, departures: 0, spuriousSpikes: 0 });
    // one epoch at 1/2 LSB: the same weights and the same rounding as the warm-up's first epoch
    const half = runCli([...common, '--epochs', '1', '--lr-halving', '0', '--save-weights', join(dir, 'half1.json')]);
    expect(half.status, half.stderr).toBe(0);
    const h = JSON.parse(half.stdout);
    expect(h.counts.roundUp).toBeGreaterThan(0);
    expect(w.counts.roundUp).toBe(h.counts.roundUp);
    const first = runCli([...common, '--epochs', '1', '--lr-warmup', '1', '--save-weights', join(dir, 'warm1.json')]);
    expect(first.status, first.stderr).toBe(0);
    expect(readFileSync(join(dir, 'warm1.json'), 'utf8')).toBe(readFileSync(join(dir, 'half1.json'), 'utf8'));
    // the second epoch moved weights at the full step (the run differs from two epochs at 1/2 LSB)
    const half2 = runCli([...common, '--epochs', '2', '--lr-halving', '0', '--save-weights', join(dir, 'half2.json')]);
    expect(half2.status, half2.stderr).toBe(0);
    expect(JSON.parse(half2.stdout).counts.roundUp).toBeGreaterThan(h.counts.roundUp);
    expect(readFileSync(join(dir, 'warm.json'), 'utf8')).not.toBe(readFileSync(join(dir, 'half2.json'), 'utf8'));
    // resuming the 1-epoch warm-up run's checkpoint to epoch 2 equals the whole run
    const ck = join(dir, 'w1.ckpt');
    const part = runCli([...common, '--epochs', '1', '--lr-warmup', '1', '--checkpoint', ck]);
    expect(part.status, part.stderr).toBe(0);
    const rest = runCli(['train', '--resume', ck, '--epochs', '2', '--test-limit', '50', '--json', '--quiet', '--save-weights', join(dir, 'rest.json')]);
    expect(rest.status, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout).lrWarmup).toBe(1);
    expect(readFileSync(join(dir, 'rest.json'), 'utf8')).toBe(readFileSync(join(dir, 'warm.json'), 'utf8'));
    const other = runCli(['train', '--resume', ck, '--epochs', '2', '--lr-warmup', '0.5', '--quiet']);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/option lrWarmup = 0\.5 differs from the checkpoint's 1/);
    expect(other.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad schedules are usage errors (exit 2) that say what is wrong', () => {
    for (const [arg, msg] of [
      ['1,0.7', /'0\.7' is not an epoch/],
      ['2,1', /must increase \(2 then 1\)/],
      ['1,2,3,4,5,6,7', /at most 6 halvings/],
      ['x', /'x' is not an epoch/],
    ] as Array<[string, RegExp]>) {
      const r = runCli([...common, '--epochs', '1', '--lr-halving', arg]);
      expect(r.status, arg).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const notEpoch = runCli([...common, '--epochs', '1', '--lr-warmup', '0.7']);
    expect(notEpoch.status).toBe(2);
    expect(notEpoch.stderr).toMatch(/--lr-warmup: '0\.7' is not an epoch/);
    // six halvings before the warm-up ends, plus its own: seven, one more than the engine takes
    const deepShift = runCli([...common, '--epochs', '1', '--lr-halving', '0,0.5,1,1.5,2,2.5', '--lr-warmup', '3']);
    expect(deepShift.status).toBe(2);
    expect(deepShift.stderr).toMatch(/--lr-warmup: 6 halving\(s\) before epoch 3 plus the warm-up's own make 7; the learning engine takes at most 6/);
    const fine = runCli([...common, '--epochs', '1', '--lr-halving', '0,0.5,1,1.5,2,2.5', '--lr-warmup', '2.5']);
    expect(fine.status, fine.stderr).toBe(0);
    const deepWarm = runCli(['train', '--hidden', '16,8', '--train-limit', '10', '--lr-warmup', '1', '--quiet']);
    expect(deepWarm.status).toBe(2);
    expect(deepWarm.stderr).toMatch(/--lr-warmup: the learning-rate schedule is for one hidden layer/);
    const deep = runCli(['train', '--hidden', '16,8', '--train-limit', '10', '--lr-halving', '1', '--quiet']);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/--lr-halving is for one hidden layer/);
  });
});
