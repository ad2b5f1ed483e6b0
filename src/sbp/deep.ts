/**
 * The sBP training network with L >= 1 hidden layers (docs/deep.md): the one-layer network's
 * gating chain, extended by one error block per extra layer.
 *
 * Layers: x = layer 0, h1..hL, o = layer L+1. W_l connects layer l-1 to layer l; every W_l with
 * l >= 2 has a transposed pair P_l = +W_lᵀ and M_l = -W_lᵀ, through which the error of layer l
 * reaches layer l-1. One sample takes 9L + 3 phases (12 for L = 1):
 *  - forward: x in phase 1, h_l in phase l+1, o (and the target t) in phase L+2; the output
 *    error signs d+, d- in phase L+3;
 *  - one error block of 8 phases per layer l = L+1 down to 2, starting at
 *    t0(l) = L+3 + 8(L+1-l), the phase in which the signs of layer l's error fire
 *    (d± for the output, the error memories e_l± for a hidden layer):
 *      t0+1  layer l replays the + error, its relay the − error, h_{l-1} and h_{l-1}T replay
 *            h_{l-1}; reward: W_l, P_l, M_l += 2 on the coincidences
 *      t0+2  h_{l-1}T = [P_l e+ + M_l e- > 0]; c_{l-1} = the derivative of h_{l-1}
 *      t0+3  h_{l-1} family = c_{l-1} ∧ h_{l-1}T: the + error of layer l-1
 *            (l = 2: x replays, reward: W1 += 2 on (x, d1+))
 *      t0+4  silence (h_{l-1} family inhibited)
 *      t0+5  as t0+1 with the signs swapped, no reward: W_l, P_l, M_l -= 2
 *      t0+6  h_{l-1}T = [P_l e- + M_l e+ > 0]
 *      t0+7  h_{l-1} family = the − error of layer l-1 (l = 2: x replays, W1 -= 2)
 *      t0+8  (l >= 3) e_{l-1}± = the two error signs of layer l-1, which open block l-1
 *  For L = 1 this is the paper's 12-phase schedule (topology.ts), phase for phase.
 *
 * One-layer networks keep topology.ts (the authors' network, bit-identical); this module
 * builds L >= 2 (and L = 1 for the cross-check of the two descriptions in the tests).
 * Every group that must stay silent in a phase in which a plastic sum arrives gets blocking
 * inhibition from that phase's gate, in both gatings; 'robust' also picks each matrix's
 * weight exponent for its fan-in and re-weights the threshold gates (gating.ts), and
 * headroom.ts proves the result.
 */
import type { ConnectionDesc, GroupDesc, NetworkDesc, RewardChannelDesc } from '../net/network';
import { PLASTIC } from './matrices';
import { CONN_TYPES, CORE_RANGES, NEURON_TYPES, SBP_RULE, SBP_TEPOCH, type ConnTypeName } from './params';
import { plasticScale, robustExponent, splitWeight, thresholdGate, type Gating } from './gating';
import type { PhaseSchedule } from './headroom';
import { UserError } from '../errors';

/** Layer sizes [in, h1, ..., hL, out]. */
export type DeepSizes = readonly number[];

/** The longest synaptic delay the chip's axons carry (6 bits on Loihi 1, less two reserved codes). */
export const MAX_DELAY = 62;

/** Number of hidden layers of a size list. */
export function hiddenLayers(sizes: DeepSizes): number {
  return sizes.length - 2;
}

/** Steps per training sample: 9L + 3. */
export function deepPhases(L: number): number {
  return 9 * L + 3;
}

/** First phase of the error block of layer l (2..L+1). */
export function blockStart(L: number, l: number): number {
  return L + 3 + 8 * (L + 1 - l);
}

/** The phases in which the reward fires (the learning engine potentiates): t0+1 of each block, and W1's t0(2)+3. */
export function rewardPhases(L: number): number[] {
  const r: number[] = [];
  for (let l = L + 1; l >= 2; l--) r.push(blockStart(L, l) + 1);
  r.push(blockStart(L, 2) + 3);
  return r;
}

