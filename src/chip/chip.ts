/**
 * The chip: compartments, synapse memory, an event-driven spike router with axonal delays,
 * the learning engine and the op counters, stepped one time step at a time (see
 * docs/chip-model.md for the model and its counting rules).
 *
 * A time step, in the order the hardware runs it (Chip.step):
 *   1. input: what the kernel held back for this step goes into the accumulators (the fast
 *      kernel's row sums; the naive kernel adds every synapse as it routes);
 *   2. compartment update: every compartment with input due, a running refractory counter,
 *      or dynamics of its own (non-full decay, bias-driven firing) is updated with the
 *      integer rules of ./compartments (the others are at rest and stay there exactly);
 *   3. spike routing: each spike (compartment, or host generator due at this step) is sent over its synapse
 *      groups, reading the weights as they are now, into the dendritic accumulator slot of
 *      step t + 1 + delay;
 *   4. learning: at the end of each learning epoch the engine updates the traces and applies
 *      the sum-of-products rule to the plastic synapses;
 *   5. the time model adds the step's critical path.
 * `ordering: 'learn-then-route'` swaps 3 and 4 (spikes then see this step's new weights).
 *
 * The rooms: ./compartments (state and update), ./dendrites (accumulators per delay slot),
 * ./generators (host spike generators), ./routing-table (who a spike goes to, what it costs),
 * ./learning-engine, ./time-model, and the kernel that computes a step (./kernel): the naive
 * kernel (./naive-kernel) or the fast one (./fast-kernel, with ./copies), equal to the bit.
 *
 * Work per step is proportional to spikes and their fan-out, not to the network's size.
 * The hot path allocates nothing: all state lives in typed arrays sized at construction.
 *
 * What this model still lacks compared with Loihi 1: noise, multi-compartment joins,
 * graded spikes, tag/delay learning (dt, dd), the u (epoch-counter) dependencies, axon
 * routing tables and synaptic-delay memory sharing, and the exact hardware trace decay
 * (traces decay in floating point, then round stochastically, as Lava does).
 */
import { Compartments } from './compartments';
import { NUM_OPS, Op, OpCounters } from './counters';
import { delaySlots, Dendrites } from './dendrites';
import { FastKernel } from './fast-kernel';
import { SpikeGenerators } from './generators';
import type { Kernel } from './kernel';
import { LearningEngine } from './learning-engine';
import { NaiveKernel } from './naive-kernel';
import { Prng, streamSeed } from './prng';
import { RoutingTable } from './routing-table';
import { jsRowSumKernel, type RowSumKernel } from './row-sum';
import type { ChipSpec } from './spec';
import { SynapseGroup } from './synapse-group';
import { CoreLoad, TimeModel } from './time-model';
import { UserError } from '../errors';

export { SynapseGroup };

/**
 * True in a board bundle (tools/build-boards.mjs defines it), undeclared everywhere else
 * (Node, the tests, the portable bundle). What a device never runs is built only where
 * `typeof SYNFIRE_DEVICE !== 'boolean'` (the naive kernel, the time model's tallying): in a
 * board bundle the test is the constant false and the bundler leaves that code out.
 */
declare const SYNFIRE_DEVICE: boolean | undefined;

export class Chip {
  readonly spec: ChipSpec;
  readonly numCompartments: number;
  readonly numSources: number;
  readonly counters: OpCounters;
  readonly groups: SynapseGroup[];
  readonly prng: Prng;
  /** Last completed step; the first step run is 1. */
  time = 0;
  /** The compartments' state (the same arrays as compartments.u, .v, .ref, .lastUpdate). */
  readonly u: Int32Array;
  readonly v: Int32Array;
  readonly ref: Uint8Array;
  /** Step of each compartment's last update: also the per-step visit stamp (each is updated at most once a step). */
  readonly lastUpdate: Int32Array;
  /** Compartments that spiked in the last step. */
  readonly spikedCx: Int32Array;
  spikedCount = 0;
  /** Generator ports that spiked in the last step (valid until the next step). */
  spikedGen: Int32Array;
  spikedGenCount = 0;
  /** The fast kernel's row-sum implementation (plain JS unless the host injects another; plain JS for the naive kernel). */
  readonly rowSum: RowSumKernel;
  /** Per core, per CoreOp kind: the current step's load (the time model's). */
  readonly coreOps: Float64Array;
  /** Critical-path latency per counter bucket, ns (filled when a time model is set). */
  readonly latencyNs: Float64Array;

