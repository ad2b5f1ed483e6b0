/**
 * Compiler stage 5, build: assemble the ChipSpec from the encoded, placed and checked
 * network, make the Chip, and report what the network uses.
 */
import { Chip } from '../chip/chip';
import type { ChipSpec } from '../chip/spec';
import type { Checked } from './check-limits';
import type { Described, GroupLayout } from './describe';
import type { Encoded } from './encode';
import type { CompileOptions } from './network';
import type { Placed, Target } from './place';

export interface CompiledNetwork {
  chip: Chip;
  groups: Record<string, GroupLayout>;
  /** Synapse group index by connection name. */
  connections: Record<string, number>;
  stats: NetworkStats;
}

export interface NetworkStats {
  compartments: number;
  generatorPorts: number;
  synapses: number;
  plasticSynapses: number;
  cores: number;
  chips: number;
  /** Per used core: compartments, synapse bits, input axons, output axons. */
  coreUsage: Array<{ core: number; compartments: number; synapseBits: number; inputAxons: number; outputAxons: number }>;
}

export function buildSpec(d: Described, e: Encoded, p: Placed, t: Target, opts: CompileOptions): ChipSpec {
  const { limits } = t;
  return {
    numCompartments: d.numCompartments,
    prototypes: e.prototypes,
    cxPrototype: e.cxPrototype,
    cxCore: p.cxCore,
    numGeneratorPorts: d.numGeneratorPorts,
    // generators enter through core 0 (the host interface)
    genCore: new Uint16Array(d.numGeneratorPorts),
    numCores: t.numCores,
    coresPerChip: limits.coresPerChip,
    mesh: { coresPerTile: limits.coresPerTile, tilesX: limits.tilesX, tilesY: limits.tilesY },
    synapseGroups: e.synapseGroups,
    rewardChannels: e.rewardChannels,
    ordering: opts.ordering ?? 'route-then-learn',
    kernel: opts.kernel ?? 'fast',
    rowSum: opts.rowSum,
    lean: opts.lean,
    numBuckets: opts.numBuckets ?? 1,
    seed: opts.seed ?? 1,
  };
}

/** A compiled network before its Chip is built: the spec the Chip is built from. */
export interface CompiledSpec {
  spec: ChipSpec;
  groups: Record<string, GroupLayout>;
  /** Synapse group index by connection name. */
  connections: Record<string, number>;
  stats: NetworkStats;
}

export function build(d: Described, e: Encoded, p: Placed, c: Checked, t: Target, opts: CompileOptions): CompiledNetwork {
  const s = buildCompiledSpec(d, e, p, c, t, opts);
  return { chip: new Chip(s.spec), groups: s.groups, connections: s.connections, stats: s.stats };
}

/** Stage 5 without making the Chip: the spec and the usage statistics. */
export function buildCompiledSpec(d: Described, e: Encoded, p: Placed, c: Checked, t: Target, opts: CompileOptions): CompiledSpec {
  const spec = buildSpec(d, e, p, t, opts);
  const coreUsage: NetworkStats['coreUsage'] = [];
  for (let core = 0; core < t.numCores; core++) {
    if (p.usedCx[core] > 0) coreUsage.push({ core, compartments: p.usedCx[core], synapseBits: p.usedBits[core], inputAxons: p.usedAxons[core], outputAxons: c.outAxons[core] });
  }
  return {
    spec,
    groups: d.layout,
    connections: e.connections,
    stats: {
      compartments: d.numCompartments,
      generatorPorts: d.numGeneratorPorts,
      synapses: e.synapses,
      plasticSynapses: e.plasticSynapses,
      cores: coreUsage.length,
      chips: t.chips,
      coreUsage,
    },
  };
}
