/**
 * A compiled network running on the chip model, as a user drives it: inject spikes into
 * generator groups, step, read which members spiked and what the chip counted. Counts are
 * kept per step of a sample (stepsPerSample counter buckets: step t goes to bucket
 * (t - 1) mod stepsPerSample), so energy can be reported by step.
 *
 * Portable: no Node APIs.
 */
import type { Chip } from '../chip/chip';
import type { OpName } from '../chip/counters';
import { UserError } from '../errors';
import { compileNetwork, type CompiledNetwork, type GroupLayout } from './compile';
import type { CompileOptions, ConnectionDesc, NetworkDesc } from './network';

export interface SimulationOptions extends Omit<CompileOptions, 'numBuckets'> {
  /** Counter buckets: the steps of one sample (default 1: one bucket for every step). */
  stepsPerSample?: number;
}

/** Something told about every step after it ran (e.g. a CoreActivity, a spike recorder). */
export interface StepObserver {
  observe(): void;
}

export class Simulation {
  /** The description it was compiled from. */
  readonly desc: NetworkDesc;
  readonly compiled: CompiledNetwork;
  readonly chip: Chip;
  readonly stepsPerSample: number;
  /** Input spikes not yet handed to the chip, by step. */
  private readonly pending: Record<number, number[]> = {};
  private readonly spikeTotals: Record<string, number> = {};
  /** Group layouts in compartment order, for mapping a compartment id to its group. */
  private readonly cxGroups: GroupLayout[];
  private readonly observers: StepObserver[] = [];

  constructor(desc: NetworkDesc, opts: SimulationOptions = {}) {
    const p = opts.stepsPerSample ?? 1;
    if (!(p >= 1) || Math.floor(p) !== p) throw new UserError(`stepsPerSample must be a positive integer, got ${p}`);
    this.stepsPerSample = p;
    this.desc = desc;
    this.compiled = compileNetwork(desc, { ...opts, numBuckets: p });
    this.chip = this.compiled.chip;
    this.cxGroups = [];
    for (const name in this.compiled.groups) {
      const g = this.compiled.groups[name];
      this.spikeTotals[name] = 0;
      if (g.kind === 'compartments') this.cxGroups.push(g);
    }
    this.cxGroups.sort((a, b) => a.start - b.start);
  }

  /** Last completed step (0 before the first). */
  get time(): number {
    return this.chip.time;
  }

  private layout(group: string): GroupLayout {
    const g = this.compiled.groups[group];
    if (!g) throw new UserError(`no group is named '${group}'`);
    return g;
  }

  /** Member `index` of generator group `group` spikes at `step` (a later step than the current one). */
  inject(group: string, index: number, step: number): void {
    const g = this.layout(group);
    if (g.kind !== 'generator') throw new UserError(`group '${group}' is not a spike generator; only generators take input spikes`);
    if (!(index >= 0 && index < g.size) || Math.floor(index) !== index) throw new UserError(`group '${group}' has members 0..${g.size - 1}, not ${index}`);
    if (!(step > this.chip.time) || Math.floor(step) !== step) throw new UserError(`an input spike at step ${step} is not after the current step ${this.chip.time}`);
    const list = this.pending[step] ?? (this.pending[step] = []);
    list.push(g.start + index);
  }

  /** Tell `o` about every step from now on. */
  watch(o: StepObserver): void {
    this.observers.push(o);
  }

  /** Run `n` steps (default 1). */
  step(n = 1): void {
    const chip = this.chip;
    for (let k = 0; k < n; k++) {
      const t = chip.time + 1;
      const ports = this.pending[t];
      if (ports) {
        for (let i = 0; i < ports.length; i++) chip.schedule(ports[i], t);
        delete this.pending[t];
      }
      chip.setBucket((t - 1) % this.stepsPerSample);
      chip.step();
      for (let i = 0; i < chip.spikedCount; i++) this.spikeTotals[this.groupOf(chip.spikedCx[i]).name]++;
      for (let i = 0; i < this.observers.length; i++) this.observers[i].observe();
    }
  }

