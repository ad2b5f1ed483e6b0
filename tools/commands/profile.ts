/**
 * `synfire profile`: energy, latency and energy-delay product per sample of the sBP network,
 * estimated from the operations the chip counts (src/sbp/profile.ts, src/energy/report.ts), beside the measured
 * figures of Renner et al. 2024 (Table 1), with a breakdown by kind and by phase and an
 * optional SVG chart.
 */
import { loadDataset, type DatasetName } from '../../src/data/datasets';
import { CONSTANT_SETS, DEFAULT_CONSTANTS, getConstants, type Table1Row } from '../../src/energy/constants';
import { runProfile, type ProfileMode, type ProfileReport } from '../../src/sbp/profile';
import { profileChartSvg } from '../../src/viz/profile-chart';
import { UserError } from '../../src/errors';
import { initialWeights } from '../../src/sbp/init';
import { checkWeightsFit, NUM_CLASSES, type SbpWeights } from '../../src/sbp/matrices';
import type { Placement } from '../../src/sbp/training';
import { loadWeightsArg } from '../model-file';
import { DEFAULT_GATING, GATINGS, type Gating } from '../../src/sbp/gating';
import type { Command, CliIO } from '../cli';
import { atomicWriteFile } from '../fsutil';
import { createProgress, formatCount } from '../progress';
import { DEFAULT_HIDDEN, errorWindowOptions, hiddenListOption, hiddenSizes } from './options';
import { checkErrorWindow, checkTargetTop } from '../../src/sbp/error-window';
import { runDeepProfile } from './profile-deep';
import { boardNames } from '../../boards/profiles';
import { profileNetwork } from './profile-network';

const DEFAULT_SAMPLES: Record<ProfileMode, number> = { train: 1000, infer: 2000 };

