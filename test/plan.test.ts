// The memory plan (firmware-model/memory-plan.ts) against independent measurements:
//  - its typed-array bytes against the byteLength of every typed array reachable from the
//    built network, found by a generic walk of the object graph (no knowledge of the chip's
//    fields);
//  - its engine figures against the heap QuickJS (quickjs-emscripten, 32-bit WebAssembly)
//    reports after building the same network from a bundle;
// and `synfire plan`: the map, the JSON, the refusal of a network that does not fit,
// --max-hidden.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { getQuickJS } from 'quickjs-emscripten';
import { describe, expect, it } from 'vitest';
import { BOARDS } from '../boards/profiles';
import { ENGINES } from '../firmware-model/engines';
import { engineCounts, chipArrays, planMemory, requireFits, typedArrayBytes, type MemoryPlan, type PlanMode } from '../firmware-model/memory-plan';
import { UserError } from '../src/errors';
import { compileSpec } from '../src/net/compile';
import { SbpInferenceChip } from '../src/sbp/inference';
import { trainingNetwork, type SbpSizes } from '../src/sbp/topology';
import { DeepTrainingChip } from '../src/sbp/deep-training';
import { SbpTrainingChip } from '../src/sbp/training';
import { largestFitting } from '../tools/commands/plan';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Every typed array reachable from `rootObj` through own enumerable properties (objects,
 * arrays, class instances), counted once per ArrayBuffer: total bytes and number of views.
 */
function walkTypedArrays(rootObj: unknown): { bytes: number; views: number } {
  const seen = new Set<unknown>();
  const buffers = new Set<ArrayBufferLike>();
  const stack: unknown[] = [rootObj];
  let bytes = 0;
  let views = 0;
  while (stack.length > 0) {
    const o = stack.pop();
    if (o === null || typeof o !== 'object' || seen.has(o)) continue;
    seen.add(o);
    if (ArrayBuffer.isView(o)) {
      views++;
      if (!buffers.has(o.buffer)) {
        buffers.add(o.buffer);
        bytes += o.buffer.byteLength;
      }
      continue;
    }
    for (const k of Object.keys(o as object)) stack.push((o as Record<string, unknown>)[k]);
  }
  return { bytes, views };
}

function buildNet(mode: PlanMode, sizes: SbpSizes, kernel: 'fast' | 'naive', lean: boolean): SbpTrainingChip | SbpInferenceChip {
  if (mode === 'train') return new SbpTrainingChip({ sizes, kernel, lean });
  return new SbpInferenceChip(sizes, new Int16Array(sizes.input * sizes.hidden), new Int16Array(sizes.hidden * sizes.output), { lean });
}

