/**
 * `synfire raster --hidden H1,H2,...`: the spike raster of one training sample of the
 * L-hidden-layer network (docs/deep.md), one column per phase (9L + 3), one band per group in
 * the order the data flows, exact spike counts in the cells.
 */
import { loadDataset, type DatasetName } from '../../src/data/datasets';
import { UserError } from '../../src/errors';
import { deepActivePhases, deepPhases, family, rewardPhases, blockStart, gateName, layerName } from '../../src/sbp/deep';
import { deepInitialWeights, DeepTrainingChip } from '../../src/sbp/deep-training';
import type { Gating } from '../../src/sbp/gating';
import { NUM_CLASSES } from '../../src/sbp/matrices';
import { phaseStep } from '../../src/sbp/params';
import { PhaseRecord } from '../../src/sbp/training';
import { rasterChart, type RasterRow } from '../../src/viz/svg';
import type { CliIO } from '../cli';
import { atomicWriteFile } from '../fsutil';
import { createProgress, formatCount } from '../progress';

const SEARCH_LIMIT = 1000;

/** The drawn groups in the order the data flows: gates, forward, output error, error blocks top down. */
function groupOrder(L: number): string[] {
  const P = deepPhases(L);
  const g: string[] = [];
  for (let p = 0; p < P; p++) g.push(gateName(p));
  g.push('x');
  for (let l = 1; l <= L; l++) g.push(...family(L, l), `m_${layerName(L, l)}`);
  g.push(...family(L, L + 1), 't', 'd+', 'd-', 'oT-');
  for (let l = L; l >= 1; l--) {
    const h = layerName(L, l);
    g.push(`${h}T`, `c_${h}`);
    if (l >= 2) g.push(`e${l}+`, `e${l}-`, `${h}T-`);
  }
  g.push('m_x');
  return g;
}

/** Train a chip on the first `n` samples of `ds` in file order, with a progress bar (the raster's --train-first). */
export function trainFirstSamples(
  net: { trainSample(active: ArrayLike<number>, start: number, end: number, label: number): void },
  ds: { indices: ArrayLike<number>; offsets: ArrayLike<number>; labels: ArrayLike<number> },
  n: number,
  io: CliIO,
): void {
  if (n === 0) return;
  const progress = createProgress({ total: n, label: 'train', io });
  for (let k = 0; k < n; k++) {
    net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k]);
    progress.update(k + 1);
  }
  progress.finish();
}

