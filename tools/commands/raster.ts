/**
 * `synfire raster`: the spike raster of one training sample on the chip, as an SVG.
 *
 * Builds the 12-phase training network (initial rand_He weights or a weight file), optionally
 * trains on the first N samples so that the chip has learned a little, then streams one sample
 * and records which compartments fire in each of its 12 phases (one time step each). The
 * figure shows the gating ring on top and the layers below in the order the data flows, tints
 * the learning phases, writes the exact spike count of every group in every phase, and names
 * the sample, its label, the output the chip predicted and how many stored weights changed.
 *
 * Without --sample, the first sample after the trained ones whose output error (d+ or d-) and
 * hidden error (d1+ or d1-, i.e. h1 firing in phase 7 or 11) are non-empty is drawn, so that
 * learning is visible; with --sample K exactly that sample is drawn, and a sample that caused
 * no error is reported as such.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Op } from '../../src/chip/counters';
import { loadDataset, type DatasetName } from '../../src/data/datasets';
import type { SpikeDataset } from '../../src/data/preprocess';
import { UserError } from '../../src/errors';
import type { GroupLayout } from '../../src/net/compile';
import { initialWeights } from '../../src/sbp/init';
import { phaseStep, TRAIN_GATES } from '../../src/sbp/params';
import { checkWeightsFit, NUM_CLASSES, type SbpSizes } from '../../src/sbp/matrices';
import { gateName } from '../../src/sbp/topology';
import { loadWeights, PhaseRecord, SbpTrainingChip } from '../../src/sbp/training';
import { rasterChart, type PhaseSpan, type RasterRow } from '../../src/viz/svg';
import type { CliIO, Command } from '../cli';
import { atomicWriteFile } from '../fsutil';
import { formatCount } from '../progress';
import { DEFAULT_HIDDEN, errorWindowOptions, hiddenListOption, hiddenSizes } from './options';
import { DEFAULT_GATING, GATINGS, type Gating } from '../../src/sbp/gating';
import { checkErrorWindow, checkTargetTop, type TargetTop } from '../../src/sbp/error-window';
import { loadWeightsArg } from '../model-file';
import { runDeepRaster, trainFirstSamples } from './raster-deep';

/** How many samples after the trained ones are tried when looking for one with errors. */
const SEARCH_LIMIT = 1000;

/** What each phase does (docs/sbp-network.md, "The 12 phases"), as column labels. */
export const PHASE_LABELS = [
  '0 load input',
  '1 x',
  '2 h=f(W1x)',
  '3 o=f(W2h)',
  '4 error d±',
  '5 learn W2 (+)',
  '6 backprop',
  '7 learn W1 (+)',
  '8 h blocked',
  '9 learn W2 (−)',
  '10 backprop (−)',
  '11 learn W1 (−)',
];

/** Phases in which the reward r1 = 1 (potentiation) and r1 = 0 with learning (depression). */
const POTENTIATION = [5, 7];
const DEPRESSION = [9, 11];

const COLORS = {
  gate: '#5b6573',
  input: '#2f5d8a',
  hidden: '#3f7f37',
  output: '#c4620f',
  error: '#b8383b',
  backprop: '#7d4f75',
};
const FILL_PLUS = '#e2f1da';
/** Band heights in px: one-neuron gates, 10-neuron output groups, big input/hidden groups. */
const BAND_PX: Record<'gate' | 'input' | 'hidden' | 'output', number> = { gate: 12, input: 60, hidden: 60, output: 20 };
const FILL_MINUS = '#f8e1df';

type Family = 'gate' | 'input' | 'hidden' | 'output';

/** A drawn group: chip name, shown name, section, colour, neuron family and role. */
interface GroupStyle {
  name: string;
  label: string;
  section: string;
  color: string;
  family: Family;
  role: string;
}


function style(name: string, label: string, section: string, family: Family, color: string, role: string): GroupStyle {
  return { name, label, section, color, family, role };
}

/**
 * The drawn groups in the order the data flows: gating ring, forward pass, error, backprop,
 * with their roles (docs/sbp-network.md, "Groups") as label tooltips.
 */
