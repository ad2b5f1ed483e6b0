/**
 * Network files: a versioned JSON description of a network and the spikes fed into it
 * ("format": "synfire-network/1", documented in docs/network-file.md). Parsing checks every
 * field and names it by its path ("connections[3].delay: 70 is above the chip's 62"); the
 * compiler (./compile) then checks what depends on placement (memory, axons) before anything
 * runs. The result maps onto the description types of ./network (NetworkDesc, GroupDesc,
 * ConnectionDesc, ...).
 *
 * Portable: no Node APIs. The caller reads the file's text.
 */
import { BIAS_EXP_MAX, BIAS_MANT_MAX, BIAS_MANT_MIN, DECAY_ONE, DELAY_MAX, REFRACTORY_MAX, VTH_MANT_MAX } from '../chip/arith';
import { parseLearningRule } from '../chip/learning-rule';
import type { StepOrdering } from '../chip/spec';
import { SIGN_MODES, WEIGHT_EXP_MAX, WEIGHT_EXP_MIN, type SignMode } from '../chip/weights';
import { UserError } from '../errors';
import type { ConnectionDesc, GroupDesc, LearningDesc, NetworkDesc, NeuronType, RewardChannelDesc } from './network';

export const NETWORK_FORMAT = 'synfire-network/1';

/** Learning epochs are 1..63 steps long. */
const T_EPOCH_MAX = 63;

/** Neuron parameters as written in a file (the name comes from the key or the group). */
export interface NeuronParams {
  vthMant: number;
  decayU: number;
  decayV: number;
  biasMant?: number;
  biasExp?: number;
  refractoryDelay?: number;
}

/** A connection as written in a file: ConnectionDesc with per-synapse weights as rows. */
export interface ConnectionEntry extends Omit<ConnectionDesc, 'weights'> {
  /** Per-synapse mantissas of an all-to-all connection: one row per post, one entry per pre. */
  weights?: number[][];
}

/** Spikes a host generator group sends: [step, member index] pairs. */
export interface InputEntry {
  group: string;
  spikes: Array<[number, number]>;
}

/** The file as JSON. */
export interface NetworkFile {
  format: typeof NETWORK_FORMAT;
  name: string;
  description?: string;
  /** Named neuron types that groups refer to by name. */
  neurons?: Record<string, NeuronParams>;
  groups: Array<{ name: string; size: number; neuron: string | NeuronParams; coreRange?: [number, number] }>;
  connections: ConnectionEntry[];
  rewardChannels?: RewardChannelDesc[];
  inputs?: InputEntry[];
  /** Steps to run when the command line does not say (default: the last input step + 10). */
  steps?: number;
  /** Steps per sample: the counters are kept per step of a sample (default: the whole run is one sample). */
  stepsPerSample?: number;
  /** Steps that run before counting starts (e.g. starting a gating ring); the counters are cleared after them. */
  startupSteps?: number;
  /** 'hint' (default) places groups with a coreRange there and packs the rest; 'pack' packs all. */
  placement?: 'hint' | 'pack' | 'spread';
  ordering?: StepOrdering;
  /** Seed of the learning engine's stochastic rounding (default 1). */
  seed?: number;
}

/** One input spike: member `index` of generator group `group` spikes at `step`. */
export interface InputSpike {
  step: number;
  group: string;
  index: number;
}

/** A parsed, checked network file. */
export interface LoadedNetwork {
  desc: NetworkDesc;
  /** Input spikes sorted by step (then by file order). */
  inputs: InputSpike[];
  /** Steps to run by default. */
  steps: number;
  stepsPerSample: number | null;
  startupSteps: number;
  placement: 'hint' | 'pack' | 'spread';
  ordering: StepOrdering;
  seed: number;
}

type Json = unknown;

