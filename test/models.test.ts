// Model files (src/sbp/model.ts, tools/model-file.ts): --load-weights NAME, the settings a model
// records, --save-model, and plain synfire-weights/1 files still loading.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors';
import { modelFromJson, modelToJson } from '../src/sbp/model';
import { weightsFromJson, weightsToJson, type SbpWeights } from '../src/sbp/weights-file';

const cli = join(__dirname, '..', 'bin', 'synfire.js');
let dir = '';
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir });

function small(): SbpWeights {
  const [nin, nh, no] = [400, 16, 10];
  const w1 = new Int16Array(nh * nin);
  const w2 = new Int16Array(no * nh);
  const p = new Int16Array(nh * no);
  const m = new Int16Array(nh * no);
  for (let i = 0; i < w1.length; i++) w1[i] = ((i * 7919) % 61) * 2 - 60;
  for (let k = 0; k < no; k++)
    for (let j = 0; j < nh; j++) {
      const v = (((k + 3) * (j + 5)) % 41) * 2 - 40;
      w2[k * nh + j] = v;
      p[j * no + k] = v;
      m[j * no + k] = -v;
    }
  return { sizes: [nin, nh, no], w1, w2, w2tPos: p, w2tNeg: m };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'synfire-models-'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'tiny.json'), modelToJson(small(), { name: 'tiny', dataset: 'mnist', gating: 'paper', order: 'reference', trainedWith: 'by hand' }));
  writeFileSync(join(dir, 'plain.json'), weightsToJson(small()));
});

