/**
 * The training network on the chip, driven the way the host drives the real one: the host
 * streams each sample's pixel spikes and its label spike into spike generators and steps the
 * chip through the 12 phases. Everything else, including the reward that switches learning
 * between potentiation and depression, happens on the chip. The host never reads weights or
 * computes errors during training.
 */
import type { Chip, SynapseGroup } from '../chip/chip';
import type { StepOrdering } from '../chip/spec';
import { compileNetwork, type CompiledNetwork, type GroupLayout } from '../net/compile';
import type { CompileOptions, CoreLimits, NetworkDesc } from '../net/network';
import type { Gating } from './gating';
import { requireHeadroom, trainingSchedule } from './headroom';
import { UserError } from '../errors';
import type { Order, TargetTop } from './oracle';
import { phaseStep, TRAIN_GATES } from './params';
import { LOADED_FROM, PLASTIC_NAMES, type PlasticName, type SbpSizes, type WeightMatrixName } from './matrices';
import { PLASTIC_CONNECTIONS, trainingNetwork, type RewardSource } from './topology';

/** True in a board bundle, undeclared elsewhere (see SYNFIRE_DEVICE in ../chip/chip). */
declare const SYNFIRE_DEVICE: boolean | undefined;

export type Placement = 'paper' | 'pack' | 'spread';

export interface SbpChipOptions {
  sizes: SbpSizes;
  order?: Order;
  reward?: RewardSource;
  placement?: Placement;
  chips?: number;
  limits?: CoreLimits;
  /** Seed of the chip's learning-engine PRNG (the sBP rule draws nothing from it; its matrices round from their own streams: learning-rate.ts). */
  seed?: number;
  kernel?: 'fast' | 'naive';
  rowSum?: CompileOptions['rowSum'];
  /** Device storage (ChipSpec.lean): what the firmware builds. */
  lean?: boolean;
  /** Gating variant (gating.ts; default 'paper'). */
  gating?: Gating;
  /** The error window (error-window.ts; default 0, the paper's). */
  errorWindow?: number;
  /** The missed-target window's upper edge (error-window.ts; default 512, the paper's). */
  targetTop?: TargetTop;
}

/** Counter bucket of the 12 startup steps before the first sample. */
export const STARTUP_BUCKET = TRAIN_GATES;
export const TRAIN_BUCKETS = TRAIN_GATES + 1;

export function stepOrdering(order: Order): StepOrdering {
  return order === 'chip' ? 'route-then-learn' : 'learn-then-route';
}

/** Spikes of one sample, per phase, as flags over all compartments. */
export class PhaseRecord {
  readonly flags: Uint8Array[];
  constructor(readonly numCompartments: number, phases: number) {
    this.flags = [];
    for (let p = 0; p < phases; p++) this.flags.push(new Uint8Array(numCompartments));
  }
  clear(): void {
    for (const f of this.flags) f.fill(0);
  }
  /** The 0/1 spike vector of a group in a phase. */
  group(layout: GroupLayout, phase: number, out?: Uint8Array): Uint8Array {
    const v = out ?? new Uint8Array(layout.size);
    const f = this.flags[phase];
    for (let i = 0; i < layout.size; i++) v[i] = f[layout.start + i];
    return v;
  }
  count(layout: GroupLayout, phase: number): number {
    let n = 0;
    const f = this.flags[phase];
    for (let i = 0; i < layout.size; i++) n += f[layout.start + i];
    return n;
  }
}

export class SbpTrainingChip {
  readonly sizes: SbpSizes;
  readonly order: Order;
  readonly reward: RewardSource;
  readonly gating: Gating;
  /** A missed target counts for an output potential in (-errorWindow, 512] (error-window.ts). */
  readonly errorWindow: number;
  /** ...and up to targetTop (512: the paper; 1024: a margin). */
  readonly targetTop: TargetTop;
  readonly compiled: CompiledNetwork;
  readonly chip: Chip;
  /** Samples streamed through the network so far. */
  samples = 0;
  private readonly inputPort: number;
  private readonly labelPort: number;
  private readonly rewardPort: number;
  private readonly oStart: number;
  private readonly plastic: Record<PlasticName, SynapseGroup>;

  constructor(opts: SbpChipOptions) {
    this.sizes = opts.sizes;
    this.order = opts.order ?? 'chip';
    this.reward = opts.reward ?? 'chip';
    this.gating = opts.gating ?? 'paper';
    this.errorWindow = opts.errorWindow ?? 0;
    this.targetTop = opts.targetTop ?? 512;
    const net = trainingNetwork(opts.sizes, this.reward, this.gating, this.errorWindow, this.targetTop);
    this.compiled = compileTraining(net, this.order, TRAIN_BUCKETS, opts);
    if (this.gating === 'robust' && typeof SYNFIRE_DEVICE !== 'boolean') {
      // robust gating promises headroom for every reachable weight matrix: refuse a network it
      // cannot prove (after the compiler, so a network that does not fit says so first). A
      // board bundle leaves the proof out: the host proves it when it plans the board's memory
      // (firmware-model/memory-plan.ts), before any configuration reaches the device.
      requireHeadroom(net, trainingSchedule());
    }
    this.chip = this.compiled.chip;
    const g = this.compiled.groups;
    this.inputPort = g.input.start;
    this.labelPort = g.in_tgt.start;
    this.rewardPort = this.reward === 'host' ? g.reward.start : -1;
    this.oStart = g.o.start;
    this.plastic = {} as Record<PlasticName, SynapseGroup>;
    for (const name of PLASTIC_NAMES) this.plastic[name] = this.chip.groups[this.compiled.connections[PLASTIC_CONNECTIONS[name]]];
    this.startup();
  }

