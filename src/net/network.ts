/**
 * A network as a user describes it: named groups of compartments (or host spike
 * generators), named connections between them, and reward channels. The compiler
 * (./compile) decides how it runs: it encodes weights, places groups onto cores, checks
 * the chip's memory limits and builds the Chip.
 */
import type { CompartmentPrototype, StepOrdering, TraceSpec } from '../chip/spec';
import type { SignMode } from '../chip/weights';
import type { RowSumKernel } from '../chip/row-sum';

/** A neuron type: the compartment parameters shared by a group. */
export type NeuronType = CompartmentPrototype;

export interface GroupDesc {
  name: string;
  size: number;
  /** The compartments' parameters, or 'generator' for a host-driven spike generator. */
  neuron: NeuronType | 'generator';
  /**
   * Optional placement hint: spread the group over cores [start, end) the way the
   * authors' code does (compartment i goes to start + floor(i / ceil(size / (end - start)))).
   */
  coreRange?: [number, number];
}

export type ConnectivityDesc =
  | 'one-to-one'
  | 'all-to-all'
  | 'one-to-all'
  /** Explicit synapses: [pre index, post index, weight mantissa]. */
  | { sparse: Array<[number, number, number]> };

export interface LearningDesc {
  /** Rule in the chip's string form, e.g. `dw = 4*x0*y0*r1 - 2*x0*y0`. */
  rule: string;
  tEpoch?: number;
  /** Name of the reward channel r0/r1 read (default: the first one). */
  rewardChannel?: string;
  /**
   * A rounding stream of this connection's own: its weight updates round stochastically from
   * a generator seeded from the chip seed and this name, not the chip's shared one.
   * Connections that name the same stream and see the same spikes round alike, so exact
   * copies of a matrix stay exact under a rule that rounds.
   */
  roundingStream?: string;
  x1?: TraceSpec;
  x2?: TraceSpec;
  y1?: TraceSpec;
  y2?: TraceSpec;
  y3?: TraceSpec;
}

export interface ConnectionDesc {
  /** Defaults to `pre->post`. */
  name?: string;
  pre: string;
  post: string;
  connectivity: ConnectivityDesc;
  /**
   * A uniform weight in weight units (mantissa * 2^exp); the compiler finds the mantissa
   * and exponent and refuses values it cannot represent exactly.
   */
  weight?: number;
  /** Per-synapse mantissas for all-to-all connections, post x pre (row j = post j). */
  weights?: ArrayLike<number>;
  /** Weight exponent for `weights` (default 0). */
  weightExp?: number;
  signMode?: SignMode;
  numWeightBits?: number;
  delay?: number;
  learning?: LearningDesc;
}

export interface RewardChannelDesc {
  name: string;
  /** Spikes of these groups (all their members, or one index) drive the channel. */
  sources: Array<{ group: string; index?: number }>;
  r1?: { impulse: number; tau: number };
}

export interface NetworkDesc {
  name: string;
  groups: GroupDesc[];
  connections: ConnectionDesc[];
  rewardChannels?: RewardChannelDesc[];
}

/** Hardware limits of one core and the shape of one chip. Loihi 1 by default. */
export interface CoreLimits {
  coresPerChip: number;
  compartments: number;
  synapseBits: number;
  inputAxons: number;
  outputAxons: number;
  coresPerTile: number;
  tilesX: number;
  tilesY: number;
}

/** Loihi 1 (Davies et al. 2018): 128 cores of 1,024 compartments, 128 KB synapse memory,
 * 4,096 input and 4,096 output axons; 32 tiles of 4 cores, as an 8 x 4 mesh. */
export const LOIHI1_LIMITS: CoreLimits = {
  coresPerChip: 128,
  compartments: 1024,
  synapseBits: 1048576,
  inputAxons: 4096,
  outputAxons: 4096,
  coresPerTile: 4,
  tilesX: 8,
  tilesY: 4,
};

export interface CompileOptions {
  chips?: number;
  limits?: CoreLimits;
  /**
   * 'pack' fills cores in order; 'hint' uses each group's coreRange (falls back to pack);
   * 'spread' packs with every core filled only up to the smallest fraction of its limits at
   * which the network still fits, so the work spreads over the chip's cores (place.ts).
   */
  placement?: 'pack' | 'hint' | 'spread';
  ordering?: StepOrdering;
  numBuckets?: number;
  seed?: number;
  /** Simulation kernel ('fast' default; 'naive' is the straightforward reference path). */
  kernel?: 'fast' | 'naive';
  /** Makes the fast kernel's row-sum implementation (e.g. WebAssembly SIMD on Node). */
  rowSum?: (capacityBytes: number) => RowSumKernel | null;
  /** Device storage for the built chip (ChipSpec.lean). */
  lean?: boolean;
}
