/**
 * `synfire plan`: the memory map of the sBP network on a microcontroller board, item by item
 * against the heap the board leaves to its JavaScript engine, before anything is built on the
 * device. `--max-hidden` finds the largest hidden layer that fits. docs/device.md ("Memory plan").
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOARDS, mcuBoardNames, type EngineName } from '../../boards/profiles';
import { grouped, planMemory, requireFits, type MemoryPlan, type PlanMode } from '../../firmware-model/memory-plan';
import { sideOf, type Preprocessing } from '../../src/data/preprocess';
import { UserError } from '../../src/errors';
import type { CliIO, Command } from '../cli';
import { hiddenSizes, MAX_HIDDEN } from './options';
import { DEFAULT_GATING, GATINGS, type Gating } from '../../src/sbp/gating';
import { deepPhases } from '../../src/sbp/deep';

/** Inputs of each data set as the network sees them (its preprocessing). */
const DATASET_INPUTS: Record<string, Preprocessing> = { mnist: 'mnist20', mnist10: 'mnist10', fashion: 'fashion28' };
const DEFAULT_HIDDEN: Record<string, number> = { mnist: 400, mnist10: 100, fashion: 400 };
/** Largest hidden layer --max-hidden tries (the --hidden limit of the other commands). */
const OUTPUTS = 10;

/**
 * Size of the built firmware bundle for the board's engine, when `npm run build:boards` has
 * made it: dist/boards/<board>/firmware.js (QuickJS) or firmware.es5.js (Duktape).
 */
function builtBundle(board: string, engine: EngineName): { bytes: number; file: string } | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/cli.js when bundled, tools/commands/plan.ts under vitest
  for (const root of [resolve(here, '..'), resolve(here, '..', '..')]) {
    const file = join(root, 'dist', 'boards', board, engine === 'duktape' ? 'firmware.es5.js' : 'firmware.js');
    if (existsSync(file)) return { bytes: statSync(file).size, file };
  }
  return undefined;
}

export const command: Command = {
  spec: {
    name: 'plan',
    summary: "Memory map of the sBP network on a microcontroller board: every array by item, against the board's heap.",
    options: [
      { name: 'board', type: 'choice', choices: mcuBoardNames(), default: 'esp32s3-psram', help: 'microcontroller board profile' },
      { name: 'dataset', type: 'choice', choices: Object.keys(DATASET_INPUTS), default: 'mnist', help: 'input size: mnist 400 (20x20), mnist10 100 (10x10), fashion 784 (28x28)' },
      { name: 'hidden', type: 'int', list: true, min: 1, max: MAX_HIDDEN, metavar: 'H[,H...]', help: 'hidden units (default 400 for mnist and fashion, 100 for mnist10); a comma-separated list means several hidden layers (training, docs/deep.md)' },
      { name: 'mode', type: 'choice', choices: ['train', 'infer'], default: 'train', help: 'the 12-phase training network or the 4-phase inference network' },
      { name: 'gating', type: 'choice', choices: GATINGS, default: DEFAULT_GATING, help: "'robust': headroom proven for every reachable weight matrix (docs/gating.md); 'paper': the authors' gate weights, inhibition and exponents" },
      { name: 'engine', type: 'choice', choices: ['quickjs', 'quickjs-ng', 'duktape'], metavar: 'E', help: "JavaScript engine (default: the board's first; one the board is meant for)" },
      { name: 'kernel', type: 'choice', choices: ['js', 'naive'], default: 'js', help: "the chip kernel the firmware runs: 'js' (fast, portable row sums) or 'naive'" },
      { name: 'bundle-bytes', type: 'int', min: 0, metavar: 'B', help: 'size of the firmware bundle (default: the built dist/boards/<board> file, else an estimate)' },
      { name: 'max-hidden', type: 'flag', help: 'print the largest hidden layer that fits the board (1..4096), and its plan' },
    ],
    examples: [
      'synfire plan --board esp32s3-psram --dataset mnist --hidden 400 --mode infer',
      'synfire plan --board esp32s3-psram --dataset mnist --hidden 400,400 --mode train',
      'synfire plan --board esp32 --dataset mnist10 --mode train',
      'synfire plan --board rp2040 --dataset mnist10 --mode train --max-hidden',
      'synfire plan --board esp32 --engine quickjs --mode infer --json',
    ],
  },
  run(opts, io) {
    const board = opts.board as string;
    const dataset = opts.dataset as string;
    const mode = opts.mode as PlanMode;
    const kernel = opts.kernel as 'js' | 'naive';
    const side = sideOf(DATASET_INPUTS[dataset]);
    const input = side * side;
    const engine = (opts.engine as EngineName | undefined) ?? BOARDS[board].mcu!.engines[0];
    const built = builtBundle(board, engine);
    const bundleBytes = (opts.bundleBytes as number | undefined) ?? built?.bytes;
    const layers = hiddenSizes(opts.hidden);
    const gating = opts.gating as Gating;
    const planFor = (hidden: number) => planMemory({ board, mode, sizes: { input, hidden, output: OUTPUTS }, bundleBytes, kernel, engine, gating });

    if (opts.maxHidden === true) {
      if (opts.hidden !== undefined) throw new UserError('--max-hidden searches the hidden size: give it without --hidden', 2);
      const best = largestFitting(planFor);
      if (io.json) {
        io.out(JSON.stringify({ board, dataset, mode, maxHidden: best ? best.sizes.hidden : 0, plan: best ?? planFor(1) }));
        return best ? 0 : 1;
      }
      if (!best) {
        const one = planFor(1);
        throw new UserError(
          `no hidden size fits ${board} (${mode}, ${dataset}): even ${input}-1-${OUTPUTS} needs ${grouped(one.totalBytes)} B, budget ${grouped(one.budgetBytes)} B; largest: ${one.largest.name} ${grouped(one.largest.bytes)} B`,
        );
      }
      io.out(`largest hidden layer that ${mode === 'train' ? 'trains' : 'infers'} within ${board}'s budget: ${best.sizes.hidden} (${input}-${best.sizes.hidden}-${OUTPUTS}, ${dataset})`);
      io.out('');
      printPlan(best, io, dataset, engine, built?.file);
      return 0;
    }

    const plan =
      layers && layers.length > 1
        ? planMemory({ board, mode, sizes: { input, hidden: layers[0], output: OUTPUTS }, hiddenLayers: layers, bundleBytes, kernel, engine })
        : planFor(layers ? layers[0] : DEFAULT_HIDDEN[dataset]);
    if (io.json) {
      io.out(JSON.stringify(plan));
      if (!plan.fits) io.err(fitError(plan));
      return plan.fits ? 0 : 1;
    }
    printPlan(plan, io, dataset, engine, built?.file);
    requireFits(plan);
    return 0;
  },
};