/** The host's schedule within a sample: pixels in phase 0, the label in phase L+1. */
export function labelPhase(L: number): number {
  return L + 1;
}

export function gateName(p: number): string {
  return `g${p < 10 ? '0' : ''}${p}`;
}

/** Group names of layer l (1..L hidden, L+1 the output). */
export function layerName(L: number, l: number): string {
  return l === 0 ? 'x' : l === L + 1 ? 'o' : `h${l}`;
}
export function family(L: number, l: number): string[] {
  const n = layerName(L, l);
  return [n, `${n}_copy`, `${n}_copy2`];
}
/** The + and − error signs of layer l (2..L+1). */
export function errorSigns(L: number, l: number): [string, string] {
  return l === L + 1 ? ['d+', 'd-'] : [`e${l}+`, `e${l}-`];
}
/** The relay that carries layer l's opposite error sign into M_l. */
export function relay(L: number, l: number): string {
  return l === L + 1 ? 'oT-' : `h${l}T-`;
}

/** The plastic matrices: name, connection name, pre group, post group, shape [post, pre]. */
export interface DeepMatrix {
  /** w{l} (W_l, onto the main group), w{l}c1, w{l}c2 (the copies), p{l} (+W_lᵀ), m{l} (−W_lᵀ). */
  name: string;
  connection: string;
  pre: string;
  post: string;
  /** Layer l of W_l / P_l / M_l. */
  layer: number;
  kind: 'w' | 'p' | 'm';
  /** 0 for the main matrix, 1 and 2 for the copies. */
  copy: number;
}

export function deepMatrices(L: number): DeepMatrix[] {
  const out: DeepMatrix[] = [];
  for (let l = 1; l <= L + 1; l++) {
    const pre = layerName(L, l - 1);
    family(L, l).forEach((post, c) => out.push({ name: c === 0 ? `w${l}` : `w${l}c${c}`, connection: `${pre}->${post}`, pre, post, layer: l, kind: 'w', copy: c }));
  }
  for (let l = 2; l <= L + 1; l++) {
    const t = `${layerName(L, l - 1)}T`;
    out.push({ name: `p${l}`, connection: `${layerName(L, l)}->${t}`, pre: layerName(L, l), post: t, layer: l, kind: 'p', copy: 0 });
    out.push({ name: `m${l}`, connection: `${relay(L, l)}->${t}`, pre: relay(L, l), post: t, layer: l, kind: 'm', copy: 0 });
  }
  return out;
}

/** Groups that may fire in each phase (anything else is a violation). */
export function deepActivePhases(L: number): Record<string, number[]> {
  const a: Record<string, number[]> = {};
  const add = (g: string, ...ph: number[]) => (a[g] = (a[g] ?? []).concat(ph));
  const T = blockStart(L, 2);
  add('x', 1, T + 3, T + 7);
  add('m_x', T + 2);
  for (let l = 1; l <= L; l++) {
    const [h, hc, hc2] = family(L, l);
    const t0 = blockStart(L, l + 1);
    add(h, l + 1, t0 + 1, t0 + 3, t0 + 5, t0 + 7);
    add(hc, l + 1, t0 + 3, t0 + 7);
    add(hc2, l + 1, t0 + 3, t0 + 7);
    add(`m_${h}`, l + 2);
    add(`c_${h}`, t0 + 2);
    add(`${h}T`, t0 + 1, t0 + 2, t0 + 5, t0 + 6);
    if (l >= 2) {
      const s = blockStart(L, l);
      for (const g of family(L, l)) add(g, s + 1, s + 5);
      add(`e${l}+`, s);
      add(`e${l}-`, s);
      add(relay(L, l), s + 1, s + 5);
    }
  }
  const s = blockStart(L, L + 1);
  for (const g of family(L, L + 1)) add(g, L + 2, s + 1, s + 5);
  add('t', L + 2);
  add('d+', s);
  add('d-', s);
  add('oT-', s + 1, s + 5);
  for (const k in a) a[k].sort((p, q) => p - q);
  return a;
}

