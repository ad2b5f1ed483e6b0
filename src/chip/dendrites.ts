/**
 * The dendritic accumulators: per delay slot, the input (in hardware units) each compartment
 * receives at the step that slot stands for, and what is due for an update then: single
 * compartments (sparse deliveries) and whole post ranges (row deliveries). A spike at step t
 * over a synapse of delay d lands in the slot of step t + 1 + d; slots are reused modulo a
 * power of two larger than the longest delay.
 */
import type { RowSumKernel } from './row-sum';
import type { SynapseGroup } from './synapse-group';

/** The number of delay slots for delays up to maxDelay: a power of two, at least maxDelay + 2. */
export function delaySlots(maxDelay: number): number {
  let slots = 2;
  while (slots < maxDelay + 2) slots *= 2;
  return slots;
}

export class Dendrites {
  readonly slots: number;
  readonly slotMask: number;
  /** acc[slot][cx]: the accumulated input of compartment cx. */
  readonly acc: Float64Array[];
  /** Compartments due at the slot's step through single synapses, each listed once (singleMark). */
  readonly singles: Int32Array[];
  readonly singleCount: Int32Array;
  readonly singleMark: Int32Array[];
  /** Post ranges (by rangeId) due for a whole visit at the slot's step, each listed once (rangeMark). */
  readonly rangeGroups: Int32Array[];
  readonly rangeCount: Int32Array;
  readonly rangeMark: Int32Array;
  /** Fast kernel: uniform input per (range, slot), in hardware units (see Compartments.updateRange). */
  readonly rangeOffset: Float64Array;

  constructor(numCompartments: number, groups: SynapseGroup[], slots: number, k: RowSumKernel) {
    this.slots = slots;
    this.slotMask = slots - 1;
    const n = numCompartments;
    this.acc = [];
    this.singles = [];
    this.singleMark = [];
    this.rangeGroups = [];
    for (let s = 0; s < slots; s++) {
      this.acc.push(k.allocFloat64(n));
      this.singles.push(k.allocInt32(n));
      this.singleMark.push(new Int32Array(n));
      this.rangeGroups.push(new Int32Array(groups.length));
    }
    this.singleCount = new Int32Array(slots);
    this.rangeCount = new Int32Array(slots);
    this.rangeMark = new Int32Array(groups.length * slots);
    this.rangeOffset = new Float64Array(groups.length * slots);
    // ranges: the first group with the same post range names it; a range that another partly
    // overlaps is not clean
    groups.forEach((g, gi) => {
      g.rangeId = gi;
      for (let r = 0; r < gi; r++)
        if (groups[r].postStart === g.postStart && groups[r].postSize === g.postSize) {
          g.rangeId = r;
          break;
        }
      for (const h of groups) {
        const overlap = h.postStart < g.postStart + g.postSize && g.postStart < h.postStart + h.postSize;
        if (overlap && (h.postStart !== g.postStart || h.postSize !== g.postSize)) g.rangeClean = false;
      }
    });
  }

  /** Whole rows of g were delivered into slot s for step `target`: its post range is due then. */
  rangeDue(g: SynapseGroup, s: number, target: number): void {
    const mk = g.rangeId * this.slots + s;
    if (this.rangeMark[mk] !== target) {
      this.rangeMark[mk] = target;
      this.rangeGroups[s][this.rangeCount[s]++] = g.rangeId;
    }
  }
}
