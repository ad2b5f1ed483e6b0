/**
 * The memory plan of the sBP network on a microcontroller board (one hidden layer, or several:
 * `hiddenLayers`, the training network of docs/deep.md): like a linker map, every
 * array the chip model keeps, grouped into named items (weights, compartment state, spike
 * queues, learning state, counters, buffers), plus the compiled bundle and the engine's
 * own structures, against the heap the board leaves to the engine. docs/device.md
 * ("Memory plan") explains the items.
 *
 * The typed-array figures come from the compiled network (its ChipSpec: group sizes, delays,
 * connectivity, placement; compiled shape only, without weights or a Chip) through the per-array formulas of chipArrays below, which mirror
 * what src/chip allocates; test/plan.test.ts checks their total against the byteLength of
 * every typed array reachable from a built network. Portable: no Node APIs.
 */
import { BOARDS, mcuBoardNames, type BoardProfile, type EngineName } from '../boards/profiles';
import { effectiveBias, saturateV, thresholdUnits, wrap24 } from '../src/chip/arith';
import { NUM_CORE_OPS, NUM_OPS } from '../src/chip/counters';
import { ruleUses } from '../src/chip/learning-rule';
import type { ChipSpec, SynapseGroupSpec } from '../src/chip/spec';
import { UserError } from '../src/errors';
import { compileSpec, type CompiledSpec } from '../src/net/compile';
import { deepMatrices, deepPhases, deepSchedule, deepTrainingNetwork } from '../src/sbp/deep';
import type { Gating } from '../src/sbp/gating';
import { inferenceSchedule, requireHeadroom, trainingSchedule } from '../src/sbp/headroom';
import { INFER_GATES } from '../src/sbp/params';
import { inferenceNetwork, PLASTIC_CONNECTIONS, PLASTIC_NAMES, trainingNetwork, type SbpSizes } from '../src/sbp/topology';
import { placeOrSpread, stepOrdering, TRAIN_BUCKETS, type CorePlacement } from '../src/sbp/training';
import { ENGINES, type EngineProfile } from './engines';

export type PlanMode = 'train' | 'infer';
export type PlanCategory = 'weights' | 'compartments' | 'queues' | 'learning' | 'counters' | 'buffers' | 'bundle' | 'engine';

export interface PlanItem {
  name: string;
  category: PlanCategory;
  bytes: number;
  detail?: string;
}

export interface MemoryPlan {
  board: string;
  mode: PlanMode;
  /** For several hidden layers, `hidden` is the first; `layers` has them all. */
  sizes: { input: number; hidden: number; output: number };
  /** Every layer's size: [input, hidden..., output]. */
  layers: number[];
  items: PlanItem[];
  totalBytes: number;
  budgetBytes: number;
  fits: boolean;
  largest: PlanItem;
}

export interface PlanOptions {
  board: string;
  mode: PlanMode;
  sizes: { input: number; hidden: number; output: number };
  /** Several hidden layers (training only): their sizes; `sizes.hidden` is then ignored. */
  hiddenLayers?: number[];
  /** Size of the firmware bundle the engine loads (default DEFAULT_BUNDLE_BYTES for the board's engine). */
  bundleBytes?: number;
  /** The engine the firmware runs in (default: the board's first); one of the board's engines. */
  engine?: EngineName;
  /** 'js' (default): the chip's fast kernel with the portable row-sum, as bundles run it; 'naive': the reference kernel. */
  kernel?: 'js' | 'naive';
  /** Device storage (ChipSpec.lean), as the firmware builds it (default true); false: the chip as Node builds it. */
  lean?: boolean;
  /** The gating (default 'paper', as FirmwareConfig's). */
  gating?: Gating;
}

/**
 * Bundle size used when the caller does not give one, by the language level the engine
 * loads: the sizes of the minified dist/boards/<board>/firmware.js (ES2020, QuickJS) and
 * firmware.es5.js (ES5, Duktape) that `npm run build:boards` made when this default was last
 * set (74,694 and 92,049 B, without the planner), rounded up. `synfire plan` passes the size
 * of the built file when there is one.
 */
export const DEFAULT_BUNDLE_BYTES = { es2020: 73 * 1024, es5: 90 * 1024 };