/** Reads one JSON value and reports mistakes with its path. */
class Field {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: Json,
  ) {}

  fail(msg: string): never {
    throw new UserError(`${this.file}: ${this.path}: ${msg}`);
  }

  at(key: string | number): Field {
    const path = typeof key === 'number' ? `${this.path}[${key}]` : this.path === '' ? key : `${this.path}.${key}`;
    const v = this.value as Record<string, Json>;
    return new Field(this.file, path, v[key as string]);
  }

  has(key: string): boolean {
    return (this.value as Record<string, Json>)[key] !== undefined;
  }

  object(keys: string[]): Field {
    const v = this.value;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(`expected an object, got ${describe(v)}`);
    for (const k in v as Record<string, Json>) {
      if (keys.indexOf(k) < 0) this.at(k).fail(`unknown field (expected one of ${keys.join(', ')})`);
    }
    return this;
  }

  array(): Field[] {
    if (!Array.isArray(this.value)) this.fail(`expected an array, got ${describe(this.value)}`);
    const out: Field[] = [];
    for (let i = 0; i < (this.value as Json[]).length; i++) out.push(this.at(i));
    return out;
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value.length === 0) this.fail(`expected a non-empty string, got ${describe(this.value)}`);
    return this.value as string;
  }

  number(): number {
    if (typeof this.value !== 'number' || !isFinite(this.value)) this.fail(`expected a number, got ${describe(this.value)}`);
    return this.value as number;
  }

  /** An integer in [min, max]; `what` names the limit in the message. */
  int(min: number, max: number, what = ''): number {
    const v = this.number();
    if (Math.floor(v) !== v) this.fail(`${v} is not an integer`);
    if (v < min) this.fail(`${v} is below ${what ? what + "'s " : ''}${min}`);
    if (v > max) this.fail(`${v} is above ${what ? what + "'s " : ''}${max}`);
    return v;
  }

  /** A member index of a group of `size`. */
  member(size: number, group: string): number {
    const v = this.number();
    if (Math.floor(v) !== v || v < 0 || v >= size) this.fail(`${v} is not a member of group '${group}' (0..${size - 1})`);
    return v;
  }

  choice<T extends string>(choices: readonly T[]): T {
    const v = this.value;
    if (typeof v !== 'string' || choices.indexOf(v as T) < 0) this.fail(`expected one of ${choices.join(', ')}, got ${describe(v)}`);
    return v as T;
  }
}

function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  return String(v);
}

const NEURON_KEYS = ['vthMant', 'decayU', 'decayV', 'biasMant', 'biasExp', 'refractoryDelay'];

function neuronParams(f: Field, name: string): NeuronType {
  f.object(NEURON_KEYS);
  return {
    name,
    vthMant: f.at('vthMant').int(0, VTH_MANT_MAX, 'the chip'),
    decayU: f.at('decayU').int(0, DECAY_ONE, 'the chip'),
    decayV: f.at('decayV').int(0, DECAY_ONE, 'the chip'),
    biasMant: f.has('biasMant') ? f.at('biasMant').int(BIAS_MANT_MIN, BIAS_MANT_MAX, 'the chip') : 0,
    biasExp: f.has('biasExp') ? f.at('biasExp').int(0, BIAS_EXP_MAX, 'the chip') : 0,
    refractoryDelay: f.has('refractoryDelay') ? f.at('refractoryDelay').int(1, REFRACTORY_MAX, 'the chip') : 1,
  };
}

function trace(f: Field): { impulse: number; tau: number } {
  f.object(['impulse', 'tau']);
  return { impulse: f.at('impulse').int(0, 127 * 256, 'the trace'), tau: f.at('tau').int(0, 1 << 20) };
}

const TRACE_NAMES = ['x1', 'x2', 'y1', 'y2', 'y3'] as const;