export const command: Command = {
  spec: {
    name: 'profile',
    summary: 'Estimate energy, latency and EDP per sample from counted chip operations: the sBP network beside the paper, or any network file (--network).',
    options: [
      { name: 'mode', type: 'choice', choices: ['train', 'infer'], default: 'train', help: 'profile on-chip training (12 steps per sample) or inference (4 steps)' },
      { name: 'dataset', type: 'choice', choices: ['mnist', 'fashion'], default: 'mnist', help: 'data set (training split for train, test split for infer)' },
      { name: 'samples', type: 'int', min: 1, metavar: 'N', help: 'measured samples (default 1000 for train, 2000 for infer)' },
      { name: 'warmup-samples', type: 'int', min: 0, default: 0, metavar: 'K', help: 'train K samples first, not counted, so the activity is that of a partly trained network' },
      hiddenListOption(true),
      { name: 'seed', type: 'int', min: 0, default: 1, help: 'seed of the initial weights (rand_He)' },
      { name: 'load-weights', type: 'string', metavar: 'F.json', help: 'start from these weights (synfire-weights/1 JSON) instead of initial ones' },
      { name: 'constants', type: 'choice', choices: Object.keys(CONSTANT_SETS), metavar: 'NAME', help: `energy and time constant set (default ${DEFAULT_CONSTANTS}, or the board's with --network)` },
      { name: 'include-static', type: 'flag', help: 'add static power x estimated latency to the headline energy (default: dynamic only, shown separately)' },
      { name: 'gating', type: 'choice', choices: GATINGS, default: DEFAULT_GATING, help: "'robust': headroom proven for every reachable weight matrix (docs/gating.md); 'paper': the authors' gate weights, inhibition and exponents" },
      ...errorWindowOptions('profile training that counts'),
      { name: 'placement', type: 'choice', choices: ['paper', 'pack', 'spread'], default: 'paper', help: "core placement: the authors' core ranges (packed when they do not hold the network), packed, or spread over the chip's cores (docs/chip-model.md)" },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory with the IDX files of the data set' },
      { name: 'plot', type: 'string', metavar: 'F.svg', help: 'write the energy and latency by phase as an SVG chart' },
      { name: 'network', type: 'string', metavar: 'F.json', help: 'profile this network file (synfire-network/1) instead of the sBP network: by kind, by step and by core' },
      { name: 'steps', type: 'int', min: 1, max: 100000000, metavar: 'N', help: "with --network: steps to run (default: the file's steps)" },
      { name: 'board', type: 'choice', choices: boardNames(), default: 'loihi1', help: 'with --network: board profile (chip limits, chips; its constants unless --constants)' },
      { name: 'chips', type: 'int', min: 1, max: 16384, help: "with --network: chips in the system (default: the board's)" },
      { name: 'kernel', type: 'choice', choices: ['wasm', 'js', 'naive'], default: 'wasm', help: 'with --network: simulation kernel (identical results)' },
    ],
    examples: [
      'synfire profile',
      'synfire profile --mode infer --samples 2000',
      'synfire profile --hidden 400,400 --samples 500',
      'synfire profile --warmup-samples 2000 --constants loihi1-sanafe --plot train.svg',
      'synfire profile --mode infer --samples 50 --json',
      'synfire profile --network examples/synfire-chain.json --plot chain.svg',
    ],
  },
  run(opts, io) {
    if (opts.network !== undefined) return profileNetwork(opts, io);
    const layers = hiddenSizes(opts.hidden);
    if (layers && layers.length > 1) {
      if ((opts.errorWindow as number) !== 0 || opts.targetTop !== 512) throw new UserError('profile: --error-window and --target-top are for one hidden layer', 2);
      return runDeepProfile(opts, io, layers);
    }
    // a model file (src/sbp/model.ts) sets the options it records before the data is chosen
    const model = opts.loadWeights !== undefined ? loadWeightsArg(opts.loadWeights as string, opts, command.spec) : null;
    const errorWindow = opts.errorWindow as number;
    checkErrorWindow(errorWindow, '--error-window');
    const targetTop = opts.targetTop as number;
    checkTargetTop(targetTop, '--target-top');
    const mode = opts.mode as ProfileMode;
    const dataset = opts.dataset as DatasetName;
    const samples = (opts.samples as number | undefined) ?? DEFAULT_SAMPLES[mode];
    const warmup = opts.warmupSamples as number;
    const constants = getConstants((opts.constants as string | undefined) ?? DEFAULT_CONSTANTS);
    const dataDir = opts.dataDir as string | undefined;
    const plot = opts.plot as string | undefined;
    if (plot !== undefined && !/\.svg$/i.test(plot)) throw new UserError(`--plot: the chart is SVG; give a file name ending in .svg (got '${plot}')`, 2);

    const data = loadDataset(dataset, mode === 'train' ? 'train' : 'test', { dataDir });
    const warmupData = mode === 'infer' && warmup > 0 ? loadDataset(dataset, 'train', { dataDir }) : undefined;
    const weights = chooseWeights(opts, { name: dataset, numInputs: data.numInputs }, model);
    const weightsFrom = model !== null ? `the weights of ${model.file}` : `initial weights (seed ${opts.seed as number})`;

    const progress = { warmup: undefined as ReturnType<typeof createProgress> | undefined, measure: undefined as ReturnType<typeof createProgress> | undefined };
    const report = runProfile({
      mode,
      weights,
      data,
      samples,
      warmupSamples: warmup,
      warmupData,
      constants,
      includeStatic: opts.includeStatic === true,
      placement: opts.placement as Placement,
      gating: opts.gating as Gating,
      errorWindow,
      targetTop,
      mnist: dataset === 'mnist',
      onProgress(stage, done, total) {
        let p = progress[stage];
        if (p === undefined) {
          if (stage === 'measure' && progress.warmup) progress.warmup.finish();
          p = createProgress({ total, label: stage === 'warmup' ? 'warm-up (training)' : `profile ${mode}`, io });
          progress[stage] = p;
        }
        p.update(done);
        if (done === total) p.finish();
      },
    });

    if (plot !== undefined) {
      atomicWriteFile(plot, profileChartSvg(report));
      if (!io.json) io.err(`wrote ${plot}`);
    }
    if (io.json) io.out(JSON.stringify(report));
    else printReport(report, io, dataset, weightsFrom);
    return 0;
  },
};

/** Initial rand_He weights for the data's input size, or the --load-weights file. */
function chooseWeights(opts: Record<string, unknown>, data: { name: string; numInputs: number }, model: { file: string; weights: SbpWeights } | null): SbpWeights {
  const hidden = opts.hidden as number | undefined;
  if (model === null) return initialWeights({ input: data.numInputs, hidden: hidden ?? DEFAULT_HIDDEN, output: NUM_CLASSES }, opts.seed as number);
  const w = model.weights;
  checkWeightsFit(w, model.file, data, hidden);
  return w;
}

// ------------------------------------------------------------------ text report

function num(v: number, digits = 3): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5) return formatCount(v);
  if (a < 1e-3) return v.toExponential(digits - 1);
  return String(parseFloat(v.toPrecision(digits)));
}

/** An average count per sample: grouped digits from 1,000 on, else 3 significant digits. */
function count(v: number): string {
  return Math.abs(v) >= 1000 ? formatCount(v) : num(v);
}

