/**
 * `synfire run --network F.json`: compile a network file onto the board's cores (refused
 * before it runs if it does not fit), feed it the file's input spikes, run it, and print the
 * spikes per group, the op counters and the limits each core uses.
 */
import { TextDecoder } from 'node:util';
import { OP_NAMES } from '../../src/chip/counters';
import { UserError } from '../../src/errors';
import type { CoreLimits } from '../../src/net/network';
import { parseNetworkFile, type LoadedNetwork } from '../../src/net/network-file';
import { runStartup, startNetwork } from '../../src/net/run-file';
import { SpikeRecorder, type Simulation } from '../../src/net/simulation';
import { rasterChart, type RasterRow } from '../../src/viz/svg';
import { BOARDS, boardNames, type BoardProfile } from '../../boards/profiles';
import type { Command, CliIO } from '../cli';
import { atomicWriteFile, readUserFile } from '../fsutil';
import { formatCount } from '../progress';
import { createWasmRowSumKernel } from '../wasm-row-sum';

/** Read and check a network file. */
export function loadNetworkFile(file: string): LoadedNetwork {
  const text = new TextDecoder('utf-8').decode(readUserFile(file, 'network file'));
  return parseNetworkFile(text, file);
}

/** The board and chips a command runs on. */
export function boardOf(o: Record<string, unknown>): { board: BoardProfile; chips: number; limits: CoreLimits } {
  const board = BOARDS[o.board as string];
  return { board, chips: (o.chips as number | undefined) ?? board.chips, limits: board.limits };
}

export const networkOptions = [
  { name: 'network', type: 'string' as const, metavar: 'F.json', help: 'the network file (synfire-network/1 JSON, see docs/network-file.md)' },
  { name: 'steps', type: 'int' as const, min: 1, max: 100000000, metavar: 'N', help: "steps to run (default: the file's steps)" },
  { name: 'board', type: 'choice' as const, choices: boardNames(), default: 'loihi1', metavar: 'B', help: 'board profile: chip limits, number of chips, energy constants' },
  { name: 'chips', type: 'int' as const, min: 1, max: 16384, help: "chips in the system (default: the board's)" },
  { name: 'kernel', type: 'choice' as const, choices: ['wasm', 'js', 'naive'], default: 'wasm', help: 'simulation kernel (identical results)' },
];

/** Compile the file's network for the board (throws a UserError naming the limit if it does not fit). */
export function startFromOptions(o: Record<string, unknown>, net: LoadedNetwork, stepsPerSample?: number): Simulation {
  const { chips, limits } = boardOf(o);
  const kernel = o.kernel as string;
  return startNetwork(net, {
    chips,
    limits,
    kernel: kernel === 'naive' ? 'naive' : 'fast',
    rowSum: kernel === 'wasm' ? createWasmRowSumKernel : undefined,
    stepsPerSample,
  });
}

export function requireNetwork(o: Record<string, unknown>, cmd: string): string {
  const file = o.network as string | undefined;
  if (file === undefined) throw new UserError(`${cmd} needs the network file: --network F.json`, 2);
  return file;
}

export const command: Command = {
  spec: {
    name: 'run',
    summary: 'Run a network file on the chip model: spikes per group, counters, limits used per core.',
    usage: '--network F.json [--steps N] [--board B] [--raster F.svg] [--json]',
    options: [...networkOptions, { name: 'raster', type: 'string', metavar: 'F.svg', help: 'draw the spike raster of the run' }],
    examples: ['synfire run --network examples/winner-take-all.json', 'synfire run --network net.json --steps 200 --raster net.svg --json'],
  },
  run(o, io) {
    const file = requireNetwork(o, 'run');
    const raster = o.raster as string | undefined;
    if (raster !== undefined && !/\.svg$/i.test(raster)) throw new UserError(`--raster: the raster is SVG; give a file name ending in .svg (got '${raster}')`, 2);
    const net = loadNetworkFile(file);
    const steps = (o.steps as number | undefined) ?? net.steps;
    if (steps <= net.startupSteps) throw new UserError(`--steps ${steps}: the file's ${net.startupSteps} startup steps leave nothing to run`, 2);
    const sim = startFromOptions(o, net);
    const rec = new SpikeRecorder(sim);
    runStartup(sim, net);
    sim.step(steps - net.startupSteps);
    const { board, chips, limits } = boardOf(o);
    const result = runResult(sim, rec, net.desc.name, file, steps, net.startupSteps, board.name, chips, limits);
    if (raster !== undefined) {
      atomicWriteFile(raster, rasterSvg(sim, rec, net.desc.name, steps));
      if (!io.json) io.err(`wrote ${raster}`);
    }
    if (io.json) io.out(JSON.stringify(result));
    else printRun(result, io);
    return 0;
  },
};