/** Weight exponents: W_l (fan-in: layer l-1) and P_l / M_l (fan-in: 2 x layer l). */
export interface DeepGatingPlan {
  gating: Gating;
  /** wExp[l] for l = 1..L+1 (index 0 unused). */
  wExp: number[];
  /** tExp[l] for l = 2..L+1. */
  tExp: number[];
}

export function deepGatingPlan(sizes: DeepSizes, gating: Gating): DeepGatingPlan {
  const L = hiddenLayers(sizes);
  const wExp = [0];
  const tExp = [0, 0];
  for (let l = 1; l <= L + 1; l++) wExp.push(gating === 'robust' ? robustExponent(sizes[l - 1]) : 0);
  for (let l = 2; l <= L + 1; l++) tExp.push(gating === 'robust' ? robustExponent(2 * sizes[l]) : 0);
  return { gating, wExp, tExp };
}

function group(name: string, size: number, type: keyof typeof NEURON_TYPES | 'generator', range?: [number, number]): GroupDesc {
  if (type === 'generator') return { name, size, neuron: 'generator' };
  return { name, size, neuron: NEURON_TYPES[type], coreRange: range ?? CORE_RANGES[type] };
}

/**
 * Placement hints (`--placement paper`): the authors' core ranges put every layer group on the
 * same cores, which overflows a core's input axons once there are two hidden layers. So each
 * layer gets its own band of cores instead: the output groups [2, 10), hidden layer l the l-th
 * of L equal bands of [10, 90), x and its memory [90, 126); the gates keep the authors' range.
 * A band too small for its groups makes the compiler refuse the hints, and the network is
 * spread instead (SbpTrainingChip does the same for wide one-layer networks).
 */
export function layerBand(L: number, l: number): [number, number] {
  if (l === 0) return [90, 126];
  if (l === L + 1) return [2, 10];
  const w = Math.floor(80 / L);
  return [10 + w * (l - 1), 10 + w * l];
}

/**
 * The L-hidden-layer training network. `weights`, if given, maps matrix names (deepMatrices)
 * to post x pre values.
 */
