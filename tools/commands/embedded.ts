/**
 * `synfire embedded`: run a board's firmware bundle (dist/boards/<board>/, `npm run
 * build:boards`) inside an embedded JavaScript engine, the way a device runs it: the host
 * streams samples in chunks over the firmware's host link (firmware-model/host-link.ts) and
 * reads results, counters and the final weight flash image out. The same run is repeated
 * with the same bundle on Node, and the two are compared weight for weight.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFlashImage, encodeFlashImage, FLASH_MAGIC } from '../../firmware-model/flash-image';
import { encodeSamples } from '../../firmware-model/host-link';
import { planMemory, requireFits } from '../../firmware-model/memory-plan';
import { BOARDS } from '../../boards/profiles';
import { loadDataset } from '../../src/data/datasets';
import type { SpikeDataset } from '../../src/data/preprocess';
import { UserError } from '../../src/errors';
import { loadWeightsArg, resolveWeightsArg } from '../model-file';
import type { SbpSizes } from '../../src/sbp/topology';
import type { CliIO, Command } from '../cli';
import { startEngine, requireEngine, type EngineName, type EngineSession } from '../engine-host';
import { atomicWriteFile, readUserFile } from '../fsutil';
import { sampleOrder } from './verify';
import { MAX_HIDDEN } from './options';
import { DEFAULT_GATING, GATINGS, type Gating } from '../../src/sbp/gating';

export const command: Command = {
  spec: {
    name: 'embedded',
    summary:
      "Run a board's firmware bundle inside an embedded JavaScript engine (QuickJS, QuickJS-ng, Duktape): train or infer on streamed samples within the board's heap budget, and compare the final weights with the same run on Node.",
    usage: '--engine quickjs|quickjs-ng|duktape --board B [--mode infer|train] [--dataset mnist|mnist10|fashion] [--hidden H] [--samples N] [options]',
    options: [
      { name: 'engine', type: 'choice', choices: ['quickjs', 'quickjs-ng', 'duktape'], help: 'the engine: QuickJS or QuickJS-ng (WebAssembly builds from npm), or Duktape (Debian duk)' },
      { name: 'board', type: 'string', metavar: 'B', help: 'microcontroller board profile (esp32s3-psram, esp32, rp2040): its bundle and heap budget' },
      { name: 'mode', type: 'choice', choices: ['infer', 'train'], default: 'infer', help: 'train on the device (12-phase sBP network) or infer (4-phase inference network)' },
      { name: 'dataset', type: 'choice', choices: ['mnist', 'mnist10', 'fashion'], default: 'mnist', help: 'MNIST 20x20 (400 inputs), MNIST 10x10 (100 inputs) or Fashion-MNIST (784 inputs); training split to train, test split to infer' },
      { name: 'hidden', type: 'int', min: 1, max: MAX_HIDDEN, metavar: 'H', help: "hidden units (default 100; with --load-weights the file's)" },
      { name: 'samples', type: 'int', default: 100, min: 1, max: 100000000, metavar: 'N', help: 'samples to stream through the firmware' },
      { name: 'seed', type: 'int', default: 1, min: 0, max: 4294967295, metavar: 'S', help: 'seed of the initial weights and of the training order' },
      { name: 'gating', type: 'choice', choices: GATINGS, default: DEFAULT_GATING, help: "'robust': headroom proven for every reachable weight matrix (docs/gating.md); 'paper': the authors' gate weights, inhibition and exponents" },
      { name: 'load-weights', type: 'string', metavar: 'F', help: 'start from a flash image (SFFW, from --save-image), a weights file (synfire-weights/1 JSON) or a model by name (models/README.md)' },
      { name: 'save-image', type: 'string', metavar: 'F', help: "write the engine's final flash image to F" },
      { name: 'chunk', type: 'int', default: 50, min: 1, max: 100000, metavar: 'K', help: 'samples per chunk the host sends' },
      { name: 'no-node', type: 'flag', help: 'skip the Node reference run (identicalToNode is then null)' },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory with the IDX files' },
      { name: 'bundle-dir', type: 'string', metavar: 'DIR', help: 'directory holding <board>/firmware.js and firmware.es5.js (default dist/boards)' },
    ],
    examples: [
      'synfire embedded --engine quickjs --board esp32 --mode train --dataset mnist10 --hidden 100 --samples 200',
      'synfire embedded --engine duktape --board esp32 --mode train --dataset mnist10 --samples 100 --json',
      'synfire embedded --engine quickjs --board esp32s3-psram --mode infer --hidden 400 --load-weights w.sffw --samples 1000',
    ],
  },
  run(o, io) {
    return runEmbedded(o, io);
  },
};

export interface EmbeddedResult {
  engine: string;
  board: string;
  mode: 'train' | 'infer';
  dataset: string;
  gating: Gating;
  sizes: [number, number, number];
  samples: number;
  correct: number;
  accuracy: number;
  counters: Record<string, number>;
  snapshotBytes: number;
  snapshotSha256: string;
  identicalToNode: boolean | null;
  nodeDifferences: string[];
  seconds: number;
  samplesPerSecond: number;
  nodeSamplesPerSecond: number | null;
  /** Engine speed over Node's, the same bundle and kernel. */
  speedRatioToNode: number | null;
  bootSeconds: number;
  peakHeapBytes: number;
  peakMethod: string;
  plannedBytes: number;
  budgetBytes: number;
  withinBudget: boolean;
  bundleBytes: number;
  bundle: string;
}