export const GROUP_ORDER: GroupStyle[] = [
  ...Array.from({ length: TRAIN_GATES }, (_, p) =>
    style(gateName(p), gateName(p), 'gating ring', 'gate', COLORS.gate, `gate ${gateName(p)}: fires one step before phase ${p} and opens it`),
  ),
  style('x', 'x', 'forward pass', 'input', COLORS.input, 'x: the pixels in phase 1, replayed from m_x6 in 7 and 11'),
  style('h1', 'h1', 'forward pass', 'hidden', COLORS.hidden, 'h1: h = [W1x > 512] in 2, replays h in 5 and 9, carries d1+ in 7 and d1− in 11'),
  style('h1_copy', 'h<', 'forward pass', 'hidden', COLORS.hidden, 'h1_copy (h<): [W1x > 0] in 2; fires with h1 in 7 and 11 to keep its W1 copy in sync'),
  style('h1_copy2', 'h>', 'forward pass', 'hidden', COLORS.hidden, 'h1_copy2 (h>): [W1x > 1024] in 2; fires with h1 in 7 and 11 to keep its W1 copy in sync'),
  style('m_h1', 'm_h1', 'forward pass', 'hidden', COLORS.hidden, 'm_h1: memory of h, fires in 3 and replays h into 5 and 9'),
  style('o', 'o', 'forward pass', 'output', COLORS.output, 'o: f(W2h) = [W2h > 512] in 3, d+ in 5, d− in 9'),
  style('o_copy', 'o<', 'forward pass', 'output', COLORS.output, 'o_copy (o<): [W2h > 0] in 3 (gates d±), d+ in 5, d− in 9'),
  style('o_copy2', 'o>', 'forward pass', 'output', COLORS.output, 'o_copy2 (o>): [W2h > 1024] in 3, d+ in 5, d− in 9'),
  style('t', 't', 'forward pass', 'output', COLORS.output, 't: the target (label) in 3'),
  style('d+', 'd+', 'error', 'output', COLORS.error, 'd+: o< ∧ t ∧ ¬o in 4 (output too low)'),
  style('d-', 'd−', 'error', 'output', COLORS.error, 'd−: o< ∧ o ∧ ¬t ∧ ¬o> in 4 (output too high)'),
  style('oT-', 'oT-', 'error', 'output', COLORS.error, 'oT-: negative-error relay, d− in 5 and d+ in 9; its synapses to h1T hold −W2ᵀ'),
  style('h1T', 'h1T', 'backprop', 'hidden', COLORS.backprop, 'h1T: backprop accumulator, h in 5 and 9, [W2ᵀd > 0] in 6, [−W2ᵀd > 0] in 10'),
  style('c_h1', 'c_h1', 'backprop', 'hidden', COLORS.hidden, "c_h1: the hidden derivative h< ∧ ¬h> in 6, gates d1 into h1's family in 7 and 11"),
  style('m_x6', 'm_x6', 'backprop', 'input', COLORS.input, 'm_x6: memory of x, fires in 6 and replays x into 7 and 11'),
];

/** One recorded sample. */
export interface RecordedSample {
  sample: number;
  label: number;
  /** Samples the chip trained on before this one. */
  trainedBefore: number;
  /** The 0/1 spike vector of every compartment group in every phase. */
  spikes: Record<string, Uint8Array[]>;
  /** Output neurons that fired in phase 3 (o = f(W2h)). */
  outputSpikes: number[];
  /** argmax of the output potentials W2·h (lowest index on ties), from the weights before the sample. */
  predicted: number;
  dPlus: number[];
  dMinus: number[];
  /** Hidden neurons firing in phase 7 (d1+) and 11 (d1−). */
  d1Plus: number;
  d1Minus: number;
  /** Stored weights changed in each phase (all eight plastic matrices, copies included). */
  updatesByPhase: number[];
  /** Whether both an output error (d+ or d−) and a hidden error (d1+ or d1−) occurred. */
  hadErrors: boolean;
}

function indicesOf(v: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i]) out.push(i);
  return out;
}

function countOf(v: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i];
  return n;
}

