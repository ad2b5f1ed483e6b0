/**
 * How the sBP networks are gated: 'paper' (the authors' gate weights, inhibition and weight
 * exponents, kept exactly) or 'robust' (docs/gating.md): the same algorithm, with headroom
 * that holds for every weight matrix the learning rule can reach.
 *
 * The robust variant changes three things and nothing else:
 *  1. each plastic (and inference) matrix gets the largest weight exponent at which its
 *     largest possible input sum stays within DATA_BUDGET (so the 21-bit dendritic
 *     accumulator cannot wrap, gate on or not);
 *  2. the gates that turn a weighted sum into [z > 512], [z > 0] and [z > 1024] are
 *     re-weighted for that exponent, so each compartment still compares z with the same
 *     number (split over two synapses where one weight cannot hold the value exactly);
 *  3. blocking inhibition is added wherever a plastic sum arrives in a phase in which the
 *     group must stay silent: g00 onto the hidden family (x's phase-11 replay arrives in
 *     phase 0) and g08 onto the output family (d1+ arrives in phase 8).
 * src/sbp/headroom.ts proves the result for a given network; SbpTrainingChip and
 * SbpInferenceChip refuse a robust network it cannot prove.
 */
import { encodeWeight } from '../chip/weights';
import type { ConnectionDesc, NetworkDesc } from '../net/network';
import { CONN_TYPES, NEURON_TYPES, PLASTIC } from './params';

export type Gating = 'paper' | 'robust';
export const GATINGS: Gating[] = ['paper', 'robust'];
/** The command line's default (README, "Gating"); the builders default to 'paper', the authors' network. */
export const DEFAULT_GATING: Gating = 'robust';

export function isGating(x: unknown): x is Gating {
  return x === 'paper' || x === 'robust';
}

/** Weight exponents of the plastic matrices (W1 onto the hidden family, W2 onto the output family, W2ᵀ onto h1T). */
export interface GatingPlan {
  gating: Gating;
  w1Exp: number;
  w2Exp: number;
  w2tExp: number;
}

/** 2^21: the dendritic accumulator's magnitude bound, in hardware units. */
const Q_LIMIT = 2097152;
/** Threshold minus bias of a layer compartment, in hardware units: 65,536 + 524,288. */
const LAYER_SPAN = NEURON_TYPES.n_sfl.vthMant * 64 - NEURON_TYPES.n_sfl.biasMant * Math.pow(2, NEURON_TYPES.n_sfl.biasExp);
/**
 * The largest input sum (either sign, hardware units) a robust matrix may deliver: 2^21 less
 * twice the layer span, so that (a) the sum plus a gate of one span stays below 2^21 and
 * (b) the sum minus one blocking inhibition (-8,128 wu) stays above -2^21 while its positive
 * end stays below the threshold. headroom.ts checks every phase; this only picks the exponent.
 */
export const DATA_BUDGET = Q_LIMIT - 2 * LAYER_SPAN;
/** The smallest exponent robust gating uses: 2^(6-6) = 1 keeps every input an integer. */
const MIN_EXP = -6;

/** Hardware units per weight unit of a matrix with weight exponent e. */
export function plasticScale(exp: number): number {
  return Math.pow(2, 6 + exp);
}

/**
 * The largest exponent <= 0 at which `fanIn` synapses at the weight limit fit DATA_BUDGET
 * (MIN_EXP if none does: the headroom proof then refutes the network, naming the group).
 */
export function robustExponent(fanIn: number): number {
  const wmax = Math.max(-PLASTIC.min, PLASTIC.max);
  for (let e = 0; e > MIN_EXP; e--) if (fanIn * wmax * plasticScale(e) <= DATA_BUDGET) return e;
  return MIN_EXP;
}

export function gatingPlan(sizes: { input: number; hidden: number; output: number }, gating: Gating): GatingPlan {
  if (gating === 'paper') return { gating, w1Exp: 0, w2Exp: 0, w2tExp: 0 };
  return { gating, w1Exp: robustExponent(sizes.input), w2Exp: robustExponent(sizes.hidden), w2tExp: robustExponent(2 * sizes.output) };
}

/**
 * The gate input (weight units) that makes a layer compartment fire iff z > `threshold`, where
 * z is its weighted sum in weight mantissas delivered at `scale` hardware units each:
 * (threshold - bias - gate) = threshold_z * scale. For scale 64 these are the paper's
 * 8704 (z > 512), 9216 (z > 0) and 8192 (z > 1024).
 */
