/**
 * `synfire profile --hidden H1,H2,...`: energy, latency and EDP per training sample of the
 * L-hidden-layer network (docs/deep.md), from the operations the chip counts, with the
 * breakdown by phase (each phase is one counter bucket, as for one hidden layer).
 */
import { loadDataset, type DatasetName } from '../../src/data/datasets';
import { costReport, perSample } from '../../src/energy/model';
import { attachTimeModel, resetMeasurement } from '../../src/energy/report';
import { getConstants, DEFAULT_CONSTANTS, PAPER } from '../../src/energy/constants';
import { UserError } from '../../src/errors';
import { deepInitialWeights, DeepTrainingChip } from '../../src/sbp/deep-training';
import { NUM_CLASSES } from '../../src/sbp/matrices';
import type { Gating } from '../../src/sbp/gating';
import type { CliIO } from '../cli';
import { createProgress, formatCount } from '../progress';
import { createWasmRowSumKernel } from '../wasm-row-sum';
import { loadLayeredWeights } from './train-deep';
import type { Placement } from '../../src/sbp/training';

export function runDeepProfile(opts: Record<string, unknown>, io: CliIO, layers: number[]): number {
  if (opts.mode !== 'train') throw new UserError('profile: several hidden layers are profiled in training (--mode train); the inference network has one hidden layer', 2);
  if (opts.plot !== undefined) throw new UserError(`profile: --plot is for one hidden layer; not supported with --hidden ${layers.join(',')}`, 2);
  const dataset = opts.dataset as DatasetName;
  const samples = (opts.samples as number | undefined) ?? 1000;
  const warmup = opts.warmupSamples as number;
  const constants = getConstants((opts.constants as string | undefined) ?? DEFAULT_CONSTANTS);
  const ds = loadDataset(dataset, 'train', { dataDir: opts.dataDir as string | undefined });
  if (warmup + samples > ds.count) throw new UserError(`profile: --warmup-samples ${warmup} + --samples ${samples} exceed the ${formatCount(ds.count)} ${dataset} training samples`);
  const sizes = [ds.numInputs, ...layers, NUM_CLASSES];
  const loaded = opts.loadWeights !== undefined ? loadLayeredWeights(opts.loadWeights as string, sizes) : null;
  const net = new DeepTrainingChip({
    sizes,
    gating: opts.gating as Gating,
    placement: opts.placement as Placement,
    rowSum: createWasmRowSumKernel,
    weights: loaded ? loaded.w : deepInitialWeights(sizes, opts.seed as number),
    transposed: loaded ?? undefined,
  });
  attachTimeModel(net.compiled, constants);
  const progress = createProgress({ total: warmup + samples, label: 'profile', io, quiet: io.json });
  for (let k = 0; k < warmup + samples; k++) {
    if (k === warmup) resetMeasurement(net.chip);
    net.trainSample(ds.indices, ds.offsets[k], ds.offsets[k + 1], ds.labels[k]);
    if ((k + 1) % 100 === 0) progress.update(k + 1);
  }
  progress.finish();
  const chips = net.compiled.stats.chips;
  const r = perSample(costReport(net.chip.counters, net.chip.latencyNs, constants, { chips, includeStatic: false }), samples);
  const energyMilliJoule = r.energyPJ.total / 1e9;
  const latencyMs = r.latencyNs / 1e6;
  const stats = net.compiled.stats;
  const phases = r.perBucket.slice(0, net.phases).map((b) => ({ phase: b.bucket, energyNanoJoule: b.energyPJ / 1e3, latencyUs: b.latencyNs / 1e3 }));
  const report = {
    mode: 'train',
    sizes,
    hiddenLayers: layers.length,
    phasesPerSample: net.phases,
    samples,
    warmupSamples: warmup,
    constants: constants.name,
    network: { compartments: stats.compartments, synapses: stats.synapses, plasticSynapses: stats.plasticSynapses, cores: stats.cores },
    perSample: { energyMilliJoule, latencyMs, edpMilliJouleMs: energyMilliJoule * latencyMs },
    energyByKindNanoJoule: Object.fromEntries(Object.entries(r.energyPJ).map(([k, v]) => [k, v / 1e3])),
    byPhase: phases,
    paper: PAPER.train,
  };
  if (io.json) io.out(JSON.stringify(report));
  else {
    io.out(`synfire profile: on-chip training of the ${sizes.join('-')} network (${layers.length} hidden layers, ${net.phases} phases per sample) on ${dataset}, ${formatCount(samples)} samples${warmup ? ` after ${formatCount(warmup)} warm-up samples` : ' from initial weights'}`);
    io.out(`  constants ${constants.name}; ${formatCount(stats.compartments)} compartments, ${formatCount(stats.synapses)} synapses (${formatCount(stats.plasticSynapses)} plastic) on ${stats.cores} cores`);
    io.out(`  per sample: energy (dynamic) ${energyMilliJoule.toFixed(3)} mJ, latency ${latencyMs.toFixed(3)} ms, EDP ${(energyMilliJoule * latencyMs).toFixed(3)} mJ·ms (the paper measured one hidden layer: ${PAPER.train.energyMilliJoule} mJ, ${PAPER.train.latencyMs} ms)`);
    io.out('  by phase:   phase  energy (µJ)  latency (µs)');
    for (const p of phases) io.out(`             ${String(p.phase).padStart(5)}  ${(p.energyNanoJoule / 1e3).toFixed(3).padStart(11)}  ${p.latencyUs.toFixed(1).padStart(12)}`);
  }
  return 0;
}