  /** Steps 1..12: in_g kicks the gating ring at step 11, so g00 fires at step 12. */
  private startup(): void {
    const chip = this.chip;
    chip.setBucket(STARTUP_BUCKET);
    while (chip.time < TRAIN_GATES) {
      if (chip.time + 1 === TRAIN_GATES - 1) chip.schedule(this.compiled.groups.in_g.start, TRAIN_GATES - 1);
      chip.step();
    }
  }

  /**
   * Stream one training sample: pixel spikes (active input indices) at phase 0, the label
   * spike at phase 2, then run the 12 phases. `record`, if given, receives every phase's
   * spikes; `out`, if given, receives the output spikes o of phase 3 (read out, as the host
   * reads results; it does not influence learning).
   */
  trainSample(active: ArrayLike<number>, start: number, end: number, label: number, record?: PhaseRecord, out?: Uint8Array): void {
    const chip = this.chip;
    const n = this.samples;
    for (let p = 0; p < TRAIN_GATES; p++) {
      const step = phaseStep(TRAIN_GATES, n, p);
      if (p === 0) chip.scheduleMany(active, start, end, this.inputPort, step);
      if (p === 2) chip.schedule(this.labelPort + label, step);
      // host reward schedule: spikes at the learning steps of phases 5 and 7
      if (this.rewardPort >= 0 && (p === 5 || p === 7)) chip.schedule(this.rewardPort, step);
      chip.setBucket(p);
      chip.step();
      if (record) {
        const f = record.flags[p];
        for (let k = 0; k < chip.spikedCount; k++) f[chip.spikedCx[k]] = 1;
      }
      if (out && p === 3) {
        out.fill(0);
        const o0 = this.oStart;
        for (let k = 0; k < chip.spikedCount; k++) {
          const i = chip.spikedCx[k] - o0;
          if (i >= 0 && i < out.length) out[i] = 1;
        }
      }
    }
    this.samples = n + 1;
  }

  /** The learning-rate shift the plastic groups' rule has now (learning-rate.ts, setLearningShift; 0: the paper's step). */
  lrShift = 0;

  /** A plastic matrix as post x pre (a copy). */
  matrix(name: PlasticName): Int16Array {
    return this.plastic[name].postMajor();
  }

  /** Set a plastic matrix from post x pre values. */
  setMatrix(name: PlasticName, m: ArrayLike<number>): void {
    const g = this.plastic[name];
    if (m.length !== g.preSize * g.postSize) throw new RangeError(`${name}: expected ${g.postSize}x${g.preSize} values, got ${m.length}`);
    g.setPostMajor(m);
  }

  /** The synapse group of a plastic matrix (for fast read access). */
  group(name: PlasticName): SynapseGroup {
    return this.plastic[name];
  }
}

/** Load the four distinct matrices into all eight plastic groups (copies get W1 and W2). */
export function loadWeights(net: SbpTrainingChip, w: Record<WeightMatrixName, ArrayLike<number>>): void {
  for (const name of PLASTIC_NAMES) net.setMatrix(name, w[LOADED_FROM[name]]);
}

/**
 * Compile a training network as the training chips do (one and several hidden layers): the
 * step order, one counter bucket per phase plus startup, placed by placeOrSpread.
 */
export function compileTraining(net: NetworkDesc, order: Order, numBuckets: number, opts: Omit<SbpChipOptions, 'sizes'>): CompiledNetwork {
  return placeOrSpread(opts.placement ?? 'paper', (placement) =>
    compileNetwork(net, {
      chips: opts.chips,
      limits: opts.limits,
      placement,
      ordering: stepOrdering(order),
      numBuckets,
      seed: opts.seed ?? 1,
      kernel: opts.kernel,
      rowSum: opts.rowSum,
      lean: opts.lean,
    }),
  );
}

/** The compiler's placements ('hint': the authors' core ranges). */
export type CorePlacement = 'hint' | 'pack' | 'spread';

/** The compiler's placement for a Placement: 'paper' is the authors' core ranges, given as hints. */
export function corePlacement(p: Placement = 'paper'): CorePlacement {
  return p === 'paper' ? 'hint' : p;
}

/**
 * Compile with the authors' core ranges ('paper': the description's hints) and fall back to
 * spreading when they do not hold the network (a larger one); 'pack' packs at once, 'spread'
 * packs over as many cores as the network can use (src/net/place.ts).
 */
export function placeOrSpread<T = CompiledNetwork>(placement: Placement, compile: (p: CorePlacement) => T): T {
  if (placement !== 'paper') return compile(placement);
  try {
    return compile('hint');
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'UserError') throw e;
    return compile('spread');
  }
}
