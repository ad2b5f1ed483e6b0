/**
 * The sBP network's parameters: one table, read by the topology builder, the oracle, the
 * tests and the tools (docs/sbp-network.md, "Neuron types" and "Connection types"). The
 * plastic weights' encoding and range live in matrices.ts.
 */
import type { NeuronType } from '../net/network';

// (re-exported for modules that read it here; the definition lives in matrices.ts)
export { PLASTIC } from './matrices';

/** The "1.0" unit in weight units: the threshold mantissa. */
export const UNIT = 1024;
/** Binary activation threshold f(z) = [z > 512]. */
export const HALF = 512;
/** Layer bias in weight units: -8192 (= -4096 * 2^7 hardware units / 2^6). */
export const LAYER_BIAS_WU = -8192;

/** The learning rule, as the authors wrote it, and its epoch. */
export const SBP_RULE = 'dw = y0*x0*r1*4 - y0*x0*2';
export const SBP_TEPOCH = 1;

/**
 * The largest learning-rate shift. With shift k the rule's dw is 2 * 2^-k weight units, a
 * fraction of the weight's LSB (2) that the learning engine rounds stochastically: the weight
 * moves by one LSB with probability 2^-k, so the expected step is 2^-k of the paper's. The
 * accumulator holds 7 fractional bits; k <= 6 keeps dw at least 2^-5.
 */
export const MAX_LR_SHIFT = 6;

/** The sBP rule with its step scaled by 2^-shift (shift 0: the authors' rule, SBP_RULE). */
export function sbpRule(shift: number): string {
  if (!(Number.isInteger(shift) && shift >= 0 && shift <= MAX_LR_SHIFT)) throw new RangeError(`learning-rate shift ${shift} outside 0..${MAX_LR_SHIFT}`);
  if (shift === 0) return SBP_RULE;
  return `dw = y0*x0*r1*4*2^-${shift} - y0*x0*2*2^-${shift}`;
}

/** Initialization (weights2loihi): x1024, clip +-240, truncate toward zero to an even number. */
export const INIT_CLIP = 240;

/** Neuron types. All have full decays (memoryless) and threshold 1024 (65,536 hardware units). */
const layer = { vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: -4096, biasExp: 7 };
export const NEURON_TYPES: Record<'n_sfc' | 'n_sfl' | 'n_sfl_nr' | 'n_gat', NeuronType> = {
  n_sfc: { name: 'n_sfc', ...layer, refractoryDelay: 2 },
  n_sfl: { name: 'n_sfl', ...layer, refractoryDelay: 2 },
  n_sfl_nr: { name: 'n_sfl_nr', ...layer, refractoryDelay: 1 },
  n_gat: { name: 'n_gat', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 },
};

/** Where the authors' code places each neuron type: cores [start, end). */
export const CORE_RANGES: Record<keyof typeof NEURON_TYPES, [number, number]> = {
  n_sfc: [16, 95],
  n_sfl: [2, 80],
  n_sfl_nr: [2, 80],
  n_gat: [40, 95],
};

export type Connectivity = 'one-to-one' | 'all-to-all' | 'one-to-all';

/** Connection types: connectivity, weight in weight units (mantissa * 2^exp) and delay. */
export interface ConnType {
  connectivity: Connectivity;
  /** Fixed weight in wu; null for the plastic / fixed-matrix types p and f. */
  weight: number | null;
  delay: number;
  plastic: boolean;
}

const one = (weight: number, delay = 0): ConnType => ({ connectivity: 'one-to-one', weight, delay, plastic: false });
const all = (weight: number): ConnType => ({ connectivity: 'one-to-all', weight, delay: 0, plastic: false });

export const CONN_TYPES = {
  p: { connectivity: 'all-to-all', weight: null, delay: 0, plastic: true } as ConnType,
  f: { connectivity: 'all-to-all', weight: null, delay: 0, plastic: false } as ConnType,
  '1e': one(520),
  '1e_d1': one(520, 1),
  '1e_d3': one(520, 3),
  '1e_d4': one(520, 4),
  '1e_d5': one(520, 5),
  '1ge': one(9280),
  '1i': one(-520),
  '1i_d3': one(-520, 3),
  g: all(8704),
  g1: one(8704),
  g1s: one(8704),
  g1_d4: one(8704, 4),
  gi: all(-8128),
  gp05: all(8192),
  gm05: all(512),
};
export type ConnTypeName = keyof typeof CONN_TYPES;

/** Gating: number of gates (= steps per sample) in each network. */
export const TRAIN_GATES = 12;
export const INFER_GATES = 4;

/** Phase p of sample n runs at step firstPhaseStep(gates) + gates * n + p. */
export function phaseStep(gates: number, n: number, p: number): number {
  return gates + 1 + gates * n + p;
}