/** Streams sample k through the chip and records it. */
function recordSample(net: SbpTrainingChip, ds: SpikeDataset, k: number, record: PhaseRecord): RecordedSample {
  const groups = net.compiled.groups;
  const counters = net.chip.counters;
  const nhid = net.sizes.hidden;
  const nout = net.sizes.output;
  const w2 = net.matrix('w2'); // out x hidden, before this sample's updates
  const before: number[] = [];
  for (let p = 0; p < TRAIN_GATES; p++) before.push(counters.get(Op.learnUpdates, p));
  const trainedBefore = net.samples;
  record.clear();
  net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k], record);

  const spikes: Record<string, Uint8Array[]> = {};
  for (const name of Object.keys(groups)) {
    const layout: GroupLayout = groups[name];
    if (layout.kind !== 'compartments') continue;
    spikes[name] = [];
    for (let p = 0; p < TRAIN_GATES; p++) spikes[name].push(record.group(layout, p));
  }
  const h = spikes.h1[2];
  let predicted = 0;
  let best = -Infinity;
  for (let c = 0; c < nout; c++) {
    let s = 0;
    for (let j = 0; j < nhid; j++) if (h[j]) s += w2[c * nhid + j];
    if (s > best) {
      best = s;
      predicted = c;
    }
  }
  const updatesByPhase: number[] = [];
  for (let p = 0; p < TRAIN_GATES; p++) updatesByPhase.push(counters.get(Op.learnUpdates, p) - before[p]);
  const dPlus = indicesOf(spikes['d+'][4]);
  const dMinus = indicesOf(spikes['d-'][4]);
  const d1Plus = countOf(spikes.h1[7]);
  const d1Minus = countOf(spikes.h1[11]);
  return {
    sample: k,
    label: ds.labels[k],
    trainedBefore,
    spikes,
    outputSpikes: indicesOf(spikes.o[3]),
    predicted,
    dPlus,
    dMinus,
    d1Plus,
    d1Minus,
    updatesByPhase,
    hadErrors: dPlus.length + dMinus.length > 0 && d1Plus + d1Minus > 0,
  };
}

/**
 * The neurons of one family (input, hidden or output indices) to draw, as rows shared by all
 * groups of the family so that one neuron can be followed from group to group, in index
 * order. With maxNeurons 0, or a family of at most maxNeurons neurons: every neuron.
 * Otherwise the neurons that fire in this sample in any of the family's groups, thinned
 * evenly (by position) to maxNeurons.
 */
export function selectRows(vectors: Uint8Array[][], size: number, maxNeurons: number): { ids: number[]; active: number } {
  const active: number[] = [];
  for (let i = 0; i < size; i++) {
    let any = false;
    for (const perPhase of vectors) for (const v of perPhase) if (v[i]) any = true;
    if (any) active.push(i);
  }
  if (maxNeurons === 0 || size <= maxNeurons) return { ids: Array.from({ length: size }, (_, i) => i), active: active.length };
  if (active.length <= maxNeurons) return { ids: active, active: active.length };
  const ids: number[] = [];
  for (let k = 0; k < maxNeurons; k++) ids.push(active[Math.floor(((k + 0.5) * active.length) / maxNeurons)]);
  return { ids, active: active.length };
}

function listOrNone(v: number[]): string {
  return v.length === 0 ? 'none' : v.join(', ');
}

