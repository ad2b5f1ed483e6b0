/**
 * `synfire demo`: a small network that shows the chip model at work.
 *
 * A 4-gate synfire ring (g0 -> g1 -> g2 -> g3 -> g0, started by one generator spike) drives an
 * excitatory layer E. E excites an inhibitory layer I over a 2-step axonal delay, and I's
 * spikes arrive together with E's next gate input and cancel it, so E fires on every second
 * turn of the ring. E -> O is plastic (the sBP rule `dw = 4*x0*y0*r1 - 2*x0*y0`, epoch 2);
 * a host reward generator fires on every other E volley, so O0's weights go up by 2, then
 * down by 2. O1's weights are too small to make it fire, so they never change.
 *
 * Counters are bucketed by ring phase: step t is in phase (t - 2) mod 4, the phase in which
 * gate g_p fires.
 */
import { OP_NAMES, type OpName } from '../../src/chip/counters';
import { compileNetwork, type CompiledNetwork } from '../../src/net/compile';
import type { NetworkDesc, NeuronType } from '../../src/net/network';
import type { Command } from '../cli';

/** Gate neuron (sBP n_gat): fires when its input exceeds 1024 weight units. */
const GATE: NeuronType = { name: 'gate', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 };
/** Layer neuron (sBP n_sfl): bias -8192 wu, so it fires when its input exceeds 9216 wu. */
const LAYER: NeuronType = { name: 'layer', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: -4096, biasExp: 7, refractoryDelay: 2 };

export const DEMO_PHASES = 4;
/** The host reward fires at steps 3, 19, 35, ... (every other E volley). */
export const REWARD_FIRST = 3;
export const REWARD_PERIOD = 16;

/** The demo network description. */
export function demoNetwork(): NetworkDesc {
  const gates = ['g0', 'g1', 'g2', 'g3'];
  return {
    name: 'demo',
    groups: [
      { name: 'kick', size: 1, neuron: 'generator' },
      { name: 'reward', size: 1, neuron: 'generator' },
      ...gates.map((name) => ({ name, size: 1, neuron: GATE })),
      { name: 'E', size: 4, neuron: LAYER },
      { name: 'I', size: 2, neuron: LAYER },
      { name: 'O', size: 2, neuron: GATE },
    ],
    connections: [
      { pre: 'kick', post: 'g0', connectivity: 'one-to-one', weight: 9280 },
      ...gates.map((g, p) => ({ pre: g, post: gates[(p + 1) % 4], connectivity: 'one-to-one' as const, weight: 9280 })),
      // g0 alone makes E fire (9280 > 9216)
      { pre: 'g0', post: 'E', connectivity: 'one-to-all', weight: 9280 },
      // all four E spikes make I fire (4 * 2400 = 9600), three steps later
      { pre: 'E', post: 'I', connectivity: 'all-to-all', weight: 2400, delay: 2 },
      // I's spikes cancel E's next gate input (9280 - 2 * 8128 < 9216)
      { pre: 'I', post: 'E', connectivity: 'all-to-all', weight: -8128 },
      // g1 opens O; with E's volley O0 fires (4 * 200 + 512 > 1024), O1 does not (4 * 100 + 512)
      { pre: 'g1', post: 'O', connectivity: 'one-to-all', weight: 512 },
      {
        pre: 'E',
        post: 'O',
        connectivity: 'all-to-all',
        weights: [200, 200, 200, 200, 100, 100, 100, 100],
        signMode: 'mixed',
        learning: { rule: 'dw = 4*x0*y0*r1 - 2*x0*y0', tEpoch: 2, rewardChannel: 'reward' },
      },
    ],
    rewardChannels: [{ name: 'reward', sources: [{ group: 'reward' }] }],
  };
}

/** Ring phase (counter bucket) of step t. */
export function phaseOf(t: number): number {
  return (((t - 2) % DEMO_PHASES) + DEMO_PHASES) % DEMO_PHASES;
}

export interface DemoSpike {
  step: number;
  group: string;
  neurons: number[];
}

export interface DemoResult {
  network: { compartments: number; generatorPorts: number; synapses: number; plasticSynapses: number; cores: number };
  steps: number;
  counters: Record<OpName, number>;
  phases: Array<Record<OpName, number>>;
  spikes: DemoSpike[];
  /** Final plastic weights E -> O, post x pre. */
  weights: { 'E->O': number[] };
}