/** Where the board bundles are: next to dist/cli.js, or dist/ of the repository when run from source. */
export function defaultBundleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'boards'), resolve(here, '..', '..', 'dist', 'boards')];
  for (const c of candidates) if (existsSync(c)) return c;
  // not built yet: name the folder `npm run build:boards` writes (dist/boards of this package)
  return basename(here) === 'dist' ? candidates[0] : candidates[1];
}

function datasetOf(name: string, split: 'train' | 'test', dataDir?: string): SpikeDataset {
  if (name === 'mnist10') return loadDataset('mnist', split, { preprocessing: 'mnist10', dataDir });
  return loadDataset(name as 'mnist' | 'fashion', split, { dataDir });
}

/** A starting image from --load-weights: an SFFW image as it is, or weights JSON turned into one. */
/**
 * The weights --load-weights names: a flash image, a weight file, or a model (by file or by
 * name, models/README.md), whose recorded dataset and gating become the options not given.
 */
function startImage(arg: string, o: Record<string, unknown>): { image: Uint8Array; sizes: SbpSizes; window?: string } {
  const file = resolveWeightsArg(arg);
  const bytes = readUserFile(file, 'weights');
  let isImage = bytes.length >= 4;
  for (let i = 0; i < 4 && isImage; i++) if (bytes[i] !== FLASH_MAGIC.charCodeAt(i)) isImage = false;
  if (isImage) {
    if (bytes.length < 28) throw new UserError(`${file}: flash image: truncated: ${bytes.length} bytes`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sizes = { input: dv.getUint32(12, true), hidden: dv.getUint32(16, true), output: dv.getUint32(20, true) };
    // checked here too, so that a damaged file is named before an engine starts
    try {
      decodeFlashImage(bytes, sizes, false);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`${file}: ${e.message}`);
      throw e;
    }
    return { image: bytes, sizes };
  }
  const { weights: w, model } = loadWeightsArg(file, o, command.spec);
  const sizes = { input: w.sizes[0], hidden: w.sizes[1], output: w.sizes[2] };
  const toI16 = (a: ArrayLike<number>) => Int16Array.from(a as ArrayLike<number>);
  const image = encodeFlashImage({ sizes, samplesTrained: 0, seed: 0, w1: toI16(w.w1), w2: toI16(w.w2), w2tPos: toI16(w.w2tPos), w2tNeg: toI16(w.w2tNeg) });
  // the firmware trains with the paper's missed-target window; say so when the model used another
  const errorWindow = model?.errorWindow ?? 0;
  const targetTop = model?.targetTop ?? 512;
  return errorWindow !== 0 || targetTop !== 512 ? { image, sizes, window: `(-${errorWindow}, ${targetTop}]` } : { image, sizes };
}

