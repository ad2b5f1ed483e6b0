/**
 * synfire as a library: the BUILT package (dist/lib, through package.json "exports").
 * 1. Every program in examples/ type-checks against the package's declarations and runs,
 *    importing 'synfire' the way a user does (self-reference by package name).
 * 2. `npm pack` gives a tarball that a fresh project installs, imports, type-checks against
 *    and runs a small network with; its `synfire` command runs a network file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { getQuickJS } from 'quickjs-emscripten';

const root = join(__dirname, '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** Inside the package (so that 'synfire' resolves to it by name), ignored by git. */
const out = join(root, '.tmp', `examples-${process.pid}`);
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));

beforeAll(() => {
  execFileSync(process.execPath, ['tools/build-lib.mjs'], { cwd: root, stdio: 'pipe' });
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(join(root, 'examples'))) if (f.endsWith('.json') && f !== 'tsconfig.json') copyFileSync(join(root, 'examples', f), join(out, f));
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

function runExample(name: string): string {
  const r = spawnSync(process.execPath, [join(out, name.replace(/\.ts$/, '.mjs'))], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the examples, against the built package', () => {
  it('type-check against the declarations in dist/lib (NodeNext resolution, library files checked)', () => {
    const r = spawnSync(process.execPath, [tsc, '-p', 'examples/tsconfig.json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(examples.length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('run: each imports synfire, not the sources', async () => {
    for (const f of examples) {
      const js = join(out, f.replace(/\.ts$/, '.mjs'));
      await build({ entryPoints: [join(root, 'examples', f)], outfile: js, format: 'esm', platform: 'node', bundle: false, logLevel: 'warning' });
      // the compiled example still imports the package by name
      expect(readFileSync(js, 'utf8')).toMatch(/from "synfire"/);
    }
    // quick-start: all four inputs at step 1 fire hidden (1200 wu > 1000) at 2; the three hidden
    // spikes (3 x 400 = 1200 wu) reach out at 2 + 1 + 2 = 5. synOps: 4 inputs x 3 + 3 x 1 = 15.
    const q = runExample('quick-start.ts');
    expect(q).toContain('step 2: hidden [0,1,2] out []');
    expect(q).toContain('step 5: hidden [] out [0]');
    expect(q).toContain('synaptic ops 15, compartment updates 24');
    // network-file: the weights worked out in test/example-networks.test.ts survive a snapshot
    const n = runExample('network-file.ts');
    expect(n).toContain('post fired at steps 2, 6, 10, 14, 18, 22');
    expect(n).toContain('weights after the run 136, 88');
    expect(n).toContain('weights loaded from the snapshot 136, 88');
    // energy-by-core: the synfire chain's synaptic ops per core add up to 38
    const e = runExample('energy-by-core.ts');
    const perCore = [...e.matchAll(/(\d+) synaptic ops/g)].map((m) => Number(m[1]));
    expect(perCore.reduce((a, b) => a + b, 0)).toBe(38);
    const s = runExample('sbp-training.ts');
    expect(s).toMatch(/inference: \d of 4 right by output potential/);
    expect(s).toContain('sizes 16-12-4');
  }, 120_000);
});

describe('the built library in an embedded engine', () => {
  it('runs the winner-take-all network file in QuickJS (no Node APIs): the spikes worked out by hand', async () => {
    const wta = readFileSync(join(root, 'examples', 'winner-take-all.json'), 'utf8');
    const entry = join(out, 'qjs-entry.mjs');
    writeFileSync(
      entry,
      [
        `import { networkFromJson, startNetwork, SpikeRecorder } from 'synfire';`,
        `const net = networkFromJson(${wta}, 'winner-take-all.json');`,
        'const sim = startNetwork(net);',
        'const rec = new SpikeRecorder(sim);',
        'sim.step(net.steps);',
        'print(JSON.stringify(rec.spikes.exc), sim.counts().synOps);',
      ].join('\n'),
    );
    const r = await build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', target: 'es2020', platform: 'neutral', logLevel: 'warning' });
    const QuickJS = await getQuickJS();
    const rt = QuickJS.newRuntime();
    const ctx = rt.newContext();
    let printed = '';
    const print = ctx.newFunction('print', (...args) => {
      printed += args.map((h) => ctx.dump(h)).join(' ');
    });
    ctx.setProp(ctx.global, 'print', print);
    print.dispose();
    const res = ctx.evalCode(r.outputFiles[0].text, 'lib.js');
    const error = res.error ? JSON.stringify(ctx.dump(res.error)) : undefined;
    if (res.error) res.error.dispose();
    else res.value.dispose();
    ctx.dispose();
    rt.dispose();
    expect(error).toBeUndefined();
    // test/example-networks.test.ts: exc0 fires at 5, 9, 13, 17; 45 synaptic ops
    expect(printed).toBe('[[5,0],[9,0],[13,0],[17,0]] 45');
  }, 60_000);
});

describe('npm pack, installed into a fresh project', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synfire-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs, imports, type-checks and runs a small network; the synfire command works', async () => {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const inst = spawnSync('npm', ['install', join(dir, tgz!), '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(inst.status, inst.stderr).toBe(0);
    // a relay: one input spike at step 1, axonal delay 3 -> integrated and fired at 1 + 1 + 3 = 5
    writeFileSync(
      join(app, 'main.ts'),
      [
        "import { networkFromJson, startNetwork, SpikeRecorder, type LoadedNetwork } from 'synfire';",
        "const net: LoadedNetwork = networkFromJson({ format: 'synfire-network/1', name: 'relay',",
        "  groups: [{ name: 'in', size: 1, neuron: 'generator' }, { name: 'a', size: 1, neuron: { vthMant: 100, decayU: 4096, decayV: 4096 } }],",
        "  connections: [{ pre: 'in', post: 'a', connectivity: 'one-to-one', weight: 200, delay: 3 }],",
        "  inputs: [{ group: 'in', spikes: [[1, 0]] }], steps: 8 });",
        'const sim = startNetwork(net);',
        'const rec = new SpikeRecorder(sim);',
        'sim.step(net.steps);',
        'console.log(JSON.stringify(rec.spikes.a), sim.counts().synOps);',
        '',
      ].join('\n'),
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [], noEmit: true }, files: ['main.ts'] }));
    const check = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    await build({ entryPoints: [join(app, 'main.ts')], outfile: join(app, 'main.mjs'), format: 'esm', platform: 'node', bundle: false, logLevel: 'warning' });
    const run = spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('[[5,0]] 1');
    const cli = spawnSync(process.execPath, ['node_modules/synfire/bin/synfire.js', 'run', '--network', 'node_modules/synfire/examples/synfire-chain.json', '--json'], { cwd: app, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).counts.synOps).toBe(38);
  }, 180_000);
});