/** One kind of typed array a chip keeps: `count` arrays of `bytes` bytes in all. */
export interface ArrayTally {
  item: string;
  category: PlanCategory;
  bytes: number;
  /** Number of typed-array objects (for the engine's per-array overhead). */
  arrays: number;
  detail: string;
}

/** Per-group names for the map: plastic matrices by their weight-file names, others by connection. */
export type GroupNames = (groupIndex: number) => string | undefined;

const MSG_PACK = 67108864; // 2^26: the chip packs message counts only while every total stays below it

/** A range of source ids [start, start + size) and the entry its sources list. */
interface SourceRange {
  start: number;
  size: number;
  entry: number;
}

/**
 * The distinct per-source lists (the chip's routing "signatures") when source s lists the
 * entries of the ranges holding s, in the order of `ranges`: their number and total length.
 * Lists only change at range ends, so each stretch between two ends is looked at once (no
 * per-source arrays: planning stays small on the device).
 */
function distinctLists(ns: number, ranges: SourceRange[]): { count: number; entries: number } {
  const cuts: number[] = [0, ns];
  for (const r of ranges) cuts.push(r.start, r.start + r.size);
  cuts.sort((a, b) => a - b);
  const seen: Record<string, true> = Object.create(null);
  let count = 0;
  let entries = 0;
  for (let k = 0; k + 1 < cuts.length; k++) {
    const a = cuts[k];
    if (a === cuts[k + 1] || a >= ns) continue;
    const list: number[] = [];
    for (const r of ranges) if (r.start <= a && a < r.start + r.size) list.push(r.entry);
    const key = list.join(',');
    if (seen[key]) continue;
    seen[key] = true;
    count++;
    entries += list.length;
  }
  return { count, entries };
}

/** Number of distinct cores of compartments base + ids[k] (k < count), or base + k when ids is null. */
function distinctCores(cxCore: Uint16Array, ids: ArrayLike<number> | null, base: number, count: number): number {
  const seen: Record<number, true> = {};
  let n = 0;
  for (let k = 0; k < count; k++) {
    const c = cxCore[base + (ids === null ? k : ids[k])];
    if (!seen[c]) {
      seen[c] = true;
      n++;
    }
  }
  return n;
}

/**
 * Every typed array a Chip built from `spec` keeps (the chip, its synapse groups and the spec
 * it holds), by plan item. The one place that restates src/chip's allocations: when the chip
 * changes what it allocates, this changes with it, and test/plan.test.ts says when they
 * disagree.
 */
