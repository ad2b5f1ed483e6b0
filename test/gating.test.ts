// Robust gating (docs/gating.md): the headroom proof, adversarial weights on the chip, and
// `synfire train --shadow`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Op } from '../src/chip/counters';
import { weightsToJson, type SbpWeights } from '../src/sbp/weights-file';
import { gatingPlan } from '../src/sbp/gating';
import { denseForward, SbpInferenceChip } from '../src/sbp/inference';
import { headroom, inferenceSchedule, trainingSchedule } from '../src/sbp/headroom';
import { inferenceNetwork, trainingNetwork } from '../src/sbp/topology';
import type { SbpTrainingChip } from '../src/sbp/training';
import { verifyRun } from '../src/sbp/verify';

// Independent arithmetic (Loihi 1): the dendritic accumulator holds 21 magnitude bits; a
// layer compartment has threshold 1024 * 2^6 and bias -4096 * 2^7; plastic mantissas lie in
// -256..254 and deliver mantissa * 2^(6 + exponent).
const Q = 2 ** 21;
const SPAN = 1024 * 64 + 4096 * 128;
const BUDGET = Q - 2 * SPAN;
const expectedExp = (fanIn: number) => {
  let e = 0;
  while (fanIn * 256 * 2 ** (6 + e) > BUDGET) e--;
  return e;
};

describe('headroom proof', () => {
  it('robust gating picks the largest exponent whose full input sum fits the budget', () => {
    expect(BUDGET).toBe(917504);
    for (const [nin, nhid] of [[400, 400], [784, 400], [784, 1000], [100, 20]]) {
      const plan = gatingPlan({ input: nin, hidden: nhid, output: 10 }, 'robust');
      expect(plan.w1Exp).toBe(expectedExp(nin));
      expect(plan.w2Exp).toBe(expectedExp(nhid));
      expect(plan.w2tExp).toBe(expectedExp(20));
    }
    expect(expectedExp(400)).toBe(-3);
    expect(expectedExp(784)).toBe(-4);
    expect(gatingPlan({ input: 784, hidden: 400, output: 10 }, 'paper')).toEqual({ gating: 'paper', w1Exp: 0, w2Exp: 0, w2tExp: 0 });
  });

  it('proves the robust networks for every reachable weight matrix, and refutes the paper gating', () => {
    for (const [nin, nhid] of [[400, 400], [784, 400], [784, 1000]]) {
      const sizes = { input: nin, hidden: nhid, output: 10 };
      const r = headroom(trainingNetwork(sizes, 'chip', 'robust'), trainingSchedule());
      expect(r.problems).toEqual([]);
      expect(r.worstQ.q).toBeLessThan(Q);
      expect(headroom(trainingNetwork(sizes, 'host', 'robust'), trainingSchedule()).ok).toBe(true);
      expect(headroom(inferenceNetwork(sizes, undefined, undefined, 'robust'), inferenceSchedule()).ok).toBe(true);
      const p = headroom(trainingNetwork(sizes, 'chip', 'paper'), trainingSchedule());
      expect(p.ok).toBe(false);
      // the two gaps the authors left: hidden units in phase 0, outputs in phase 8
      expect(p.problems.some((x) => x.startsWith('h1 phase 0: can fire'))).toBe(true);
      expect(p.problems.some((x) => x.startsWith('o phase 8: can fire'))).toBe(true);
    }
  });

  it('the bounds are the arithmetic of docs/gating.md', () => {
    const at = (r: ReturnType<typeof headroom>, g: string, p: number) => r.bounds.find((b) => b.group === g && b.phase === p)!;
    const sizes = { input: 400, hidden: 400, output: 10 };
    const paper = headroom(trainingNetwork(sizes, 'chip', 'paper'), trainingSchedule());
    // phase 0, paper: x's phase-11 replay through W1 at 2^6, nothing else
    expect(at(paper, 'h1', 0)).toMatchObject({ qMin: -400 * 256 * 64, qMax: 400 * 254 * 64 });
    const robust = headroom(trainingNetwork(sizes, 'chip', 'robust'), trainingSchedule());
    // robust: W1 at 2^3, minus the blocking inhibition -8128 wu = -8128 * 64
    expect(at(robust, 'h1', 0)).toMatchObject({ qMin: -400 * 256 * 8 - 8128 * 64, qMax: 400 * 254 * 8 - 8128 * 64 });
    expect(at(robust, 'h1', 0).margin).toBe(1024 * 64 - (400 * 254 * 8 - 8128 * 64 - 4096 * 128));
    // phase 2: gate (1024 * 64 + 4096 * 128 - 512 * 8) makes h1 fire iff W1 x > 512
    expect(at(robust, 'h1', 2)).toMatchObject({ qMin: -400 * 256 * 8 + SPAN - 512 * 8, qMax: 400 * 254 * 8 + SPAN - 512 * 8 });
  });

  it('catches a robust network with one inhibition removed', () => {
    const desc = trainingNetwork({ input: 400, hidden: 400, output: 10 }, 'chip', 'robust');
    desc.connections = desc.connections.filter((c) => c.name !== 'g08->o_copy:gi');
    const r = headroom(desc, trainingSchedule());
    expect(r.problems).toEqual([expect.stringMatching(/^o_copy phase 8: can fire outside its active phases/)]);
  });
});