describe('memory plan: typed arrays', () => {
  // lean: device storage (ChipSpec.lean), as the firmware builds it; otherwise as Node builds it
  const cases: Array<[PlanMode, SbpSizes, 'js' | 'naive', boolean]> = [
    ['train', { input: 16, hidden: 12, output: 4 }, 'js', false],
    ['train', { input: 25, hidden: 7, output: 3 }, 'js', false],
    ['train', { input: 16, hidden: 12, output: 4 }, 'naive', false],
    ['train', { input: 100, hidden: 30, output: 10 }, 'js', false],
    ['infer', { input: 16, hidden: 12, output: 4 }, 'js', false],
    ['infer', { input: 100, hidden: 40, output: 10 }, 'js', false],
    ['train', { input: 16, hidden: 12, output: 4 }, 'js', true],
    ['train', { input: 16, hidden: 12, output: 4 }, 'naive', true],
    ['train', { input: 100, hidden: 30, output: 10 }, 'js', true],
    ['infer', { input: 100, hidden: 40, output: 10 }, 'js', true],
  ];
  for (const [mode, sizes, kernel, lean] of cases) {
    it(`equal the byteLength of every typed array of the built ${mode} network ${sizes.input}-${sizes.hidden}-${sizes.output} (kernel ${kernel}${lean ? ', device storage' : ''})`, () => {
      // exact, not a bound: every array the chip keeps hangs off an object property (the
      // portable kernel binds no closures), so the walk finds all of them, and the plan
      // restates each allocation
      const plan = planMemory({ board: 'esp32s3-psram', mode, sizes, kernel, lean });
      const net = buildNet(mode, sizes, kernel === 'js' ? 'fast' : 'naive', lean);
      const walked = walkTypedArrays(net);
      expect(typedArrayBytes(plan)).toBe(walked.bytes);
      // and the number of typed-array objects (each costs the engine a header)
      const counts = engineCounts(net.chip.spec, kernel, chipArrays(net.chip.spec, kernel, () => undefined), Object.keys(net.compiled.groups).length);
      expect(counts.typedArrays).toBe(walked.views);
    });
  }

  // several hidden layers (docs/deep.md): the training network DeepTrainingChip builds, robust gating
  const deepCases: Array<[number[], 'js' | 'naive', boolean]> = [
    [[16, 12, 8, 4], 'js', false],
    [[16, 12, 8, 4], 'naive', false],
    [[100, 30, 20, 10], 'js', false],
    [[16, 12, 8, 6, 4], 'js', true],
  ];
  for (const [layers, kernel, lean] of deepCases) {
    it(`equal the byteLength of every typed array of the built training network ${layers.join('-')} (kernel ${kernel}${lean ? ', device storage' : ''})`, () => {
      const sizes = { input: layers[0], hidden: layers[1], output: layers[layers.length - 1] };
      const plan = planMemory({ board: 'esp32s3-psram', mode: 'train', sizes, hiddenLayers: layers.slice(1, -1), kernel, lean, gating: 'robust' });
      expect(plan.layers).toEqual(layers);
      const net = new DeepTrainingChip({ sizes: layers, gating: 'robust', kernel: kernel === 'js' ? 'fast' : 'naive', lean });
      const walked = walkTypedArrays(net);
      expect(typedArrayBytes(plan)).toBe(walked.bytes);
      const counts = engineCounts(net.chip.spec, kernel, chipArrays(net.chip.spec, kernel, () => undefined), Object.keys(net.compiled.groups).length);
      expect(counts.typedArrays).toBe(walked.views);
    });
  }

  it('planning compiles the shape only: no per-synapse weight array, no Chip', () => {
    const sizes = { input: 400, hidden: 400, output: 10 };
    const c = compileSpec(trainingNetwork(sizes), { shapeOnly: true });
    const w1 = c.spec.synapseGroups[c.connections['x->h1']];
    expect(w1.connectivity.kind).toBe('dense');
    expect(w1.connectivity.weights.length).toBe(0);
    expect(w1.preSize * w1.postSize).toBe(160000);
    expect('chip' in c).toBe(false);
  });

  it('weights: Int16 per synapse, once with device storage, twice without (the spec\'s array and the group\'s own)', () => {
    const sizes = { input: 20, hidden: 10, output: 5 };
    const plan = planMemory({ board: 'esp32s3-psram', mode: 'train', sizes });
    expect(plan.items.find((i) => i.name === 'w1 weights')!.bytes).toBe(2 * 20 * 10);
    const full = planMemory({ board: 'esp32s3-psram', mode: 'train', sizes, lean: false });
    expect(full.items.find((i) => i.name === 'w1 weights')!.bytes).toBe(2 * 2 * 20 * 10);
    const naive = planMemory({ board: 'esp32s3-psram', mode: 'train', sizes, kernel: 'naive', lean: false });
    expect(naive.items.find((i) => i.name === 'w2tNeg weights')!.bytes).toBe(2 * 2 * 10 * 5);
    // no time model on a device: no per-core load tables
    expect(plan.items.some((i) => i.name === 'per-core load tables')).toBe(false);
    expect(full.items.some((i) => i.name === 'per-core load tables')).toBe(true);
  });
});