export function thresholdGate(thresholdZ: number, scale: number): number {
  return (LAYER_SPAN - thresholdZ * scale) / 64;
}

/** Split a positive weight (wu) into weights each representable exactly (mantissa * 2^exp). */
export function splitWeight(value: number): number[] {
  const parts: number[] = [];
  let rest = value;
  while (rest > 0) {
    const enc = encodeWeight(rest, 'excitatory');
    if (enc.exact) {
      parts.push(rest);
      break;
    }
    const unit = Math.pow(2, enc.exp);
    const part = Math.floor(rest / unit) * unit;
    parts.push(part);
    rest -= part;
    if (parts.length > 4) throw new Error(`splitWeight: ${value} needs more than 4 synapses`);
  }
  return parts;
}

/** The hidden-family and output-family groups of the training network. */
const HIDDEN = ['h1', 'h1_copy', 'h1_copy2'];
const OUTPUT = ['o', 'o_copy', 'o_copy2'];

function find(desc: NetworkDesc, name: string): ConnectionDesc {
  let c: ConnectionDesc | undefined;
  for (let k = 0; k < desc.connections.length; k++) if (desc.connections[k].name === name) c = desc.connections[k];
  if (!c) throw new Error(`gating: ${desc.name} has no connection ${name}`);
  return c;
}

/** Set a gate connection to `value` wu, adding `name+k` connections for the extra parts. */
function setGate(desc: NetworkDesc, name: string, value: number): void {
  const c = find(desc, name);
  const parts = splitWeight(value);
  c.weight = parts[0];
  for (let k = 1; k < parts.length; k++) desc.connections.push({ ...c, name: `${name}+${k}`, weight: parts[k] });
}

function setExp(desc: NetworkDesc, names: string[], exp: number): void {
  for (const n of names) find(desc, n).weightExp = exp;
}

/** Make a training network (topology.ts, paper gating) robust, in place. */
export function robustTraining(desc: NetworkDesc, plan: GatingPlan): NetworkDesc {
  setExp(desc, HIDDEN.map((h) => `x->${h}`), plan.w1Exp);
  setExp(desc, OUTPUT.map((o) => `h1->${o}`), plan.w2Exp);
  setExp(desc, ['o->h1T', 'oT-->h1T'], plan.w2tExp);
  const s1 = plasticScale(plan.w1Exp);
  const s2 = plasticScale(plan.w2Exp);
  // [z > 512] and [z > 1024]; the [z > 0] gates (g + gm05 = 9216 wu) do not depend on the scale
  setGate(desc, 'g02->h1:g', thresholdGate(512, s1));
  setGate(desc, 'g02->h1_copy2:gp05', thresholdGate(1024, s1));
  setGate(desc, 'g03->o:g', thresholdGate(512, s2));
  setGate(desc, 'g03->o_copy2:gp05', thresholdGate(1024, s2));
  const gi = CONN_TYPES.gi.weight as number;
  for (const h of HIDDEN) desc.connections.push({ name: `g00->${h}:gi`, pre: 'g00', post: h, connectivity: 'one-to-all', weight: gi, delay: 0 });
  for (const o of OUTPUT) desc.connections.push({ name: `g08->${o}:gi`, pre: 'g08', post: o, connectivity: 'one-to-all', weight: gi, delay: 0 });
  desc.name += '-robust';
  return desc;
}

/** Make an inference network (4 phases, paper gating) robust, in place. */
export function robustInference(desc: NetworkDesc, plan: GatingPlan): NetworkDesc {
  setExp(desc, ['x->h1'], plan.w1Exp);
  setExp(desc, ['h1->o'], plan.w2Exp);
  setGate(desc, 'g02->h1:g', thresholdGate(512, plasticScale(plan.w1Exp)));
  setGate(desc, 'g03->o:g', thresholdGate(512, plasticScale(plan.w2Exp)));
  desc.name += '-robust';
  return desc;
}

/** What the inference network's o compartments receive from the gates in phase 3 (hardware units), and W2 h's scale. */
export function outputReadout(plan: GatingPlan): { gateUnits: number; scale: number } {
  const s2 = plasticScale(plan.w2Exp);
  return { gateUnits: thresholdGate(512, s2) * 64, scale: s2 };
}