describe('model files', () => {
  it('a model file is a synfire-weights/1 file; a plain one is a model with nothing recorded', () => {
    const text = readFileSync(join(dir, 'models', 'tiny.json'), 'utf8');
    const w = weightsFromJson(text, 'tiny.json');
    expect(Array.from(w.w1)).toEqual(Array.from(small().w1));
    expect(modelFromJson(text, 'tiny.json').model).toMatchObject({ gating: 'paper', order: 'reference', dataset: 'mnist' });
    expect(modelFromJson(readFileSync(join(dir, 'plain.json'), 'utf8'), 'plain.json').model).toBeNull();
    const bad = text.replace('"order":"reference"', '"order":"sideways"');
    expect(() => modelFromJson(bad, 'bad.json')).toThrow(UserError);
    expect(() => modelFromJson(bad, 'bad.json')).toThrow(/bad.json: model.order is "sideways"/);
    const fashion = text.replace('"dataset":"mnist"', '"dataset":"fashion"');
    expect(() => modelFromJson(fashion, 'f.json')).toThrow(/784 inputs but the weights have 400/);
  });

  it('--load-weights NAME runs the model with the settings it records', () => {
    const r = run(['train', '--load-weights', 'tiny', '--train-limit', '20', '--test-limit', '20', '--no-shuffle', '--json', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sizes).toEqual([400, 16, 10]);
    expect(out.gating).toBe('paper');
    expect(out.order).toBe('reference');
    // an option that contradicts the model is refused
    const c = run(['verify', '--load-weights', 'tiny', '--samples', '5', '--gating', 'paper', '--order', 'chip', '--quiet']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/tiny.json: the model was trained with --order reference, not chip/);
    // verify and profile find it too
    const v = run(['verify', '--load-weights', 'tiny', '--samples', '20', '--json', '--quiet']);
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ mismatches: 0, gating: 'paper', order: 'reference', sizes: [400, 16, 10] });
    const p = run(['profile', '--load-weights', 'tiny', '--samples', '3', '--json']);
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).network.sizes).toEqual([400, 16, 10]);
    // unknown names list the models there are
    const u = run(['verify', '--load-weights', 'tinny', '--samples', '5']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/no model named 'tinny' \(models: tiny[,)]/);
  });

  it('--save-model records the run; a plain weight file still loads', () => {
    const r = run(['train', '--load-weights', 'plain.json', '--hidden', '16', '--train-limit', '30', '--test-limit', '50', '--gating', 'robust', '--save-model', 'models/next.json', '--json', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const trained = JSON.parse(r.stdout);
    const { weights, model } = modelFromJson(readFileSync(join(dir, 'models', 'next.json'), 'utf8'), 'next.json');
    expect(weights.sizes).toEqual([400, 16, 10]);
    expect(model).toMatchObject({ name: 'next', dataset: 'mnist', gating: 'robust', order: 'chip', reward: 'chip', test: trained.test });
    expect(model!.trainedWith).toMatch(/^synfire train .*--train-limit 30.*--gating robust|^synfire train .*--hidden 16/);
    // trained with the paper's missed-target error, (0, 512], it records no error window
    expect('errorWindow' in model! || 'targetTop' in model!).toBe(false);
    // and evaluating the model again by name gives the recorded accuracy
    const again = run(['train', '--load-weights', 'next', '--epochs', '0', '--test-limit', '50', '--json', '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).test).toEqual(model!.test);
  });

  it('a model trained with a wider error window and a target margin records both, and training, verify and profile use them', () => {
    const r = run(['train', '--load-weights', 'plain.json', '--train-limit', '30', '--test-limit', '20', '--gating', 'robust', '--error-window', '1024', '--target-top', '1024', '--save-model', 'models/margin.json', '--json', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const { model } = modelFromJson(readFileSync(join(dir, 'models', 'margin.json'), 'utf8'), 'margin.json');
    expect(model).toMatchObject({ errorWindow: 1024, targetTop: 1024 });
    // continuing its training keeps them, as do verify and profile, without being told
    const t = run(['train', '--load-weights', 'margin', '--train-limit', '10', '--test-limit', '0', '--json', '--quiet']);
    expect(t.status, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ errorWindow: 1024, targetTop: 1024 });
    const v = run(['verify', '--load-weights', 'margin', '--samples', '20', '--json', '--quiet']);
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ mismatches: 0, errorWindow: 1024, targetTop: 1024 });
    const p = run(['profile', '--load-weights', 'margin', '--samples', '3', '--json']);
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ gating: 'robust', errorWindow: 1024, targetTop: 1024 });
    const ra = run(['raster', '--load-weights', 'margin', '--out', 'margin.svg', '--train-first', '0', '--sample', '0', '--json']);
    expect(ra.status, ra.stderr).toBe(0);
    expect(JSON.parse(ra.stdout)).toMatchObject({ sizes: [400, 16, 10], gating: 'robust', errorWindow: 1024, targetTop: 1024 });
    // a contradicting option is refused, and a bad recorded value names the file and field
    const c = run(['verify', '--load-weights', 'margin', '--samples', '5', '--error-window', '0', '--quiet']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/margin.json: the model was trained with --error-window 1024, not 0/);
    const text = readFileSync(join(dir, 'models', 'margin.json'), 'utf8');
    expect(() => modelFromJson(text.replace('"errorWindow":1024', '"errorWindow":1000'), 'w.json')).toThrow(/w.json: model.errorWindow: the error window must be a multiple of 64/);
    expect(() => modelFromJson(text.replace('"targetTop":1024', '"targetTop":700'), 't.json')).toThrow(/t.json: model.targetTop: .*512 .* or 1024/);
  });

  it('without --hidden a plain weight file sets the hidden size; a contradicting --hidden is named', () => {
    const r = run(['train', '--load-weights', 'plain.json', '--epochs', '0', '--test-limit', '20', '--json', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sizes).toEqual([400, 16, 10]);
    const bad = run(['train', '--load-weights', 'plain.json', '--hidden', '20', '--epochs', '0', '--test-limit', '20', '--quiet']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/plain\.json: sizes 400-16-10 do not match the network 400-20-10/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the shipped models (models/)', () => {
  const shipped = join(__dirname, '..', 'models');
  const files = readdirSync(shipped).filter((f) => f.endsWith('.json'));

  it('each is a valid model that records its data set and gating; together at most 5 MB; the README lists exactly these', () => {
    expect(files.length).toBeGreaterThan(0);
    let bytes = 0;
    for (const f of files) {
      bytes += statSync(join(shipped, f)).size;
      const { weights, model } = modelFromJson(readFileSync(join(shipped, f), 'utf8'), f);
      expect(model, f).not.toBeNull();
      expect(model!.name, f).toBe(f.slice(0, -5));
      expect(['mnist', 'fashion'], f).toContain(model!.dataset);
      expect(['paper', 'robust'], f).toContain(model!.gating);
      expect(weights.sizes[0], f).toBe(model!.dataset === 'mnist' ? 400 : 784);
    }
    expect(bytes).toBeLessThanOrEqual(5_000_000);
    const readme = readFileSync(join(shipped, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(rows).toEqual(files.map((f) => f.slice(0, -5)).sort());
    // the README's byte count is the folder's
    expect(readme).toContain(`hold ${bytes.toLocaleString('en-US')} bytes`);
  });
});
