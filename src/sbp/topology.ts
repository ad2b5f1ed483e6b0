/**
 * The sBP networks as descriptions (docs/sbp-network.md, "Groups" and "Connections"): the
 * 12-phase training network (30 groups and 102 connections, plus a reward generator when the
 * reward comes from the host) and the 4-phase inference network.
 */
import type { ConnectionDesc, GroupDesc, NetworkDesc, RewardChannelDesc } from '../net/network';
import { LOADED_FROM, PLASTIC, PLASTIC_NAMES, type PlasticName, type SbpSizes } from './matrices';
import { CONN_TYPES, CORE_RANGES, INFER_GATES, NEURON_TYPES, SBP_RULE, SBP_TEPOCH, TRAIN_GATES, type ConnTypeName } from './params';
import { gatingPlan, robustInference, robustTraining, type Gating } from './gating';
import { raiseTargetTop, widenErrorWindow, type TargetTop } from './error-window';

// (re-exported for callers that build networks; the definitions live in matrices.ts)
export { PLASTIC_NAMES, type PlasticName, type SbpSizes };

/**
 * Where the reward channel's spikes come from. 'chip' (default): the gates g06 and g08,
 * which fire exactly in the learning steps of phases 5 and 7, drive the channel, so
 * learning needs nothing from the host. 'host': a spike generator with a host schedule,
 * as the authors did on Loihi 1 because of an axon limit.
 */
export type RewardSource = 'chip' | 'host';

/** The connection that holds each plastic matrix. */
export const PLASTIC_CONNECTIONS: Record<PlasticName, string> = {
  w1: 'x->h1',
  w1c1: 'x->h1_copy',
  w1c2: 'x->h1_copy2',
  w2: 'h1->o',
  w2c1: 'h1->o_copy',
  w2c2: 'h1->o_copy2',
  w2tPos: 'o->h1T',
  w2tNeg: 'oT-->h1T',
};

/** The gate that opens phase p: g00..g11 (training) or g00..g03 (inference). */
export function gateName(p: number): string {
  return `g${p < 10 ? '0' : ''}${p}`;
}

function group(name: string, size: number, type: keyof typeof NEURON_TYPES | 'generator'): GroupDesc {
  if (type === 'generator') return { name, size, neuron: 'generator' };
  return { name, size, neuron: NEURON_TYPES[type], coreRange: CORE_RANGES[type] };
}

function conn(pre: string, post: string, type: ConnTypeName, weights?: ArrayLike<number>): ConnectionDesc {
  const t = CONN_TYPES[type];
  const plasticName = `${pre}->${post}`;
  const c: ConnectionDesc = { name: t.weight === null ? plasticName : `${pre}->${post}:${type}`, pre, post, connectivity: t.connectivity, delay: t.delay };
  if (t.weight !== null) c.weight = t.weight;
  else {
    c.signMode = PLASTIC.signMode;
    c.numWeightBits = PLASTIC.numWeightBits;
    c.weightExp = PLASTIC.weightExp;
    if (weights) c.weights = weights;
  }
  if (t.plastic) c.learning = { rule: SBP_RULE, tEpoch: SBP_TEPOCH, rewardChannel: 'reward' };
  return c;
}

function ring(gates: number, connections: ConnectionDesc[]): void {
  connections.push(conn('in_g', gateName(0), '1ge'));
  for (let p = 0; p < gates; p++) connections.push(conn(gateName(p), gateName((p + 1) % gates), '1ge'));
}

/**
 * The 12-phase training network, with the paper's gating or the robust one (gating.ts), and
 * the paper's error window or a wider one (error-window.ts; default 0, the paper's).
 */