const HEX_PIECE = 16384; // bytes per image piece crossing the link

function hex(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('hex');
}

interface RunOutcome {
  predictions: string;
  correct: number;
  seconds: number;
  bootSeconds: number;
  snapshot: Uint8Array;
  counters: { names: string[]; values: number[] };
  plan: { plannedBytes: number; budgetBytes: number };
  peak: number;
  peakMethod: string;
}

/** One whole run in one engine session. */
async function runIn(s: EngineSession, config: object, image: Uint8Array | null, chunks: string[], mode: 'train' | 'infer'): Promise<RunOutcome> {
  try {
    const t0 = performance.now();
    if (image) {
      await s.call(`(synfireFirmware.link.imageBegin(${image.length}),"")`);
      for (let a = 0; a < image.length; a += HEX_PIECE) await s.call(`(synfireFirmware.link.imagePart("${hex(image, a, Math.min(image.length, a + HEX_PIECE))}"),"")`);
    }
    const plan = JSON.parse(await s.call(`synfireFirmware.link.boot(${JSON.stringify(JSON.stringify(config))})`)) as RunOutcome['plan'];
    const bootSeconds = (performance.now() - t0) / 1000;
    let predictions = '';
    let correct = 0;
    let seconds = 0;
    for (const c of chunks) {
      const t = performance.now();
      const r = await s.call(`synfireFirmware.link.feed("${c}",${JSON.stringify(mode)})`);
      seconds += (performance.now() - t) / 1000;
      const sp = r.lastIndexOf(' ');
      predictions += r.slice(0, sp);
      correct += Number(r.slice(sp + 1));
    }
    const n = Number(await s.call('String(synfireFirmware.link.snapshot())'));
    const snap = new Uint8Array(n);
    for (let a = 0; a < n; a += HEX_PIECE) {
      const h = await s.call(`synfireFirmware.link.snapshotHex(${a},${HEX_PIECE})`);
      snap.set(Buffer.from(h, 'hex'), a);
    }
    await s.call('(synfireFirmware.link.dropSnapshot(),"")');
    const counters = JSON.parse(await s.call('synfireFirmware.link.counters()')) as RunOutcome['counters'];
    await s.close();
    const peak = await s.peakHeapBytes();
    return { predictions, correct, seconds, bootSeconds, snapshot: snap, counters, plan, peak, peakMethod: s.peakMethod };
  } catch (e) {
    await s.close();
    throw e;
  }
}

/** Differences between an engine run and the Node run (empty when identical). */
function compareRuns(a: RunOutcome, b: RunOutcome): string[] {
  const d: string[] = [];
  if (a.snapshot.length !== b.snapshot.length) d.push(`flash image length ${a.snapshot.length} vs ${b.snapshot.length} on Node`);
  else {
    let first = -1;
    let count = 0;
    for (let i = 0; i < a.snapshot.length; i++)
      if (a.snapshot[i] !== b.snapshot[i]) {
        if (first < 0) first = i;
        count++;
      }
    if (count > 0) d.push(`flash image differs in ${count} bytes, first at byte ${first}`);
  }
  if (a.predictions !== b.predictions) {
    let k = 0;
    while (a.predictions[k] === b.predictions[k]) k++;
    d.push(`predictions differ, first at sample ${k}`);
  }
  for (let i = 0; i < a.counters.names.length; i++)
    if (a.counters.values[i] !== b.counters.values[i]) d.push(`counter ${a.counters.names[i]} ${a.counters.values[i]} vs ${b.counters.values[i]} on Node`);
  return d;
}