export function chipArrays(spec: ChipSpec, kernel: 'js' | 'naive', names: GroupNames): ArrayTally[] {
  const lean = spec.lean === true;
  const out: ArrayTally[] = [];
  const add = (item: string, category: PlanCategory, bytes: number, arrays: number, detail: string) => {
    for (const t of out)
      if (t.item === item) {
        t.bytes += bytes;
        t.arrays += arrays;
        return;
      }
    out.push({ item, category, bytes, arrays, detail });
  };
  const fast = kernel === 'js';
  const n = spec.numCompartments;
  const nGen = spec.numGeneratorPorts;
  const ns = n + nGen;
  const groups = spec.synapseGroups;
  const G = groups.length;
  const np = spec.prototypes.length;
  const nc = spec.numCores;
  let maxDelay = 0;
  let maxPost = 0;
  for (const g of groups) {
    if (g.delay > maxDelay) maxDelay = g.delay;
    if (g.postSize > maxPost) maxPost = g.postSize;
  }
  let slots = 2;
  while (slots < maxDelay + 2) slots *= 2;

  // ---- weights: per group, its stored synapses: the spec's arrays, which the chip keeps
  // through chip.spec, and the group's own copy of the weights (none with device storage,
  // where the group keeps the spec's array itself)
  const copies = lean ? 1 : 2;
  let fixedSparse = 0;
  let fixedSparseArrays = 0;
  let fixedSparseSynapses = 0;
  let fixedSparseGroups = 0;
  let fanout = 0;
  for (let gi = 0; gi < G; gi++) {
    const g = groups[gi];
    const c = g.connectivity;
    const name = names(gi);
    fanout += 4 * g.preSize;
    if (c.kind === 'dense') {
      const syn = g.preSize * g.postSize;
      add(
        `${name ?? g.name} weights`,
        'weights',
        copies * 2 * syn,
        copies,
        `Int16 per synapse: ${g.postSize} x ${g.preSize} = ${syn} synapses` + (lean ? " (the compiled spec's array, which the group keeps)" : ", twice (the compiled spec's array and the group's own copy)"),
      );
    } else {
      const bytes = 4 * (g.preSize + 1) + 4 * c.targets.length + copies * 2 * c.weights.length;
      if (name !== undefined) add(`${name} weights`, 'weights', bytes, 2 + copies, `sparse: Uint32 row offsets, Uint32 targets and Int16 weights of ${c.targets.length} synapses`);
      else {
        fixedSparse += bytes;
        fixedSparseArrays += 2 + copies;
        fixedSparseSynapses += c.targets.length;
        fixedSparseGroups++;
      }
    }
  }
  if (fixedSparseGroups > 0)
    add('fixed connections', 'weights', fixedSparse, fixedSparseArrays, `${fixedSparseGroups} sparse groups (gates, memories, one-to-one and one-to-all links): Uint32 row offsets and targets, Int16 weights of ${fixedSparseSynapses} synapses` + (lean ? '' : ' (the weights twice: the spec\'s and the group\'s own)'));
  add('fan-out tables', 'weights', fanout, G, 'Uint32 synapse count per pre neuron, per group');

  // per-core pairs of each group: (core, synapses) and (core, posts), Int32 (none with device
  // storage: no time model can be attached)
  if (!lean) {
    let corePairs = 0;
    for (const g of groups) {
      const cp = distinctCores(spec.cxCore, null, g.postStart, g.postSize);
      const cs = g.connectivity.kind === 'dense' ? (g.preSize > 0 ? cp : 0) : distinctCores(spec.cxCore, g.connectivity.targets, g.postStart, g.connectivity.targets.length);
      corePairs += 8 * (cp + cs);
    }
    add('per-core load tables', 'counters', corePairs, 2 * G, 'Int32 (core, synapses) and (core, posts) pairs per group, for the per-core time model');
  }

  // ---- compartments
  add('compartment state', 'compartments', 3 * 4 * n + n, 4, `u, v, last update (Int32) and refractory count (Uint8) of ${n} compartments`);
  add('compartment tables', 'compartments', 4 * 2 * n + 2 * nGen, 5, "prototype and core index (Uint16) per compartment, in the chip and in the compiled spec it keeps; the generators' entry cores");
  add('prototype tables', 'compartments', 7 * 8 * np + 3 * np, 10, `${np} prototypes: decays, bias, threshold, rest voltage and input bounds (Float64), refractory delay and flags (Uint8)`);
  let always = 0;
  const quiet: boolean[] = spec.prototypes.map((p) => {
    const bias = effectiveBias(p.biasMant, p.biasExp);
    const rest = saturateV(wrap24(bias));
    return p.decayU >= 4096 && p.decayV >= 4096 && !(rest > thresholdUnits(p.vthMant));
  });
  for (let i = 0; i < n; i++) if (!quiet[spec.cxPrototype[i]]) always++;
  add(
    'spike and refractory lists',
    'compartments',
    3 * 4 * (n + 1) + 4 * always + 4 * nGen + 16 + (fast ? 4 * maxPost : 0),
    fast ? 7 : 6,
    'Int32: spiked compartments, two refractory lists, compartments updated every step, spiked generators, kernel state' + (fast ? ', a zero row' : ''),
  );

  // ---- queues: dendritic accumulators and delivery lists per delay slot
  add('dendritic accumulators', 'queues', slots * 8 * n, slots, `Float64 input per compartment, one array per delay slot (${slots} slots: a power of two above the largest delay ${maxDelay} + 1)`);
  add(
    'delivery queues',
    'queues',
    slots * (4 * n + 4 * n + 4 * G + 4 * nGen + 4 * nGen) + 4 * 3 * slots + 4 * G * slots + 8 * G * slots + (fast ? slots * 4 * G + 4 * slots + 4 * G * slots + 4 * G + 8 * G : 0),
    slots * 5 + 5 + (fast ? slots + 4 : 0),
    'Int32 per slot: single-compartment deliveries and their marks, whole-range deliveries, generator schedule and marks' +
      (fast ? ', flush lists' : '') +
      '; per group and slot: range marks and offsets' +
      (fast ? ', flush marks; per group: fused range sums' : ''),
  );
  // routing tables
  let T = 0;
  for (const g of groups) T += g.preSize;
  const sig = distinctLists(
    ns,
    groups.map((g, gi) => ({ start: g.preStart, size: g.preSize, entry: gi })),
  );
  add(
    'routing tables',
    'queues',
    4 * (ns + 1) + 2 * T + 4 * T + 4 * ns + 4 * (sig.count + 1) + 2 * sig.entries + 2 * ns,
    7,
    `per source (${ns}): its (group, pre index) pairs (Uint32 start, Uint16 group, Uint32 pre), signature (Int32) and core (Uint16); ${sig.count} distinct group lists`,
  );

  // ---- per-group work arrays of the fast kernel (dense groups): row sums and delay buffers
  if (fast) {
    let sums = 0;
    let sumArrays = 0;
    let delayBufs = 0;
    let delayArrays = 0;
    for (const g of groups) {
      if (g.connectivity.kind !== 'dense') continue;
      sums += 4 * g.postSize;
      sumArrays++;
      if (g.delay > 0) {
        delayBufs += slots * 4 * g.postSize;
        delayArrays += slots;
      }
    }
    if (sumArrays > 0) add('row sums', 'queues', sums, sumArrays, 'Int32 per post neuron of each dense group: the latest row sum (fast kernel)');
    if (delayArrays > 0) add('delay buffers', 'queues', delayBufs, delayArrays, 'Int32 row sums per delay slot of each delayed dense group');
  }

  // ---- learning state of plastic groups
  let learnBytes = 0;
  let learnArrays = 0;
  let traceBytes = 0;
  let traceArrays = 0;
  let plasticCount = 0;
  const plastic: SynapseGroupSpec[] = [];
  for (const g of groups) {
    const l = g.learning;
    if (!l) continue;
    plastic.push(g);
    plasticCount++;
    learnBytes += 2 * 4 * g.preSize + 2 * 4 * g.postSize;
    learnArrays += 4;
    const pre = (v: 'x1' | 'x2') => (l[v] || ruleUses(l.rule, v) ? 1 : 0);
    const post = (v: 'y1' | 'y2' | 'y3') => (l[v] || ruleUses(l.rule, v) ? 1 : 0);
    const preTraces = pre('x1') + pre('x2');
    const postTraces = post('y1') + post('y2') + post('y3');
    traceBytes += 8 * (preTraces * g.preSize + postTraces * g.postSize);
    traceArrays += preTraces + postTraces;
    if (fast && g.connectivity.kind === 'dense') {
      // the spike list, memo stamps and memo deltas of a plastic dense group
      learnBytes += 4 * g.preSize + 4 * g.preSize + 8 * g.postSize;
      learnArrays += 3;
    }
  }
  if (plasticCount > 0) {
    add('learning lists', 'learning', learnBytes, learnArrays, `${plasticCount} plastic groups: pre and post spike lists and stamps (Int32)` + (fast ? ', and the row-sum memo of dense ones (Int32 stamps and spike list, Float64 deltas)' : ''));
    if (traceArrays > 0) add('learning traces', 'learning', traceBytes, traceArrays, 'Float64 per pre (x1, x2) or post (y1..y3) neuron of the traces the rules read');
  }
  // per source: the plastic groups it is pre or post of
  const plRanges: SourceRange[] = [];
  plastic.forEach((g, p) => {
    plRanges.push({ start: g.preStart, size: g.preSize, entry: 2 * p }, { start: g.postStart, size: g.postSize, entry: 2 * p + 1 });
  });
  const pl = distinctLists(ns, plRanges);
  add('learning signatures', 'learning', 4 * ns + 4 * (pl.count + 1) + 4 * pl.entries, 3, `per source: which plastic groups it is pre or post of (Int32 signature, Uint32 tables; ${pl.count} distinct lists)`);
  let rewardBytes = 0;
  for (let r = 0; r < spec.rewardChannels.length; r++) rewardBytes += ns;
  if (spec.rewardChannels.length > 0) add('reward channels', 'learning', rewardBytes, spec.rewardChannels.length, 'Uint8 flag per source of each reward channel');
  add('rule scratch', 'learning', 80 + 48 + 16, 3, 'Float64 rule variables (10), per-step rule tallies (6); PRNG state (Uint32 x 4)');
  const streams = plastic.filter((g) => g.learning!.roundingStream !== undefined).length;
  if (streams > 0) add('rounding streams', 'learning', 16 * streams, streams, `PRNG state (Uint32 x 4) of each of the ${streams} plastic groups with a rounding stream of its own`);

  // ---- counters and the time model
  add('op counters', 'counters', 8 * spec.numBuckets * NUM_OPS + 8 * spec.numBuckets, 2, `Float64: ${NUM_OPS} kinds x ${spec.numBuckets} buckets, and latency per bucket`);
  add(
    'per-core counters',
    'counters',
    8 * nc * NUM_CORE_OPS + (lean ? 2 : 3) * 8 * nc + 4 * G + (fast ? 4 * G : 0),
    4 + (lean ? 0 : 1) + (fast ? 1 : 0),
    `Float64 per core (${nc} cores): ${NUM_CORE_OPS} op kinds, compartments, active ones` + (lean ? '' : ', learning visits') + '; Int32 per group: rows delivered' + (fast ? ', dense groups routed' : ''),
  );
  // message costs per source; the packed copy exists while every total stays below 2^26
  // (a spike goes once to each core holding a target: at most min(cores, fan-out) messages)
  const reach = new Float64Array(ns);
  for (const g of groups) {
    const c = g.connectivity;
    for (let i = 0; i < g.preSize; i++) reach[g.preStart + i] += c.kind === 'dense' ? g.postSize : c.offsets[i + 1] - c.offsets[i];
  }
  let maxMsgs = 0;
  for (let s = 0; s < ns; s++) maxMsgs += Math.min(nc, reach[s]);
  const chips = Math.max(1, Math.round(nc / spec.coresPerChip));
  const maxHops = maxMsgs * (spec.mesh.tilesX * chips + spec.mesh.tilesY);
  const packed = maxHops < MSG_PACK;
  if (lean && fast && packed) add('message costs', 'counters', 16 * ns, 1, 'Float64 per source: local and remote messages and mesh hops per spike, packed two to a source');
  else add('message costs', 'counters', 32 * ns + 16 * ns, 2, 'Float64 per source: local and remote messages and mesh hops per spike, and the same packed two to a source' + (packed ? '' : ' (counted although the chip may skip the packed copy)'));
  return out;
}