/** Build the demo network, run it for `steps` steps and collect counters and spikes. */
export function runDemo(steps: number): { net: CompiledNetwork; result: DemoResult } {
  const net = compileNetwork(demoNetwork(), { numBuckets: DEMO_PHASES });
  const chip = net.chip;
  const layouts = Object.values(net.groups);
  const spikes: DemoSpike[] = [];
  for (let t = 1; t <= steps; t++) {
    if (t === 1) chip.schedule(net.groups.kick.start, t);
    if (t >= REWARD_FIRST && (t - REWARD_FIRST) % REWARD_PERIOD === 0) chip.schedule(net.groups.reward.start, t);
    chip.setBucket(phaseOf(t));
    chip.step();
    for (const l of layouts) {
      const neurons: number[] = [];
      if (l.kind === 'compartments') {
        for (let k = 0; k < chip.spikedCount; k++) {
          const cx = chip.spikedCx[k];
          if (cx >= l.start && cx < l.start + l.size) neurons.push(cx - l.start);
        }
      } else {
        for (let k = 0; k < chip.spikedGenCount; k++) {
          const port = chip.spikedGen[k];
          if (port >= l.start && port < l.start + l.size) neurons.push(port - l.start);
        }
      }
      if (neurons.length > 0) spikes.push({ step: t, group: l.name, neurons: neurons.sort((a, b) => a - b) });
    }
  }
  const s = net.stats;
  const phases: Array<Record<OpName, number>> = [];
  for (let p = 0; p < DEMO_PHASES; p++) phases.push(chip.counters.bucketTotals(p));
  const plastic = chip.groups[net.connections['E->O']];
  return {
    net,
    result: {
      network: { compartments: s.compartments, generatorPorts: s.generatorPorts, synapses: s.synapses, plasticSynapses: s.plasticSynapses, cores: s.cores },
      steps,
      counters: chip.counters.totals(),
      phases,
      spikes,
      weights: { 'E->O': Array.from(plastic.postMajor()) },
    },
  };
}

/** Steps shown in the text raster. */
const RASTER_STEPS = 64;

/** The readable report: spike raster, counter table, final plastic weights. */
export function formatDemo(net: CompiledNetwork, r: DemoResult): string[] {
  const out: string[] = [];
  const n = r.network;
  out.push('synfire demo: a 4-gate synfire ring drives layer E; E excites I over a 2-step delay and I');
  out.push("cancels E's next gate volley, so E fires every 8 steps. E -> O is plastic; the host reward");
  out.push('arrives on every other E volley, so O0 learns +2, -2, +2, ...');
  out.push('');
  out.push(
    `network: ${n.compartments} compartments on ${n.cores} cores, ${n.generatorPorts} generator ports, ${n.synapses} synapses (${n.plasticSynapses} plastic); ${r.steps} steps`,
  );
  out.push('');

  // raster: one row per group, one column per step; a digit = how many of the group fired
  const shown = Math.min(r.steps, RASTER_STEPS);
  const names = Object.keys(net.groups);
  const label = (name: string) => `${name} (${net.groups[name].size})`;
  const width = Math.max(...names.map((x) => label(x).length)) + 2;
  out.push(`spikes${r.steps > shown ? ` (first ${shown} steps)` : ''}: a digit is the number of the group's neurons that fired`);
  let ruler = '';
  for (let t = 1; t <= shown; t++) ruler += t % 10 === 0 ? String((t / 10) % 10) : t % 5 === 0 ? '+' : '.';
  out.push('step'.padEnd(width) + ruler);
  const rows: Record<string, string[]> = {};
  for (const name of names) rows[name] = new Array(shown).fill(' ');
  for (const s of r.spikes) if (s.step <= shown) rows[s.group][s.step - 1] = s.neurons.length > 9 ? '*' : String(s.neurons.length);
  for (const name of names) out.push(label(name).padEnd(width) + rows[name].join('').replace(/\s+$/, ''));
  out.push('');

  // counters: total and per ring phase, nonzero rows only
  out.push('op counters (phase p = the steps in which gate g_p fires)');
  const cols = ['total', ...r.phases.map((_, p) => `phase ${p}`)];
  const cw = 10;
  out.push('  ' + ''.padEnd(16) + cols.map((c) => c.padStart(cw)).join(''));
  for (const op of OP_NAMES) {
    if (r.counters[op] === 0) continue;
    const cells = [r.counters[op], ...r.phases.map((ph) => ph[op])];
    out.push('  ' + op.padEnd(16) + cells.map((v) => v.toLocaleString('en-US').padStart(cw)).join(''));
  }
  out.push('');
  const w = r.weights['E->O'];
  const pre = net.groups.E.size;
  out.push(`plastic weights E -> O after ${r.steps} steps (mantissas, started at 200 and 100):`);
  for (let j = 0; j < net.groups.O.size; j++) out.push(`  O${j}: ${w.slice(j * pre, (j + 1) * pre).join(' ')}`);
  return out;
}

export const command: Command = {
  spec: {
    name: 'demo',
    summary: 'Run a small illustrative network and show its spikes and op counters.',
    options: [{ name: 'steps', type: 'int', default: 32, min: 1, max: 10000, metavar: 'N', help: 'number of time steps to run' }],
    examples: ['synfire demo', 'synfire demo --steps 64', 'synfire demo --json'],
  },
  run(opts, io) {
    const { net, result } = runDemo(opts.steps as number);
    if (io.json) io.out(JSON.stringify(result));
    else for (const line of formatDemo(net, result)) io.out(line);
    return 0;
  },
};