function fitError(plan: MemoryPlan): string {
  try {
    requireFits(plan);
  } catch (e) {
    return `synfire plan: error: ${(e as Error).message}`;
  }
  return '';
}

/**
 * The largest H in 1..MAX_HIDDEN whose plan fits, or undefined when none does. Every item of
 * a plan grows with H (or stays), so the search doubles H until a plan fails, then bisects.
 */
export function largestFitting(planFor: (hidden: number) => MemoryPlan): MemoryPlan | undefined {
  let lo = planFor(1);
  if (!lo.fits) return undefined;
  let hi = 0; // smallest known failing H (0: none found yet)
  let h = 1;
  while (hi === 0) {
    const next = Math.min(MAX_HIDDEN, 2 * h);
    if (next === h) return lo;
    const p = planFor(next);
    if (p.fits) {
      lo = p;
      h = next;
    } else hi = next;
  }
  while (hi - lo.sizes.hidden > 1) {
    const mid = Math.floor((lo.sizes.hidden + hi) / 2);
    const p = planFor(mid);
    if (p.fits) lo = p;
    else hi = mid;
  }
  return lo;
}

function printPlan(plan: MemoryPlan, io: CliIO, dataset: string, engine: EngineName, bundleFile: string | undefined): void {
  const b = BOARDS[plan.board];
  const mcu = b.mcu!;
  const L = plan.layers.length - 2;
  io.out(`synfire plan: sBP ${plan.layers.join('-')} ${plan.mode === 'train' ? `training (${deepPhases(L)} phases)` : 'inference (4 phases)'} on ${plan.board} (${dataset}), engine ${engine}`);
  io.out(`  ${mcu.part}`);
  io.out(`  heap for the engine: ${grouped(plan.budgetBytes)} B (${mcu.heapBytes.estimate ? 'estimate' : 'datasheet'}; see docs/device.md)`);
  if (bundleFile) io.out(`  bundle: ${bundleFile}`);
  io.out('');
  const rows: string[][] = [['item', 'category', 'bytes', 'share']];
  const sorted = plan.items.slice().sort((x, y) => y.bytes - x.bytes);
  for (const it of sorted) rows.push([it.name, it.category, grouped(it.bytes), ((100 * it.bytes) / plan.totalBytes).toFixed(1) + '%']);
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  for (const r of rows) io.out('  ' + r.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  '));
  io.out('');
  const cats: Record<string, number> = {};
  for (const it of plan.items) cats[it.category] = (cats[it.category] ?? 0) + it.bytes;
  io.out('  by category: ' + Object.keys(cats).sort((x, y) => cats[y] - cats[x]).map((c) => `${c} ${grouped(cats[c])}`).join(', '));
  const pct = ((100 * plan.totalBytes) / plan.budgetBytes).toFixed(1);
  io.out(`  total ${grouped(plan.totalBytes)} B of ${grouped(plan.budgetBytes)} B budget (${pct}%): ${plan.fits ? `fits, ${grouped(plan.budgetBytes - plan.totalBytes)} B to spare` : 'DOES NOT FIT'}`);
}