/** Count of the typed arrays a plan's tallies hold. */
function arrayCount(t: ArrayTally[]): number {
  let n = 0;
  for (const x of t) n += x.arrays;
  return n;
}

/**
 * The spec of the network the firmware builds, compiled with the options SbpTrainingChip and
 * SbpInferenceChip use (test/plan.test.ts compares the plan with networks they build), shape
 * only: no weight array is allocated, so planning costs little memory on the device itself.
 */
function compileShape(mode: PlanMode, sizes: SbpSizes, kernel: 'js' | 'naive', lean: boolean, layers: number[], gating: Gating): { compiled: CompiledSpec; names: GroupNames } {
  const names: Record<number, string> = {};
  let compiled: CompiledSpec;
  if (mode === 'train') {
    // SbpTrainingChip's or DeepTrainingChip's options (src/sbp/training.ts, compileTraining)
    const L = layers.length - 2;
    const net = L > 1 ? deepTrainingNetwork(layers, gating) : trainingNetwork(sizes, 'chip', gating);
    // the host proves robust gating's headroom (the board bundle leaves the proof out)
    if (gating === 'robust') requireHeadroom(net, L > 1 ? deepSchedule(L) : trainingSchedule());
    const compile = (placement: CorePlacement) =>
      compileSpec(net, { placement, ordering: stepOrdering('chip'), numBuckets: L > 1 ? deepPhases(L) + 1 : TRAIN_BUCKETS, seed: 1, kernel: kernel === 'js' ? 'fast' : 'naive', lean, shapeOnly: true });
    // the authors' core ranges hold the 400-hidden network; larger ones are spread instead
    compiled = placeOrSpread('paper', compile);
    if (L > 1) for (const m of deepMatrices(L)) names[compiled.connections[m.connection]] = m.name;
    else for (const p of PLASTIC_NAMES) names[compiled.connections[PLASTIC_CONNECTIONS[p]]] = p;
  } else {
    const net = inferenceNetwork(sizes, undefined, undefined, gating);
    if (gating === 'robust') requireHeadroom(net, inferenceSchedule());
    compiled = compileSpec(net, { placement: 'hint', numBuckets: INFER_GATES + 1, lean, shapeOnly: true });
    names[compiled.connections['x->h1']] = 'w1';
    names[compiled.connections['h1->o']] = 'w2';
  }
  return { compiled, names: (gi) => names[gi] };
}