function pct(v: number): string {
  return (v * 100).toFixed(v >= 0.1 ? 1 : 2) + '%';
}

function table(rows: string[][], right: boolean[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => '  ' + r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

const KIND_TEXT: Record<string, string> = {
  synOps: 'synaptic ops',
  cxActive: 'compartment updates, active',
  cxIdle: 'compartment updates, idle',
  learnVisits: 'learning-engine visits',
  learnUpdates: 'learning-engine weight updates',
  msgLocal: 'spikes within a tile',
  hops: 'mesh hops between tiles',
  msgRemote: 'messages between tiles',
  spikes: 'spikes (spike-out cost)',
  barriers: 'barrier syncs',
  static: 'static power x time',
};

function printReport(r: ProfileReport, io: CliIO, dataset: string, weightsFrom: string): void {
  const out = (s = '') => io.out(s);
  const modeText = r.mode === 'train' ? 'on-chip training' : 'inference';
  const n = r.network;
  out(`synfire profile: ${modeText} of the sBP ${n.sizes.join('-')} network on ${dataset}, ${formatCount(r.samples)} samples` + ` from ${weightsFrom}` + (r.warmupSamples > 0 ? ` after ${formatCount(r.warmupSamples)} warm-up training samples` : ''));
  const window = r.errorWindow !== 0 || r.targetTop !== 512 ? `, missed-target window (-${r.errorWindow}, ${r.targetTop}]` : '';
  out(`  gating ${r.gating}${window}`);
  out(`  constants ${r.constants}: ${r.constantsSource}`);
  out(`  ${formatCount(n.compartments)} compartments, ${formatCount(n.synapses)} synapses (${formatCount(n.plasticSynapses)} plastic) on ${n.cores} cores in ${n.tiles} tiles (placement ${n.placement}); barrier ${num(r.barrierNs)} ns per step`);
  if (!n.paperNetwork) out('  note: the paper measured the 400-400-10 network on MNIST; this run differs, so the ratios compare different networks');
  out();
  const energyLabel = r.includeStatic ? 'energy (dynamic + static)' : 'energy (dynamic)';
  for (const line of table(
    [
      ['per sample', 'estimate', 'paper', 'estimate / paper'],
      [energyLabel, `${num(r.perSample.energyMilliJoule)} mJ`, `${r.paper.energyMilliJoule} mJ`, num(r.ratio.energy)],
      ['latency', `${num(r.perSample.latencyMs)} ms`, `${r.paper.latencyMs} ms`, num(r.ratio.latency)],
      ['EDP', `${num(r.perSample.edpMilliJouleMs)} mJ·ms`, `${num(r.paper.edpMilliJouleMs)} mJ·ms`, num(r.ratio.edp)],
      ['time per step', `${num(r.latency.perStepUs)} µs`, `${num(r.paper.perStepUs)} µs`, ''],
    ],
    [false, true, true, true],
  ))
    out(line);
  out();
  out('Energy by kind, per sample:');
  const kindRows: string[][] = [['kind', 'count', 'energy (µJ)', 'share', '']];
  const order = ['learnVisits', 'learnUpdates', 'synOps', 'cxActive', 'cxIdle', 'msgLocal', 'hops', 'msgRemote', 'spikes', 'barriers', 'static'];
  for (const k of order) {
    const l = r.breakdown[k];
    if (!l) continue;
    if (l.count === 0 && l.energyMilliJoule === 0 && k !== 'static' && k !== 'barriers') continue;
    let note = l.note ?? '';
    if (k === 'barriers' && l.latencyMs !== undefined) note = `${num(l.latencyMs * 1e3)} µs per sample; ` + note;
    if (k === 'static') note = (l.included ? 'included: ' : 'NOT included: ') + note;
    kindRows.push([KIND_TEXT[k] ?? k, k === 'static' ? '' : count(l.count), num(l.energyMilliJoule * 1e3), k === 'static' && !l.included ? '-' : pct(l.share), note]);
  }
  for (const line of table(kindRows, [false, true, true, true, false])) out(line);
  out();
  out(`Latency per sample: ${num(r.perSample.latencyMs * 1e3)} µs = slowest core of each step ${num(r.latency.coresMs * 1e3)} µs + barrier syncs ${num(r.latency.barrierMs * 1e3)} µs`);
  out();
  out('By phase (one time step each), per sample:');
  const phaseRows: string[][] = [['phase', 'energy (µJ)', 'latency (µs)', 'largest kind']];
  for (const p of r.perPhase) {
    let best = '';
    let bestV = -1;
    for (const k in p.byKind) if ((k !== 'static' || r.includeStatic) && p.byKind[k] > bestV) {
      bestV = p.byKind[k];
      best = k;
    }
    phaseRows.push([String(p.phase), num(p.energyMilliJoule * 1e3), num(p.latencyMs * 1e3), `${KIND_TEXT[best] ?? best} ${p.energyMilliJoule > 0 ? pct(bestV / p.energyMilliJoule) : ''}`]);
  }
  for (const line of table(phaseRows, [true, true, true, false])) out(line);
  out();
  out('Why the ratios are what they are:');
  for (const line of explain(r)) out('  - ' + line);
  out();
  out('Renner et al. 2024, Table 1 (' + (r.mode === 'train' ? 'on-chip learning blocks' : 'inference block') + '), with this estimate:');
  const t1: string[][] = [['work', 'hardware', 'mode', 'network', 'E (mJ)', 'latency (ms)', 'EDP (mJ·ms)', 'acc (%)']];
  const row = (x: Table1Row) => [x.work, x.hardware, x.mode, x.network, x.energyMilliJoule === null ? '-' : String(x.energyMilliJoule), x.latencyMs === null ? '-' : String(x.latencyMs), x.edp === null ? '-' : num(x.edp), String(x.accuracy) + (x.accuracyAlt !== undefined ? ` (${x.accuracyAlt})` : '')];
  for (const x of r.table1) t1.push(row(x));
  t1.push(['synfire estimate (' + r.constants + ')', 'Loihi model', r.mode === 'train' ? 'on-chip nBP' : 'inference', n.sizes.join('-'), num(r.perSample.energyMilliJoule), num(r.perSample.latencyMs), num(r.perSample.edpMilliJouleMs), '-']);
  for (const line of table(t1, [false, false, false, false, true, true, true, true])) out(line);
}

/** Plain-language evidence lines from the report's numbers. */
function explain(r: ProfileReport): string[] {
  const e = r.evidence;
  const lines: string[] = [];
  const dom = r.breakdown[e.dominantKind];
  lines.push(`energy: ${KIND_TEXT[e.dominantKind] ?? e.dominantKind} dominate with ${pct(e.dominantShare)} (${count(dom ? dom.count : 0)} per sample).`);
  if (e.dominantKind === 'synOps' && r.constants === 'loihi1-davies2018') {
    lines.push("Table 2's 23.6 pJ per synaptic op is a minimum (Davies et al. 2018), so this energy is a lower bound; the SANA-FE set (fitted to Loihi, 35.5 pJ) gives more.");
  }
  if (r.breakdown.learnVisits && r.breakdown.learnVisits.count > 0) {
    lines.push(
      `the learning engine visits every plastic synapse every epoch: ${formatCount(r.network.plasticSynapses)} synapses x ${r.stepsPerSample} epochs (tEpoch = 1) = ${formatCount(r.breakdown.learnVisits.count)} visits per sample, whether or not a weight changes (${count(r.breakdown.learnUpdates.count)} did).`,
    );
  }
  const bc = e.busiestLearningCore;
  if (bc) {
    lines.push(
      `latency: the learning engine of core ${bc.core} (${formatCount(bc.plasticSynapses)} plastic synapses) takes ${num(bc.learningNsPerEpoch / 1e3)} µs per step, most of the ${num(e.estimatePerStepUs)} µs critical path per step.`,
    );
  }
  const asVisits = r.network.plasticSynapses > 0 ? `${formatCount(e.paperStepAsOps.learnVisits)} learning visits or ` : '';
  lines.push(
    `the paper's ${num(e.paperPerStepUs)} µs per step would take ${asVisits}${formatCount(e.paperStepAsOps.synOps)} synaptic ops on ONE core; the whole chip does ${formatCount(e.synOpsPerStep)} synaptic ops per step in this run.`,
  );
  lines.push(
    `${num(e.unaccountedPerStepUs)} µs per step are not accounted for by counted operations. The NxSDK energy probe also times host, management and pre-learn-management phases, but no values for them are published, so no overhead is added.`,
  );
  if (e.staticAtPaperLatencyMilliJoule > 0) {
    lines.push(
      `static power: ${num(e.staticAtPaperLatencyMilliJoule)} mJ per sample at the paper's latency (104 mW per chip, Frady et al. 2020) is ${num(e.staticAtPaperLatencyOverPaperEnergy)}x the paper's energy` +
        (e.staticAtPaperLatencyOverPaperEnergy > 1 ? ', so the paper figure cannot include a whole chip\'s static power; it is compared with the dynamic estimate.' : '; whether the paper figure includes static power is not known, so it is shown separately.'),
    );
  }
  return lines;
}