function learning(f: Field, rewardNames: string[]): LearningDesc {
  f.object(['rule', 'tEpoch', 'rewardChannel', 'roundingStream', 'x1', 'x2', 'y1', 'y2', 'y3']);
  const rule = f.at('rule').string();
  try {
    parseLearningRule(rule);
  } catch (e) {
    f.at('rule').fail(e instanceof Error ? e.message : String(e));
  }
  const out: LearningDesc = { rule };
  if (f.has('tEpoch')) out.tEpoch = f.at('tEpoch').int(1, T_EPOCH_MAX, 'the chip');
  if (f.has('rewardChannel')) {
    const r = f.at('rewardChannel');
    const name = r.string();
    if (rewardNames.indexOf(name) < 0) r.fail(`no reward channel is named '${name}'${rewardNames.length ? ` (channels: ${rewardNames.join(', ')})` : ''}`);
    out.rewardChannel = name;
  }
  if (f.has('roundingStream')) out.roundingStream = f.at('roundingStream').string();
  for (const t of TRACE_NAMES) if (f.has(t)) out[t] = trace(f.at(t));
  return out;
}

const CONNECTION_KEYS = ['name', 'pre', 'post', 'connectivity', 'weight', 'weights', 'weightExp', 'signMode', 'numWeightBits', 'delay', 'learning'];

/** Parse and check a network file. `fileName` prefixes every error. */
export function parseNetworkFile(text: string, fileName: string): LoadedNetwork {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${fileName}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return networkFromJson(json, fileName);
}