describe('memory plan: engine figures against QuickJS', () => {
  it('the planned heap of a built network is within 3% of what QuickJS reports', async () => {
    // the network built inside QuickJS from a minified bundle of the same modules; the plan's
    // sample and serial buffers and construction scratch are not held there, and its bundle
    // item is replaced by the measured cost of evaluating the bundle
    const entry = `
      import { SbpTrainingChip } from './src/sbp/training';
      import { SbpInferenceChip } from './src/sbp/inference';
      globalThis.planBuild = (mode, i, h, o) => {
        const sizes = { input: i, hidden: h, output: o };
        globalThis.kept = mode === 'train' ? new SbpTrainingChip({ sizes, lean: true }) : new SbpInferenceChip(sizes, new Int16Array(i * h), new Int16Array(h * o), { lean: true });
      };`;
    const out = await build({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, write: false, format: 'iife', platform: 'neutral', target: 'es2020', minify: true, logLevel: 'silent' });
    const code = out.outputFiles[0].text;
    const QJS = await getQuickJS();
    const cases: Array<[PlanMode, number, number, number]> = [
      ['train', 16, 12, 4],
      ['train', 100, 40, 10],
      ['infer', 100, 100, 10],
    ];
    for (const [mode, i, h, o] of cases) {
      const rt = QJS.newRuntime();
      const ctx = rt.newContext();
      const used = () => {
        const m = rt.computeMemoryUsage();
        const u = ctx.dump(m) as { memory_used_size: number };
        m.dispose();
        return u.memory_used_size;
      };
      const evalOk = (src: string) => {
        const r = ctx.evalCode(src);
        if (r.error) {
          const e = ctx.dump(r.error);
          r.error.dispose();
          throw new Error(JSON.stringify(e));
        }
        r.value.dispose();
      };
      const base = used();
      evalOk(code);
      const afterCode = used();
      evalOk(`planBuild('${mode}', ${i}, ${h}, ${o})`);
      const measured = used();
      ctx.dispose();
      rt.dispose();
      const plan = planMemory({ board: 'esp32s3-psram', mode, sizes: { input: i, hidden: h, output: o } });
      let planned = 0;
      for (const it of plan.items) if (it.category !== 'buffers' && it.category !== 'bundle') planned += it.bytes;
      // the engine runtime item is the measured base of an empty context
      expect(plan.items.find((x) => x.name === 'engine runtime')!.bytes).toBe(base);
      const measuredNet = measured - (afterCode - base);
      expect(Math.abs(planned - measuredNet) / measuredNet).toBeLessThan(0.03);
    }
  });
});

