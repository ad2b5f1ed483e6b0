/**
 * Compiler stage 2, encode: turn the description's neuron parameters and weights into the
 * chip's integer formats. Neuron types become compartment prototypes (each field checked
 * against its register width); a uniform weight goes through the mantissa/exponent search
 * and must be exact; per-synapse mantissas must be storable in their sign mode; learning
 * rules are parsed; reward channels become lists of source ids. Also records what each
 * group's incoming synapses will cost on a core, for placement.
 */
import { DELAY_MAX } from '../chip/arith';
import { parseLearningRule } from '../chip/learning-rule';
import type { CompartmentPrototype, Connectivity, RewardChannelSpec, SynapseGroupSpec } from '../chip/spec';
import { checkWeight, encodeWeight, type SignMode } from '../chip/weights';
import { UserError } from '../errors';
import type { Described } from './describe';
import type { ConnectionDesc } from './network';
import { synapseBits, type GroupCost, type InputCost } from './synapse-memory';

/** The network in the chip's integer formats, not yet placed. */
export interface Encoded {
  prototypes: CompartmentPrototype[];
  /** Prototype index of every compartment. */
  cxPrototype: Uint16Array;
  synapseGroups: SynapseGroupSpec[];
  /** Synapse group index by connection name. */
  connections: Record<string, number>;
  rewardChannels: RewardChannelSpec[];
  /** Per group: its incoming connections' storage (synapse-memory.ts). */
  costs: Record<string, GroupCost>;
  synapses: number;
  plasticSynapses: number;
}

export function connName(c: ConnectionDesc): string {
  return c.name ?? `${c.pre}->${c.post}`;
}

/**
 * `shapeOnly`: all-to-all connections given no per-synapse weights get an empty weight array
 * instead of one per synapse (their sizes are in the spec), so a memory plan can read the
 * network's shape without allocating its weights. Such a spec must never be built into a Chip.
 */
export function encode(d: Described, shapeOnly = false): Encoded {
  const { prototypes, cxPrototype } = encodeNeurons(d);
  const out: Encoded = { prototypes, cxPrototype, synapseGroups: [], connections: {}, rewardChannels: [], costs: {}, synapses: 0, plasticSynapses: 0 };
  for (const g of d.net.groups) out.costs[g.name] = { inputs: [] };
  const rewardNames = (d.net.rewardChannels ?? []).map((r) => r.name);
  for (const c of d.net.connections) encodeConnection(d, c, rewardNames, out, shapeOnly);
  out.rewardChannels = encodeRewardChannels(d);
  return out;
}

/** One prototype per distinct neuron type, and each compartment's prototype index. */
function encodeNeurons(d: Described): { prototypes: CompartmentPrototype[]; cxPrototype: Uint16Array } {
  const prototypes: CompartmentPrototype[] = [];
  const protoIndex: Record<string, number> = {};
  const cxPrototype = new Uint16Array(d.numCompartments);
  for (const g of d.net.groups) {
    if (g.neuron === 'generator') continue;
    const n = g.neuron;
    checkNeuron(n, g.name);
    const key = JSON.stringify(n);
    if (protoIndex[key] === undefined) {
      protoIndex[key] = prototypes.length;
      prototypes.push(n);
    }
    cxPrototype.fill(protoIndex[key], d.layout[g.name].start, d.layout[g.name].start + g.size);
  }
  return { prototypes, cxPrototype };
}

function encodeConnection(d: Described, c: ConnectionDesc, rewardNames: string[], out: Encoded, shapeOnly: boolean): void {
  const name = connName(c);
  const where = `connection '${name}'`;
  if (out.connections[name] !== undefined) throw new UserError(`${where} is defined twice`);
  const pre = d.byName[c.pre];
  const post = d.byName[c.post];
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
  const { conn, count, kind, perPost } = encodeConnectivity(c, where, m, n, uniform, weightExp, signMode, numWeightBits, shapeOnly);
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
    learning = { rule, tEpoch, rewardChannel, roundingStream: c.learning.roundingStream, x1: c.learning.x1, x2: c.learning.x2, y1: c.learning.y1, y2: c.learning.y2, y3: c.learning.y3 };
    out.plasticSynapses += count;
  }
  out.synapses += count;
  out.connections[name] = out.synapseGroups.length;
  out.synapseGroups.push({
    name,
    preStart: d.layout[c.pre].sourceStart,
    preSize: m,
    postStart: d.layout[c.post].start,
    postSize: n,
    connectivity: conn,
    weightExp,
    signMode,
    numWeightBits,
    delay,
    learning,
  });
  out.costs[c.post].inputs.push({ kind, preSize: m, bits: synapseBits(c, n), perPost });
}

/** The synapse table of one connection: dense pre-major weights, or CSR lists by pre. */
function encodeConnectivity(
  c: ConnectionDesc,
  where: string,
  m: number,
  n: number,
  uniform: number,
  weightExp: number,
  signMode: SignMode,
  numWeightBits: number,
  shapeOnly: boolean,
): { conn: Connectivity; count: number; kind: InputCost['kind']; perPost: number } {
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
    return { conn: { kind: 'dense', weights: w }, count: m * n, kind: 'dense', perPost: 0 };
  }
  if (c.connectivity === 'one-to-one' || c.connectivity === 'one-to-all') {
    const oneToOne = c.connectivity === 'one-to-one';
    if (oneToOne && m !== n) throw new UserError(`${where}: one-to-one needs equal sizes, got ${m} -> ${n}`);
    if (!oneToOne && m !== 1) throw new UserError(`${where}: one-to-all needs a pre group of size 1, got ${m}`);
    if (c.weights) throw new UserError(`${where}: per-synapse weights are only supported for all-to-all and sparse connections`);
    const offsets = new Uint32Array(m + 1);
    const targets = new Uint32Array(n);
    if (oneToOne) for (let i = 0; i <= m; i++) offsets[i] = i;
    else offsets[1] = n;
    for (let j = 0; j < n; j++) targets[j] = j;
    const w = new Int16Array(n).fill(uniform);
    return { conn: { kind: 'sparse', offsets, targets, weights: w }, count: n, kind: oneToOne ? 'one' : 'all', perPost: 0 };
  }
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
  return { conn: { kind: 'sparse', offsets, targets, weights: w }, count: list.length, kind: 'sparse', perPost: list.length / n };
}

function encodeRewardChannels(d: Described): RewardChannelSpec[] {
  return (d.net.rewardChannels ?? []).map((r) => ({
    name: r.name,
    sources: r.sources.flatMap((s) => {
      const l = d.layout[s.group];
      if (!l) throw new UserError(`reward channel '${r.name}': unknown group '${s.group}'`);
      if (s.index !== undefined) return [l.sourceStart + s.index];
      const out: number[] = [];
      for (let i = 0; i < l.size; i++) out.push(l.sourceStart + i);
      return out;
    }),
    r1: r.r1,
  }));
}

/** Every neuron field within its register (docs/chip-model.md, "Compartment update"). */
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