/** Check a network file already parsed from JSON (e.g. an object built in code). */
export function networkFromJson(json: Json, fileName = 'network'): LoadedNetwork {
  const root = new Field(fileName, '', json);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UserError(`${fileName}: expected a JSON object, got ${describe(json)}`);
  const fmt = root.at('format');
  if (fmt.value !== NETWORK_FORMAT) fmt.fail(`expected "${NETWORK_FORMAT}", got ${describe(fmt.value)}`);
  root.object(['format', 'name', 'description', 'neurons', 'groups', 'connections', 'rewardChannels', 'inputs', 'steps', 'stepsPerSample', 'startupSteps', 'placement', 'ordering', 'seed']);
  const name = root.at('name').string();
  if (root.has('description')) root.at('description').string();

  // neuron types
  const types: Record<string, NeuronType> = {};
  if (root.has('neurons')) {
    const nf = root.at('neurons');
    nf.object(Object.keys(nf.value as object));
    for (const k of Object.keys(nf.value as object)) {
      if (k === 'generator') nf.at(k).fail("'generator' is reserved for host spike generators");
      types[k] = neuronParams(nf.at(k), k);
    }
  }

  // groups
  const groups: GroupDesc[] = [];
  const sizes: Record<string, number> = {};
  const generators: Record<string, boolean> = {};
  const gf = root.at('groups').array();
  if (gf.length === 0) root.at('groups').fail('a network needs at least one group');
  gf.forEach((g) => {
    g.object(['name', 'size', 'neuron', 'coreRange']);
    const gname = g.at('name').string();
    if (sizes[gname] !== undefined) g.at('name').fail(`group '${gname}' is defined twice`);
    const size = g.at('size').int(1, 1 << 24);
    const nv = g.at('neuron');
    let neuron: NeuronType | 'generator';
    if (nv.value === 'generator') neuron = 'generator';
    else if (typeof nv.value === 'string') {
      const t = types[nv.value];
      if (!t) nv.fail(`no neuron type is named '${nv.value}' (define it under "neurons", or write "generator" for host input)`);
      neuron = t;
    } else neuron = neuronParams(nv, gname);
    const desc: GroupDesc = { name: gname, size, neuron };
    if (g.has('coreRange')) {
      const cr = g.at('coreRange');
      const parts = cr.array();
      if (parts.length !== 2) cr.fail(`expected [first core, end core), got ${parts.length} numbers`);
      const s = parts[0].int(0, 1 << 20);
      const e = parts[1].int(s + 1, 1 << 20);
      desc.coreRange = [s, e];
    }
    sizes[gname] = size;
    generators[gname] = neuron === 'generator';
    groups.push(desc);
  });
  const groupRef = (f: Field): string => {
    const n = f.string();
    if (sizes[n] === undefined) f.fail(`no group is named '${n}'`);
    return n;
  };

  // reward channels
  const rewardChannels: RewardChannelDesc[] = [];
  if (root.has('rewardChannels')) {
    root.at('rewardChannels').array().forEach((r) => {
      r.object(['name', 'sources', 'r1']);
      const ch: RewardChannelDesc = { name: r.at('name').string(), sources: [] };
      r.at('sources').array().forEach((s) => {
        s.object(['group', 'index']);
        const g = groupRef(s.at('group'));
        const src: { group: string; index?: number } = { group: g };
        if (s.has('index')) src.index = s.at('index').member(sizes[g], g);
        ch.sources.push(src);
      });
      if (r.has('r1')) ch.r1 = trace(r.at('r1'));
      rewardChannels.push(ch);
    });
  }
  const rewardNames = rewardChannels.map((r) => r.name);

  // connections
  const connections: ConnectionDesc[] = [];
  root.at('connections').array().forEach((c) => {
    c.object(CONNECTION_KEYS);
    const pre = groupRef(c.at('pre'));
    const post = groupRef(c.at('post'));
    if (generators[post]) c.at('post').fail(`group '${post}' is a spike generator and cannot receive synapses`);
    const m = sizes[pre];
    const n = sizes[post];
    const desc: ConnectionDesc = { pre, post, connectivity: 'one-to-one' };
    if (c.has('name')) desc.name = c.at('name').string();
    const cf = c.at('connectivity');
    if (typeof cf.value === 'string') {
      desc.connectivity = cf.choice(['one-to-one', 'all-to-all', 'one-to-all'] as const);
      if (desc.connectivity === 'one-to-one' && m !== n) cf.fail(`one-to-one needs groups of equal size, got ${pre} (${m}) -> ${post} (${n})`);
      if (desc.connectivity === 'one-to-all' && m !== 1) cf.fail(`one-to-all needs a pre group of size 1, got ${pre} (${m})`);
    } else {
      cf.object(['sparse']);
      const syn: Array<[number, number, number]> = [];
      cf.at('sparse').array().forEach((s) => {
        const t = s.array();
        if (t.length !== 3) s.fail(`expected [pre index, post index, weight mantissa], got ${t.length} numbers`);
        syn.push([t[0].member(m, pre), t[1].member(n, post), t[2].int(-256, 255, 'a mantissa')]);
      });
      desc.connectivity = { sparse: syn };
    }
    if (c.has('signMode')) desc.signMode = c.at('signMode').choice(SIGN_MODES) as SignMode;
    if (c.has('numWeightBits')) desc.numWeightBits = c.at('numWeightBits').int(1, 8, 'the chip');
    if (c.has('weightExp')) desc.weightExp = c.at('weightExp').int(WEIGHT_EXP_MIN, WEIGHT_EXP_MAX, 'the chip');
    if (c.has('delay')) desc.delay = c.at('delay').int(0, DELAY_MAX, 'the chip');
    if (c.has('weight')) {
      if (typeof desc.connectivity === 'object') c.at('weight').fail('a sparse connection gives each synapse its mantissa; leave out "weight"');
      desc.weight = c.at('weight').number();
    }
    if (c.has('weights')) {
      const wf = c.at('weights');
      if (desc.connectivity !== 'all-to-all') wf.fail('per-synapse weights need "connectivity": "all-to-all"');
      if (c.has('weight')) wf.fail('give "weight" (one for all synapses) or "weights", not both');
      const rows = wf.array();
      if (rows.length !== n) wf.fail(`expected ${n} rows (one per member of '${post}'), got ${rows.length}`);
      const flat = new Array<number>(m * n);
      rows.forEach((r, j) => {
        const row = r.array();
        if (row.length !== m) r.fail(`expected ${m} weights (one per member of '${pre}'), got ${row.length}`);
        for (let i = 0; i < m; i++) flat[j * m + i] = row[i].int(-256, 255, 'a mantissa');
      });
      desc.weights = flat;
    }
    if (desc.weight === undefined && desc.weights === undefined && typeof desc.connectivity !== 'object') {
      c.fail('needs "weight" (weight units, for every synapse) or, for all-to-all, "weights" (mantissas, post x pre)');
    }
    if (c.has('learning')) desc.learning = learning(c.at('learning'), rewardNames);
    connections.push(desc);
  });

  // inputs
  const inputs: InputSpike[] = [];
  let lastInput = 0;
  if (root.has('inputs')) {
    root.at('inputs').array().forEach((inp) => {
      inp.object(['group', 'spikes']);
      const g = groupRef(inp.at('group'));
      if (!generators[g]) inp.at('group').fail(`group '${g}' is not a spike generator ("neuron": "generator"); only generators take input spikes`);
      inp.at('spikes').array().forEach((s) => {
        const t = s.array();
        if (t.length !== 2) s.fail(`expected [step, index], got ${t.length} numbers`);
        const step = t[0].int(1, 1 << 30, 'the first step');
        const index = t[1].member(sizes[g], g);
        inputs.push({ step, group: g, index });
        if (step > lastInput) lastInput = step;
      });
    });
  }
  // stable sort by step
  const order = inputs.map((_, i) => i);
  order.sort((a, b) => inputs[a].step - inputs[b].step || a - b);
  const sorted = order.map((i) => inputs[i]);

  const steps = root.has('steps') ? root.at('steps').int(1, 1 << 30) : lastInput + 10;
  const stepsPerSample = root.has('stepsPerSample') ? root.at('stepsPerSample').int(1, 1 << 16) : null;
  const startupSteps = root.has('startupSteps') ? root.at('startupSteps').int(0, steps - 1, 'the run') : 0;
  const placement = root.has('placement') ? root.at('placement').choice(['hint', 'pack', 'spread'] as const) : 'hint';
  const ordering = root.has('ordering') ? root.at('ordering').choice(['route-then-learn', 'learn-then-route'] as const) : 'route-then-learn';
  const seed = root.has('seed') ? root.at('seed').int(0, 4294967295) : 1;
  const desc: NetworkDesc = { name, groups, connections };
  if (rewardChannels.length > 0) desc.rewardChannels = rewardChannels;
  return { desc, inputs: sorted, steps, stepsPerSample, startupSteps, placement, ordering, seed };
}