  readonly compartments: Compartments;
  readonly dendrites: Dendrites;
  readonly generators: SpikeGenerators;
  readonly routes: RoutingTable;
  readonly learning: LearningEngine;
  readonly timeModel: TimeModel;
  readonly kernel: Kernel;

  constructor(spec: ChipSpec) {
    this.spec = spec;
    const n = spec.numCompartments;
    this.numCompartments = n;
    this.numSources = n + spec.numGeneratorPorts;
    this.counters = new OpCounters(spec.numBuckets);
    this.prng = new Prng(spec.seed);

    let maxDelay = 0;
    let maxPost = 0;
    for (const g of spec.synapseGroups) {
      if (g.delay > maxDelay) maxDelay = g.delay;
      if (g.postSize > maxPost) maxPost = g.postSize;
    }
    const slots = delaySlots(maxDelay);
    const fast = (spec.kernel ?? 'fast') === 'fast';
    // The fast kernel keeps the arrays its row-sum kernel works on in that kernel's memory:
    // per dense group its weights, pre list and sums; the compartment state, the accumulators
    // and the spike and refractory lists. Each allocation is padded to 16 bytes.
    let kernelBytes = 0;
    for (const g of spec.synapseGroups)
      if (g.connectivity.kind === 'dense') kernelBytes += 2 * g.preSize * g.postSize + 4 * (g.preSize + g.postSize) + 48;
    kernelBytes += slots * (8 * n + 16) + 3 * (4 * n + 16) + (n + 16) + 2 * (4 * (n + 1) + 16) + (4 * maxPost + 16) + 32;
    // the lists the kernel's list update walks, the tables it reads, the per-core counts it adds to
    kernelBytes += slots * (4 * n + 16) + 2 * (4 * n + 16) + 2 * (2 * n + 16) + (48 * spec.prototypes.length + 16) + (8 * spec.numCores + 16);
    // the generator spike lists (a fixed-weight dense group sums its rows straight from them)
    kernelBytes += (slots + 1) * (4 * spec.numGeneratorPorts + 16);
    this.rowSum = (fast && spec.rowSum ? spec.rowSum(kernelBytes) : null) ?? jsRowSumKernel;
    const k = this.rowSum;

    const lean = spec.lean === true;
    this.groups = spec.synapseGroups.map((g) => new SynapseGroup(g, lean));
    for (const g of this.groups) {
      const stream = g.learning ? g.learning.roundingStream : undefined;
      if (stream !== undefined) g.roundRng = g.ownRng = new Prng(streamSeed(spec.seed, stream));
    }
    const integralInputs = this.groups.every((g) => Number.isInteger(g.scale));
    this.compartments = new Compartments(spec, k, fast, integralInputs);
    const cx = this.compartments;
    this.u = cx.u;
    this.v = cx.v;
    this.ref = cx.ref;
    this.lastUpdate = cx.lastUpdate;
    this.spikedCx = cx.spikedCx;
    this.dendrites = new Dendrites(n, this.groups, slots, k);
    this.generators = new SpikeGenerators(spec.numGeneratorPorts, slots, k);
    this.spikedGen = this.generators.spiked;
    // (a lean fast chip never reads the unpacked message costs: only a time model does)
    this.routes = new RoutingTable(spec, this.groups, lean && fast);
    // (a board bundle, which never sets a time model, holds only its load arrays: see SYNFIRE_DEVICE)
    this.timeModel =
      typeof SYNFIRE_DEVICE === 'boolean' ? (new CoreLoad(spec.numCores, cx, this.groups, spec.numBuckets, !lean) as TimeModel) : new TimeModel(spec.numCores, cx, this.groups, spec.numBuckets, !lean);
    this.coreOps = this.timeModel.coreOps;
    this.latencyNs = this.timeModel.latencyNs;
    this.learning = new LearningEngine(spec, this.groups, this.counters, this.prng, this.timeModel);
    const parts = {
      spec,
      groups: this.groups,
      compartments: cx,
      dendrites: this.dendrites,
      routes: this.routes,
      learning: this.learning,
      time: this.timeModel,
      counters: this.counters,
      rowSum: k,
    };
    // (a board bundle holds the fast kernel only: see SYNFIRE_DEVICE)
    if (fast || typeof SYNFIRE_DEVICE === 'boolean') {
      if (!fast) throw new UserError("a board bundle runs the fast kernel only, not kernel 'naive'");
      this.kernel = new FastKernel(parts);
    } else this.kernel = new NaiveKernel(parts);
    cx.allocateLast(spec, k, fast);
  }

