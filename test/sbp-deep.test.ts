/**
 * The L-hidden-layer sBP network (docs/deep.md): its schedule reduces to the paper's 12 phases
 * for one layer, its oracle reduces to the one-layer oracle, and on small random networks with
 * 2 and 3 hidden layers the spiking network equals the deep oracle spike for spike and weight
 * for weight after every sample, in both step orders, on every kernel, for several seeds;
 * robust gating is proved by the headroom checker and exact too; the verifier catches faults.
 */
import { describe, expect, it } from 'vitest';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';
import { randomData, randomWeights, range } from './fixtures';
import { blockStart, deepActivePhases, deepPhases, deepSchedule, deepTrainingNetwork, rewardPhases } from '../src/sbp/deep';
import { deepOracleState, deepOracleTrain, newDeepTrace } from '../src/sbp/deep-oracle';
import { deepInitialWeights, deepVerify } from '../src/sbp/deep-training';
import { headroom } from '../src/sbp/headroom';
import { decodeDeepCheckpoint, encodeDeepCheckpoint } from '../src/sbp/deep-checkpoint';
import { decodeCheckpoint } from '../src/sbp/checkpoint';
import { initialWeights, transposePair } from '../src/sbp/init';
import { newTrace, oracleTrain, type Order } from '../src/sbp/oracle';
import { ACTIVE_PHASES } from '../src/sbp/topology';
import { layeredFromSbp, layeredWeightsFromJson, layeredWeightsToJson, weightsToJson, type LayeredWeights } from '../src/sbp/weights-file';
import { parseArgs } from '../tools/args';
import type { CliIO } from '../tools/cli';
import { command as verifyCommand } from '../tools/commands/verify';
import { command as trainCommand } from '../tools/commands/train';
import { command as rasterCommand } from '../tools/commands/raster';
import { command as profileCommand } from '../tools/commands/profile';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORDERS: Order[] = ['chip', 'reference'];
const KERNELS = ['wasm', 'js', 'naive'] as const;
function kernelOptions(k: (typeof KERNELS)[number]) {
  return { kernel: k === 'naive' ? ('naive' as const) : ('fast' as const), rowSum: k === 'wasm' ? createWasmRowSumKernel : undefined };
}