/**
 * A network description (and its inputs) as a network file. Neuron types shared by several
 * groups are written once under "neurons", by their name.
 */
export function networkFileFrom(
  desc: NetworkDesc,
  extra: { inputs?: InputSpike[]; steps?: number; stepsPerSample?: number; startupSteps?: number; placement?: 'hint' | 'pack' | 'spread'; ordering?: StepOrdering; seed?: number; description?: string } = {},
): NetworkFile {
  const neurons: Record<string, NeuronParams> = {};
  const groups: NetworkFile['groups'] = [];
  for (const g of desc.groups) {
    let neuron: string | NeuronParams;
    if (g.neuron === 'generator') neuron = 'generator';
    else {
      const p = g.neuron;
      const params: NeuronParams = { vthMant: p.vthMant, decayU: p.decayU, decayV: p.decayV, biasMant: p.biasMant, biasExp: p.biasExp, refractoryDelay: p.refractoryDelay };
      const prev = neurons[p.name];
      if (prev === undefined && p.name !== 'generator') {
        neurons[p.name] = params;
        neuron = p.name;
      } else if (prev !== undefined && JSON.stringify(prev) === JSON.stringify(params)) neuron = p.name;
      else neuron = params;
    }
    const e: NetworkFile['groups'][number] = { name: g.name, size: g.size, neuron };
    if (g.coreRange) e.coreRange = [g.coreRange[0], g.coreRange[1]];
    groups.push(e);
  }
  const connections: ConnectionEntry[] = desc.connections.map((c) => {
    const e: ConnectionEntry = { ...c, weights: undefined };
    delete e.weights;
    if (c.weights) {
      const m = groupSize(desc, c.pre);
      const n = groupSize(desc, c.post);
      const rows: number[][] = [];
      for (let j = 0; j < n; j++) {
        const row: number[] = [];
        for (let i = 0; i < m; i++) row.push(c.weights[j * m + i]);
        rows.push(row);
      }
      e.weights = rows;
    }
    return e;
  });
  // (built key by key so that the JSON keeps this order)
  const file = { format: NETWORK_FORMAT, name: desc.name } as NetworkFile;
  if (extra.description) file.description = extra.description;
  if (Object.keys(neurons).length > 0) file.neurons = neurons;
  file.groups = groups;
  file.connections = connections;
  if (desc.rewardChannels && desc.rewardChannels.length > 0) file.rewardChannels = desc.rewardChannels;
  if (extra.inputs && extra.inputs.length > 0) {
    const byGroup: Record<string, Array<[number, number]>> = {};
    const names: string[] = [];
    for (const s of extra.inputs) {
      if (!byGroup[s.group]) {
        byGroup[s.group] = [];
        names.push(s.group);
      }
      byGroup[s.group].push([s.step, s.index]);
    }
    file.inputs = names.map((g) => ({ group: g, spikes: byGroup[g] }));
  }
  if (extra.steps !== undefined) file.steps = extra.steps;
  if (extra.stepsPerSample !== undefined) file.stepsPerSample = extra.stepsPerSample;
  if (extra.startupSteps !== undefined) file.startupSteps = extra.startupSteps;
  if (extra.placement !== undefined) file.placement = extra.placement;
  if (extra.ordering !== undefined) file.ordering = extra.ordering;
  if (extra.seed !== undefined) file.seed = extra.seed;
  return file;
}