/** Every input on, twice; weights at the extremes in a pattern. */
function adversarial(sizes: { input: number; hidden: number; output: number }, pattern: (a: number, b: number) => number, pattern2 = pattern): SbpWeights {
  const { input: nin, hidden: nh, output: no } = sizes;
  const w1 = new Int16Array(nh * nin);
  const w2 = new Int16Array(no * nh);
  const p = new Int16Array(nh * no);
  const m = new Int16Array(nh * no);
  for (let j = 0; j < nh; j++) for (let i = 0; i < nin; i++) w1[j * nin + i] = pattern(j, i);
  for (let k = 0; k < no; k++)
    for (let j = 0; j < nh; j++) {
      w2[k * nh + j] = pattern2(k, j);
      p[j * no + k] = pattern2(k, j);
      m[j * no + k] = pattern2(k, j) === 254 ? -256 : 254;
    }
  return { sizes: [nin, nh, no], w1, w2, w2tPos: p, w2tNeg: m };
}

const allOn = (nin: number, samples: number) => {
  const indices = new Uint16Array(nin * samples);
  const offsets = new Uint32Array(samples + 1);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < nin; i++) indices[s * nin + i] = i;
    offsets[s + 1] = (s + 1) * nin;
  }
  const labels = new Uint8Array(samples);
  for (let s = 0; s < samples; s++) labels[s] = s % 10;
  return { name: 'all-on', numInputs: nin, count: samples, labels, offsets, indices };
};

const RULES = ['qWrap', 'uWrap', 'uBiasWrap', 'vSatHigh', 'vSatLow'] as const;

describe('adversarial weights on the chip (every weight at an extreme, every input on)', () => {
  const sizes = { input: 784, hidden: 100, output: 10 };
  const patterns: Array<[string, (a: number, b: number) => number]> = [
    ['all +254', () => 254],
    ['all -256', () => -256],
    ['alternating rows', (a) => (a % 2 === 0 ? 254 : -256)],
  ];
  for (const [name, pattern] of patterns) {
    it(`${name}: robust gating equals the oracle with no spike outside its phases and no wrap or saturation`, () => {
      let net: SbpTrainingChip | null = null;
      const r = verifyRun({
        sizes,
        order: 'chip',
        gating: 'robust',
        weights: adversarial(sizes, pattern),
        samples: { dataset: allOn(784, 3) },
        keepGoing: true,
        beforeSample: (n) => (net = n),
      });
      expect(r.samples).toBe(3);
      expect(r.mismatches).toBe(0);
      expect(r.invariantViolations).toBe(0);
      const c = (net as unknown as SbpTrainingChip).chip.counters;
      for (const rule of RULES) expect(c.total(Op[rule]), rule).toBe(0);
    });
  }

  it('all +254: the paper gating fires outside its phases and wraps the accumulator', () => {
    let net: SbpTrainingChip | null = null;
    const r = verifyRun({ sizes, order: 'chip', gating: 'paper', weights: adversarial(sizes, () => 254), samples: { dataset: allOn(784, 1) }, keepGoing: true, beforeSample: (n) => (net = n) });
    expect(r.invariantViolations).toBeGreaterThan(0);
    expect((net as unknown as SbpTrainingChip).chip.counters.total(Op.qWrap)).toBeGreaterThan(0);
  });
});