describe('the L-layer schedule', () => {
  it('is the paper schedule for one hidden layer', () => {
    expect(deepPhases(1)).toBe(12);
    expect(rewardPhases(1)).toEqual([5, 7]);
    const a = deepActivePhases(1);
    const want: Record<string, number[]> = { ...ACTIVE_PHASES, m_x: ACTIVE_PHASES.m_x6 };
    delete want.m_x6;
    expect(a).toEqual(want);
  });

  it('grows by 9 phases per hidden layer, one 8-phase error block per extra layer', () => {
    expect([2, 3, 4].map(deepPhases)).toEqual([21, 30, 39]);
    expect([blockStart(2, 3), blockStart(2, 2)]).toEqual([5, 13]);
    expect(rewardPhases(2)).toEqual([6, 14, 16]);
  });

  it('refuses a depth whose replays need delays the chip cannot carry', () => {
    expect(() => deepTrainingNetwork([16, 8, 8, 8, 8, 8, 8, 8, 8, 4])).toThrow(/delay of \d+ steps, more than the chip's 62/);
  });

  it('robust gating is proved for two hidden layers at MNIST and Fashion-MNIST sizes; the paper gating is not', () => {
    for (const sizes of [
      [400, 400, 400, 10],
      [784, 400, 400, 10],
    ]) {
      expect(headroom(deepTrainingNetwork(sizes, 'robust'), deepSchedule(2)).problems).toEqual([]);
      expect(headroom(deepTrainingNetwork(sizes, 'paper'), deepSchedule(2)).ok).toBe(false);
    }
  });
});

describe('the deep oracle', () => {
  it('equals the one-layer oracle for one hidden layer (two independent implementations)', () => {
    const sizes = { input: 20, hidden: 16, output: 5 };
    for (const order of ORDERS) {
      const w = initialWeights(sizes, 7);
      // a positive shift so that the hidden layer fires
      for (let k = 0; k < w.w1.length; k++) w.w1[k] = Math.min(254, w.w1[k] + 60);
      const pm = transposePair(w.w2, 16, 5);
      const one = { nin: 20, nhid: 16, nout: 5, w1: Int16Array.from(w.w1), w2: Int16Array.from(w.w2), p: pm.w2tPos, m: pm.w2tNeg };
      const deep = deepOracleState([20, 16, 5], [new Int16Array(0), w.w1, w.w2]);
      const t1 = newTrace(16, 5);
      const td = newDeepTrace([20, 16, 5]);
      const ds = randomData(20, 5, 150, 3);
      let errs = 0;
      for (let s = 0; s < 150; s++) {
        const x = new Uint8Array(20);
        for (let j = ds.offsets[s]; j < ds.offsets[s + 1]; j++) x[ds.indices[j]] = 1;
        oracleTrain(one, x, ds.labels[s], order, t1);
        deepOracleTrain(deep, x, ds.labels[s], order, td);
        expect(Array.from(td.ePos[1])).toEqual(Array.from(t1.d1Pos));
        expect(Array.from(td.eNeg[1])).toEqual(Array.from(t1.d1Neg));
        for (let j = 0; j < 16; j++) errs += t1.d1Pos[j] + t1.d1Neg[j];
      }
      expect(errs).toBeGreaterThan(50);
      expect(Array.from(deep.w[1])).toEqual(Array.from(one.w1));
      expect(Array.from(deep.w[2])).toEqual(Array.from(one.w2));
      expect(Array.from(deep.p[2])).toEqual(Array.from(one.p));
      expect(Array.from(deep.m[2])).toEqual(Array.from(one.m));
    }
  });
});

describe('the L-layer network on the chip equals the deep oracle', () => {
  const cases: Array<{ sizes: number[]; lo: number; hi: number }> = [
    { sizes: [16, 12, 8, 4], lo: -60, hi: 240 },
    { sizes: [16, 12, 8, 4], lo: -100, hi: 240 },
    { sizes: [16, 12, 10, 8, 4], lo: -60, hi: 240 },
    { sizes: [16, 12, 10, 8, 4], lo: -40, hi: 200 },
  ];
  for (const { sizes, lo, hi } of cases)
    for (const order of ORDERS)
      for (const k of KERNELS)
        it(`${sizes.join('-')} weights [${lo}, ${hi}), order ${order}, kernel ${k}`, () => {
          const ds = randomData(sizes[0], sizes[sizes.length - 1], 150, lo + hi);
          const r = deepVerify({ sizes, order, ...kernelOptions(k), weights: randomWeights(sizes, 5 - lo, lo, hi), dataset: ds, indices: range(150) });
          expect(r.first).toBeNull();
          expect(r.samples).toBe(150);
          // every layer's error signs were exercised, both signs
          for (const [, pos, neg] of r.errors) {
            expect(pos).toBeGreaterThan(5);
            expect(neg).toBeGreaterThan(5);
          }
        });

  it('one hidden layer built by the L-layer builder equals the oracle too', () => {
    const sizes = [16, 12, 4];
    for (const order of ORDERS) {
      const r = deepVerify({ sizes, order, weights: randomWeights(sizes, 9, -60, 240), dataset: randomData(16, 4, 150, 2), indices: range(150) });
      expect(r.first).toBeNull();
      expect(r.errors[0][1] + r.errors[0][2]).toBeGreaterThan(20);
    }
  });

  it('robust gating with non-zero weight exponents (fan-in 64) is exact', () => {
    const sizes = [64, 60, 40, 4];
    const net = deepTrainingNetwork(sizes, 'robust');
    expect(net.connections.some((c) => (c.weightExp ?? 0) < 0)).toBe(true);
    for (const order of ORDERS) {
      const r = deepVerify({ sizes, order, gating: 'robust', weights: randomWeights(sizes, 11, -30, 100), dataset: randomData(64, 4, 100, 4), indices: range(100) });
      expect(r.first).toBeNull();
      for (const [, pos, neg] of r.errors) expect(pos + neg).toBeGreaterThan(5);
    }
  });

  it('reports a fault: a weight changed on the chip behind the oracle', () => {
    const sizes = [16, 12, 8, 4];
    const r = deepVerify({
      sizes,
      weights: randomWeights(sizes, 5, -60, 240),
      dataset: randomData(16, 4, 50, 1),
      indices: range(50),
      beforeSample(net, k) {
        if (k !== 20) return;
        const m = net.matrix('p3');
        m[0] = m[0] > 0 ? -200 : 200;
        net.setMatrix('p3', m);
      },
    });
    expect(r.samples).toBe(21);
    expect(r.first).toMatch(/^sample 20 .*matrix p3 index 0/);
  });

  it('the seeded initial weights keep the one-layer draw for the first two matrices', () => {
    const one = initialWeights({ input: 30, hidden: 20, output: 5 }, 3);
    const deep = deepInitialWeights([30, 20, 5], 3);
    expect(Array.from(deep[1])).toEqual(Array.from(one.w1));
    expect(Array.from(deep[2])).toEqual(Array.from(one.w2));
  });
});

describe('synfire verify --hidden H1,H2 (command)', () => {
  async function run(argv: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const o = parseArgs(verifyCommand.spec, argv);
    const io: CliIO = { json: o.json === true, isTTY: false, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
    const code = await verifyCommand.run(o, io);
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  it('parses a list into several hidden layers and verifies MNIST samples against the deep oracle', async () => {
    expect(parseArgs(verifyCommand.spec, ['--hidden', '400,400']).hidden).toEqual([400, 400]);
    expect(parseArgs(verifyCommand.spec, ['--hidden', '400']).hidden).toBe(400);
    for (const order of ORDERS) {
      const r = await run(['--hidden', '24,16', '--samples', '30', '--order', order, '--kernel', 'js', '--json']);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ samples: 30, mismatches: 0, invariantViolations: 0, sizes: [400, 24, 16, 10], order, gating: 'robust' });
    }
  }, 30_000);

  it('refuses what several hidden layers do not support, in one line', async () => {
    await expect(run(['--hidden', '20,20', '--reward', 'host'])).rejects.toThrow(/--reward chip/);
    expect(() => parseArgs(verifyCommand.spec, ['--hidden', '400,0'])).toThrow(/--hidden must be between 1 and/);
    expect(() => parseArgs(verifyCommand.spec, ['--hidden', '400,x'])).toThrow(/--hidden needs an integer/);
  });
});

describe('synfire train --hidden H1,H2 (command)', () => {
  async function run(argv: string[]) {
    const stdout: string[] = [];
    const o = parseArgs(trainCommand.spec, argv);
    const io: CliIO = { json: o.json === true, isTTY: false, out: (s) => stdout.push(s), err: () => undefined };
    const code = await trainCommand.run(o, io);
    return { code, stdout: stdout.join('\n') };
  }

  it('trains several hidden layers on the chip and reports the metrics, the cost per sample and the network', async () => {
    const r = await run(['--hidden', '24,16', '--train-limit', '60', '--test-limit', '100', '--kernel', 'js', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ sizes: [400, 24, 16, 10], hiddenLayers: 2, phasesPerSample: 21, samplesTrained: 60, gating: 'robust' });
    expect(j.test.samples).toBe(100);
    expect(j.history.map((h: { epoch: number }) => h.epoch)).toEqual([0.5, 1]);
    // plastic synapses: W1, W2, W3 three times each, ±W2ᵀ and ±W3ᵀ
    expect(j.network.plasticSynapses).toBe(3 * (400 * 24 + 24 * 16 + 16 * 10) + 2 * (24 * 16 + 16 * 10));
    expect(j.chipEstimate.energyMilliJoulePerSample).toBeGreaterThan(0);
    expect(j.chipEstimate.latencyMsPerSample).toBeGreaterThan(0);
  }, 30_000);

  it('refuses the one-layer file options with several hidden layers', async () => {
    await expect(run(['--hidden', '24,16', '--save-model', 'x.json'])).rejects.toThrow(/--save-model is for one hidden layer/);
  });
});

describe('synfire raster --hidden H1,H2 (command)', () => {
  it('draws one sample of the two-layer network: every group fires only in its phases, the errors reach both hidden layers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synfire-deep-'));
    try {
      const out = join(dir, 'deep.svg');
      const stdout: string[] = [];
      const o = parseArgs(rasterCommand.spec, ['--hidden', '24,16', '--train-first', '20', '--out', out, '--json']);
      const code = await rasterCommand.run(o, { json: true, isTTY: false, out: (s) => stdout.push(s), err: () => undefined });
      expect(code).toBe(0);
      const j = JSON.parse(stdout.join(''));
      expect(j).toMatchObject({ phases: 21, sizes: [400, 24, 16, 10], hadErrors: true, gating: 'robust' });
      const active = deepActivePhases(2);
      for (const name in j.spikes) {
        if (/^g\d\d$/.test(name)) continue;
        (j.spikes[name] as number[]).forEach((c, p) => {
          if (c > 0) expect(active[name], `${name} in phase ${p}`).toContain(p);
        });
      }
      // the error of h1 appears in phases 16 and 20, h2's in 8 and 12
      expect(j.spikes.h1[16] + j.spikes.h1[20]).toBeGreaterThan(0);
      expect(j.spikes.h2[8] + j.spikes.h2[12]).toBeGreaterThan(0);
      const svg = readFileSync(out, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('21 phases');
      expect(svg).toContain('gating robust');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('weight files with several hidden layers', () => {
  it('one hidden layer: the layered writer is the one-layer writer, byte for byte, and reads it back', () => {
    const w = initialWeights({ input: 12, hidden: 7, output: 3 }, 4);
    const text = weightsToJson(w);
    expect(layeredWeightsToJson(layeredFromSbp(w))).toBe(text);
    const back = layeredWeightsFromJson(text, 'one.json');
    expect(back.sizes).toEqual([12, 7, 3]);
    expect(Array.from(back.w[1])).toEqual(Array.from(w.w1));
    expect(Array.from(back.tNeg[2])).toEqual(Array.from(w.w2tNeg));
  });

  it('two hidden layers: w1..w3, then w2tPos, w2tNeg, w3tPos, w3tNeg; round trip; errors name the matrix', () => {
    const sizes = [9, 7, 5, 3];
    const w = randomWeights(sizes, 3, -256, 256);
    const t = (l: number, sign: number) => {
      const m = new Int16Array(sizes[l] * sizes[l - 1]);
      for (let k = 0; k < sizes[l]; k++) for (let j = 0; j < sizes[l - 1]; j++) m[j * sizes[l] + k] = Math.max(-256, Math.min(254, sign * w[l][k * sizes[l - 1] + j]));
      return m;
    };
    const lw: LayeredWeights = { sizes, w, tPos: [new Int16Array(0), new Int16Array(0), t(2, 1), t(3, 1)], tNeg: [new Int16Array(0), new Int16Array(0), t(2, -1), t(3, -1)] };
    const text = layeredWeightsToJson(lw);
    const keys = Object.keys(JSON.parse(text));
    expect(keys).toEqual(['format', 'sizes', 'w1', 'w2', 'w3', 'w2tPos', 'w2tNeg', 'w3tPos', 'w3tNeg']);
    const back = layeredWeightsFromJson(text, 'deep.json');
    expect(back.sizes).toEqual(sizes);
    for (let l = 1; l <= 3; l++) expect(Array.from(back.w[l])).toEqual(Array.from(w[l]));
    for (let l = 2; l <= 3; l++) expect(Array.from(back.tNeg[l])).toEqual(Array.from(lw.tNeg[l]));
    const bad = JSON.parse(text);
    bad.w3tNeg.pop();
    expect(() => layeredWeightsFromJson(JSON.stringify(bad), 'deep.json')).toThrow('deep.json: "w3tNeg" has 4 rows, expected 5 (h2×out = 5×3)');
  });

  it('train --save-weights, then verify and train --load-weights continue from exactly those weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synfire-deep-w-'));
    const quietIo = (stdout: string[]): CliIO => ({ json: true, isTTY: false, out: (s) => stdout.push(s), err: () => undefined });
    try {
      const f = join(dir, 'a.json');
      const g = join(dir, 'b.json');
      let o = parseArgs(trainCommand.spec, ['--hidden', '20,12', '--train-limit', '40', '--test-limit', '0', '--kernel', 'js', '--save-weights', f, '--json']);
      expect(await trainCommand.run(o, quietIo([]))).toBe(0);
      const saved = layeredWeightsFromJson(readFileSync(f, 'utf8'), f);
      expect(saved.sizes).toEqual([400, 20, 12, 10]);
      o = parseArgs(trainCommand.spec, ['--hidden', '20,12', '--load-weights', f, '--train-limit', '0', '--test-limit', '0', '--save-weights', g, '--json']);
      expect(await trainCommand.run(o, quietIo([]))).toBe(0);
      expect(readFileSync(g, 'utf8')).toBe(readFileSync(f, 'utf8'));
      const out: string[] = [];
      o = parseArgs(verifyCommand.spec, ['--hidden', '20,12', '--load-weights', f, '--samples', '20', '--kernel', 'js', '--json']);
      expect(await verifyCommand.run(o, quietIo(out))).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ samples: 20, mismatches: 0, invariantViolations: 0 });
      o = parseArgs(verifyCommand.spec, ['--hidden', '20,16', '--load-weights', f, '--samples', '20']);
      await expect(verifyCommand.run(o, quietIo([]))).rejects.toThrow(/sizes 400-20-12-10 do not match the network 400-20-16-10 \(use --hidden 20,12\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('synfire profile --hidden H1,H2 (command)', () => {
  it('reports energy, latency and EDP per training sample, the phases adding up to the sample', async () => {
    const out: string[] = [];
    const o = parseArgs(profileCommand.spec, ['--hidden', '24,16', '--samples', '30', '--warmup-samples', '10', '--json']);
    expect(await profileCommand.run(o, { json: true, isTTY: false, out: (s) => out.push(s), err: () => undefined })).toBe(0);
    const j = JSON.parse(out.join(''));
    expect(j).toMatchObject({ sizes: [400, 24, 16, 10], phasesPerSample: 21, samples: 30, warmupSamples: 10 });
    expect(j.byPhase).toHaveLength(21);
    const e = j.byPhase.reduce((a: number, p: { energyNanoJoule: number }) => a + p.energyNanoJoule, 0);
    const t = j.byPhase.reduce((a: number, p: { latencyUs: number }) => a + p.latencyUs, 0);
    expect(e / 1e6).toBeCloseTo(j.perSample.energyMilliJoule, 9);
    expect(t / 1e3).toBeCloseTo(j.perSample.latencyMs, 9);
    expect(j.perSample.edpMilliJouleMs).toBeCloseTo(j.perSample.energyMilliJoule * j.perSample.latencyMs, 12);
  }, 30_000);
});

describe('checkpoints with several hidden layers', () => {
  it('round-trip (version 2, CRC-checked); the one-layer reader refuses them by version, damage is named', () => {
    const sizes = [9, 7, 5, 3];
    const matrices: Record<string, Int16Array> = {};
    const w = randomWeights(sizes, 2, -256, 256);
    for (const l of [1, 2, 3]) for (const c of ['', 'c1', 'c2']) matrices[`w${l}${c}`] = w[l];
    for (const l of [2, 3]) {
      matrices[`p${l}`] = new Int16Array(sizes[l] * sizes[l - 1]).fill(2 * l);
      matrices[`m${l}`] = new Int16Array(sizes[l] * sizes[l - 1]).fill(-2 * l);
    }
    const c = { sizes, matrices, epoch: 3, sampleInEpoch: 17, samplesTrained: 2 ** 40 + 5, seed: 9, rngState: [1, 2, 3, 4], meta: { a: [1, 'b'] } };
    const bytes = encodeDeepCheckpoint(c);
    const back = decodeDeepCheckpoint(bytes, 'd.ckpt');
    expect(back).toEqual(c);
    expect(() => decodeCheckpoint(bytes, 'd.ckpt')).toThrow(/d.ckpt: unsupported checkpoint version 2/);
    const bad = bytes.slice();
    bad[100] ^= 1;
    expect(() => decodeDeepCheckpoint(bad, 'd.ckpt')).toThrow('d.ckpt: corrupted: CRC-32 mismatch');
  });

  it('train --checkpoint, then --resume for a second epoch, ends with exactly the weights of two epochs in one run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synfire-deep-ck-'));
    const io: CliIO = { json: true, isTTY: false, out: () => undefined, err: () => undefined };
    try {
      const common = ['--hidden', '20,12', '--train-limit', '30', '--test-limit', '20', '--kernel', 'js', '--json'];
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.json');
      const ck = join(dir, 'run.ckpt');
      expect(await trainCommand.run(parseArgs(trainCommand.spec, [...common, '--epochs', '2', '--save-weights', a]), io)).toBe(0);
      expect(await trainCommand.run(parseArgs(trainCommand.spec, [...common, '--epochs', '1', '--checkpoint', ck]), io)).toBe(0);
      const cp = decodeDeepCheckpoint(readFileSync(ck), ck);
      expect([cp.epoch, cp.sampleInEpoch, cp.samplesTrained]).toEqual([1, 0, 30]);
      expect(await trainCommand.run(parseArgs(trainCommand.spec, [...common, '--epochs', '2', '--resume', ck, '--save-weights', b]), io)).toBe(0);
      expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
      await expect(trainCommand.run(parseArgs(trainCommand.spec, [...common, '--epochs', '2', '--resume', ck, '--seed', '5']), io)).rejects.toThrow(/option seed = 5 differs from the checkpoint's 1/);
      // without --hidden the checkpoint's own layers are resumed
      const c = join(dir, 'c.json');
      expect(await trainCommand.run(parseArgs(trainCommand.spec, ['--resume', ck, '--epochs', '2', '--kernel', 'js', '--test-limit', '20', '--save-weights', c, '--json']), io)).toBe(0);
      expect(readFileSync(c, 'utf8')).toBe(readFileSync(a, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