export async function embeddedRun(o: Record<string, unknown>, progress?: (s: string) => void): Promise<EmbeddedResult> {
  const engine = o.engine as Exclude<EngineName, 'node'>;
  const board = o.board as string;
  const mode = o.mode as 'train' | 'infer';
  const n = o.samples as number;
  const seed = o.seed as number;
  const chunkSize = o.chunk as number;

  if (engine === undefined) throw new UserError('embedded: --engine is required (quickjs, quickjs-ng or duktape)', 2);
  if (board === undefined) throw new UserError('embedded: --board is required (a microcontroller board: esp32s3-psram, esp32, rp2040)', 2);
  requireEngine(engine);
  // weights before data: a bad file fails first
  const loaded = o.loadWeights !== undefined ? startImage(o.loadWeights as string, o) : null;
  if (loaded?.window !== undefined && mode === 'train' && progress) {
    progress(`note: ${o.loadWeights as string} was trained with the missed-target window ${loaded.window}; the firmware trains with the paper's (0, 512] (synfire train continues it with its own)`);
  }
  // after the weights: a model file sets the dataset and gating it was trained with
  const dataset = o.dataset as string;
  const ds = datasetOf(dataset, mode === 'train' ? 'train' : 'test', o.dataDir as string | undefined);
  let hidden = o.hidden as number | undefined;
  if (loaded) {
    const s = loaded.sizes;
    if (hidden !== undefined && hidden !== s.hidden) throw new UserError(`${o.loadWeights}: the weights have ${s.hidden} hidden units but --hidden is ${hidden}`);
    if (s.input !== ds.numInputs || s.output !== 10) throw new UserError(`${o.loadWeights}: sizes ${s.input}-${s.hidden}-${s.output} do not fit ${dataset} (${ds.numInputs} inputs, 10 outputs)`);
    hidden = s.hidden;
  }
  const sizes = { input: ds.numInputs, hidden: hidden ?? 100, output: 10 };

  const dir = (o.bundleDir as string | undefined) ?? defaultBundleDir();
  const files = { es2020: join(dir, board, 'firmware.js'), es5: join(dir, board, 'firmware.es5.js') };
  const bundle = engine === 'duktape' ? files.es5 : files.es2020;
  // the plan first: a board name the planner does not know, or a network too large, stops here
  // (planned for the engine that runs it when the board lists it, else for the board's first)
  const boardEngines: string[] = BOARDS[board]?.mcu?.engines ?? [];
  const planEngine = boardEngines.indexOf(engine) >= 0 ? engine : undefined;
  const gating = (o.gating as Gating | undefined) ?? DEFAULT_GATING;
  const hostPlan = planMemory({ board, mode, sizes, kernel: 'js', engine: planEngine, gating, bundleBytes: existsSync(bundle) ? statSync(bundle).size : undefined });
  requireFits(hostPlan);
  if (!existsSync(bundle)) throw new UserError(`${bundle} not found: build the board bundles with \`npm run build:boards\``);
  const bundleBytes = statSync(bundle).size;

  // samples, as the host link's chunks
  const order = mode === 'train' ? sampleOrder(ds.count, n, seed, true) : sampleOrder(ds.count, Math.min(n, ds.count), seed, false);
  const chunks: string[] = [];
  const x = new Uint8Array(ds.numInputs);
  for (let a = 0; a < order.length; a += chunkSize) {
    const inputs: Uint8Array[] = [];
    const labels: number[] = [];
    for (let k = a; k < Math.min(order.length, a + chunkSize); k++) {
      const i = order[k];
      x.fill(0);
      for (let p = ds.offsets[i]; p < ds.offsets[i + 1]; p++) x[ds.indices[p]] = 1;
      inputs.push(x.slice());
      labels.push(ds.labels[i]);
    }
    chunks.push(encodeSamples(inputs, labels));
  }
  // the firmware carries no planner: it checks the host's plan against its board's heap
  const config = { board, mode, sizes, seed, gating, plannedBytes: hostPlan.totalBytes };
  const image = loaded ? loaded.image : null;

  progress?.(`${engine}: ${order.length} ${mode} samples, ${sizes.input}-${sizes.hidden}-${sizes.output} on ${board} (budget ${hostPlan.budgetBytes} B, planned ${hostPlan.totalBytes} B)`);
  const run = await runIn(await startEngine(engine, files, hostPlan.budgetBytes), config, image, chunks, mode);
  let ref: RunOutcome | null = null;
  if (!o.noNode) {
    progress?.('node: the same run for comparison');
    ref = await runIn(await startEngine('node', files, hostPlan.budgetBytes), config, image, chunks, mode);
  }
  if (o.saveImage !== undefined) atomicWriteFile(o.saveImage as string, run.snapshot);
  const counters: Record<string, number> = {};
  run.counters.names.forEach((name, i) => (counters[name] = run.counters.values[i]));
  const differences = ref ? compareRuns(run, ref) : [];
  const sps = order.length / run.seconds;
  const nodeSps = ref ? order.length / ref.seconds : null;
  return {
    engine,
    board,
    mode,
    dataset,
    gating,
    sizes: [sizes.input, sizes.hidden, sizes.output],
    samples: order.length,
    correct: run.correct,
    accuracy: run.correct / order.length,
    counters,
    snapshotBytes: run.snapshot.length,
    snapshotSha256: createHash('sha256').update(run.snapshot).digest('hex'),
    identicalToNode: ref ? differences.length === 0 : null,
    nodeDifferences: differences,
    seconds: run.seconds,
    samplesPerSecond: sps,
    nodeSamplesPerSecond: nodeSps,
    speedRatioToNode: nodeSps ? sps / nodeSps : null,
    bootSeconds: run.bootSeconds,
    peakHeapBytes: run.peak,
    peakMethod: run.peakMethod,
    plannedBytes: run.plan.plannedBytes,
    budgetBytes: run.plan.budgetBytes,
    withinBudget: run.peak <= run.plan.budgetBytes,
    bundleBytes,
    bundle,
  };
}