export function trainingNetwork(sizes: SbpSizes, reward: RewardSource = 'chip', gating: Gating = 'paper', errorWindow = 0, targetTop: TargetTop = 512): NetworkDesc {
  const { input: nin, hidden: nhid, output: nout } = sizes;
  const groups: GroupDesc[] = [
    group('input', nin, 'generator'),
    group('in_tgt', nout, 'generator'),
    group('in_g', 1, 'generator'),
  ];
  if (reward === 'host') groups.push(group('reward', 1, 'generator'));
  for (let p = 0; p < TRAIN_GATES; p++) groups.push(group(gateName(p), 1, 'n_gat'));
  groups.push(
    group('x', nin, 'n_sfc'),
    group('m_x6', nin, 'n_sfc'),
    group('h1', nhid, 'n_sfl'),
    group('h1_copy', nhid, 'n_sfl'),
    group('h1_copy2', nhid, 'n_sfl'),
    group('c_h1', nhid, 'n_sfc'),
    group('m_h1', nhid, 'n_sfc'),
    group('h1T', nhid, 'n_sfl_nr'),
    group('o', nout, 'n_sfl'),
    group('o_copy', nout, 'n_sfl'),
    group('o_copy2', nout, 'n_sfl'),
    group('t', nout, 'n_sfc'),
    group('d+', nout, 'n_sfc'),
    group('d-', nout, 'n_sfc'),
    group('oT-', nout, 'n_sfl'),
  );

  const c: ConnectionDesc[] = [];
  ring(TRAIN_GATES, c);
  // layer gates
  const gates: Array<[number, string[]]> = [
    [1, ['x']],
    [2, ['h1', 'h1_copy']],
    [3, ['o', 'o_copy', 't', 'm_h1']],
    [5, ['h1', 'h1T', 'oT-', 'o', 'o_copy', 'o_copy2']],
    [6, ['h1T', 'm_x6', 'c_h1']],
    [7, ['x']],
    [9, ['h1', 'h1T', 'o', 'o_copy', 'o_copy2', 'oT-']],
    [10, ['h1T']],
    [11, ['x']],
  ];
  for (const [p, targets] of gates) for (const t of targets) c.push(conn(gateName(p), t, 'g'));
  for (const [p, t] of [[2, 'h1_copy'], [3, 'o_copy'], [6, 'h1T'], [10, 'h1T']] as Array<[number, string]>) c.push(conn(gateName(p), t, 'gm05'));
  c.push(conn('g02', 'h1_copy2', 'gp05'), conn('g03', 'o_copy2', 'gp05'));
  // blocking inhibition
  const inhibit: Array<[number, string[]]> = [
    [4, ['h1T', 'oT-']],
    [6, ['o', 'o_copy', 'o_copy2']],
    [8, ['h1', 'h1_copy', 'h1_copy2']],
    [10, ['o', 'o_copy', 'o_copy2']],
    [0, ['o', 'o_copy', 'o_copy2']],
  ];
  for (const [p, targets] of inhibit) for (const t of targets) c.push(conn(gateName(p), t, 'gi'));
  // plastic: forward and transposed
  for (const post of ['h1', 'h1_copy', 'h1_copy2']) c.push(conn('x', post, 'p'));
  for (const post of ['o', 'o_copy', 'o_copy2']) c.push(conn('h1', post, 'p'));
  c.push(conn('o', 'h1T', 'p'), conn('oT-', 'h1T', 'p'));
  // data in
  c.push(conn('input', 'x', '1e'), conn('in_tgt', 't', '1e'));
  // memories
  c.push(conn('x', 'm_x6', '1e_d4'), conn('m_x6', 'x', '1e'), conn('m_x6', 'x', '1e_d4'), conn('h1', 'm_h1', '1e'));
  c.push(conn('m_h1', 'h1', '1e_d1'), conn('m_h1', 'h1T', '1e_d1'), conn('m_h1', 'h1', '1e_d5'), conn('m_h1', 'h1T', '1e_d5'));
  // output error
  c.push(conn('o_copy', 'd-', 'g1s'), conn('o_copy', 'd+', 'g1s'));
  c.push(conn('o', 'd-', '1e'), conn('t', 'd-', '1i'), conn('o_copy2', 'd-', '1i'));
  c.push(conn('t', 'd+', '1e'), conn('o', 'd+', '1i'));
  // error replay
  for (const t of ['o', 'o_copy', 'o_copy2']) c.push(conn('d+', t, '1e'));
  c.push(conn('d+', 'oT-', '1e_d4'), conn('d-', 'oT-', '1e'));
  for (const t of ['o', 'o_copy', 'o_copy2']) c.push(conn('d-', t, '1e_d4'));
  // hidden derivative
  c.push(conn('h1_copy', 'c_h1', '1e_d3'), conn('h1_copy2', 'c_h1', '1i_d3'));
  for (const t of ['h1', 'h1_copy', 'h1_copy2']) c.push(conn('c_h1', t, 'g1'));
  for (const t of ['h1', 'h1_copy', 'h1_copy2']) c.push(conn('c_h1', t, 'g1_d4'));
  // backprop into h
  for (const t of ['h1', 'h1_copy', 'h1_copy2']) c.push(conn('h1T', t, '1e'));

  const rewardChannels: RewardChannelDesc[] = [
    {
      name: 'reward',
      sources: reward === 'host' ? [{ group: 'reward' }] : [{ group: 'g06' }, { group: 'g08' }],
    },
  ];
  // each stored matrix rounds from its own stream, which its copies share (a learning step
  // below one LSB: learning-rate.ts)
  for (const name of PLASTIC_NAMES) {
    const l = c.find((x) => x.name === PLASTIC_CONNECTIONS[name])!.learning!;
    l.roundingStream = LOADED_FROM[name];
  }
  const desc: NetworkDesc = { name: `sbp-train-${nin}-${nhid}-${nout}`, groups, connections: c, rewardChannels };
  return raiseTargetTop(widenErrorWindow(gating === 'paper' ? desc : robustTraining(desc, gatingPlan(sizes, gating)), errorWindow), targetTop);
}

