/**
 * The compiler: network description -> placed, checked Chip.
 *
 * 1. encode: uniform weights go through the mantissa/exponent search and must be exact;
 *    per-synapse mantissas must be storable in their sign mode.
 * 2. place: every compartment gets a core. A network that does not fit fails here, before
 *    anything runs, with an error naming the group, the resource, and the numbers needed
 *    versus available.
 * 3. build: the Chip with its routing tables.
 *
 * Synapse memory is counted per core as nengo-loihi's model does: the synapses one input
 * axon holds on a core form a block of n * (weight bits + delay bits + index bits) + 10
 * bits, rounded up to 64-bit words.
 */
import { Chip } from '../chip/chip';
import { parseLearningRule } from '../chip/learning-rule';
import type { ChipSpec, CompartmentPrototype, Connectivity, SynapseGroupSpec } from '../chip/spec';
import { checkWeight, encodeWeight, type SignMode } from '../chip/weights';
import { DELAY_MAX } from '../chip/arith';
import { UserError } from '../errors';
import { LOIHI1_LIMITS, type CompileOptions, type ConnectionDesc, type CoreLimits, type GroupDesc, type NetworkDesc } from './network';

export interface GroupLayout {
  name: string;
  kind: 'compartments' | 'generator';
  /** First compartment id, or first generator port. */
  start: number;
  size: number;
  /** Source id of member 0 (compartment id, or numCompartments + port). */
  sourceStart: number;
}

export interface CompiledNetwork {
  chip: Chip;
  groups: Record<string, GroupLayout>;
  /** Synapse group index by connection name. */
  connections: Record<string, number>;
  stats: NetworkStats;
}

