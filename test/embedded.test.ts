/**
 * The firmware bundles in the embedded engines (synfire embedded, short runs): each run is
 * compared with the same bundle on Node weight for weight, stays within the board's heap
 * budget, and the whole bundle (core, sBP, firmware loop, flash image, host link) stays within
 * 64 KiB minified; the bundles, their property names shortened, answer as the source does,
 * and so do the serial bundles (the serial device end, a bundle of its own).
 * Boards the memory plan says are too small are refused before an engine starts; a missing
 * engine is named with the command that installs it. In Duktape a damaged flash image is
 * refused (a UserError, as in Node) and the weights in use are kept.
 * (Long runs of the same goals are benchmarks: BENCHMARKS.md "On-device runs".)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { getQuickJS } from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Firmware } from '../firmware-model/firmware';
import { encodeSamples, HostLink } from '../firmware-model/host-link';
import { SerialDeviceHex } from '../firmware-model/serial-device';
import { Prng } from '../src/chip/prng';
import { UserError } from '../src/errors';
import { initialWeights } from '../src/sbp/init';
import { modelToJson } from '../src/sbp/model';
import { COMMANDS, encodeFrame, packBits } from '../src/io/protocol';
import { command as embeddedCommand, defaultBundleDir, embeddedRun, type EmbeddedResult } from '../tools/commands/embedded';
import { parseArgs } from '../tools/args';
import { EngineMemoryError, startEngine } from '../tools/engine-host';
// @ts-expect-error (a plain .mjs build script without types)
import { buildBoards, bundleParts, BUNDLE_GOAL_BYTES } from '../tools/build-boards.mjs';

const BOARD = 'esp32s3-psram';
let tmp = '';
let parts: Record<string, number> = {};

beforeAll(async () => {
  await buildBoards([BOARD, 'esp32', 'rp2040']);
  parts = await bundleParts(BOARD);
  tmp = mkdtempSync(join(tmpdir(), 'synfire-embedded-'));
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function opts(o: Record<string, unknown>): Record<string, unknown> {
  return { mode: 'train', dataset: 'mnist10', samples: 30, seed: 1, chunk: 10, noNode: false, ...o };
}

function expectIdentical(r: EmbeddedResult): void {
  expect(r.nodeDifferences).toEqual([]);
  expect(r.identicalToNode).toBe(true);
  expect(r.peakHeapBytes).toBeGreaterThan(0);
}

function expectGood(r: EmbeddedResult): void {
  expectIdentical(r);
  expect(r.peakHeapBytes).toBeLessThanOrEqual(r.budgetBytes);
  expect(r.withinBudget).toBe(true);
  expect(r.snapshotSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(r.samplesPerSecond).toBeGreaterThan(0);
}

describe('synfire embedded', () => {
  it('bundle: core + sBP + firmware loop within 64 KiB minified (the whole firmware.js)', () => {
    expect(parts.core).toBeGreaterThan(0);
    expect(parts.firmware).toBeGreaterThan(0);
    expect(parts.flashImage).toBeGreaterThan(0);
    expect(parts.hostLink).toBeGreaterThan(0);
    expect(readFileSync(join(defaultBundleDir(), BOARD, 'firmware.js')).length).toBeLessThanOrEqual(BUNDLE_GOAL_BYTES);
  });

  it('the board bundles (property names shortened) answer as the source does, through the host link', () => {
    // the engines' runs are compared with the same bundle on Node; this compares the bundles
    // with the TypeScript source, so a property shortened by mistake would show
    const rng = new Prng(11);
    const inputs: Uint8Array[] = [];
    const labels: number[] = [];
    for (let k = 0; k < 24; k++) {
      const x = new Uint8Array(20);
      for (let i = 0; i < x.length; i++) x[i] = rng.nextFloat() < 0.4 ? 1 : 0;
      inputs.push(x);
      labels.push(rng.nextInt(5));
    }
    const chunk = encodeSamples(inputs, labels);
    const unlabelled = encodeSamples(inputs.slice(0, 6), [-1, -1, -1, -1, -1, -1]);
    const session = (link: HostLink): string[] => {
      const out: string[] = [];
      const config = JSON.stringify({ board: BOARD, mode: 'train', sizes: { input: 20, hidden: 16, output: 5 }, seed: 4 });
      out.push(link.boot(config), link.feed(unlabelled, 'infer'), link.feed(chunk, 'train'), link.feed(chunk, 'infer'), link.counters());
      out.push(String(link.snapshot()), link.snapshotHex(0, 100000));
      const image = link.snapshotHex(0, 100000);
      try {
        link.feed(chunk.slice(0, 10), 'train');
      } catch (e) {
        out.push(`${(e as Error).name}: ${(e as Error).message}`);
      }
      // an inference firmware booted from the image
      link.imageBegin(image.length / 2);
      link.imagePart(image);
      out.push(link.boot(JSON.stringify({ board: BOARD, mode: 'infer', sizes: { input: 20, hidden: 16, output: 5 }, seed: 0 })), link.feed(chunk, 'infer'), link.counters());
      return out;
    };
    const want = session(new HostLink(BOARD, 7340032));
    expect(want[3]).toMatch(/^[0-4-]{24} \d+$/);
    for (const file of ['firmware.js', 'firmware.es5.js']) {
      const context = vm.createContext({});
      vm.runInContext(readFileSync(join(defaultBundleDir(), BOARD, file), 'utf8'), context, { filename: file });
      const bundle = context.synfireFirmware as { HostLink: new (board: string, heap: number) => HostLink };
      expect(session(new bundle.HostLink(BOARD, 7340032)), file).toEqual(want);
    }
  });

  it('the serial bundles (firmware-serial.js, .es5.js) answer as the source does, byte for byte', () => {
    // the serial device lives in a bundle of its own, so firmware.js keeps its size goal
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const rng = new Prng(5);
    const frames = [encodeFrame('hello', 0, { session: 2, role: 0, mode: 0, encoding: 0, input: 20, hidden: 16, output: 5, samplesTrained: 0, seed: 4, window: 8 })];
    for (let k = 0; k < 12; k++) {
      const x = new Uint8Array(20);
      for (let i = 0; i < x.length; i++) x[i] = rng.nextFloat() < 0.4 ? 1 : 0;
      frames.push(encodeFrame('sample', k, { label: rng.nextInt(5) }, packBits(x)));
    }
    frames.push(encodeFrame('sample', 4, { label: 1 }, packBits(new Uint8Array(20)))); // a duplicate
    frames.push(encodeFrame('command', 12, { code: COMMANDS.snapshot, arg: 0 }), encodeFrame('command', 13, { code: COMMANDS.counters, arg: 0 }));
    const session = (dev: SerialDeviceHex): string[] => [dev.announceHex(), ...frames.map((f) => dev.feedHex(hex(f))), String(dev.samples()), dev.snapshotHex()];
    const want = session(new SerialDeviceHex(BOARD, 7340032, (c) => new Firmware(c)));
    expect(want[want.length - 2]).toBe('12');
    expect(want[want.length - 1].length).toBeGreaterThan(0);
    for (const file of ['firmware-serial.js', 'firmware-serial.es5.js']) {
      const context = vm.createContext({});
      vm.runInContext(readFileSync(join(defaultBundleDir(), BOARD, file), 'utf8'), context, { filename: file });
      const bundle = context.synfireSerial as { serialDevice(board: string): SerialDeviceHex; heapBytes: number };
      expect(bundle.heapBytes, file).toBe(7340032);
      expect(session(bundle.serialDevice(BOARD)), file).toEqual(want);
    }
    // and the firmware bundle holds no serial device
    expect(readFileSync(join(defaultBundleDir(), BOARD, 'firmware.js'), 'utf8')).not.toContain('serialDevice');
  });

  it('goal 1: 400-400-10 MNIST inference in QuickJS on esp32s3-psram, identical to Node', async () => {
    const r = await embeddedRun(opts({ engine: 'quickjs', board: BOARD, mode: 'infer', dataset: 'mnist', hidden: 400, samples: 20, chunk: 20 }));
    expectGood(r);
    expect(r.sizes).toEqual([400, 400, 10]);
    expect(r.counters.learnVisits).toBe(0);
    expect(r.counters.synOps).toBeGreaterThan(0);
  }, 120_000);

  it('goal 2: 100-100-10 training on mnist10 in QuickJS and Duktape, identical to Node and to each other', async () => {
    const q = await embeddedRun(opts({ engine: 'quickjs', board: BOARD, hidden: 100 }));
    const d = await embeddedRun(opts({ engine: 'duktape', board: BOARD, hidden: 100 }));
    expectGood(q);
    // Duktape (64-bit duk) within the 7 MiB budget as a fixed heap (BENCHMARKS.md "On-device runs")
    expectGood(d);
    expect(d.snapshotSha256).toBe(q.snapshotSha256);
    // inference of the same size fits in Duktape
    expectGood(await embeddedRun(opts({ engine: 'duktape', board: BOARD, hidden: 100, mode: 'infer' })));
    expect(q.counters.learnVisits).toBeGreaterThan(0);
    // on the classic esp32 the plan refuses this network before any engine starts
    await expect(embeddedRun(opts({ engine: 'quickjs', board: 'esp32', hidden: 100 }))).rejects.toThrow(/^100-100-10 train does not fit esp32: needs [\d,]+ B, budget 245,760 B/);
  }, 120_000);

  it('goal 3 (short): 400-400-10 training in QuickJS on esp32s3-psram, identical to Node', async () => {
    const r = await embeddedRun(opts({ engine: 'quickjs', board: BOARD, dataset: 'mnist', hidden: 400, samples: 5, chunk: 5 }));
    expectGood(r);
    expect(r.samples).toBe(5);
  }, 180_000);

  it('goal 4: rp2040 refuses even one hidden unit of training before an engine starts', async () => {
    await expect(embeddedRun(opts({ engine: 'duktape', board: 'rp2040', hidden: 1 }))).rejects.toThrow(/^100-1-10 train does not fit rp2040: needs [\d,]+ B, budget 204,800 B; largest: /);
  });

  it('--gating paper (the authors\' network) and robust (the default) both run identically to Node', async () => {
    const p = await embeddedRun(opts({ engine: 'quickjs', board: BOARD, hidden: 20, samples: 20, gating: 'paper' }));
    const r = await embeddedRun(opts({ engine: 'quickjs', board: BOARD, hidden: 20, samples: 20 }));
    expectGood(p);
    expectGood(r);
    expect([p.gating, r.gating]).toEqual(['paper', 'robust']);
    // the robust network is the paper's with more inhibition (docs/gating.md): more synapses, more synaptic operations
    expect(r.counters.synOps).toBeGreaterThan(p.counters.synOps);
  }, 60_000);

  it('--load-weights takes a shipped model by name, with the dataset and gating it records: inference identical to Node', async () => {
    const o = parseArgs(embeddedCommand.spec, ['--engine', 'quickjs', '--board', BOARD, '--load-weights', 'mnist-robust-s1-e60', '--samples', '20', '--chunk', '20']);
    const r = await embeddedRun(o);
    expectGood(r);
    expect([r.dataset, r.gating, r.mode]).toEqual(['mnist', 'robust', 'infer']);
    expect(r.sizes).toEqual([400, 400, 10]);
    // models/README.md: 97.35% argmax(potential) on the test set; the first 20 images are no exception
    expect(r.correct).toBeGreaterThanOrEqual(18);
  }, 120_000);

  it('training a model that used a wider missed-target window says the firmware trains with the paper\'s', async () => {
    const file = join(tmp, 'margin-model.json');
    writeFileSync(file, modelToJson(initialWeights({ input: 400, hidden: 16, output: 10 }, 1), { name: 'margin-model', dataset: 'mnist', gating: 'robust', errorWindow: 1024, targetTop: 1024 }));
    const said: string[] = [];
    const o = parseArgs(embeddedCommand.spec, ['--engine', 'quickjs', '--board', BOARD, '--mode', 'train', '--load-weights', file, '--samples', '2', '--chunk', '2', '--no-node']);
    const r = await embeddedRun(o, (s) => said.push(s));
    expect([r.dataset, r.gating, r.mode, r.samples]).toEqual(['mnist', 'robust', 'train', 2]);
    expect(said.filter((s) => s.startsWith('note:'))).toEqual([
      `note: ${file} was trained with the missed-target window (-1024, 1024]; the firmware trains with the paper's (0, 512] (synfire train continues it with its own)`,
    ]);
    // inference has no error neurons: no note
    const quiet: string[] = [];
    await embeddedRun(parseArgs(embeddedCommand.spec, ['--engine', 'quickjs', '--board', BOARD, '--load-weights', file, '--samples', '2', '--chunk', '2', '--no-node']), (s) => quiet.push(s));
    expect(quiet.filter((s) => s.startsWith('note:'))).toEqual([]);
  }, 120_000);

  it('quickjs-ng runs the same bundle identically', async () => {
    const r = await embeddedRun(opts({ engine: 'quickjs-ng', board: BOARD, hidden: 20, samples: 20 }));
    expectGood(r);
  }, 60_000);

  it("QuickJS: the budget is enforced by the driver (the WebAssembly build's own limit counts only 8 bytes per allocation)", async () => {
    const dir = join(defaultBundleDir(), BOARD);
    const files = { es2020: join(dir, 'firmware.js'), es5: join(dir, 'firmware.es5.js') };
    const config = JSON.stringify(JSON.stringify({ board: BOARD, mode: 'train', sizes: { input: 100, hidden: 100, output: 10 }, seed: 1 }));
    // 512 KiB: the bundle loads (about 0.32 MB), the training network (about 0.9 MB peak) does not
    const s = await startEngine('quickjs', files, 512 * 1024);
    const e = await s.call(`synfireFirmware.link.boot(${config})`).catch((x: unknown) => x as Error);
    await s.close();
    expect(e).toBeInstanceOf(EngineMemoryError);
    expect((e as Error).message).toMatch(/^quickjs: the firmware needs more than the board's heap budget of 524288 bytes \(heap reached \d+ bytes/);
    expect(await s.peakHeapBytes()).toBeGreaterThan(512 * 1024);
  }, 60_000);

  it('Duktape: the budget is a fixed heap; a network that cannot fit in it runs out of memory, within it', async () => {
    const dir = join(defaultBundleDir(), BOARD);
    const files = { es2020: join(dir, 'firmware.js'), es5: join(dir, 'firmware.es5.js') };
    const config = JSON.stringify(JSON.stringify({ board: BOARD, mode: 'train', sizes: { input: 100, hidden: 100, output: 10 }, seed: 1 }));
    // 1 MiB: the ES5 bundle loads (about 0.68 MB in 64-bit duk), the training network (about 1.5 MB) does not
    const s = await startEngine('duktape', files, 1024 * 1024);
    const e = await s.call(`synfireFirmware.link.boot(${config})`).catch((x: unknown) => x as Error);
    await s.close();
    expect(e).toBeInstanceOf(EngineMemoryError);
    expect((e as Error).message).toMatch(/^duktape: out of memory: /);
    const peak = await s.peakHeapBytes();
    expect(peak).toBeGreaterThan(700 * 1024);
    expect(peak).toBeLessThanOrEqual(1024 * 1024);
  }, 60_000);

  it('training keeps no memory per sample: QuickJS holds the same bytes in the same blocks after 30 and 90 trained samples', async () => {
    const QuickJS = await getQuickJS();
    const rt = QuickJS.newRuntime();
    const ctx = rt.newContext();
    const used = (): string => /^memory used\s+\d+\s+\d+/m.exec(rt.dumpMemoryUsage())![0];
    const ev = (code: string): void => {
      const r = ctx.evalCode(code);
      if (r.error) {
        const e = ctx.dump(r.error);
        r.error.dispose();
        throw new Error(JSON.stringify(e));
      }
      r.value.dispose();
    };
    ev(readFileSync(join(defaultBundleDir(), BOARD, 'firmware.js'), 'utf8'));
    ev(`var fw = new synfireFirmware.Firmware({ board: '${BOARD}', mode: 'train', sizes: { input: 16, hidden: 12, output: 4 }, seed: 2 });
        var x = new Uint8Array(16); var s = 7;
        function batch() { for (var k = 0; k < 30; k++) { for (var i = 0; i < 16; i++) { s = (s * 1103515245 + 12345) % 2147483648; x[i] = s % 3 === 0 ? 1 : 0; } fw.train(x, k % 4); } }`);
    // (after a first batch: the first steps settle what the chip derives once, e.g. its
    // copy sets, which changes the heap by a few bytes one time)
    ev('batch()');
    const before = used();
    ev('batch()');
    ev('batch()');
    const after = used();
    ev('if (fw.samplesSeen !== 90) throw new Error("samplesSeen " + fw.samplesSeen)');
    ctx.dispose();
    rt.dispose();
    expect(after).toBe(before);
  });

  it('a missing engine is named with the command that installs it', async () => {
    const old = process.env.SYNFIRE_DUK;
    process.env.SYNFIRE_DUK = join(tmp, 'no-such-duk');
    try {
      const e = await embeddedRun(opts({ engine: 'duktape', board: BOARD, hidden: 10 })).catch((x: unknown) => x as Error);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toBe(`engine duktape is not installed (cannot run '${join(tmp, 'no-such-duk')}'): install it with \`apt-get install duktape\``);
    } finally {
      if (old === undefined) delete process.env.SYNFIRE_DUK;
      else process.env.SYNFIRE_DUK = old;
    }
  });

  it('Duktape refuses a truncated or corrupted flash image with a UserError and keeps its weights', () => {
    const script = join(tmp, 'restore.js');
    const code = [
      'var F = synfireFirmware.Firmware;',
      "var fw = new F({ board: 'esp32s3-psram', mode: 'train', sizes: { input: 16, hidden: 12, output: 4 }, seed: 3 });",
      'var x = new Uint8Array(16); for (var i = 0; i < 16; i += 3) x[i] = 1;',
      'for (var k = 0; k < 5; k++) fw.train(x, k % 4);',
      'var good = fw.snapshot();',
      'function hex(b) { var s = ""; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16); return s; }',
      'var before = hex(good);',
      'var bad = new Uint8Array(good.length); bad.set(good); bad[60] ^= 1;',
      'var cut = good.subarray(0, good.length - 3);',
      '[bad, cut].forEach(function (img) { try { fw.restore(img); print("restored"); } catch (e) { print((e instanceof Error && e.name === "UserError" ? "UserError: " : "other: ") + e.message); } });',
      'print(hex(fw.snapshot()) === before ? "kept" : "CHANGED");',
    ].join('\n');
    writeFileSync(script, readFileSync(join(__dirname, '..', 'dist', 'boards', BOARD, 'firmware.es5.js'), 'utf8') + '\n' + code + '\n');
    const out = execFileSync('duk', [script], { encoding: 'utf8' }).trim().split('\n');
    expect(out[0]).toMatch(/^UserError: flash image: corrupted: CRC-32 mismatch, expected 0x[0-9a-f]{8} \(stored\), got 0x[0-9a-f]{8} \(computed\)$/);
    expect(out[1]).toMatch(/^UserError: flash image: truncated: expected \d+ bytes, got \d+$/);
    expect(out[2]).toBe('kept');
  });
});