  /**
   * Attach a time model for the critical-path latency: ns per CoreOp kind and the barrier
   * time. Each step then costs max over cores of sum(ops * ns) plus the barrier.
   */
  setTimeModel(nsPerCoreOp: ArrayLike<number>, barrierNs: number): void {
    if (this.spec.lean === true) throw new UserError('a chip built with device storage (lean) keeps no time model');
    if (typeof SYNFIRE_DEVICE === 'boolean') throw new UserError('a board bundle keeps no time model');
    this.timeModel.set(nsPerCoreOp, barrierNs);
  }

  /** Choose the counter bucket for the following steps. */
  setBucket(b: number): void {
    this.counters.bucket = b;
  }

  /**
   * Schedule generator port `port` (0-based within the chip's generator ports) to spike at
   * `step`, which must be after the current time and within the delay window.
   */
  schedule(port: number, step: number): void {
    this.generators.schedule(port, step, this.time);
  }

  /** schedule(base + ports[k], step) for k = start .. end - 1 (a sample's input spikes at once). */
  scheduleMany(ports: ArrayLike<number>, start: number, end: number, base: number, step: number): void {
    this.generators.scheduleMany(ports, start, end, base, step, this.time);
  }

  /** Current u of a compartment (resting compartments report their rest value). */
  current(cx: number): number {
    return this.compartments.current(cx, this.time);
  }

  /** Voltage of a compartment (resting compartments report their rest value). */
  voltage(cx: number): number {
    return this.compartments.voltage(cx, this.time);
  }

  /**
   * Call after writing a group's weights directly (not through setPostMajor): the fast
   * kernel re-derives what it derived from the weights (copies, uniform rows) before the
   * next step.
   */
  weightsChanged(): void {
    SynapseGroup.allWrites++;
  }

  /** Run one time step. */
  step(): void {
    const t = this.time + 1;
    this.time = t;
    const slot = t & this.dendrites.slotMask;
    const bucket = this.counters.bucket;
    const cd = this.counters.data;
    const timing = this.timeModel.weights !== null;
    const kernel = this.kernel;
    const cx = this.compartments;

    // 1. input due now that the kernel held back (the fast kernel's row sums)
    kernel.advance(t, slot);
    // 2. compartment update
    cx.beginStep();
    kernel.updateCompartments(t, slot, timing);
    this.spikedCount = cx.endStep(cd, bucket);
    cd[bucket * NUM_OPS + Op.steps] += 1;
    cd[bucket * NUM_OPS + Op.barriers] += 1; // one mesh-wide barrier sync ends every step
    // the host generators' spikes due now
    this.spikedGenCount = this.generators.release(slot);
    this.spikedGen = this.generators.spiked;
    cd[bucket * NUM_OPS + Op.genSpikes] += this.spikedGenCount;
    // 3 and 4: routing and learning, in the configured order
    if (this.spec.ordering === 'route-then-learn') {
      kernel.route(t, this.spikedCx, this.spikedCount, this.spikedGen, this.spikedGenCount);
      this.learn(t);
    } else {
      this.learn(t);
      kernel.route(t, this.spikedCx, this.spikedCount, this.spikedGen, this.spikedGenCount);
    }
    // 5. the critical path of this step
    if (timing) this.timeModel.endStep(bucket);
  }

  /** Learning at the end of step t: the epoch's spikes and rewards, then the rule where an epoch ends. */
  private learn(t: number): void {
    const l = this.learning;
    if (l.plastic.length === 0) return;
    l.collect(t, this.spikedCx, this.spikedCount, this.spikedGen, this.spikedGenCount);
    this.kernel.beforeLearning(t);
    l.apply(t);
  }
}