export function deepTrainingNetwork(sizes: DeepSizes, gating: Gating = 'paper', weights?: Record<string, ArrayLike<number>>): NetworkDesc {
  const L = hiddenLayers(sizes);
  if (L < 1) throw new UserError(`deep network: at least one hidden layer (got sizes ${sizes.join('-')})`);
  const P = deepPhases(L);
  const plan = deepGatingPlan(sizes, gating);
  const nin = sizes[0];
  const nout = sizes[L + 1];
  const groups: GroupDesc[] = [group('input', nin, 'generator'), group('in_tgt', nout, 'generator'), group('in_g', 1, 'generator')];
  for (let p = 0; p < P; p++) groups.push(group(gateName(p), 1, 'n_gat'));
  const bx = layerBand(L, 0);
  groups.push(group('x', nin, 'n_sfc', bx), group('m_x', nin, 'n_sfc', bx));
  for (let l = 1; l <= L; l++) {
    const n = sizes[l];
    const b = layerBand(L, l);
    const [h, hc, hc2] = family(L, l);
    groups.push(group(h, n, 'n_sfl', b), group(hc, n, 'n_sfl', b), group(hc2, n, 'n_sfl', b), group(`c_${h}`, n, 'n_sfc', b), group(`m_${h}`, n, 'n_sfc', b), group(`${h}T`, n, 'n_sfl_nr', b));
    if (l >= 2) groups.push(group(`e${l}+`, n, 'n_sfc', b), group(`e${l}-`, n, 'n_sfc', b), group(relay(L, l), n, 'n_sfl', b));
  }
  const bo = layerBand(L, L + 1);
  for (const g of family(L, L + 1)) groups.push(group(g, nout, 'n_sfl', bo));
  groups.push(group('t', nout, 'n_sfc', bo), group('d+', nout, 'n_sfc', bo), group('d-', nout, 'n_sfc', bo), group('oT-', nout, 'n_sfl', bo));

  const c: ConnectionDesc[] = [];
  const names: Record<string, number> = {};
  const push = (d: ConnectionDesc) => {
    const base = d.name as string;
    let name = base;
    for (let k = 1; names[name] !== undefined; k++) name = `${base}#${k}`;
    names[name] = 1;
    d.name = name;
    c.push(d);
  };
  const fixed = (pre: string, post: string, type: ConnTypeName, delay = 0, weight?: number) => {
    const t = CONN_TYPES[type];
    if (delay > MAX_DELAY) throw new UserError(`deep network ${sizes.join('-')}: ${pre} -> ${post} needs a delay of ${delay} steps, more than the chip's ${MAX_DELAY}; use fewer hidden layers`);
    const w = weight ?? (t.weight as number);
    push({ name: `${pre}->${post}:${type}${delay ? `_d${delay}` : ''}`, pre, post, connectivity: t.connectivity, weight: w, delay });
  };
  /** A gate onto `post` that makes it fire iff its input (in weight units of `scale`) exceeds thresholdZ. */
  const gateAt = (p: number, post: string, thresholdZ: number, scale: number, type: ConnTypeName) => {
    for (const w of splitWeight(thresholdGate(thresholdZ, scale))) fixed(gateName(p % P), post, type, 0, w);
  };
  const gate = (p: number, post: string, type: ConnTypeName = 'g') => fixed(gateName(p % P), post, type);
  const plastic = (pre: string, post: string, exp: number, w?: ArrayLike<number>) => {
    const d: ConnectionDesc = {
      name: `${pre}->${post}`,
      pre,
      post,
      connectivity: 'all-to-all',
      delay: 0,
      signMode: PLASTIC.signMode,
      numWeightBits: PLASTIC.numWeightBits,
      weightExp: exp,
      learning: { rule: SBP_RULE, tEpoch: SBP_TEPOCH, rewardChannel: 'reward' },
    };
    if (w) d.weights = w;
    push(d);
  };

  // gating ring
  fixed('in_g', gateName(0), '1ge');
  for (let p = 0; p < P; p++) fixed(gateName(p), gateName((p + 1) % P), '1ge');

  // forward pass
  gate(1, 'x');
  for (let l = 1; l <= L + 1; l++) {
    const [h, hc, hc2] = family(L, l);
    const s = plasticScale(plan.wExp[l]);
    gateAt(l + 1, h, 512, s, 'g');
    gate(l + 1, hc);
    gate(l + 1, hc, 'gm05');
    gateAt(l + 1, hc2, 1024, s, 'gp05');
    if (l <= L) {
      gate(l + 2, `m_${h}`);
      fixed(h, `m_${h}`, '1e');
    }
  }
  gate(L + 2, 't');
  fixed('input', 'x', '1e');
  fixed('in_tgt', 't', '1e');

  // output error
  fixed('o_copy', 'd-', 'g1s');
  fixed('o_copy', 'd+', 'g1s');
  fixed('o', 'd-', '1e');
  fixed('t', 'd-', '1i');
  fixed('o_copy2', 'd-', '1i');
  fixed('t', 'd+', '1e');
  fixed('o', 'd+', '1i');

  // error blocks
  const T = blockStart(L, 2);
  for (let l = L + 1; l >= 2; l--) {
    const t0 = blockStart(L, l);
    const s = l - 1;
    const E = family(L, l);
    const [sp, sn] = errorSigns(L, l);
    const R = relay(L, l);
    const [h, hc, hc2] = family(L, s);
    const hT = `${h}T`;
    if (l <= L) {
      // the error memories of hidden layer l: its + error fired at t0-5, its − error at t0-1
      gate(t0, sp);
      gate(t0, sn);
      fixed(layerName(L, l), sp, '1e', 4);
      fixed(layerName(L, l), sn, '1e', 0);
    }
    // replays: the error signs into layer l and its relay, h_{l-1} from its memory
    for (const g of E) {
      fixed(sp, g, '1e', 0);
      fixed(sn, g, '1e', 4);
      gate(t0 + 1, g);
      gate(t0 + 5, g);
    }
    fixed(sn, R, '1e', 0);
    fixed(sp, R, '1e', 4);
    for (const g of [R, h, hT]) {
      gate(t0 + 1, g);
      gate(t0 + 5, g);
    }
    const mem = `m_${h}`;
    for (const g of [h, hT]) {
      fixed(mem, g, '1e', t0 - s - 2);
      fixed(mem, g, '1e', t0 - s + 2);
    }
    // backprop sums: [z > 0]
    for (const p of [t0 + 2, t0 + 6]) {
      gate(p, hT);
      gate(p, hT, 'gm05');
    }
    // derivative b = h< ∧ ¬h>, and the error of layer l-1 = b ∧ h_{l-1}T
    gate(t0 + 2, `c_${h}`);
    fixed(hc, `c_${h}`, '1e', t0 - s);
    fixed(hc2, `c_${h}`, '1i', t0 - s);
    for (const g of [h, hc, hc2]) {
      fixed(`c_${h}`, g, 'g1', 0);
      fixed(`c_${h}`, g, 'g1', 4);
      fixed(hT, g, '1e', 0);
    }
    // blocking inhibition (the one-layer network's g04, g06, g08, g10, g00)
    for (const g of [hT, R]) gate(t0, g, 'gi');
    for (const g of E) for (const p of [t0 + 2, t0 + 6, t0 + 8]) gate(p, g, 'gi');
    for (const g of [h, hc, hc2]) gate(t0 + 4, g, 'gi');
    // plastic: W_l onto layer l's family, P_l and M_l onto h_{l-1}T
    const w = weights ?? {};
    E.forEach((g, k) => plastic(layerName(L, s), g, plan.wExp[l], w[k === 0 ? `w${l}` : `w${l}c${k}`]));
    plastic(layerName(L, l), hT, plan.tExp[l], w[`p${l}`]);
    plastic(R, hT, plan.tExp[l], w[`m${l}`]);
  }
  // W1 learns from x's replays
  gate(T + 2, 'm_x');
  fixed('x', 'm_x', '1e', T);
  fixed('m_x', 'x', '1e', 0);
  fixed('m_x', 'x', '1e', 4);
  gate(T + 3, 'x');
  gate(T + 7, 'x');
  const w = weights ?? {};
  family(L, 1).forEach((g, k) => plastic('x', g, plan.wExp[1], w[k === 0 ? 'w1' : `w1c${k}`]));

  // blocking inhibition wherever a plastic sum arrives in a phase in which its group must stay silent
  const active = deepActivePhases(L);
  const inhibited: Record<string, number> = {};
  for (const d of c) if (d.weight !== undefined && d.weight < 0 && /^g\d\d$/.test(d.pre) && d.connectivity === 'one-to-all') inhibited[`${d.post}@${Number(d.pre.slice(1))}`] = 1;
  const extra: Array<[number, string]> = [];
  for (const d of c) {
    if (d.weight !== undefined) continue;
    for (const f of active[d.pre]) {
      const a = (f + 1) % P;
      if (active[d.post].indexOf(a) >= 0 || inhibited[`${d.post}@${a}`]) continue;
      inhibited[`${d.post}@${a}`] = 1;
      extra.push([a, d.post]);
    }
  }
  for (const [a, post] of extra) gate(a, post, 'gi');

  const rewardChannels: RewardChannelDesc[] = [{ name: 'reward', sources: rewardPhases(L).map((p) => ({ group: gateName((p + 1) % P) })) }];
  return { name: `sbp-train-${sizes.join('-')}${gating === 'robust' ? '-robust' : ''}`, groups, connections: c, rewardChannels };
}

/** The schedule headroom.ts proves a deep network against. */
export function deepSchedule(L: number): PhaseSchedule {
  const P = deepPhases(L);
  const s = blockStart(L, L + 1);
  return {
    phases: P,
    active: deepActivePhases(L),
    generators: { input: [0], in_tgt: [labelPhase(L)], in_g: [P - 2] },
    twins: [{ groups: family(L, L + 1), phases: [s + 1, s + 5] }],
  };
}