export interface RunResult {
  network: string;
  file: string;
  board: string;
  chips: number;
  steps: number;
  /** Spikes per group (compartment groups; generators under inputs). */
  spikes: Record<string, number>;
  inputs: Record<string, number>;
  /** Every spike, per group: [step, member]. */
  spikeTrains: Record<string, Array<[number, number]>>;
  /** Steps run before counting started (the file's startupSteps). */
  startupSteps: number;
  /** Every op counter over the run (after the startup steps). */
  counts: Record<string, number>;
  stats: { compartments: number; synapses: number; plasticSynapses: number; cores: number };
  limits: CoreLimits;
  /** Per used core: what it holds against the core's limits. */
  cores: Array<{ core: number; compartments: number; synapseBits: number; inputAxons: number; outputAxons: number }>;
}

function runResult(sim: Simulation, rec: SpikeRecorder, name: string, file: string, steps: number, startupSteps: number, board: string, chips: number, limits: CoreLimits): RunResult {
  const spikes: Record<string, number> = {};
  const inputs: Record<string, number> = {};
  for (const name in sim.compiled.groups) {
    const n = rec.spikes[name].length;
    if (sim.compiled.groups[name].kind === 'generator') inputs[name] = n;
    else spikes[name] = n;
  }
  const s = sim.compiled.stats;
  return {
    network: name,
    file,
    board,
    chips,
    steps,
    spikes,
    inputs,
    spikeTrains: rec.spikes,
    startupSteps,
    counts: sim.counts(),
    stats: { compartments: s.compartments, synapses: s.synapses, plasticSynapses: s.plasticSynapses, cores: s.cores },
    limits,
    cores: s.coreUsage.map((u) => ({ ...u })),
  };
}

function printRun(r: RunResult, io: CliIO): void {
  const out = (s = '') => io.out(s);
  out(`synfire run: network '${r.network}' (${r.file}), ${formatCount(r.steps)} steps on ${r.board} (${r.chips} chip${r.chips > 1 ? 's' : ''})`);
  out(`  ${formatCount(r.stats.compartments)} compartments, ${formatCount(r.stats.synapses)} synapses (${formatCount(r.stats.plasticSynapses)} plastic) on ${r.stats.cores} cores`);
  out();
  out('Spikes per group:');
  const rows: string[][] = [['group', 'spikes', 'first step', 'last step']];
  for (const g in r.spikes) {
    const t = r.spikeTrains[g];
    rows.push([g, formatCount(r.spikes[g]), t.length ? String(t[0][0]) : '-', t.length ? String(t[t.length - 1][0]) : '-']);
  }
  for (const g in r.inputs) rows.push([g + ' (input)', formatCount(r.inputs[g]), r.spikeTrains[g].length ? String(r.spikeTrains[g][0][0]) : '-', r.spikeTrains[g].length ? String(r.spikeTrains[g][r.spikeTrains[g].length - 1][0]) : '-']);
  for (const l of table(rows, [false, true, true, true])) out(l);
  out();
  out(`Counters (${r.startupSteps > 0 ? `steps ${r.startupSteps + 1}..${r.steps}, after ${r.startupSteps} startup steps` : 'whole run'}; zero counters left out):`);
  const crow: string[][] = [];
  for (const k of OP_NAMES) if (r.counts[k] !== 0) crow.push([k, formatCount(r.counts[k])]);
  for (const l of table(crow, [false, true])) out(l);
  out();
  out('Limits used per core:');
  const lim = r.limits;
  const used = (v: number, max: number) => `${formatCount(v)} / ${formatCount(max)} (${((100 * v) / max).toFixed(1)}%)`;
  const lrows: string[][] = [['core', 'compartments', 'synapse bits', 'input axons', 'output axons']];
  for (const c of r.cores) lrows.push([String(c.core), used(c.compartments, lim.compartments), used(c.synapseBits, lim.synapseBits), used(c.inputAxons, lim.inputAxons), used(c.outputAxons, lim.outputAxons)]);
  for (const l of table(lrows, [true, true, true, true, true])) out(l);
}

export function table(rows: string[][], right: boolean[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => '  ' + r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

function rasterSvg(sim: Simulation, rec: SpikeRecorder, name: string, steps: number): string {
  const rows: RasterRow[] = [];
  for (const g in sim.compiled.groups) {
    const size = sim.compiled.groups[g].size;
    rows.push({ group: g, size, spikes: rec.spikes[g], note: sim.compiled.groups[g].kind === 'generator' ? `${size}, input` : undefined });
  }
  return rasterChart({ title: `Spike raster of '${name}', steps 1..${steps}`, steps, firstStep: 1, rows, width: Math.max(700, Math.min(1600, 240 + steps * 12)) });
}