/** A compiled network before its Chip is built: the spec the Chip is built from. */
export interface CompiledSpec {
  spec: ChipSpec;
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

/** Bits one synapse of a connection takes in synapse memory. */
function synapseBits(c: ConnectionDesc, postSize: number): number {
  const weightBits = c.numWeightBits ?? 8;
  const delayBits = (c.delay ?? 0) > 0 ? Math.ceil(Math.log2((c.delay ?? 0) + 1)) : 0;
  const indexBits = typeof c.connectivity === 'object' ? Math.max(1, Math.ceil(Math.log2(postSize))) : 0;
  return weightBits + delayBits + indexBits;
}

function blockBits(n: number, bits: number): number {
  return Math.ceil((n * bits + 10) / 64) * 64;
}

function connName(c: ConnectionDesc): string {
  return c.name ?? `${c.pre}->${c.post}`;
}

/** What placing k more compartments of a group on one core costs. */
interface GroupCost {
  /** Incoming connections with their pre sizes and per-synapse bits. */
  inputs: Array<{ kind: 'dense' | 'one' | 'all' | 'sparse'; preSize: number; bits: number; perPost: number }>;
}

function costOf(gc: GroupCost, k: number): { bits: number; axons: number } {
  let bits = 0;
  let axons = 0;
  for (const c of gc.inputs) {
    if (c.kind === 'dense') {
      bits += c.preSize * blockBits(k, c.bits);
      axons += c.preSize;
    } else if (c.kind === 'one') {
      bits += k * blockBits(1, c.bits);
      axons += k;
    } else if (c.kind === 'all') {
      bits += blockBits(k, c.bits);
      axons += 1;
    } else {
      // sparse: assume each post's synapses come from distinct axons (an upper bound)
      bits += Math.ceil(k * c.perPost) * blockBits(1, c.bits);
      axons += Math.min(c.preSize, Math.ceil(k * c.perPost));
    }
  }
  return { bits, axons };
}

/** Internal: a core's output axons overflowed; placing fewer of `group` per core fixes it. */
class OutputAxonOverflow {
  constructor(
    readonly group: string,
    readonly cap: number,
    readonly message: string,
  ) {}
}

export function compileNetwork(net: NetworkDesc, opts: CompileOptions = {}): CompiledNetwork {
  const c = compileSpec(net, opts);
  return { chip: new Chip(c.spec), groups: c.groups, connections: c.connections, stats: c.stats };
}

/**
 * Steps 1 and 2 of compileNetwork: the encoded, placed and checked ChipSpec, without building
 * the Chip. With `shapeOnly`, all-to-all connections given no per-synapse weights get an
 * empty weight array instead of one per synapse (their sizes are in the spec): the memory
 * plan reads the network's shape without allocating its weights. Such a spec must not be
 * built into a Chip.
 */
export function compileSpec(net: NetworkDesc, opts: CompileOptions & { shapeOnly?: boolean } = {}): CompiledSpec {
  // Output axons depend on where the targets land, so the packer learns them by trying:
  // when a core overflows, the group sending the most axons from it gets a per-core cap.
  const caps: Record<string, number> = {};
  for (let attempt = 0; attempt < 32; attempt++) {
    try {
      return compileWith(net, opts, caps, opts.shapeOnly === true);
    } catch (e) {
      if (!(e instanceof OutputAxonOverflow)) throw e;
      if (e.cap < 1 || caps[e.group] === e.cap) throw new UserError(e.message);
      caps[e.group] = e.cap;
    }
  }
  throw new UserError(`network '${net.name}': could not place it within the output axon limit`);
}

function compileWith(net: NetworkDesc, opts: CompileOptions, caps: Record<string, number>, shapeOnly: boolean): CompiledSpec {
  const limits: CoreLimits = opts.limits ?? LOIHI1_LIMITS;
  const chips = opts.chips ?? 1;
  const numCores = limits.coresPerChip * chips;

  // ---- groups
  const byName: Record<string, GroupDesc> = {};
  const layout: Record<string, GroupLayout> = {};
  let numCx = 0;
  let numGen = 0;
  for (const g of net.groups) {
    if (byName[g.name]) throw new UserError(`network '${net.name}': group '${g.name}' is defined twice`);
    if (!(g.size >= 1) || Math.floor(g.size) !== g.size) throw new UserError(`group '${g.name}': size must be a positive integer, got ${g.size}`);
    byName[g.name] = g;
    if (g.neuron === 'generator') {
      layout[g.name] = { name: g.name, kind: 'generator', start: numGen, size: g.size, sourceStart: -1 };
      numGen += g.size;
    } else {
      layout[g.name] = { name: g.name, kind: 'compartments', start: numCx, size: g.size, sourceStart: numCx };
      numCx += g.size;
    }
  }
  for (const name in layout) if (layout[name].kind === 'generator') layout[name].sourceStart = numCx + layout[name].start;

  // ---- prototypes
  const prototypes: CompartmentPrototype[] = [];
  const protoIndex: Record<string, number> = {};
  const cxPrototype = new Uint16Array(numCx);
  for (const g of net.groups) {
    if (g.neuron === 'generator') continue;
    const n = g.neuron;
    checkNeuron(n, g.name);
    const key = JSON.stringify(n);
    if (protoIndex[key] === undefined) {
      protoIndex[key] = prototypes.length;
      prototypes.push(n);
    }
    cxPrototype.fill(protoIndex[key], layout[g.name].start, layout[g.name].start + g.size);
  }

  // ---- connections -> synapse groups
  const synapseGroups: SynapseGroupSpec[] = [];
  const connIndex: Record<string, number> = {};
  const rewardNames = (net.rewardChannels ?? []).map((r) => r.name);
  const costs: Record<string, GroupCost> = {};
  for (const g of net.groups) costs[g.name] = { inputs: [] };
  let synapses = 0;
  let plasticSynapses = 0;
  for (const c of net.connections) {
    const name = connName(c);
    const where = `connection '${name}'`;
    if (connIndex[name] !== undefined) throw new UserError(`${where} is defined twice`);
    const pre = byName[c.pre];
    const post = byName[c.post];
    if (!pre) throw new UserError(`${where}: unknown pre group '${c.pre}'`);
    if (!post) throw new UserError(`${where}: unknown post group '${c.post}'`);
    if (post.neuron === 'generator') throw new UserError(`${where}: post group '${c.post}' is a spike generator and cannot receive synapses`);
    const delay = c.delay ?? 0;
    if (!(delay >= 0 && delay <= DELAY_MAX) || Math.floor(delay) !== delay) throw new UserError(`${where}: delay ${delay} outside 0..${DELAY_MAX}`);
    const numWeightBits = c.numWeightBits ?? 8;
    let signMode: SignMode = c.signMode ?? 'mixed';
    let weightExp = c.weightExp ?? 0;
    let uniform = 0;
    if (c.weight !== undefined) {
      if (c.signMode === undefined) signMode = c.weight > 0 ? 'excitatory' : c.weight < 0 ? 'inhibitory' : 'mixed';
      const enc = encodeWeight(c.weight, signMode, numWeightBits);
      if (!enc.exact)
        throw new UserError(`${where}: weight ${c.weight} is not representable exactly (nearest ${enc.mant}*2^${enc.exp} = ${enc.mant * Math.pow(2, enc.exp)})`);
      uniform = enc.mant;
      weightExp = enc.exp;
    }
    const m = pre.size;
    const n = post.size;
    let conn: Connectivity;
    let count: number;
    let kind: GroupCost['inputs'][number]['kind'];
    let perPost = 0;
    if (c.connectivity === 'all-to-all') {
      const w = new Int16Array(shapeOnly && !c.weights ? 0 : m * n);
      if (c.weights) {
        if (c.weights.length !== m * n) throw new UserError(`${where}: weights has ${c.weights.length} entries, expected ${n}x${m} = ${m * n} (post x pre)`);
        for (let j = 0; j < n; j++)
          for (let i = 0; i < m; i++) {
            const x = c.weights[j * m + i];
            checkWeight(x, weightExp, signMode, numWeightBits, `${where} weight [${j}][${i}]`);
            w[i * n + j] = x;
          }
      } else if (!shapeOnly) w.fill(uniform);
      conn = { kind: 'dense', weights: w };
      count = m * n;
      kind = 'dense';
    } else if (c.connectivity === 'one-to-one' || c.connectivity === 'one-to-all') {
      const oneToOne = c.connectivity === 'one-to-one';
      if (oneToOne && m !== n) throw new UserError(`${where}: one-to-one needs equal sizes, got ${m} -> ${n}`);
      if (!oneToOne && m !== 1) throw new UserError(`${where}: one-to-all needs a pre group of size 1, got ${m}`);
      if (c.weights) throw new UserError(`${where}: per-synapse weights are only supported for all-to-all and sparse connections`);
      const offsets = new Uint32Array(m + 1);
      const targets = new Uint32Array(oneToOne ? n : n);
      if (oneToOne) for (let i = 0; i <= m; i++) offsets[i] = i;
      else offsets[1] = n;
      for (let j = 0; j < n; j++) targets[j] = j;
      const w = new Int16Array(n).fill(uniform);
      conn = { kind: 'sparse', offsets, targets, weights: w };
      count = n;
      kind = oneToOne ? 'one' : 'all';
    } else {
      const list = c.connectivity.sparse.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const offsets = new Uint32Array(m + 1);
      const targets = new Uint32Array(list.length);
      const w = new Int16Array(list.length);
      list.forEach(([i, j, x], k) => {
        if (!(i >= 0 && i < m && j >= 0 && j < n)) throw new UserError(`${where}: synapse ${k} (${i} -> ${j}) is outside ${m} x ${n}`);
        checkWeight(x, weightExp, signMode, numWeightBits, `${where} synapse ${k}`);
        offsets[i + 1]++;
        targets[k] = j;
        w[k] = x;
      });
      for (let i = 0; i < m; i++) offsets[i + 1] += offsets[i];
      conn = { kind: 'sparse', offsets, targets, weights: w };
      count = list.length;
      kind = 'sparse';
      perPost = list.length / n;
    }
    let learning: SynapseGroupSpec['learning'];
    if (c.learning) {
      const rule = parseLearningRule(c.learning.rule, where);
      const tEpoch = c.learning.tEpoch ?? 1;
      if (!(tEpoch >= 1 && tEpoch <= 63)) throw new UserError(`${where}: tEpoch ${tEpoch} outside 1..63`);
      let rewardChannel = 0;
      if (c.learning.rewardChannel !== undefined) {
        rewardChannel = rewardNames.indexOf(c.learning.rewardChannel);
        if (rewardChannel < 0) throw new UserError(`${where}: unknown reward channel '${c.learning.rewardChannel}'`);
      }
      learning = { rule, tEpoch, rewardChannel, x1: c.learning.x1, x2: c.learning.x2, y1: c.learning.y1, y2: c.learning.y2, y3: c.learning.y3 };
      plasticSynapses += count;
    }
    synapses += count;
    connIndex[name] = synapseGroups.length;
    synapseGroups.push({
      name,
      preStart: layout[c.pre].sourceStart,
      preSize: m,
      postStart: layout[c.post].start,
      postSize: n,
      connectivity: conn,
      weightExp,
      signMode,
      numWeightBits,
      delay,
      learning,
    });
    costs[c.post].inputs.push({ kind, preSize: m, bits: synapseBits(c, n), perPost });
  }

  // ---- placement
  const cxCore = new Uint16Array(numCx);
  const usedCx = new Float64Array(numCores);
  const usedBits = new Float64Array(numCores);
  const usedAxons = new Float64Array(numCores);
  const placement = opts.placement ?? 'pack';
  let nextCore = 0;
  for (const g of net.groups) {
    if (g.neuron === 'generator') continue;
    const base = layout[g.name].start;
    const gc = costs[g.name];
    if (placement === 'hint' && g.coreRange) {
      const [s, e] = g.coreRange;
      const per = Math.ceil(g.size / (e - s));
      for (let i = 0; i < g.size; i++) {
        const core = s + Math.floor(i / per);
        if (core >= numCores) throw new UserError(`group '${g.name}': placement hint needs core ${core}, but ${chips} chip(s) have ${numCores} cores`);
        cxCore[base + i] = core;
      }
      for (let core = s; core < e && (core - s) * per < g.size; core++) {
        const k = Math.min(per, g.size - (core - s) * per);
        const c = costOf(gc, k);
        usedCx[core] += k;
        usedBits[core] += c.bits;
        usedAxons[core] += c.axons;
      }
      continue;
    }
    // pack: fill the current core as far as every limit allows, then move on
    let placed = 0;
    while (placed < g.size) {
      if (nextCore >= numCores) throw notFit(g, placed, gc, limits, chips, numCores);
      const core = nextCore;
      const room = (k: number) => {
        const c = costOf(gc, k);
        return usedCx[core] + k <= limits.compartments && usedBits[core] + c.bits <= limits.synapseBits && usedAxons[core] + c.axons <= limits.inputAxons;
      };
      let lo = 0;
      let hi = Math.min(g.size - placed, limits.compartments - usedCx[core], caps[g.name] ?? Infinity);
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (room(mid)) lo = mid;
        else hi = mid - 1;
      }
      if (lo === 0) {
        if (usedCx[core] === 0) throw notFit(g, placed, gc, limits, chips, numCores);
        nextCore++;
        continue;
      }
      const c = costOf(gc, lo);
      for (let i = 0; i < lo; i++) cxCore[base + placed + i] = core;
      usedCx[core] += lo;
      usedBits[core] += c.bits;
      usedAxons[core] += c.axons;
      placed += lo;
      if (placed < g.size) nextCore++;
    }
    nextCore++;
  }