/** The 4-phase inference network with fixed weights W1 (hidden x in) and W2 (out x hidden). */
export function inferenceNetwork(sizes: SbpSizes, w1?: ArrayLike<number>, w2?: ArrayLike<number>, gating: Gating = 'paper'): NetworkDesc {
  const { input: nin, hidden: nhid, output: nout } = sizes;
  const groups: GroupDesc[] = [group('input', nin, 'generator'), group('in_g', 1, 'generator')];
  for (let p = 0; p < INFER_GATES; p++) groups.push(group(gateName(p), 1, 'n_gat'));
  groups.push(group('x', nin, 'n_sfc'), group('h1', nhid, 'n_sfl'), group('o', nout, 'n_sfl'));
  const c: ConnectionDesc[] = [];
  ring(INFER_GATES, c);
  c.push(conn('x', 'h1', 'f', w1), conn('h1', 'o', 'f', w2));
  c.push(conn('g01', 'x', 'g'), conn('g02', 'h1', 'g'), conn('g03', 'o', 'g'));
  c.push(conn('input', 'x', '1e'));
  const desc: NetworkDesc = { name: `sbp-infer-${nin}-${nhid}-${nout}`, groups, connections: c };
  return gating === 'paper' ? desc : robustInference(desc, gatingPlan(sizes, gating));
}

/** Groups that may fire in each phase of the training network (docs/sbp-network.md, "The 12 phases"); anything else is a violation. */
export const ACTIVE_PHASES: Record<string, number[]> = {
  x: [1, 7, 11],
  h1: [2, 5, 7, 9, 11],
  h1_copy: [2, 7, 11],
  h1_copy2: [2, 7, 11],
  m_h1: [3],
  o: [3, 5, 9],
  o_copy: [3, 5, 9],
  o_copy2: [3, 5, 9],
  t: [3],
  'd+': [4],
  'd-': [4],
  'oT-': [5, 9],
  h1T: [5, 6, 9, 10],
  c_h1: [6],
  m_x6: [6],
};