/** The figure of one recorded sample. */
export function rasterSvg(
  rec: RecordedSample,
  info: { dataset: DatasetName; sizes: SbpSizes; weightsFrom: string; maxNeurons: number },
): string {
  const n = rec.trainedBefore;
  const first = phaseStep(TRAIN_GATES, n, 0);
  const famSize: Record<Family, number> = { gate: 1, input: info.sizes.input, hidden: info.sizes.hidden, output: info.sizes.output };
  const famRows = {} as Record<Family, { ids: number[]; active: number }>;
  for (const fam of ['gate', 'input', 'hidden', 'output'] as Family[]) {
    const vectors = GROUP_ORDER.filter((g) => g.family === fam).map((g) => rec.spikes[g.name]);
    famRows[fam] = fam === 'gate' ? { ids: [0], active: 1 } : selectRows(vectors, famSize[fam], info.maxNeurons);
  }
  const rows: RasterRow[] = GROUP_ORDER.map((g) => {
    const per = rec.spikes[g.name];
    const sel = famRows[g.family];
    const size = famSize[g.family];
    const rowOf: Record<number, number> = {};
    sel.ids.forEach((id, r) => (rowOf[id] = r));
    const spikes: Array<[number, number]> = [];
    const counts: number[] = [];
    for (let p = 0; p < TRAIN_GATES; p++) {
      counts.push(countOf(per[p]));
      for (let i = 0; i < size; i++) if (per[p][i] && rowOf[i] !== undefined) spikes.push([first + p, rowOf[i]]);
    }
    return {
      group: g.label,
      size: sel.ids.length,
      note: size === 1 ? '' : String(size),
      height: BAND_PX[g.family],
      description: g.role,
      color: g.color,
      section: g.section,
      spikes,
      counts,
      neuronIds: sel.ids,
    };
  });

  const phaseNotes: string[] = PHASE_LABELS.map(() => '');
  phaseNotes[0] = 'pixels → x';
  phaseNotes[2] = 'label → t';
  for (const p of POTENTIATION) phaseNotes[p] = `r1=1 · ${formatCount(rec.updatesByPhase[p])} Δw`;
  for (const p of DEPRESSION) phaseNotes[p] = `r1=0 · ${formatCount(rec.updatesByPhase[p])} Δw`;
  const phaseFills: string[] = PHASE_LABELS.map(() => '');
  for (const p of POTENTIATION) phaseFills[p] = FILL_PLUS;
  for (const p of DEPRESSION) phaseFills[p] = FILL_MINUS;
  const spans: PhaseSpan[] = [
    { from: 1, to: 3, label: 'forward pass', color: COLORS.input },
    { from: 4, to: 4, label: 'error', color: COLORS.error },
    { from: 5, to: 7, label: 'potentiation: reward r1 = 1, dw = +2', color: '#3f7f37' },
    { from: 9, to: 11, label: 'depression: r1 = 0, dw = −2', color: COLORS.error },
  ];

  const updates = rec.updatesByPhase.reduce((a, b) => a + b, 0);
  const dsName = info.dataset === 'mnist' ? 'MNIST' : 'Fashion-MNIST';
  const outcome =
    rec.outputSpikes.length === 1 && rec.outputSpikes[0] === rec.label
      ? 'correct'
      : rec.outputSpikes.length === 0
        ? 'o silent'
        : `o fired for ${rec.outputSpikes.join(', ')}`;
  const subtitle = [
    `${dsName} training sample ${rec.sample} · label ${rec.label} · predicted ${rec.predicted} (argmax W2·h; ${outcome}) · ${formatCount(updates)} stored weights changed`,
    `output error d+ at ${listOrNone(rec.dPlus)}, d− at ${listOrNone(rec.dMinus)} · hidden error d1+ ${rec.d1Plus}, d1− ${rec.d1Minus} neurons` +
      (rec.hadErrors ? '' : updates === 0 ? ' · no error, so nothing was learned' : ' · no hidden error, so W1 did not learn') +
      ` · network ${info.sizes.input}-${info.sizes.hidden}-${info.sizes.output}, ${info.weightsFrom}, trained on ${formatCount(n)} samples before`,
  ];
  const drawn: string[] = [];
  for (const [fam, what] of [['input', 'input'], ['hidden', 'hidden']] as Array<[Family, string]>) {
    const sel = famRows[fam];
    if (sel.ids.length === sel.active) drawn.push(`the ${sel.active} ${what} neurons that fire`);
    else if (sel.ids.length < famSize[fam]) drawn.push(`${sel.ids.length} of the ${sel.active} ${what} neurons that fire`);
  }
  subtitle.push(
    (drawn.length > 0 ? `Rows: ${drawn.join('; ')} (index order, the same rows in every group of a layer). ` : '') +
      'Output rows are classes 0-9. Numbers are exact spike counts.',
  );

  return rasterChart({
    title: 'Spiking backprop on the chip: one training sample, 12 phases',
    steps: TRAIN_GATES,
    firstStep: first,
    rows,
    phaseOf: (s) => (((s - first) % TRAIN_GATES) + TRAIN_GATES) % TRAIN_GATES,
    phaseLabels: PHASE_LABELS,
    phaseNotes,
    phaseFills,
    phaseSpans: spans,
    subtitle,
    legend: [
      { name: 'gates', color: COLORS.gate },
      { name: 'input', color: COLORS.input },
      { name: 'hidden', color: COLORS.hidden },
      { name: 'output', color: COLORS.output },
      { name: 'error', color: COLORS.error },
      { name: 'backprop', color: COLORS.backprop },
      { name: 'learning, r1 = 1', color: FILL_PLUS },
      { name: 'learning, r1 = 0', color: FILL_MINUS },
    ],
    chainRows: GROUP_ORDER.filter((g) => g.family === 'gate').map((g) => g.label),
    highlightRows: [],
    xLabel: `time step (phase p of sample n is step ${TRAIN_GATES + 1} + ${TRAIN_GATES}n + p)`,
    width: 1400,
  });
}