  // check every core (the hint placement can overfill one)
  for (let core = 0; core < numCores; core++) {
    const over = (what: string, need: number, have: number) =>
      new UserError(`core ${core} is over its ${what} limit: needs ${need.toLocaleString('en-US')}, has ${have.toLocaleString('en-US')} (groups: ${groupsOnCore(core)})`);
    if (usedCx[core] > limits.compartments) throw over('compartment', usedCx[core], limits.compartments);
    if (usedBits[core] > limits.synapseBits) throw over('synapse memory (bits)', usedBits[core], limits.synapseBits);
    if (usedAxons[core] > limits.inputAxons) throw over('input axon', usedAxons[core], limits.inputAxons);
  }
  function groupsOnCore(core: number): string {
    const names: string[] = [];
    for (const g of net.groups) {
      if (g.neuron === 'generator') continue;
      const l = layout[g.name];
      for (let i = 0; i < l.size; i++)
        if (cxCore[l.start + i] === core) {
          names.push(g.name);
          break;
        }
    }
    return names.join(', ');
  }

  // generators enter through core 0 (the host interface)
  const genCore = new Uint16Array(numGen);

  const rewardChannels = (net.rewardChannels ?? []).map((r) => ({
    name: r.name,
    sources: r.sources.flatMap((s) => {
      const l = layout[s.group];
      if (!l) throw new UserError(`reward channel '${r.name}': unknown group '${s.group}'`);
      if (s.index !== undefined) return [l.sourceStart + s.index];
      const out: number[] = [];
      for (let i = 0; i < l.size; i++) out.push(l.sourceStart + i);
      return out;
    }),
    r1: r.r1,
  }));

