/**
 * The low-level description a Chip is built from: compartment prototypes and placement,
 * spike-generator ports, synapse groups and reward channels. src/net/compile.ts produces it
 * from a network description; tests may write one by hand.
 */
import type { LearningRule } from './learning-rule';
import type { SignMode } from './weights';
import type { RowSumKernel } from './row-sum';

/** Parameters shared by a set of compartments, in the chip's register units. */
export interface CompartmentPrototype {
  name: string;
  /** Threshold mantissa (17-bit); the compartment spikes when v > vthMant * 2^6. */
  vthMant: number;
  /** Effective current decay 0..4096 (the du register plus its 1-bit offset). 4096 clears u each step. */
  decayU: number;
  /** Effective voltage decay 0..4096 (the dv register plus its offset). 4096 clears v each step. */
  decayV: number;
  /** Bias mantissa (13-bit signed) and exponent (0..7). */
  biasMant: number;
  biasExp: number;
  /** Steps a spike blocks, counting the spike step itself: 1 lets the compartment fire on consecutive steps. */
  refractoryDelay: number;
}

/** How a synapse group connects pre index i to post index j. */
export type Connectivity =
  /** weights[i * postSize + j]: every pre to every post. */
  | { kind: 'dense'; weights: Int16Array }
  /** Compressed rows: the synapses of pre i are offsets[i]..offsets[i+1] into targets/weights. */
  | { kind: 'sparse'; offsets: Uint32Array; targets: Uint32Array; weights: Int16Array };

export interface TraceSpec {
  /** Added per spike, in 1/256 units (8 fractional bits), stochastically rounded. */
  impulse: number;
  /** Decay time constant in epochs; 0 means the trace lasts exactly one epoch. */
  tau: number;
}

export interface LearningSpec {
  rule: LearningRule;
  /** Learning epoch length in steps (1..63). */
  tEpoch: number;
  /** Which reward channel r0/r1 read. */
  rewardChannel: number;
  /** A rounding stream of the group's own (LearningDesc.roundingStream); absent: the chip's generator. */
  roundingStream?: string;
  x1?: TraceSpec;
  x2?: TraceSpec;
  y1?: TraceSpec;
  y2?: TraceSpec;
  y3?: TraceSpec;
}

export interface SynapseGroupSpec {
  name: string;
  /** First source id of the pre population (compartment ids, then generator ports after them). */
  preStart: number;
  preSize: number;
  /** First compartment id of the post population. */
  postStart: number;
  postSize: number;
  connectivity: Connectivity;
  /** Stored weights are mantissas; each delivers mantissa * 2^(6 + weightExp). */
  weightExp: number;
  signMode: SignMode;
  numWeightBits: number;
  /** Axonal delay 0..62: a spike at step t is integrated at t + 1 + delay. */
  delay: number;
  learning?: LearningSpec;
}

export interface RewardChannelSpec {
  name: string;
  /** Source ids (compartments or generator ports) whose spikes drive the channel. */
  sources: number[];
  /** r1 trace; the default (impulse 1, tau 0) makes r1 = 1 exactly in epochs with a reward spike. */
  r1?: { impulse: number; tau: number };
}

export interface MeshSpec {
  coresPerTile: number;
  /** Tiles per chip along x (east-west) and y (north-south). */
  tilesX: number;
  tilesY: number;
}

export type StepOrdering = 'route-then-learn' | 'learn-then-route';

export interface ChipSpec {
  numCompartments: number;
  prototypes: CompartmentPrototype[];
  /** Prototype index of each compartment. */
  cxPrototype: Uint16Array;
  /** Global core index of each compartment. */
  cxCore: Uint16Array;
  numGeneratorPorts: number;
  /** Core through which each generator port's spikes enter the mesh. */
  genCore: Uint16Array;
  numCores: number;
  mesh: MeshSpec;
  coresPerChip: number;
  synapseGroups: SynapseGroupSpec[];
  rewardChannels: RewardChannelSpec[];
  ordering: StepOrdering;
  /**
   * 'fast' (default): dense rows are summed once per step into per-group buffers, and exact
   * copies of a dense group share those sums while their weights stay identical.
   * 'naive': every spike adds every synapse straight into the dendritic accumulators.
   * Both give identical spikes, weights and counters (a test proves it).
   */
  kernel?: 'fast' | 'naive';
  /**
   * Makes the fast kernel's row-sum implementation, given the bytes its arrays need
   * (default, or when it returns null: the portable JS one).
   */
  rowSum?: (capacityBytes: number) => RowSumKernel | null;
  /**
   * Device storage (the firmware's choice; results identical to the bit): each synapse group
   * keeps the spec's weight array itself instead of a copy (training then writes the spec's
   * arrays), no time model can be attached (so no per-core load tables are kept), and the
   * fast kernel keeps only the packed message costs when they are exact.
   */
  lean?: boolean;
  /** Number of counter buckets (e.g. phases of a gating chain). */
  numBuckets: number;
  /** Seed of the learning engine's PRNG (stochastic rounding of dw and traces). */
  seed: number;
}
