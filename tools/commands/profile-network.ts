/**
 * `synfire profile --network F.json`: energy, latency and EDP of any network file, from the
 * operations the chip counts (src/energy/report.ts), by kind, by step of a sample and by
 * core. A sample is the file's stepsPerSample steps (default: the whole run).
 */
import { getConstants } from '../../src/energy/constants';
import { CoreActivity } from '../../src/energy/core-activity';
import { attachTimeModel, buildEnergyReport, resetMeasurement, type EnergyReport } from '../../src/energy/report';
import { UserError } from '../../src/errors';
import { energyChartSvg } from '../../src/viz/energy-chart';
import type { CliIO } from '../cli';
import { atomicWriteFile } from '../fsutil';
import { formatCount } from '../progress';
import { boardOf, loadNetworkFile, requireNetwork, startFromOptions, table } from './run';

export interface NetworkProfile extends EnergyReport {
  network: EnergyReport['network'] & { name: string; file: string };
  steps: number;
  startupSteps: number;
  board: string;
}

export function profileNetwork(o: Record<string, unknown>, io: CliIO): number {
  const file = requireNetwork(o, 'profile');
  const plot = o.plot as string | undefined;
  if (plot !== undefined && !/\.svg$/i.test(plot)) throw new UserError(`--plot: the chart is SVG; give a file name ending in .svg (got '${plot}')`, 2);
  const net = loadNetworkFile(file);
  const steps = (o.steps as number | undefined) ?? net.steps;
  const measured = steps - net.startupSteps;
  if (measured < 1) throw new UserError(`--steps ${steps}: the file's ${net.startupSteps} startup steps leave nothing to measure`, 2);
  const perSample = net.stepsPerSample ?? measured;
  if (measured % perSample !== 0) throw new UserError(`${measured} measured steps are not a whole number of samples of ${perSample} steps (the file's stepsPerSample)`, 2);
  const { board } = boardOf(o);
  const constants = getConstants((o.constants as string | undefined) ?? board.constants);
  const sim = startFromOptions(o, net, perSample);
  const timing = attachTimeModel(sim.compiled, constants);
  sim.step(net.startupSteps);
  resetMeasurement(sim.chip);
  const cores = new CoreActivity(sim.compiled);
  sim.watch(cores);
  sim.step(measured);
  const e = buildEnergyReport({
    compiled: sim.compiled,
    constants,
    samples: measured / perSample,
    phases: perSample,
    tiles: timing.tiles,
    barrierNs: timing.barrierNs,
    includeStatic: o.includeStatic === true,
    cores,
  });
  const report: NetworkProfile = { ...e, network: { name: net.desc.name, file, ...e.network }, steps, startupSteps: net.startupSteps, board: board.name };
  if (plot !== undefined) {
    atomicWriteFile(plot, energyChartSvg(report, { sampleName: perSample === measured ? 'run' : 'sample', phaseAxis: 'step of the sample' }));
    if (!io.json) io.err(`wrote ${plot}`);
  }
  if (io.json) io.out(JSON.stringify(report));
  else printNetworkProfile(report, io);
  return 0;
}

function num(v: number, digits = 3): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5) return formatCount(v);
  if (a < 1e-3) return v.toExponential(digits - 1);
  return String(parseFloat(v.toPrecision(digits)));
}

const count = (v: number) => (Math.abs(v) >= 1000 ? formatCount(v) : num(v));
const pct = (v: number) => (v * 100).toFixed(v >= 0.1 ? 1 : 2) + '%';

const KIND_ORDER = ['learnVisits', 'learnUpdates', 'synOps', 'cxActive', 'cxIdle', 'msgLocal', 'hops', 'msgRemote', 'spikes', 'barriers', 'static'];

function printNetworkProfile(r: NetworkProfile, io: CliIO): void {
  const out = (s = '') => io.out(s);
  const n = r.network;
  const samples = r.samples === 1 ? 'the whole run as one sample' : `${formatCount(r.samples)} samples of ${r.stepsPerSample} steps`;
  out(`synfire profile: network '${n.name}' (${n.file}), ${formatCount(r.steps)} steps on ${r.board}${r.startupSteps > 0 ? ` (${r.startupSteps} startup steps not counted)` : ''}: ${samples}`);
  out(`  constants ${r.constants}: ${r.constantsSource}`);
  out(`  ${formatCount(n.compartments)} compartments, ${formatCount(n.synapses)} synapses (${formatCount(n.plasticSynapses)} plastic) on ${n.cores} cores in ${n.tiles} tiles; barrier ${num(r.barrierNs)} ns per step`);
  out();
  const per = r.samples === 1 ? 'per run' : 'per sample';
  for (const l of table(
    [
      [per, 'estimate'],
      [r.includeStatic ? 'energy (dynamic + static)' : 'energy (dynamic)', `${num(r.perSample.energyMilliJoule * 1e3)} µJ`],
      ['latency', `${num(r.perSample.latencyMs * 1e3)} µs`],
      ['EDP', `${num(r.perSample.edpMilliJouleMs * 1e6)} µJ·µs`],
      ['time per step', `${num(r.latency.perStepUs)} µs`],
    ],
    [false, true],
  ))
    out(l);
  out();
  out(`Energy by kind, ${per}:`);
  const rows: string[][] = [['kind', 'count', 'energy (µJ)', 'share', '']];
  for (const k of KIND_ORDER) {
    const l = r.breakdown[k];
    if (!l) continue;
    if (l.count === 0 && l.energyMilliJoule === 0 && k !== 'static' && k !== 'barriers') continue;
    let note = l.note ?? '';
    if (k === 'barriers' && l.latencyMs !== undefined) note = `${num(l.latencyMs * 1e3)} µs; ` + note;
    if (k === 'static') note = (l.included ? 'included: ' : 'NOT included: ') + note;
    rows.push([k, k === 'static' ? '' : count(l.count), num(l.energyMilliJoule * 1e3), k === 'static' && !l.included ? '-' : pct(l.share), note]);
  }
  for (const l of table(rows, [false, true, true, true, false])) out(l);
  out();
  out(`Latency ${per}: ${num(r.perSample.latencyMs * 1e3)} µs = slowest core of each step ${num(r.latency.coresMs * 1e3)} µs + barrier syncs ${num(r.latency.barrierMs * 1e3)} µs`);
  out();
  out(`By step of the sample, ${per}:`);
  const srows: string[][] = [['step', 'energy (µJ)', 'latency (µs)', 'largest kind']];
  for (const p of r.perPhase) {
    let best = '';
    let bestV = -1;
    for (const k in p.byKind) if ((k !== 'static' || r.includeStatic) && p.byKind[k] > bestV) {
      bestV = p.byKind[k];
      best = k;
    }
    srows.push([String(p.phase + 1), num(p.energyMilliJoule * 1e3), num(p.latencyMs * 1e3), p.energyMilliJoule > 0 ? `${best} ${pct(bestV / p.energyMilliJoule)}` : '']);
  }
  for (const l of table(srows, [true, true, true, false])) out(l);
  if (r.byCore) {
    out();
    out(`By core, ${per} (synaptic ops, learning visits and spikes; messages and the active/idle split are not per core):`);
    const crows: string[][] = [['core', 'compartments', 'synOps', 'learnVisits', 'spikes', 'cx updates', 'energy (µJ)']];
    for (const c of r.byCore) crows.push([String(c.core), formatCount(c.compartments), count(c.synOps), count(c.learnVisits), count(c.spikes), count(c.compartmentUpdates), num(c.energyMilliJoule * 1e3)]);
    for (const l of table(crows, [true, true, true, true, true, true, true])) out(l);
  }
}