  const spec: ChipSpec = {
    numCompartments: numCx,
    prototypes,
    cxPrototype,
    cxCore,
    numGeneratorPorts: numGen,
    genCore,
    numCores,
    coresPerChip: limits.coresPerChip,
    mesh: { coresPerTile: limits.coresPerTile, tilesX: limits.tilesX, tilesY: limits.tilesY },
    synapseGroups,
    rewardChannels,
    ordering: opts.ordering ?? 'route-then-learn',
    kernel: opts.kernel ?? 'fast',
    rowSum: opts.rowSum,
    numBuckets: opts.numBuckets ?? 1,
    seed: opts.seed ?? 1,
  };
  // output axons: per core, the (source compartment, destination core) pairs
  const outAxons = new Float64Array(numCores);
  const destOf = new Float64Array(numCx);
  const seen = new Int32Array(numCores).fill(-1);
  const bySource: number[][] = [];
  for (let s = 0; s < numCx; s++) bySource.push([]);
  synapseGroups.forEach((g, gi) => {
    for (let i = 0; i < g.preSize; i++) if (g.preStart + i < numCx) bySource[g.preStart + i].push(gi);
  });
  for (let s = 0; s < numCx; s++) {
    for (const gi of bySource[s]) {
      const g = synapseGroups[gi];
      const i = s - g.preStart;
      const mark = (j: number) => {
        const core = cxCore[g.postStart + j];
        if (seen[core] !== s) {
          seen[core] = s;
          outAxons[cxCore[s]]++;
          destOf[s]++;
        }
      };
      const c = g.connectivity;
      if (c.kind === 'dense') for (let j = 0; j < g.postSize; j++) mark(j);
      else for (let k = c.offsets[i]; k < c.offsets[i + 1]; k++) mark(c.targets[k]);
    }
  }
  for (let core = 0; core < numCores; core++) {
    if (outAxons[core] <= limits.outputAxons) continue;
    const message = `core ${core} is over its output axon limit: needs ${outAxons[core]}, has ${limits.outputAxons} (groups: ${groupsOnCore(core)})`;
    // the group on this core whose compartments send to the most cores
    let worst = '';
    let worstDest = 0;
    for (const g of net.groups) {
      if (g.neuron === 'generator' || (placement === 'hint' && g.coreRange)) continue;
      const l = layout[g.name];
      for (let i = 0; i < l.size; i++)
        if (cxCore[l.start + i] === core && destOf[l.start + i] > worstDest) {
          worstDest = destOf[l.start + i];
          worst = g.name;
        }
    }
    if (!worst) throw new UserError(message);
    throw new OutputAxonOverflow(worst, Math.floor(limits.outputAxons / worstDest), message);
  }