function mcuBoard(name: string): BoardProfile {
  const board = BOARDS[name];
  if (!board) throw new UserError(`unknown board '${name}' (microcontroller boards: ${mcuBoardNames().join(', ')})`, 2);
  if (!board.mcu) throw new UserError(`board '${name}' is a neuromorphic chip, not a microcontroller: a memory plan needs one of ${mcuBoardNames().join(', ')}`, 2);
  return board;
}

function checkSizes(sizes: SbpSizes): void {
  for (const k of ['input', 'hidden', 'output'] as const) {
    const v = sizes[k];
    if (!(v >= 1) || Math.floor(v) !== v) throw new UserError(`plan: ${k} size must be a positive integer, got ${v}`, 2);
  }
}

/** Number with thousands separators (portable: no Intl). */
export function grouped(v: number): string {
  const s = String(Math.round(Math.abs(v)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s.charAt(i);
  }
  return (v < 0 ? '-' : '') + out;
}

/**
 * What the engine holds besides typed-array elements: the typed arrays (with the empty
 * placeholders each SynapseGroup keeps for state it does not use), and an estimate of the
 * plain objects and their properties (per synapse group about 4 objects and 80 properties:
 * its spec, connectivity, learning spec and SynapseGroup; per population its layout; per
 * prototype its record; the chip, the network wrapper and the lists that hold them).
 */
export function engineCounts(spec: ChipSpec, kernel: 'js' | 'naive', tallies: ArrayTally[], populations: number): { typedArrays: number; emptyArrays: number; objects: number; properties: number } {
  // the state a group lacks is one shared empty array of each type (src/chip/synapse-group.ts)
  const lean = spec.lean === true;
  let noInt32 = false;
  let noFloat64 = lean; // the per-core learning visits; the unpacked message costs
  for (const g of spec.synapseGroups) {
    const memo = kernel === 'js' && g.connectivity.kind === 'dense' && g.learning !== undefined;
    if (g.learning === undefined || !memo || lean) noInt32 = true; // spike lists, memo stamps, per-core pairs
    if (!memo) noFloat64 = true; // memo deltas
  }
  const empty = (noInt32 ? 1 : 0) + (noFloat64 ? 1 : 0);
  const G = spec.synapseGroups.length;
  const np = spec.prototypes.length;
  return {
    typedArrays: arrayCount(tallies) + empty,
    emptyArrays: empty,
    objects: 4 * G + populations + np + 80,
    properties: 80 * G + 6 * populations + 7 * np + 800,
  };
}

/**
 * The memory plan of the sBP network (sizes, mode) on a microcontroller board: typed arrays
 * by item, the engine's overhead and the bundle, against the board's heap.
 */
export function planMemory(opts: PlanOptions): MemoryPlan {
  const board = mcuBoard(opts.board);
  const mcu = board.mcu!;
  checkSizes(opts.sizes);
  const kernel = opts.kernel ?? 'js';
  if (kernel === 'naive' && opts.mode === 'infer') throw new UserError("plan: the inference chip runs the fast kernel only ('js'); 'naive' is for training", 2);
  const engineName: EngineName = opts.engine ?? mcu.engines[0];
  if (mcu.engines.indexOf(engineName) < 0) throw new UserError(`plan: board ${board.name} is meant for ${mcu.engines.join(', ')}, not ${engineName}`, 2);
  const engine: EngineProfile = ENGINES[engineName];
  const deep = opts.hiddenLayers !== undefined && opts.hiddenLayers.length > 1;
  const sizes = { input: opts.sizes.input, hidden: deep ? opts.hiddenLayers![0] : opts.sizes.hidden, output: opts.sizes.output };
  const layers = deep ? [sizes.input, ...opts.hiddenLayers!, sizes.output] : [sizes.input, sizes.hidden, sizes.output];
  if (deep) {
    for (const h of opts.hiddenLayers!) checkSizes({ input: sizes.input, hidden: h, output: sizes.output });
    if (opts.mode !== 'train') throw new UserError('plan: several hidden layers are planned for training only (their inference is the dense integer pass, docs/deep.md)', 2);
  }
  const { compiled, names } = compileShape(opts.mode, sizes, kernel, opts.lean !== false, layers, opts.gating ?? 'paper');
  const spec = compiled.spec;
  const tallies = chipArrays(spec, kernel, names);

  const items: PlanItem[] = tallies.map((t) => ({ name: t.item, category: t.category, bytes: t.bytes, detail: t.detail }));

  // the firmware's sample I/O: one sample's active inputs, the output spikes and potentials
  const io = 2 * sizes.input + sizes.output + 8 * sizes.output;
  items.push({ name: 'sample buffers', category: 'buffers', bytes: io, detail: 'Uint16 active-input indices of one sample, Uint8 output spikes, Float64 output potentials' });
  const frame = 1024 + 6 * sizes.input;
  items.push({ name: 'serial line buffer', category: 'buffers', bytes: frame, detail: 'estimate: one text frame of a sample (up to 6 characters per input index) plus 1 KiB for replies, held as a string' });

  const ns = spec.numCompartments + spec.numGeneratorPorts;
  items.push({
    name: 'construction scratch',
    category: 'buffers',
    bytes: 96 * ns,
    detail: `estimate, freed once the network is built: compiling keeps a JS array of synapse groups per compartment and the chip's signature tables three Uint32 per source; about 96 B per source (${ns} sources)`,
  });
  // engine: per typed array, per JS object; the run-time base
  const counts = engineCounts(spec, kernel, tallies, Object.keys(compiled.groups).length);
  const arrays = counts.typedArrays + 3; // + the sample buffers
  items.push({
    name: 'typed-array headers',
    category: 'engine',
    bytes: arrays * engine.typedArrayBytes.value,
    detail: `${arrays} typed arrays (${counts.emptyArrays} of them the shared empty arrays) x ${engine.typedArrayBytes.value} B (${engine.name}: ${engine.typedArrayBytes.source})`,
  });
  items.push({
    name: 'JS objects',
    category: 'engine',
    bytes: counts.objects * engine.objectBytes.value + counts.properties * engine.propertyBytes.value,
    detail: `estimate: about ${counts.objects} objects and arrays with ${counts.properties} properties and elements (per synapse group its spec, connectivity, learning spec and SynapseGroup; layouts, prototypes, the chip, names) at ${engine.objectBytes.value} B and ${engine.propertyBytes.value} B (${engine.name})`,
  });
  items.push({ name: 'engine runtime', category: 'engine', bytes: engine.runtimeBytes.value, detail: `${engine.name}: ${engine.runtimeBytes.source}` });
  const bundle = opts.bundleBytes ?? (engineName === 'duktape' ? DEFAULT_BUNDLE_BYTES.es5 : DEFAULT_BUNDLE_BYTES.es2020);
  items.push({
    name: 'compiled bundle',
    category: 'bundle',
    bytes: Math.ceil(bundle * engine.codePerSourceByte.value),
    detail: `${grouped(bundle)} B of source${opts.bundleBytes === undefined ? ' (default size; build the boards for the real one)' : ''} x ${engine.codePerSourceByte.value} (${engine.name}: ${engine.codePerSourceByte.source})`,
  });

  let total = 0;
  let largest = items[0];
  for (const it of items) {
    total += it.bytes;
    if (it.bytes > largest.bytes) largest = it;
  }
  const budget = mcu.heapBytes.value;
  return { board: board.name, mode: opts.mode, sizes, layers, items, totalBytes: total, budgetBytes: budget, fits: total <= budget, largest };
}

/** Total bytes of the plan's typed arrays (the chip model's data, without engine, bundle or I/O buffers). */
export function typedArrayBytes(plan: MemoryPlan): number {
  let s = 0;
  for (const it of plan.items) if (it.category !== 'engine' && it.category !== 'bundle' && it.category !== 'buffers') s += it.bytes;
  return s;
}

/** throws UserError naming the board, the largest item and the numbers when it does not fit */
export function requireFits(plan: MemoryPlan): void {
  if (plan.fits) return;
  const l = plan.largest;
  throw new UserError(
    `${plan.layers.join('-')} ${plan.mode} does not fit ${plan.board}: needs ${grouped(plan.totalBytes)} B, budget ${grouped(plan.budgetBytes)} B; largest: ${l.name} ${grouped(l.bytes)} B`,
  );
}
