/**
 * Host spike generators: the spikes the host schedules on the chip's generator ports, kept
 * per delay slot until their step comes. A generator spike is routed like a compartment's.
 */
import type { RowSumKernel } from './row-sum';

export class SpikeGenerators {
  readonly numPorts: number;
  private readonly slots: number;
  private readonly slotMask: number;
  private readonly pending: Int32Array[];
  private readonly pendingCount: Int32Array;
  private readonly mark: Int32Array[];
  /** The ports released by the last release() (valid until the next). */
  spiked: Int32Array;

  constructor(numPorts: number, slots: number, k: RowSumKernel) {
    this.numPorts = numPorts;
    this.slots = slots;
    this.slotMask = slots - 1;
    this.pending = [];
    this.mark = [];
    for (let s = 0; s < slots; s++) {
      this.pending.push(k.allocInt32(numPorts));
      this.mark.push(new Int32Array(numPorts).fill(-1));
    }
    this.pendingCount = new Int32Array(slots);
    this.spiked = k.allocInt32(numPorts);
  }

  /** Schedule `port` to spike at `step` (after `time`, the last completed step, and within the delay window). */
  schedule(port: number, step: number, time: number): void {
    this.check(port, step, time);
    const s = step & this.slotMask;
    if (this.mark[s][port] === step) return;
    this.mark[s][port] = step;
    this.pending[s][this.pendingCount[s]++] = port;
  }

  /** schedule(base + ports[k], step, time) for k = start .. end - 1; a bad port schedules nothing. */
  scheduleMany(ports: ArrayLike<number>, start: number, end: number, base: number, step: number, time: number): void {
    if (end <= start) return;
    this.check(base, step, time);
    const s = step & this.slotMask;
    const mark = this.mark[s];
    const pending = this.pending[s];
    const np = this.numPorts;
    const c0 = this.pendingCount[s];
    let c = c0;
    for (let k = start; k < end; k++) {
      const port = base + ports[k];
      if (!(port >= 0 && port < np && Math.floor(port) === port)) {
        // a bad port changes nothing: unschedule the ports taken so far, then throw
        for (let r = c0; r < c; r++) mark[pending[r]] = -1;
        this.check(port, step, time);
      }
      if (mark[port] === step) continue;
      mark[port] = step;
      pending[c++] = port;
    }
    this.pendingCount[s] = c;
  }

  private check(port: number, step: number, time: number): void {
    if (!(Math.floor(port) === port && port >= 0 && port < this.numPorts)) {
      throw new RangeError(`generator port ${port} does not exist (the chip has ports 0..${this.numPorts - 1})`);
    }
    if (step <= time || step >= time + this.slots) {
      throw new RangeError(`generator spike at step ${step} is outside the schedulable window ${time + 1}..${time + this.slots - 1}`);
    }
  }

  /**
   * The spikes due at the step of `slot`: they become `spiked` (the old list becomes the
   * slot's new, empty one). Returns their count.
   */
  release(slot: number): number {
    const gp = this.pending[slot];
    const gc = this.pendingCount[slot];
    this.pending[slot] = this.spiked;
    this.spiked = gp;
    this.pendingCount[slot] = 0;
    return gc;
  }
}