  const coreUsage: NetworkStats['coreUsage'] = [];
  for (let core = 0; core < numCores; core++) {
    if (usedCx[core] > 0) coreUsage.push({ core, compartments: usedCx[core], synapseBits: usedBits[core], inputAxons: usedAxons[core], outputAxons: outAxons[core] });
  }

  return {
    spec,
    groups: layout,
    connections: connIndex,
    stats: { compartments: numCx, generatorPorts: numGen, synapses, plasticSynapses, cores: coreUsage.length, chips, coreUsage },
  };
}

function notFit(g: GroupDesc, placed: number, gc: GroupCost, limits: CoreLimits, chips: number, numCores: number): UserError {
  // how many compartments of this group one empty core can hold, and which limit binds
  let best = 0;
  let binding = 'compartments';
  for (let k = 1; k <= limits.compartments; k++) {
    const c = costOf(gc, k);
    if (c.bits > limits.synapseBits) {
      binding = `synapse memory (${costOf(gc, 1).bits.toLocaleString('en-US')}+ bits per compartment, ${limits.synapseBits.toLocaleString('en-US')} bits per core)`;
      break;
    }
    if (c.axons > limits.inputAxons) {
      binding = `input axons (${c.axons} needed, ${limits.inputAxons} per core)`;
      break;
    }
    best = k;
  }
  if (best === 0) {
    return new UserError(`group '${g.name}': one compartment does not fit on an empty core; the binding limit is ${binding}`);
  }
  const remaining = g.size - placed;
  const needCores = Math.ceil(remaining / best);
  return new UserError(
    `network does not fit on ${chips} chip(s) (${numCores} cores): group '${g.name}' still has ${remaining.toLocaleString('en-US')} of ${g.size.toLocaleString('en-US')} compartments to place and needs ${needCores} more cores (at most ${best} of its compartments fit on one core; binding limit: ${binding}); all ${numCores} cores are used. Try a smaller network or more chips (--chips N).`,
  );
}

