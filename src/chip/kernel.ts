/**
 * A simulation kernel: how the chip's step is computed. Two implement it, with the same
 * results to the bit (the same spikes, u, v, weights, counters and latency):
 *   - NaiveKernel (./naive-kernel): every spike adds every synapse's weight into the
 *     accumulators, every due compartment takes the full update; the plain statement of the model.
 *   - FastKernel (./fast-kernel): dense rows are summed per step by a row-sum kernel (plain
 *     JS or WebAssembly), exact copies of a group read one set of sums (./copies), memoryless
 *     ranges take a shortcut update; see there.
 * The Chip owns the state (compartments, accumulators, routing tables, learning engine, time
 * model) and calls the kernel at fixed points of its step.
 */
import type { Compartments } from './compartments';
import type { OpCounters } from './counters';
import type { Dendrites } from './dendrites';
import type { LearningEngine } from './learning-engine';
import type { RoutingTable } from './routing-table';
import type { RowSumKernel } from './row-sum';
import type { ChipSpec } from './spec';
import type { SynapseGroup } from './synapse-group';
import type { TimeModel } from './time-model';

/** The parts of a chip a kernel works on. */
export interface ChipParts {
  readonly spec: ChipSpec;
  readonly groups: SynapseGroup[];
  readonly compartments: Compartments;
  readonly dendrites: Dendrites;
  readonly routes: RoutingTable;
  readonly learning: LearningEngine;
  readonly time: TimeModel;
  readonly counters: OpCounters;
  readonly rowSum: RowSumKernel;
}

export abstract class Kernel {
  abstract readonly name: 'naive' | 'fast';
  protected readonly groups: SynapseGroup[];
  protected readonly cx: Compartments;
  protected readonly d: Dendrites;
  protected readonly routes: RoutingTable;
  protected readonly time: TimeModel;
  protected readonly counters: OpCounters;

  constructor(parts: ChipParts) {
    this.groups = parts.groups;
    this.cx = parts.compartments;
    this.d = parts.dendrites;
    this.routes = parts.routes;
    this.time = parts.time;
    this.counters = parts.counters;
  }

  /**
   * Start of step t (slot = its accumulator slot): input the kernel held back from earlier
   * deliveries goes into the accumulators, and weights written from outside since the last
   * step are taken into account.
   */
  abstract advance(t: number, slot: number): void;

  /**
   * The compartment update of step t: every compartment with input due (whole post ranges,
   * then single compartments), a running refractory counter or dynamics of its own, each once.
   */
  updateCompartments(t: number, slot: number, timing: boolean): void {
    const d = this.d;
    const cx = this.cx;
    const acc = d.acc[slot];
    const rc = d.rangeCount[slot];
    const rg = d.rangeGroups[slot];
    for (let r = 0; r < rc; r++) this.updateRange(this.groups[rg[r]], rg[r], t, slot, acc, timing);
    d.rangeCount[slot] = 0;
    this.updateList(d.singles[slot], d.singleCount[slot], t, acc, timing);
    d.singleCount[slot] = 0;
    this.updateList(cx.refIn, cx.refCount, t, acc, timing);
    this.updateList(cx.alwaysList, cx.alwaysList.length, t, acc, timing);
  }

  /** Update the post range of group g (its rangeId is gi), due at step t. */
  protected abstract updateRange(g: SynapseGroup, gi: number, t: number, slot: number, acc: Float64Array, timing: boolean): void;

  /** Update the compartments list[0..count) not yet updated at step t. */
  protected abstract updateList(list: Int32Array, count: number, t: number, acc: Float64Array, timing: boolean): void;

  /** Deliver step t's spikes (compartments spikedCx[0..nCx), generator ports spikedGen[0..nGen)) over their synapse groups. */
  abstract route(t: number, spikedCx: Int32Array, nCx: number, spikedGen: Int32Array, nGen: number): void;

  /** Step t's learning, after its spikes were collected and before any rule is applied. */
  abstract beforeLearning(t: number): void;

  /** The compartments of g's post range not yet updated at step t, each by the full update. */
  protected updateEachInRange(g: SynapseGroup, t: number, acc: Float64Array, timing: boolean): void {
    const stamp = this.cx.lastUpdate;
    const end = g.postStart + g.postSize;
    for (let c = g.postStart; c < end; c++) {
      if (stamp[c] !== t) {
        stamp[c] = t;
        this.cx.update(c, acc, timing);
      }
    }
  }

  /**
   * `rows` whole rows (all posts of g) were delivered into slot s for step `target`: the post
   * range is due for an update then, and (time model) the rows are charged to the post cores.
   */
  protected rowsDelivered(g: SynapseGroup, gi: number, s: number, target: number, timing: boolean, rows: number): void {
    this.d.rangeDue(g, s, target);
    if (timing) this.time.rowsDelivered(g, gi, rows);
  }
}

/** a[base + j] += w[off + j] * scale for j < n: the dense delivery of one row. */
export function addScaledRow(a: Float64Array, base: number, w: Int16Array, off: number, n: number, scale: number): void {
  for (let j = 0; j < n; j++) a[base + j] += w[off + j] * scale;
}
