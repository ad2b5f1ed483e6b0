/**
 * Per-core activity of a run, for the energy report's breakdown by core. The chip's op
 * counters are per kind and per bucket only, so a CoreActivity watches the chip from outside
 * after every step: the spikes of the step (chip.spikedCx, chip.spikedGen) and the synapse
 * groups' placement give the synaptic ops each core does, the learning epochs give each
 * core's learning-engine visits, and every configured compartment is updated every step.
 *
 * What is split by core: synaptic ops, spikes emitted, compartment updates (active plus idle)
 * and learning-engine visits. Messages and hops are not (they belong to links, not cores), and
 * the split of compartment updates into active and idle is not observable from outside the
 * chip, so a core's energy here covers synaptic ops, learning visits and spikes only.
 *
 * Observation costs work per spike times the spiking source's synapse groups: meant for the
 * networks a user describes, not for the hot loop of training.
 *
 * Portable: no Node APIs.
 */
import type { CompiledNetwork } from '../net/compile';
import type { EnergyConstants } from './constants';
import { pJToMilliJoule } from './model';

/** One core's activity per sample. */
export interface CoreLine {
  core: number;
  compartments: number;
  synOps: number;
  spikes: number;
  /** Active plus idle compartment updates: compartments x steps. */
  compartmentUpdates: number;
  learnVisits: number;
  /** synOps x pJ per synaptic op + learnVisits x pJ per visit + spikes x pJ per spike, in mJ. */
  energyMilliJoule: number;
}

export class CoreActivity {
  private readonly compiled: CompiledNetwork;
  private readonly numCores: number;
  /** Per source: [start, end) into routeCore/routeCount, the (core, synapses) pairs its spike reaches. */
  private readonly routeStart: Uint32Array;
  private readonly routeCore: Uint16Array;
  private readonly routeCount: Float64Array;
  /** Per plastic group: tEpoch and its (core, synapses) pairs. */
  private readonly plastic: Array<{ tEpoch: number; cores: number[]; counts: number[] }> = [];
  private readonly synOps: Float64Array;
  private readonly spikes: Float64Array;
  private readonly visits: Float64Array;
  private readonly cxPerCore: Float64Array;
  private steps = 0;

  constructor(compiled: CompiledNetwork) {
    this.compiled = compiled;
    const chip = compiled.chip;
    const spec = chip.spec;
    const nc = spec.numCores;
    this.numCores = nc;
    const cxCore = spec.cxCore;
    const numSources = chip.numSources;
    // per source, synapses per destination core, summed over its groups
    const perSource: Array<Record<number, number>> = [];
    for (let s = 0; s < numSources; s++) perSource.push({});
    for (let gi = 0; gi < chip.groups.length; gi++) {
      const g = chip.groups[gi];
      const perCoreOfGroup: Record<number, number> = {};
      for (let i = 0; i < g.preSize; i++) {
        const row = perSource[g.preStart + i];
        if (g.dense) {
          for (let j = 0; j < g.postSize; j++) {
            const core = cxCore[g.postStart + j];
            row[core] = (row[core] ?? 0) + 1;
            perCoreOfGroup[core] = (perCoreOfGroup[core] ?? 0) + 1;
          }
        } else {
          const off = g.offsets!;
          const tg = g.targets!;
          for (let k = off[i]; k < off[i + 1]; k++) {
            const core = cxCore[g.postStart + tg[k]];
            row[core] = (row[core] ?? 0) + 1;
            perCoreOfGroup[core] = (perCoreOfGroup[core] ?? 0) + 1;
          }
        }
      }
      if (g.learning !== null) {
        const cores: number[] = [];
        const counts: number[] = [];
        for (const k in perCoreOfGroup) {
          cores.push(Number(k));
          counts.push(perCoreOfGroup[k]);
        }
        this.plastic.push({ tEpoch: g.learning.tEpoch, cores, counts });
      }
    }
    this.routeStart = new Uint32Array(numSources + 1);
    let total = 0;
    for (let s = 0; s < numSources; s++) total += Object.keys(perSource[s]).length;
    this.routeCore = new Uint16Array(total);
    this.routeCount = new Float64Array(total);
    let p = 0;
    for (let s = 0; s < numSources; s++) {
      this.routeStart[s] = p;
      for (const k in perSource[s]) {
        this.routeCore[p] = Number(k);
        this.routeCount[p] = perSource[s][k];
        p++;
      }
    }
    this.routeStart[numSources] = p;
    this.synOps = new Float64Array(nc);
    this.spikes = new Float64Array(nc);
    this.visits = new Float64Array(nc);
    this.cxPerCore = new Float64Array(nc);
    for (let i = 0; i < spec.numCompartments; i++) this.cxPerCore[cxCore[i]]++;
  }

  /** Clear what was observed so far (with the chip's counters, before the measured steps). */
  reset(): void {
    this.synOps.fill(0);
    this.spikes.fill(0);
    this.visits.fill(0);
    this.steps = 0;
  }

  /** Record the step the chip has just run. */
  observe(): void {
    const chip = this.compiled.chip;
    const cxCore = chip.spec.cxCore;
    this.steps++;
    for (let k = 0; k < chip.spikedCount; k++) {
      const cx = chip.spikedCx[k];
      this.spikes[cxCore[cx]]++;
      this.route(cx);
    }
    const base = chip.numCompartments;
    for (let k = 0; k < chip.spikedGenCount; k++) this.route(base + chip.spikedGen[k]);
    const t = chip.time;
    for (let i = 0; i < this.plastic.length; i++) {
      const pg = this.plastic[i];
      if (t % pg.tEpoch !== 0) continue;
      for (let k = 0; k < pg.cores.length; k++) this.visits[pg.cores[k]] += pg.counts[k];
    }
  }

  private route(src: number): void {
    const end = this.routeStart[src + 1];
    for (let p = this.routeStart[src]; p < end; p++) this.synOps[this.routeCore[p]] += this.routeCount[p];
  }

  /** Per-core lines, divided by `samples`, for the cores that hold compartments. */
  lines(c: EnergyConstants, samples: number): CoreLine[] {
    const out: CoreLine[] = [];
    const spikePJ = c.pJ.spike !== undefined ? c.pJ.spike : 0;
    for (let core = 0; core < this.numCores; core++) {
      if (this.cxPerCore[core] === 0 && this.synOps[core] === 0) continue;
      const syn = this.synOps[core] / samples;
      const vis = this.visits[core] / samples;
      const spk = this.spikes[core] / samples;
      out.push({
        core,
        compartments: this.cxPerCore[core],
        synOps: syn,
        spikes: spk,
        compartmentUpdates: (this.cxPerCore[core] * this.steps) / samples,
        learnVisits: vis,
        energyMilliJoule: pJToMilliJoule(syn * c.pJ.synOp + vis * c.pJ.learnVisit + spk * spikePJ),
      });
    }
    return out;
  }
}