describe('memory plan: fit and refusal', () => {
  it('JSON shape: items by category, total = sum, largest = max, fits = total <= budget', () => {
    const plan = planMemory({ board: 'esp32', mode: 'infer', sizes: { input: 100, hidden: 20, output: 10 }, bundleBytes: 1000 });
    const back = JSON.parse(JSON.stringify(plan)) as MemoryPlan;
    expect(Object.keys(back).sort()).toEqual(['board', 'budgetBytes', 'fits', 'items', 'largest', 'layers', 'mode', 'sizes', 'totalBytes']);
    expect(back.layers).toEqual([100, 20, 10]);
    const cats = new Set(['weights', 'compartments', 'queues', 'learning', 'counters', 'buffers', 'bundle', 'engine']);
    let sum = 0;
    let max = 0;
    for (const it of back.items) {
      expect(cats.has(it.category)).toBe(true);
      expect(Number.isInteger(it.bytes) && it.bytes >= 0).toBe(true);
      sum += it.bytes;
      max = Math.max(max, it.bytes);
    }
    expect(back.totalBytes).toBe(sum);
    expect(back.largest.bytes).toBe(max);
    expect(back.budgetBytes).toBe(BOARDS.esp32.mcu!.heapBytes.value);
    expect(back.fits).toBe(sum <= back.budgetBytes);
    expect(back.items.find((x) => x.name === 'compiled bundle')!.bytes).toBe(Math.ceil(1000 * ENGINES.duktape.codePerSourceByte.value)); // esp32 runs Duktape
  });

  it('requireFits names the board, the largest item and the numbers', () => {
    const plan = planMemory({ board: 'rp2040', mode: 'train', sizes: { input: 400, hidden: 400, output: 10 } });
    expect(plan.fits).toBe(false);
    let err: unknown;
    try {
      requireFits(plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    const g = (v: number) => v.toLocaleString('en-US');
    expect(msg).toContain(`does not fit rp2040: needs ${g(plan.totalBytes)} B, budget ${g(plan.budgetBytes)} B; largest: ${plan.largest.name} ${g(plan.largest.bytes)} B`);
    expect(msg).not.toContain('\n');
  });

  it('refuses neuromorphic and unknown boards', () => {
    expect(() => planMemory({ board: 'loihi1', mode: 'train', sizes: { input: 4, hidden: 4, output: 2 } })).toThrow(/neuromorphic/);
    expect(() => planMemory({ board: 'esp33', mode: 'train', sizes: { input: 4, hidden: 4, output: 2 } })).toThrow(UserError);
    // and an engine the board is not meant for
    expect(() => planMemory({ board: 'rp2040', engine: 'quickjs', mode: 'infer', sizes: { input: 4, hidden: 4, output: 2 } })).toThrow(/rp2040 is meant for duktape/);
  });

  it('largestFitting: the largest H fits and H + 1 does not', () => {
    const planFor = (hidden: number) => planMemory({ board: 'esp32', mode: 'infer', sizes: { input: 100, hidden, output: 10 }, bundleBytes: 0 });
    const best = largestFitting(planFor)!;
    expect(best.fits).toBe(true);
    expect(planFor(best.sizes.hidden + 1).fits).toBe(false);
  });
});

describe('synfire plan (command line)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/synfire.js', 'plan', ...args], { cwd: root, encoding: 'utf8' });

  it('prints the map and the total against the budget', () => {
    const r = run('--board', 'esp32s3-psram', '--dataset', 'mnist10', '--hidden', '50', '--mode', 'infer', '--bundle-bytes', '100000');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}w1 weights\s+weights\s+10,000\s+[\d.]+%$/m); // 50 x 100 Int16, once (device storage)
    expect(r.stdout).toMatch(/total [\d,]+ B of 7,340,032 B budget \([\d.]+%\): fits/);
    expect(r.stderr).toBe('');
  });

  it('several hidden layers: the training network of docs/deep.md, each matrix by name; inference and too large are refused', () => {
    const r = run('--board', 'esp32s3-psram', '--dataset', 'mnist', '--hidden', '400,400', '--mode', 'train', '--bundle-bytes', '100000');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sBP 400-400-400-10 training \(21 phases\)/); // 9L + 3 phases for L = 2
    expect(r.stdout).toMatch(/^ {2}w2 weights\s+weights\s+320,000\s+[\d.]+%$/m); // 400 x 400 Int16, once (device storage)
    expect(r.stdout).toMatch(/^ {2}w3 weights\s+weights\s+8,000\s+[\d.]+%$/m); // 10 x 400
    const infer = run('--board', 'esp32s3-psram', '--hidden', '400,400', '--mode', 'infer');
    expect(infer.status).toBe(2);
    expect(infer.stderr).toMatch(/several hidden layers are planned for training only/);
    const big = run('--board', 'esp32', '--dataset', 'mnist10', '--hidden', '100,100', '--mode', 'train', '--bundle-bytes', '100000');
    expect(big.status).toBe(1);
    expect(big.stderr.trim()).toMatch(/^synfire plan: error: 100-100-100-10 train does not fit esp32: needs [\d,]+ B, budget 245,760 B; largest: /);
  });

  it('--json prints only the plan', () => {
    const r = run('--board', 'esp32', '--dataset', 'mnist10', '--hidden', '10', '--mode', 'infer', '--bundle-bytes', '1000', '--json');
    const j = JSON.parse(r.stdout) as MemoryPlan;
    const direct = planMemory({ board: 'esp32', mode: 'infer', sizes: { input: 100, hidden: 10, output: 10 }, bundleBytes: 1000 });
    expect(j).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(r.status).toBe(direct.fits ? 0 : 1);
  });

  it('a network that does not fit: exit 1, one line naming the board, the largest item and the numbers', () => {
    const r = run('--board', 'esp32', '--dataset', 'fashion', '--mode', 'train', '--bundle-bytes', '100000');
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synfire plan: error: 784-400-10 train does not fit esp32: needs [\d,]+ B, budget 245,760 B; largest: [\w ]+ [\d,]+ B$/);
    expect(r.stdout).toContain('DOES NOT FIT');
  });

  it('--max-hidden prints the largest hidden layer that fits', () => {
    const r = run('--board', 'esp32', '--dataset', 'mnist10', '--mode', 'infer', '--bundle-bytes', '0', '--max-hidden', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { maxHidden: number; plan: MemoryPlan };
    const planFor = (hidden: number) => planMemory({ board: 'esp32', mode: 'infer', sizes: { input: 100, hidden, output: 10 }, bundleBytes: 0 });
    expect(j.maxHidden).toBe(largestFitting(planFor)!.sizes.hidden);
    expect(j.plan.fits).toBe(true);
  });

  it('rejects a neuromorphic board as a usage error', () => {
    const r = run('--board', 'loihi1');
    expect(r.status).toBe(2);
  });
});
