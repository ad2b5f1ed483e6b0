// End-to-end tests of `synfire train`: weight files, exactness against the per-sample oracle,
// kill -9 and resume, corrupted checkpoints, and a network too large for the chip.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/datasets';
import { sampleBits } from '../src/data/preprocess';
import { weightsFromJson } from '../src/sbp/weights-file';
import { newTrace, oracleTrain } from '../src/sbp/oracle';
import { ROOT, runCli, tempDir } from './fixtures';

const run = (args: string[]) => runCli(args, 120_000);
let dir = '';

beforeAll(() => {
  dir = tempDir('train');
});

const readWeights = (f: string) => weightsFromJson(readFileSync(f, 'utf8'), f);

describe('synfire train', () => {
  it('--train-limit 0 writes the initial weights; N samples with --no-shuffle equal the oracle applied by hand', () => {
    const init = join(dir, 'init.json');
    let r = run(['train', '--train-limit', '0', '--save-weights', init, '--seed', '5', '--test-limit', '10', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const w0 = readWeights(init);
    expect(w0.sizes).toEqual([400, 400, 10]);
    // +W2^T and -W2^T start as the transpose of W2 and its negation
    for (let k = 0; k < 10; k++) for (let j = 0; j < 400; j++) {
      expect(w0.w2tPos[j * 10 + k]).toBe(w0.w2[k * 400 + j]);
      expect(w0.w2tNeg[j * 10 + k]).toBe(0 - w0.w2[k * 400 + j]);
    }
    const N = 300;
    const out = join(dir, 'out.json');
    r = run(['train', '--load-weights', init, '--no-shuffle', '--train-limit', String(N), '--epochs', '1', '--save-weights', out, '--test-limit', '10', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const w = readWeights(out);
    // the oracle, by hand, on the first N training samples in file order
    const ds = loadDataset('mnist', 'train', { limit: N });
    const st = { nin: 400, nhid: 400, nout: 10, w1: w0.w1.slice(), w2: w0.w2.slice(), p: w0.w2tPos.slice(), m: w0.w2tNeg.slice() };
    const tr = newTrace(400, 10);
    const x = new Uint8Array(400);
    for (let k = 0; k < N; k++) oracleTrain(st, sampleBits(ds, k, x), ds.labels[k], 'chip', tr);
    expect(Array.from(w.w1)).toEqual(Array.from(st.w1));
    expect(Array.from(w.w2)).toEqual(Array.from(st.w2));
    expect(Array.from(w.w2tPos)).toEqual(Array.from(st.p));
    expect(Array.from(w.w2tNeg)).toEqual(Array.from(st.m));
    // and training changed something
    expect(Array.from(w.w1)).not.toEqual(Array.from(w0.w1));
  });

  it('a run killed with kill -9 and resumed ends with the same weights as an uninterrupted run', async () => {
    const common = ['--train-limit', '1200', '--epochs', '2', '--seed', '3', '--test-limit', '50', '--quiet'];
    const a = join(dir, 'a.json');
    const r = run(['train', ...common, '--checkpoint', join(dir, 'a.ckpt'), '--save-weights', a, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const full = JSON.parse(r.stdout);
    expect(full.samplesTrained).toBe(2400);
    expect(full.history).toHaveLength(4);

    const ckpt = join(dir, 'b.ckpt');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'synfire.js'), 'train', ...common, '--checkpoint', ckpt], { stdio: 'ignore' });
    // kill it as soon as the first half-epoch checkpoint exists
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (existsSync(ckpt)) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        } else if (Date.now() - t0 > 60_000) {
          clearInterval(poll);
          reject(new Error('no checkpoint appeared'));
        }
      }, 5);
    });
    const code = await new Promise<number | null>((res) => child.on('exit', (c, sig) => res(sig === 'SIGKILL' ? -9 : c)));
    expect(code).toBe(-9);
    const b = join(dir, 'b.json');
    const r2 = run(['train', '--resume', ckpt, '--epochs', '2', '--test-limit', '50', '--save-weights', b, '--json', '--quiet']);
    expect(r2.status, r2.stderr).toBe(0);
    const resumed = JSON.parse(r2.stdout);
    expect(resumed.samplesTrained).toBe(2400);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
    expect(resumed.test).toEqual(full.test);
  });

  it('a corrupted or truncated checkpoint gets a clear error and is not overwritten', () => {
    const ck = join(dir, 'c.ckpt');
    const r = run(['train', '--train-limit', '200', '--epochs', '1', '--test-limit', '10', '--checkpoint', ck, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(ck);
    const bad = Buffer.from(bytes);
    bad[bad.length >> 1] ^= 0xff;
    writeFileSync(ck, bad);
    const before = readFileSync(ck);
    const r2 = run(['train', '--resume', ck, '--epochs', '2', '--test-limit', '10']);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/corrupt|CRC/i);
    expect(r2.stderr).toContain(ck);
    expect(r2.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(ck).equals(before)).toBe(true);
    writeFileSync(ck, bytes.subarray(0, 100));
    const r3 = run(['train', '--resume', ck, '--test-limit', '10']);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toMatch(/truncated|too short/i);
    expect(statSync(ck).size).toBe(100);
  });

  it('a network too large for one chip fails fast with an error, not a stack trace', () => {
    const t0 = Date.now();
    const r = run(['train', '--hidden', '20000', '--train-limit', '10', '--test-limit', '10']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not fit/);
    expect(r.stderr).toMatch(/h1/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('--json reports the fields the issue lists', () => {
    const r = run(['train', '--train-limit', '100', '--test-limit', '20', '--gating', 'paper', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.gating).toBe('paper');
    for (const k of ['dataset', 'sizes', 'epochs', 'samplesTrained', 'seed', 'order', 'network', 'test', 'history', 'msPerSample', 'wallSeconds']) expect(j).toHaveProperty(k);
    expect(j.network).toEqual({ compartments: 3282, synapses: 517203, plasticSynapses: 500000, cores: expect.any(Number) });
    for (const k of ['samples', 'accExact', 'accArgmaxSpikes', 'accArgmaxPotential', 'mse']) expect(j.test).toHaveProperty(k);
    expect(j.test.samples).toBe(20);
  });

  it('--test-limit 0 trains without any evaluation, and the summary and JSON say so', () => {
    const common = ['train', '--train-limit', '200', '--seed', '8'];
    const none = run([...common, '--test-limit', '0', '--save-weights', join(dir, 'noeval.json'), '--json']);
    expect(none.status, none.stderr).toBe(0);
    const j = JSON.parse(none.stdout);
    expect(j.test).toBeNull();
    expect(j.history).toEqual([]);
    expect(j.evaluation.testImages).toBe(0);
    expect(j.samplesTrained).toBe(200);
    // evaluating does not change training: the same weights as a run that evaluates
    const some = run([...common, '--test-limit', '10', '--save-weights', join(dir, 'someeval.json'), '--json']);
    expect(some.status, some.stderr).toBe(0);
    expect(JSON.parse(some.stdout).test.samples).toBe(10);
    expect(readFileSync(join(dir, 'noeval.json'), 'utf8')).toBe(readFileSync(join(dir, 'someeval.json'), 'utf8'));
    const text = run([...common, '--train-limit', '20', '--test-limit', '0', '--quiet']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('test: not evaluated (--test-limit 0)');
    const seeds = run([...common, '--train-limit', '20', '--test-limit', '0', '--seeds', '1,2', '--json']);
    expect(seeds.status, seeds.stderr).toBe(0);
    expect(JSON.parse(seeds.stdout).summary).toBeNull();
    const plot = run([...common, '--test-limit', '0', '--plot', join(dir, 'noeval.svg')]);
    expect(plot.status).toBe(2);
    expect(plot.stderr).toContain('--test-limit 0 makes none');
  });

  it('--seeds with two workers gives the same results as separate one-worker runs', () => {
    const common = ['--train-limit', '300', '--test-limit', '50', '--epochs', '1'];
    const r = run(['train', ...common, '--seeds', '4,5', '--workers', '2', '--save-weights', join(dir, 'seeds.json'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const multi = JSON.parse(r.stdout);
    expect(multi.seeds).toEqual([4, 5]);
    for (const [i, seed] of [4, 5].entries()) {
      const one = run(['train', ...common, '--seed', String(seed), '--save-weights', join(dir, `one${seed}.json`), '--json', '--quiet']);
      expect(one.status, one.stderr).toBe(0);
      expect(multi.runs[i].test).toEqual(JSON.parse(one.stdout).test);
      expect(readFileSync(join(dir, `seeds.s${seed}.json`), 'utf8')).toBe(readFileSync(join(dir, `one${seed}.json`), 'utf8'));
    }
    const mean = (multi.runs[0].test.accArgmaxSpikes + multi.runs[1].test.accArgmaxSpikes) / 2;
    expect(multi.summary.accArgmaxSpikes.mean).toBeCloseTo(mean, 12);
  });

  it('--workers 3 splits each evaluation into shards: the same history and metrics as one thread', () => {
    for (const evalOn of ['dense', 'chip']) {
      const common = ['train', '--train-limit', '400', '--test-limit', '301', '--epochs', '1', '--eval-on', evalOn, '--json'];
      const one = run([...common, '--workers', '1']);
      const three = run([...common, '--workers', '3']);
      expect(one.status, one.stderr).toBe(0);
      expect(three.status, three.stderr).toBe(0);
      const a = JSON.parse(one.stdout);
      const b = JSON.parse(three.stdout);
      expect(b.evaluation.workers).toBe(3);
      expect(a.evaluation.workers).toBe(1);
      expect(b.history).toEqual(a.history);
      expect(b.test).toEqual(a.test);
      expect(a.history.length).toBe(2);
      expect(a.test.samples).toBe(301);
    }
  });

  it('--board sets the chip limits: a profile with less synapse memory per core needs more cores', () => {
    const a = run(['train', '--train-limit', '0', '--test-limit', '10', '--placement', 'pack', '--json']);
    const b = run(['train', '--train-limit', '0', '--test-limit', '10', '--placement', 'pack', '--board', 'loihi1-small-core', '--json']);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const ca = JSON.parse(a.stdout).network.cores;
    const cb = JSON.parse(b.stdout).network.cores;
    expect(cb).toBeGreaterThan(ca);
    const bad = run(['train', '--board', 'nosuch']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/loihi1/);
  });
});