export const command: Command = {
  spec: {
    name: 'raster',
    summary: 'Draw the spike raster of one training sample on the chip (SVG).',
    options: [
      { name: 'out', type: 'string', metavar: 'FILE', help: 'the SVG file to write (required)' },
      { name: 'dataset', type: 'choice', choices: ['mnist', 'fashion'], default: 'mnist', help: 'training set to take the sample from' },
      {
        name: 'sample',
        type: 'int',
        min: 0,
        metavar: 'K',
        help: 'training sample to draw (default: the first one after the trained ones that has output and hidden errors)',
      },
      { name: 'seed', type: 'int', default: 1, metavar: 'S', help: 'seed of the initial weights (ignored with --load-weights)' },
      hiddenListOption(true),
      { name: 'train-first', type: 'int', default: 200, min: 0, metavar: 'N', help: 'train on samples 0..N-1 before the drawn one' },
      { name: 'load-weights', type: 'string', metavar: 'F.json|NAME', help: 'start from these weights: a synfire-weights/1 file or a model in models/ by name (its recorded settings apply)' },
      { name: 'gating', type: 'choice', choices: GATINGS, default: DEFAULT_GATING, help: "'robust': headroom proven for every reachable weight matrix (docs/gating.md); 'paper': the authors' gate weights, inhibition and exponents" },
      ...errorWindowOptions('draw a training network that counts'),
      {
        name: 'max-neurons',
        type: 'int',
        default: 60,
        min: 0,
        metavar: 'M',
        help: 'draw at most M of the firing neurons of a big layer (0: every neuron, firing or not)',
      },
    ],
    examples: ['synfire raster --out raster.svg', 'synfire raster --hidden 400,400 --out deep.svg', 'synfire raster --out r.svg --sample 7 --train-first 1000 --json'],
  },
  run(opts, io: CliIO) {
    const out = opts.out as string | undefined;
    if (out === undefined || out === '') throw new UserError('--out FILE is required (the SVG file to write)', 2);
    const outDir = dirname(resolve(out));
    if (!existsSync(outDir)) throw new UserError(`cannot write '${out}': directory '${outDir}' does not exist`);
    const layers = hiddenSizes(opts.hidden);
    if (layers && layers.length > 1) {
      if ((opts.errorWindow as number) !== 0 || opts.targetTop !== 512) throw new UserError('raster: --error-window and --target-top are for one hidden layer', 2);
      return runDeepRaster(opts, io, layers, out);
    }
    // a model file (src/sbp/model.ts) sets the options it records before the data is chosen
    const model = opts.loadWeights !== undefined ? loadWeightsArg(opts.loadWeights as string, opts, command.spec) : null;
    const gating = opts.gating as Gating;
    const errorWindow = opts.errorWindow as number;
    checkErrorWindow(errorWindow, '--error-window');
    const targetTop = opts.targetTop as number;
    checkTargetTop(targetTop, '--target-top');
    const dataset = opts.dataset as DatasetName;
    const trainFirst = opts.trainFirst as number;
    const maxNeurons = opts.maxNeurons as number;
    const wanted = opts.sample as number | undefined;
    const hiddenOpt = opts.hidden as number | undefined;

    const ds = loadDataset(dataset, 'train');
    if (wanted !== undefined && wanted >= ds.count) {
      throw new UserError(`--sample ${wanted} is beyond the ${dataset} training set (${formatCount(ds.count)} samples, 0..${ds.count - 1})`);
    }
    if (trainFirst > ds.count) throw new UserError(`--train-first ${trainFirst} is more than the ${formatCount(ds.count)} ${dataset} training samples`);
    if (wanted === undefined && trainFirst >= ds.count) {
      throw new UserError(`no sample is left after --train-first ${trainFirst}; choose one with --sample K`);
    }

    const w = model !== null ? model.weights : undefined;
    if (model !== null) checkWeightsFit(model.weights, model.file, { name: dataset, numInputs: ds.numInputs }, hiddenOpt);
    const sizes: SbpSizes = { input: ds.numInputs, hidden: w ? w.sizes[1] : (hiddenOpt ?? DEFAULT_HIDDEN), output: NUM_CLASSES };
    const seed = opts.seed as number;
    const net = new SbpTrainingChip({ sizes, gating, errorWindow, targetTop: targetTop as TargetTop });
    loadWeights(net, w ?? initialWeights(sizes, seed));

    trainFirstSamples(net, ds, trainFirst, io);

    const record = new PhaseRecord(net.compiled.stats.compartments, TRAIN_GATES);
    let rec: RecordedSample;
    if (wanted !== undefined) {
      rec = recordSample(net, ds, wanted, record);
    } else {
      const last = Math.min(ds.count, trainFirst + SEARCH_LIMIT);
      rec = recordSample(net, ds, trainFirst, record);
      for (let k = trainFirst + 1; !rec.hadErrors && k < last; k++) rec = recordSample(net, ds, k, record);
    }
    if (!rec.hadErrors && !io.json) {
      io.err(
        wanted !== undefined
          ? `note: sample ${rec.sample} caused no output error and hidden error together (d+ ${listOrNone(rec.dPlus)}, d− ${listOrNone(rec.dMinus)}, ` +
              `d1+ ${rec.d1Plus}, d1− ${rec.d1Minus}); omit --sample to pick one that did`
          : `note: none of samples ${trainFirst}..${rec.sample} caused both an output and a hidden error; drawing sample ${rec.sample}`,
      );
    }

    const window = errorWindow !== 0 || targetTop !== 512 ? `, missed-target window (-${errorWindow}, ${targetTop}]` : '';
    const weightsFrom = (model !== null ? `weights from ${model.file}` : `initial weights seed ${seed}`) + `, gating ${gating}${window}`;
    const svg = rasterSvg(rec, { dataset, sizes, weightsFrom, maxNeurons });
    atomicWriteFile(out, svg);

    const updates = rec.updatesByPhase.reduce((a, b) => a + b, 0);
    if (io.json) {
      const names = Object.keys(rec.spikes);
      io.out(
        JSON.stringify({
          sample: rec.sample,
          label: rec.label,
          predicted: rec.predicted,
          outputSpikes: rec.outputSpikes,
          dataset,
          sizes: [sizes.input, sizes.hidden, sizes.output],
          gating,
          errorWindow,
          targetTop,
          trainedBefore: rec.trainedBefore,
          firstStep: phaseStep(TRAIN_GATES, rec.trainedBefore, 0),
          hadErrors: rec.hadErrors,
          error: { dPlus: rec.dPlus, dMinus: rec.dMinus, d1Plus: rec.d1Plus, d1Minus: rec.d1Minus },
          weightUpdates: updates,
          weightUpdatesByPhase: rec.updatesByPhase,
          phases: PHASE_LABELS.map((label, p) => {
            const spikes: Record<string, number> = {};
            for (const name of names) spikes[name] = countOf(rec.spikes[name][p]);
            return { phase: p, label, spikes };
          }),
          out,
        }),
      );
    } else {
      io.out(
        `wrote ${out}: ${dataset} sample ${rec.sample}, label ${rec.label}, predicted ${rec.predicted}, ` +
          `d+ ${listOrNone(rec.dPlus)}, d− ${listOrNone(rec.dMinus)}, d1+ ${rec.d1Plus}, d1− ${rec.d1Minus}, ` +
          `${formatCount(updates)} weight updates (after ${formatCount(rec.trainedBefore)} training samples)`,
      );
    }
    return 0;
  },
};