function kib(b: number): string {
  return (b / 1024).toFixed(1) + ' KiB';
}

async function runEmbedded(o: Record<string, unknown>, io: CliIO): Promise<number> {
  const r = await embeddedRun(o, io.json ? undefined : (s) => io.err('synfire embedded: ' + s));
  if (io.json) {
    io.out(JSON.stringify(r));
  } else {
    io.out(`${r.engine} on ${r.board}: ${r.mode} ${r.samples} ${r.dataset} samples, ${r.sizes.join('-')}`);
    io.out(`  accuracy ${(100 * r.accuracy).toFixed(2)}% (${r.correct}/${r.samples}; ${r.mode === 'train' ? 'the lowest output that spiked while training' : 'argmax of the output potential'})`);
    io.out(`  ${r.samplesPerSecond.toFixed(1)} samples/s in ${r.engine}` + (r.nodeSamplesPerSecond ? `, ${r.nodeSamplesPerSecond.toFixed(1)} on Node (ratio ${r.speedRatioToNode!.toFixed(3)})` : '') + `; boot ${r.bootSeconds.toFixed(2)} s`);
    io.out(`  heap: peak ${kib(r.peakHeapBytes)}, planned ${kib(r.plannedBytes)}, budget ${kib(r.budgetBytes)} (${r.withinBudget ? 'within' : 'OVER'}); peak = ${r.peakMethod}`);
    io.out(`  bundle ${r.bundle} (${r.bundleBytes} B)`);
    io.out(`  flash image ${r.snapshotBytes} B, SHA-256 ${r.snapshotSha256}`);
    io.out(`  identical to Node: ${r.identicalToNode === null ? 'not compared' : r.identicalToNode ? 'yes (flash image, predictions and counters)' : 'NO: ' + r.nodeDifferences.join('; ')}`);
    const c = r.counters;
    io.out(`  counters: synOps ${c.synOps}, spikes ${c.spikes}, learnVisits ${c.learnVisits}, learnUpdates ${c.learnUpdates}, steps ${c.steps}`);
  }
  return r.identicalToNode === false || !r.withinBudget ? 1 : 0;
}