function checkNeuron(n: CompartmentPrototype, group: string): void {
  const where = `group '${group}'`;
  const int = (x: number) => Math.floor(x) === x;
  if (!(n.vthMant >= 0 && n.vthMant <= 131071 && int(n.vthMant))) throw new UserError(`${where}: vthMant ${n.vthMant} outside 0..131071`);
  if (!(n.decayU >= 0 && n.decayU <= 4096 && int(n.decayU))) throw new UserError(`${where}: decayU ${n.decayU} outside 0..4096`);
  if (!(n.decayV >= 0 && n.decayV <= 4096 && int(n.decayV))) throw new UserError(`${where}: decayV ${n.decayV} outside 0..4096`);
  if (!(n.biasMant >= -4096 && n.biasMant <= 4095 && int(n.biasMant))) throw new UserError(`${where}: bias mantissa ${n.biasMant} outside -4096..4095`);
  if (!(n.biasExp >= 0 && n.biasExp <= 7 && int(n.biasExp))) throw new UserError(`${where}: bias exponent ${n.biasExp} outside 0..7`);
  if (!(n.refractoryDelay >= 1 && n.refractoryDelay <= 63 && int(n.refractoryDelay))) throw new UserError(`${where}: refractory delay ${n.refractoryDelay} outside 1..63`);
}