describe('the 4-phase inference network with robust gating', () => {
  it('equals the dense integer pass (spikes and potentials) under adversarial weights; the paper gating wraps', () => {
    const sizes = { input: 784, hidden: 100, output: 10 };
    const ds = allOn(784, 1);
    const h = new Uint8Array(100);
    const od = new Uint8Array(10);
    const outd = new Float64Array(10);
    const oc = new Uint8Array(10);
    const outc = new Float64Array(10);
    for (const pattern of [() => 254, () => -256, (a: number, b: number) => ((a + b) % 3 === 0 ? 254 : -256)]) {
      const w = adversarial(sizes, pattern);
      const chip = new SbpInferenceChip(sizes, w.w1, w.w2, { gating: 'robust' });
      chip.inferSample(ds.indices, 0, 784, oc, outc);
      denseForward(sizes, w.w1, w.w2, ds.indices, 0, 784, h, outd, od);
      expect(Array.from(oc)).toEqual(Array.from(od));
      expect(Array.from(outc)).toEqual(Array.from(outd));
      for (const rule of RULES) expect(chip.chip.counters.total(Op[rule]), rule).toBe(0);
    }
    const w = adversarial(sizes, () => 254);
    const paper = new SbpInferenceChip(sizes, w.w1, w.w2, { gating: 'paper' });
    paper.inferSample(ds.indices, 0, 784, oc, outc);
    expect(paper.chip.counters.total(Op.qWrap)).toBeGreaterThan(0);
  });
});

describe('synfire verify --gating robust', () => {
  const cli = join(__dirname, '..', 'bin', 'synfire.js');
  for (const order of ['chip', 'reference']) {
    it(`2,000 MNIST samples, order ${order}: 0 mismatches, 0 invariant violations`, () => {
      const r = spawnSync(process.execPath, [cli, 'verify', '--gating', 'robust', '--samples', '2000', '--order', order, '--json', '--quiet'], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ samples: 2000, mismatches: 0, invariantViolations: 0, gating: 'robust', order, copiesEqual: true });
    }, 120_000);
  }
});

describe('synfire train --shadow', () => {
  const cli = join(__dirname, '..', 'bin', 'synfire.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  let file = '';
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'synfire-gating-'));
    file = join(dir, 'extreme.json');
    writeFileSync(file, weightsToJson(adversarial({ input: 400, hidden: 16, output: 10 }, (j) => (j % 2 === 0 ? 254 : -256), (k, j) => ((k + j) % 2 === 0 ? 254 : -256))));
  });

  it('extreme MNIST weights: the paper gating departs from the oracle within a few samples, the robust one never; verify agrees', () => {
    const common = ['train', '--load-weights', file, '--hidden', '16', '--train-limit', '200', '--no-shuffle', '--test-limit', '10', '--shadow', '--json', '--quiet'];
    const paper = run([...common, '--gating', 'paper']);
    expect(paper.status, paper.stderr).toBe(0);
    const ps = JSON.parse(paper.stdout).shadow;
    expect(ps.samples).toBe(200);
    expect(ps.departures).toBeGreaterThan(0);
    expect(ps.spuriousSpikes).toBeGreaterThan(0);
    const robust = run([...common, '--gating', 'robust']);
    expect(robust.status, robust.stderr).toBe(0);
    expect(JSON.parse(robust.stdout).shadow).toEqual({ samples: 200, departures: 0, firstDeparture: null, spuriousSpikes: 0, samplesWithSpurious: 0, firstSpurious: null });
    // the first departure is the sample after which `synfire verify` finds the first weight difference
    const v = run(['verify', '--load-weights', file, '--samples', '200', '--no-shuffle', '--keep-going', '--gating', 'paper', '--json', '--quiet']);
    expect(v.status).toBe(1);
    expect(JSON.parse(v.stdout).firstWeightMismatch.sample).toBe(ps.firstDeparture);
  });

  it('the counts travel in the checkpoint: a resumed run reports them, also when it has nothing left to train', () => {
    const ckpt = join(dirname(file), 'paper.ckpt');
    const common = ['train', '--load-weights', file, '--hidden', '16', '--train-limit', '200', '--no-shuffle', '--test-limit', '10', '--gating', 'paper', '--shadow', '--json', '--quiet'];
    const first = run([...common, '--checkpoint', ckpt]);
    expect(first.status, first.stderr).toBe(0);
    const again = run(['train', '--resume', ckpt, '--shadow', '--json', '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).samplesTrained).toBe(200);
    expect(JSON.parse(again.stdout).shadow).toEqual(JSON.parse(first.stdout).shadow);
  });
});
