/**
 * An energy report as one SVG of two stacked-bar panels, one bar per phase (counter bucket):
 * energy per sample by kind (µJ), and latency per sample split into the slowest core and the
 * barrier sync (µs). With a reference (e.g. a paper's measurement), a last bar shows its figure
 * divided by the steps per sample (its mean per phase). Kinds that are zero in every phase are
 * left out of the legend.
 */
import { stackedBarChart, type BarStack } from './bar-chart';

/** Display names of the energy kinds in the chart legend. */
const KIND_LABELS: Record<string, string> = {
  synOps: 'synaptic ops',
  learnVisits: 'learning engine',
  cxActive: 'compartments, active',
  cxIdle: 'compartments, idle',
  msgLocal: 'spikes within tile',
  hops: 'mesh hops',
  msgRemote: 'remote messages',
  spikes: 'spike out',
  static: 'static power',
};

/** Fixed colour per kind, so a kind keeps its colour whichever kinds a chart leaves out. */
const KIND_COLORS: Record<string, string> = {
  synOps: '#4e79a7',
  learnVisits: '#f28e2b',
  cxActive: '#e15759',
  cxIdle: '#76b7b2',
  msgLocal: '#59a14f',
  hops: '#edc948',
  msgRemote: '#b07aa1',
  spikes: '#ff9da7',
  static: '#9c755f',
};

/** The kinds in legend order (the energy model's report order). */
const KINDS = ['synOps', 'learnVisits', 'cxActive', 'cxIdle', 'msgLocal', 'hops', 'msgRemote', 'spikes', 'static'];

/** The parts of an energy report the chart draws (src/energy/report.ts EnergyReport has them). */
export interface EnergyChartData {
  constants: string;
  includeStatic: boolean;
  barrierNs: number;
  network: { tiles: number };
  perSample: { energyMilliJoule: number; latencyMs: number };
  perPhase: Array<{ energyMilliJoule: number; latencyMs: number; byKind: Record<string, number> }>;
}

export interface EnergyChartOptions {
  /** What one sample is, in the titles: "training sample", "sample". */
  sampleName: string;
  /** The x axis: e.g. "phase of the gating chain". */
  phaseAxis: string;
  /** A measured figure to compare with, drawn as a last bar of its mean per phase. */
  reference?: {
    label: string;
    energyMilliJoule: number;
    latencyMs: number;
    stepsPerSample: number;
    perStepUs: number;
    ratio: { energy: number; latency: number };
  };
}

export function energyChartSvg(report: EnergyChartData, o: EnergyChartOptions): string {
  const np = report.perPhase.length;
  const ref = o.reference;
  const categories: string[] = [];
  for (let p = 0; p < np; p++) categories.push('phase ' + p);
  if (ref) categories.push(ref.label + ' / ' + ref.stepsPerSample);
  const refColor = '#3a3a3a';
  const refName = ref ? ref.label + ', measured (mean per phase)' : '';
  const stacks: BarStack[] = [];
  for (let k = 0; k < KINDS.length; k++) {
    const kind = KINDS[k];
    if (kind === 'static' && !report.includeStatic) continue;
    const values: number[] = [];
    let any = false;
    for (let p = 0; p < np; p++) {
      const v = (report.perPhase[p].byKind[kind] ?? 0) * 1e3; // mJ -> µJ
      values.push(v);
      if (v > 0) any = true;
    }
    if (ref) values.push(0);
    if (any) stacks.push({ name: KIND_LABELS[kind] || kind, values, color: KIND_COLORS[kind] });
  }
  if (ref) {
    const refEnergy: number[] = [];
    for (let p = 0; p < np; p++) refEnergy.push(0);
    refEnergy.push((ref.energyMilliJoule * 1e3) / ref.stepsPerSample);
    stacks.push({ name: refName, values: refEnergy, color: refColor });
  }

  const energyTitle =
    'Energy per ' + o.sampleName + ' by phase: ' + chartNumber(report.perSample.energyMilliJoule * 1e3) + ' µJ' +
    (ref ? ' (' + ref.label + ' ' + chartNumber(ref.energyMilliJoule * 1e3) + ' µJ, ratio ' + ref.ratio.energy.toPrecision(2) + ')' : '');
  const width = 1040;
  const top = stackedBarChart({
    title: energyTitle,
    categories,
    stacks,
    yLabel: 'energy per sample (µJ)',
    xLabel: o.phaseAxis + ' (one time step each); ' + report.constants + (report.includeStatic ? ', static power included' : ', dynamic energy'),
    width,
    height: 430,
  });
  const cores: number[] = [];
  const barrier: number[] = [];
  const refTime: number[] = [];
  const barrierUs = report.barrierNs / 1e3;
  for (let p = 0; p < np; p++) {
    const total = report.perPhase[p].latencyMs * 1e3;
    barrier.push(barrierUs);
    cores.push(Math.max(0, total - barrierUs));
    refTime.push(0);
  }
  if (ref) {
    cores.push(0);
    barrier.push(0);
    refTime.push(ref.perStepUs);
  }
  const latencyTitle =
    'Latency per ' + o.sampleName + ' by phase: ' + chartNumber(report.perSample.latencyMs * 1e3) + ' µs' +
    (ref ? ' (' + ref.label + ' ' + chartNumber(ref.latencyMs * 1e3) + ' µs, ratio ' + ref.ratio.latency.toPrecision(2) + ')' : '');
  const latencyStacks: BarStack[] = [
    { name: 'slowest core (critical path)', values: cores, color: '#4e79a7' },
    { name: 'barrier sync (' + report.network.tiles + ' tiles)', values: barrier, color: '#bab0ac' },
  ];
  if (ref) latencyStacks.push({ name: refName, values: refTime, color: refColor });
  const bottom = stackedBarChart({
    title: latencyTitle,
    categories,
    stacks: latencyStacks,
    yLabel: 'time per sample (µs)',
    xLabel: o.phaseAxis,
    width,
    height: 330,
  });
  return stackSvgs([top, bottom], width);
}

/** 3 significant digits without exponent for values >= 0.001 (1500 -> "1500", 0.625 -> "0.625"). */
function chartNumber(v: number): string {
  if (v >= 100) return String(Math.round(v));
  if (v >= 0.001) return String(parseFloat(v.toPrecision(3)));
  return v.toExponential(2);
}

/** Size of a chart from its opening tag. */
function svgSize(svg: string): { w: number; h: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('stackSvgs: chart without width/height');
  return { w: parseFloat(m[1]), h: parseFloat(m[2]) };
}

/** Place complete <svg> charts one below the other in one SVG document (nested <svg> with y offsets). */
function stackSvgs(charts: string[], width: number): string {
  let y = 0;
  const parts: string[] = [];
  for (let i = 0; i < charts.length; i++) {
    const size = svgSize(charts[i]);
    parts.push(charts[i].replace('<svg xmlns="http://www.w3.org/2000/svg"', '<svg x="0" y="' + y + '"'));
    y += size.h;
  }
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + width + ' ' + y + '" width="' + width + '" height="' + y +
    '" font-family="sans-serif" style="background:#fff">\n' +
    parts.join('\n') +
    '\n</svg>\n'
  );
}