function groupSize(desc: NetworkDesc, name: string): number {
  for (const g of desc.groups) if (g.name === name) return g.size;
  throw new Error(`networkFileFrom: no group '${name}'`);
}

/**
 * JSON text of a network file: one line per group, connection and input entry (weight rows
 * one per line), so files diff well and stay readable.
 */
export function networkFileToJson(file: NetworkFile): string {
  const lines: string[] = ['{'];
  const keys = Object.keys(file) as Array<keyof NetworkFile>;
  keys.forEach((k, ki) => {
    const v = file[k];
    const comma = ki < keys.length - 1 ? ',' : '';
    if (Array.isArray(v) && (k === 'groups' || k === 'connections' || k === 'inputs' || k === 'rewardChannels')) {
      lines.push(`  ${JSON.stringify(k)}: [`);
      (v as unknown[]).forEach((item, i) => {
        const ic = i < (v as unknown[]).length - 1 ? ',' : '';
        const w = (item as { weights?: number[][] }).weights;
        if (k === 'connections' && Array.isArray(w)) {
          const rest = { ...(item as object), weights: undefined } as Record<string, unknown>;
          delete rest.weights;
          const head = JSON.stringify(rest);
          lines.push(`    ${head.slice(0, -1)}, "weights": [`);
          w.forEach((row, j) => lines.push(`      ${JSON.stringify(row)}${j < w.length - 1 ? ',' : ''}`));
          lines.push(`    ]}${ic}`);
        } else lines.push(`    ${JSON.stringify(item)}${ic}`);
      });
      lines.push(`  ]${comma}`);
    } else if (k === 'neurons' && v) {
      lines.push(`  "neurons": {`);
      const names = Object.keys(v as object);
      names.forEach((n, i) => lines.push(`    ${JSON.stringify(n)}: ${JSON.stringify((v as Record<string, unknown>)[n])}${i < names.length - 1 ? ',' : ''}`));
      lines.push(`  }${comma}`);
    } else lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}