export function runDeepRaster(opts: Record<string, unknown>, io: CliIO, layers: number[], out: string): number {
  if (opts.loadWeights !== undefined) throw new UserError(`raster: --load-weights holds one hidden layer; not supported with --hidden ${layers.join(',')}`, 2);
  const dataset = opts.dataset as DatasetName;
  const trainFirst = opts.trainFirst as number;
  const maxNeurons = opts.maxNeurons as number;
  const wanted = opts.sample as number | undefined;
  const seed = opts.seed as number;
  const ds = loadDataset(dataset, 'train');
  if (wanted !== undefined && wanted >= ds.count) throw new UserError(`--sample ${wanted} is beyond the ${dataset} training set (${formatCount(ds.count)} samples, 0..${ds.count - 1})`);
  if (trainFirst >= ds.count) throw new UserError(`--train-first ${trainFirst} leaves no ${dataset} training sample to draw`);
  const sizes = [ds.numInputs, ...layers, NUM_CLASSES];
  const L = layers.length;
  const P = deepPhases(L);
  const net = new DeepTrainingChip({ sizes, weights: deepInitialWeights(sizes, seed), gating: opts.gating as Gating });
  trainFirstSamples(net, ds, trainFirst, io);
  const g = net.compiled.groups;
  const record = new PhaseRecord(net.chip.numCompartments, P);
  // a sample whose error reaches every layer: the output's d± and each hidden layer's error phases
  const errorAt = (l: number) => [blockStart(L, l + 1) + 3, blockStart(L, l + 1) + 7];
  const hasErrors = () => {
    if (record.count(g['d+'], L + 3) + record.count(g['d-'], L + 3) === 0) return false;
    for (let l = 1; l <= L; l++) if (errorAt(l).every((p) => record.count(g[layerName(L, l)], p) === 0)) return false;
    return true;
  };
  let sample = wanted ?? trainFirst;
  const trainedBefore = () => net.samples;
  let before = trainedBefore();
  const draw = (k: number) => {
    record.clear();
    before = trainedBefore();
    net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k], record);
  };
  draw(sample);
  if (wanted === undefined) for (let k = sample + 1; !hasErrors() && k < Math.min(ds.count, trainFirst + SEARCH_LIMIT); k++) draw((sample = k));
  const hadErrors = hasErrors();

  const active = deepActivePhases(L);
  const first = phaseStep(P, before, 0);
  const rows: RasterRow[] = [];
  const counts: Record<string, number[]> = {};
  for (const name of groupOrder(L)) {
    const lay = g[name];
    const c: number[] = [];
    for (let p = 0; p < P; p++) c.push(record.count(lay, p));
    counts[name] = c;
    // rows: the neurons that fire in any phase, in index order, at most maxNeurons (0: all)
    const ids: number[] = [];
    for (let i = 0; i < lay.size; i++) {
      let fired = false;
      for (let p = 0; p < P && !fired; p++) fired = record.flags[p][lay.start + i] === 1;
      if (maxNeurons === 0 || (fired && ids.length < maxNeurons)) ids.push(i);
    }
    const rowOf: Record<number, number> = {};
    ids.forEach((id, r) => (rowOf[id] = r));
    const spikes: Array<[number, number]> = [];
    for (let p = 0; p < P; p++) for (const id of ids) if (record.flags[p][lay.start + id]) spikes.push([first + p, rowOf[id]]);
    const isGate = /^g\d\d$/.test(name);
    rows.push({
      group: name,
      size: Math.max(1, ids.length),
      note: lay.size === 1 ? '' : `${ids.length} of ${lay.size}`,
      spikes,
      counts: c,
      neuronIds: ids,
      height: isGate ? 10 : lay.size <= 16 ? 20 : 48,
      description: isGate ? `gate: fires in phase ${(Number(name.slice(1)) + P - 1) % P}, opens phase ${Number(name.slice(1))}` : `${name}: may fire in phases ${active[name].join(', ')}`,
      section: isGate ? 'gating ring' : undefined,
    });
  }
  const reward = rewardPhases(L);
  const phaseFills: string[] = [];
  const phaseLabels: string[] = [];
  for (let p = 0; p < P; p++) {
    phaseLabels.push(String(p));
    phaseFills.push(reward.indexOf(p) >= 0 ? '#e2f1da' : '');
  }
  for (let l = L + 1; l >= 2; l--) {
    phaseFills[blockStart(L, l) + 5] = '#f8e1df';
    if (l === 2) phaseFills[blockStart(L, 2) + 7] = '#f8e1df';
  }
  const label = ds.labels[sample];
  const outSpikes: number[] = [];
  for (let k = 0; k < NUM_CLASSES; k++) if (record.flags[L + 2][g.o.start + k]) outSpikes.push(k);
  const svg = rasterChart({
    title: `Spiking backprop with ${L} hidden layers: one training sample, ${P} phases`,
    steps: P,
    firstStep: first,
    rows,
    phaseOf: (s) => (((s - first) % P) + P) % P,
    phaseLabels,
    phaseFills,
    phaseSpans: [
      { from: 1, to: L + 2, label: 'forward pass' },
      ...Array.from({ length: L }, (_, k) => ({ from: blockStart(L, L + 1 - k), to: blockStart(L, L + 1 - k) + 7, label: `error block of ${layerName(L, L + 1 - k)} (W${L + 1 - k}, ±W${L + 1 - k}ᵀ)` })),
    ],
    subtitle: [
      `${dataset === 'mnist' ? 'MNIST' : 'Fashion-MNIST'} training sample ${sample} · label ${label} · output spikes ${outSpikes.length ? outSpikes.join(', ') : 'none'} · network ${sizes.join('-')}, initial weights seed ${seed}, gating ${opts.gating as string}, trained on ${formatCount(before)} samples before`,
      'Green columns: reward r1 = 1 (dw = +2 where pre and post fire); red: learning with r1 = 0 (dw = −2). Numbers are exact spike counts; rows are the neurons that fire, in index order.',
    ],
    chainRows: rows.filter((r) => r.section === 'gating ring').map((r) => r.group),
    xLabel: `time step (phase p of sample n is step ${P + 1} + ${P}n + p)`,
    width: 1600,
  });
  atomicWriteFile(out, svg);
  if (io.json) {
    io.out(JSON.stringify({ sample, label, outputSpikes: outSpikes, dataset, sizes, gating: opts.gating, phases: P, trainedBefore: before, hadErrors, spikes: counts, out }));
  } else {
    io.out(`wrote ${out}: ${dataset} sample ${sample}, label ${label}, output spikes ${outSpikes.join(', ') || 'none'}, ${P} phases, network ${sizes.join('-')} (after ${formatCount(before)} training samples)`);
    if (!hadErrors) io.err(`note: sample ${sample} has no error in some layer`);
  }
  return 0;
}