  /** The group layout holding compartment `cx`. */
  groupOf(cx: number): GroupLayout {
    const gs = this.cxGroups;
    let lo = 0;
    let hi = gs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (gs[mid].start <= cx) lo = mid;
      else hi = mid - 1;
    }
    return gs[lo];
  }

  /** Members of `group` that spiked in the last step, in increasing order. */
  spiked(group: string): number[] {
    const g = this.layout(group);
    const out: number[] = [];
    const chip = this.chip;
    if (g.kind === 'generator') {
      for (let i = 0; i < chip.spikedGenCount; i++) {
        const p = chip.spikedGen[i];
        if (p >= g.start && p < g.start + g.size) out.push(p - g.start);
      }
    } else {
      for (let i = 0; i < chip.spikedCount; i++) {
        const cx = chip.spikedCx[i];
        if (cx >= g.start && cx < g.start + g.size) out.push(cx - g.start);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Spikes of every compartment group since the start (generators are not counted). */
  spikeCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name in this.spikeTotals) if (this.compiled.groups[name].kind === 'compartments') out[name] = this.spikeTotals[name];
    return out;
  }

  /** Every op counter, summed over the buckets. */
  counts(): Record<OpName, number> {
    return this.chip.counters.totals();
  }

  /** Clear the op counters and the per-step latency (e.g. after a warm-up). */
  resetCounts(): void {
    this.chip.counters.reset();
    this.chip.latencyNs.fill(0);
  }

  /** Voltage of member `index` of a compartment group, in the chip's units. */
  voltage(group: string, index: number): number {
    return this.chip.voltage(this.member(group, index));
  }

  /** Current of member `index` of a compartment group, in the chip's units. */
  current(group: string, index: number): number {
    return this.chip.current(this.member(group, index));
  }

  private member(group: string, index: number): number {
    const g = this.layout(group);
    if (g.kind !== 'compartments') throw new UserError(`group '${group}' is a spike generator; it has no voltage`);
    if (!(index >= 0 && index < g.size)) throw new UserError(`group '${group}' has members 0..${g.size - 1}, not ${index}`);
    return g.start + index;
  }

  /** Weight mantissas of a connection, post x pre (row j = post j; 0 where there is no synapse). */
  weights(connection: string): Int16Array {
    const g = this.chip.groups[this.connectionIndex(connection)];
    if (g.dense) return g.postMajor();
    const m = new Int16Array(g.preSize * g.postSize);
    for (let j = 0; j < g.postSize; j++)
      for (let i = 0; i < g.preSize; i++) {
        const w = g.weight(i, j);
        if (w === w) m[j * g.preSize + i] = w;
      }
    return m;
  }

  /** Set the weight mantissas of an all-to-all connection, post x pre. */
  setWeights(connection: string, m: ArrayLike<number>): void {
    const g = this.chip.groups[this.connectionIndex(connection)];
    if (!g.dense) throw new UserError(`connection '${connection}' is not all-to-all; only all-to-all weights can be set after compiling`);
    if (m.length !== g.preSize * g.postSize) throw new UserError(`connection '${connection}': expected ${g.postSize}x${g.preSize} = ${g.preSize * g.postSize} weights (post x pre), got ${m.length}`);
    g.setPostMajor(m);
  }

  /**
   * The description with every plastic connection's current weights: all-to-all connections
   * as per-synapse mantissas (post x pre), the others as sparse synapses, each with its weight
   * exponent, sign mode and weight bits written out. Compiled again (or saved as a network
   * file and loaded), it continues with the learned weights.
   */
  snapshot(): NetworkDesc {
    const connections: ConnectionDesc[] = this.desc.connections.map((c) => {
      if (!c.learning) return c;
      const name = c.name ?? `${c.pre}->${c.post}`;
      const g = this.chip.groups[this.connectionIndex(name)];
      // scale = 2^(6 + weightExp)
      const weightExp = Math.round(Math.log(g.scale) / Math.LN2) - 6;
      const out: ConnectionDesc = { ...c, name, weightExp, signMode: g.signMode, numWeightBits: g.numWeightBits };
      delete out.weight;
      if (g.dense) {
        out.connectivity = 'all-to-all';
        out.weights = g.postMajor();
      } else {
        const sparse: Array<[number, number, number]> = [];
        const off = g.offsets!;
        const tg = g.targets!;
        for (let i = 0; i < g.preSize; i++) for (let k = off[i]; k < off[i + 1]; k++) sparse.push([i, tg[k], g.weights[k]]);
        out.connectivity = { sparse };
        delete out.weights;
      }
      return out;
    });
    const snap: NetworkDesc = { name: this.desc.name, groups: this.desc.groups, connections };
    if (this.desc.rewardChannels) snap.rewardChannels = this.desc.rewardChannels;
    return snap;
  }

  /** Names of the connections, in the order they were described. */
  connectionNames(): string[] {
    return Object.keys(this.compiled.connections);
  }

  private connectionIndex(name: string): number {
    const i = this.compiled.connections[name];
    if (i === undefined) throw new UserError(`no connection is named '${name}' (connections: ${Object.keys(this.compiled.connections).join(', ')})`);
    return i;
  }
}

/** Records every spike of a simulation as [step, member index] per group, generators included. */
export class SpikeRecorder implements StepObserver {
  readonly spikes: Record<string, Array<[number, number]>> = {};
  private readonly genGroups: GroupLayout[] = [];

  constructor(private readonly sim: Simulation) {
    for (const name in sim.compiled.groups) {
      this.spikes[name] = [];
      const g = sim.compiled.groups[name];
      if (g.kind === 'generator') this.genGroups.push(g);
    }
    sim.watch(this);
  }

  observe(): void {
    const chip = this.sim.chip;
    const t = chip.time;
    for (let i = 0; i < chip.spikedCount; i++) {
      const cx = chip.spikedCx[i];
      const g = this.sim.groupOf(cx);
      this.spikes[g.name].push([t, cx - g.start]);
    }
    for (let i = 0; i < chip.spikedGenCount; i++) {
      const p = chip.spikedGen[i];
      for (const g of this.genGroups) if (p >= g.start && p < g.start + g.size) this.spikes[g.name].push([t, p - g.start]);
    }
    for (const name in this.spikes) {
      const s = this.spikes[name];
      // members in increasing order within a step
      let k = s.length - 1;
      while (k > 0 && s[k - 1][0] === t && s[k - 1][1] > s[k][1]) {
        const tmp = s[k - 1];
        s[k - 1] = s[k];
        s[k] = tmp;
        k--;
      }
    }
  }
}
