/**
 * The shadow oracle for several hidden layers (src/sbp/deep-shadow.ts) and the checks it shares
 * with the one-layer shadow (src/sbp/shadow-checks.ts): the row and column check against a
 * comparison of every weight, a silent run that `deepVerify` (which compares everything) agrees
 * with, one fault counted as exactly one departure, the paper gating firing outside its phases
 * under extreme weights where the robust gating does not, and the command's report.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/chip/prng';
import { deepVerify, DeepTrainingChip } from '../src/sbp/deep-training';
import { DeepShadow } from '../src/sbp/deep-shadow';
import { countSpurious, diffScratch, matrixDiffers, silentLists, type WatchedMatrix } from '../src/sbp/shadow-checks';
import { parseArgs } from '../tools/args';
import type { CliIO } from '../tools/cli';
import { command as trainCommand } from '../tools/commands/train';
import { randomData, randomWeights, range } from './fixtures';

type Data = ReturnType<typeof randomData>;

function train(net: DeepTrainingChip, shadow: DeepShadow, data: Data, n: number, before?: (k: number) => void): void {
  for (let k = 0; k < n; k++) {
    if (before) before(k);
    const a = data.offsets[k];
    const b = data.offsets[k + 1];
    net.trainSample(data.indices, a, b, data.labels[k], shadow.record);
    shadow.afterSample(data.indices, a, b, data.labels[k]);
  }
}

describe('shadow checks', () => {
  // a 3 (pre) x 2 (post) matrix; the chip holds it pre-major, the oracle post-major
  const pre = { start: 0, size: 3 };
  const post = { start: 3, size: 2 };
  const oracle = Int16Array.from([10, 11, 12, 20, 21, 22]); // post 0: 10 11 12; post 1: 20 21 22
  const chipOf = (o: Int16Array) => Int16Array.from([o[0], o[3], o[1], o[4], o[2], o[5]]);
  const none = new Uint8Array(3);
  const watched = (chip: Int16Array, rows: Uint8Array, cols: Uint8Array): WatchedMatrix => ({ pre, posts: [post], weights: [() => chip], oracle: () => oracle, oracleRows: [() => rows], oracleCols: [() => cols] });

  it('finds a difference in a row and column the sample touched, on the chip side or the oracle side', () => {
    const chip = chipOf(oracle);
    chip[2 * 2 + 1] = 99; // pre 2 -> post 1
    const quiet = [new Uint8Array(5), new Uint8Array(5)];
    expect(matrixDiffers(quiet, watched(chip, none, none), diffScratch(3))).toBe(false);
    // the chip: pre 2 and post 1 spiked in the same phase
    const flags = [new Uint8Array(5), Uint8Array.from([0, 0, 1, 0, 1])];
    expect(matrixDiffers(flags, watched(chip, none, none), diffScratch(3))).toBe(true);
    // the oracle updated row 1 and column 2
    expect(matrixDiffers(quiet, watched(chip, Uint8Array.from([0, 1]), Uint8Array.from([0, 0, 1])), diffScratch(3))).toBe(true);
    // post 1 spiked only in a phase without a pre spike: the rule cannot have moved its weights
    const apart = [Uint8Array.from([0, 0, 1, 0, 0]), Uint8Array.from([0, 0, 0, 0, 1])];
    expect(matrixDiffers(apart, watched(chip, none, none), diffScratch(3))).toBe(false);
    // equal weights are never a difference, whatever spiked
    expect(matrixDiffers(flags, watched(chipOf(oracle), Uint8Array.from([1, 1]), Uint8Array.from([1, 1, 1])), diffScratch(3))).toBe(false);
  });

  it('counts the spikes outside their phases, gates included, and names the first', () => {
    const groups = { a: { start: 0, size: 2 }, g00: { start: 2, size: 1 }, g01: { start: 3, size: 1 } };
    const silent = silentLists({ a: [1] }, 2, groups, (q) => `g0${q}`);
    // phase 0: g01 may fire (gate q fires in phase q-1); a fires out of phase once
    const flags = [Uint8Array.from([1, 0, 0, 1]), Uint8Array.from([1, 1, 1, 0])];
    const firsts: string[] = [];
    expect(countSpurious(flags, silent, (g, p) => firsts.push(`${g}@${p}`))).toBe(1);
    expect(firsts).toEqual(['a@0']);
    flags[1][3] = 1; // g01 in phase 1 as well
    expect(countSpurious(flags, silent, () => undefined)).toBe(2);
  });
});

describe('DeepShadow', () => {
  const sizes = [16, 12, 8, 4];

  it('robust gating, random weights: no departure and no spike out of phase, as deepVerify finds comparing every weight', () => {
    for (const seed of [1, 2, 3]) {
      const weights = randomWeights(sizes, seed, -60, 240);
      const data = randomData(16, 4, 60, seed);
      const net = new DeepTrainingChip({ sizes, weights, gating: 'robust', kernel: 'fast' });
      const shadow = new DeepShadow(net);
      train(net, shadow, data, 60);
      expect(shadow.report).toEqual({ samples: 60, departures: 0, firstDeparture: null, spuriousSpikes: 0, samplesWithSpurious: 0, firstSpurious: null });
      const v = deepVerify({ sizes, weights, gating: 'robust', dataset: data, indices: range(60) });
      expect(v.mismatches + v.invariantViolations).toBe(0);
    }
  });

  it('one weight changed behind the oracle is one departure, found when a sample reaches it; then the oracle follows the chip again', () => {
    const weights = randomWeights(sizes, 5, -60, 240);
    const data = randomData(16, 4, 120, 1);
    const net = new DeepTrainingChip({ sizes, weights, gating: 'robust', kernel: 'fast' });
    const shadow = new DeepShadow(net);
    train(net, shadow, data, 120, (k) => {
      if (k !== 20) return;
      // all of W2 (12 -> 8) and its two copies: the next update of W2 reaches a changed weight
      const m = net.matrix('w2');
      for (let i = 0; i < m.length; i++) m[i] = m[i] > 0 ? m[i] - 2 : m[i] + 2;
      for (const name of ['w2', 'w2c1', 'w2c2']) net.setMatrix(name, m);
    });
    expect(shadow.report.departures).toBe(1);
    expect(shadow.report.firstDeparture).toBeGreaterThanOrEqual(20);
    expect(shadow.report.spuriousSpikes).toBe(0);
  });

  it('extreme weights, every input on: the paper gating fires outside its phases and departs, the robust gating does neither', () => {
    const big = [400, 16, 12, 10];
    const rng = new Prng(7);
    const w = [new Int16Array(0)];
    for (let l = 1; l < big.length; l++) w.push(Int16Array.from({ length: big[l] * big[l - 1] }, () => (rng.nextFloat() < 0.5 ? 254 : -254)));
    w[1].fill(254);
    const allOn = { numInputs: 400, offsets: Uint32Array.from(range(31).map((k) => 400 * k)), indices: Uint16Array.from(range(400 * 30).map((k) => k % 400)), labels: Uint8Array.from(range(30).map((k) => k % 10)) };
    const run = (gating: 'paper' | 'robust') => {
      const net = new DeepTrainingChip({ sizes: big, weights: w.map((m) => Int16Array.from(m)), gating, kernel: 'fast' });
      const shadow = new DeepShadow(net);
      train(net, shadow, allOn, 30);
      return shadow.report;
    };
    const paper = run('paper');
    expect(paper.spuriousSpikes).toBeGreaterThan(0);
    expect(paper.departures).toBeGreaterThan(0);
    expect(run('robust')).toMatchObject({ samples: 30, departures: 0, spuriousSpikes: 0 });
  });
});

describe('synfire train --hidden H1,H2 --shadow', () => {
  it('reports the shadow over every sample trained, in the summary and in --json', async () => {
    const out: string[] = [];
    const run = async (argv: string[]) => {
      out.length = 0;
      const o = parseArgs(trainCommand.spec, argv);
      const io: CliIO = { json: o.json === true, isTTY: false, out: (s) => out.push(s), err: () => undefined };
      return trainCommand.run(o, io);
    };
    expect(await run(['--hidden', '24,16', '--train-limit', '60', '--test-limit', '20', '--kernel', 'js', '--shadow', '--json'])).toBe(0);
    expect(JSON.parse(out.join('')).shadow).toEqual({ samples: 60, departures: 0, firstDeparture: null, spuriousSpikes: 0, samplesWithSpurious: 0, firstSpurious: null });
    expect(await run(['--hidden', '24,16', '--train-limit', '40', '--test-limit', '20', '--kernel', 'js', '--shadow'])).toBe(0);
    expect(out.join('\n')).toMatch(/shadow oracle over 40 samples: 0 departure\(s\), 0 spike\(s\) outside their phases/);
  }, 30_000);
});
