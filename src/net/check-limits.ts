/**
 * Compiler stage 4, check limits: every core within its compartment, synapse-memory and
 * input-axon limits (a hint placement can overfill one), then the output axons, which are
 * known only now that every target has a core: a core sends one axon per (source
 * compartment, destination core) pair. An output-axon overflow is returned to the compiler
 * as OutputAxonOverflow, so it can cap the group sending the most and place again.
 */
import { UserError } from '../errors';
import type { Described } from './describe';
import type { Encoded } from './encode';
import type { Placed, Target } from './place';

/** A core's output axons overflowed; placing at most `cap` of `group` per core fixes it. */
export class OutputAxonOverflow {
  constructor(
    readonly group: string,
    readonly cap: number,
    readonly message: string,
  ) {}
}

/** Output axons per core. */
export interface Checked {
  outAxons: Float64Array;
}

export function checkLimits(d: Described, e: Encoded, p: Placed, t: Target): Checked {
  const { limits, numCores } = t;
  const { cxCore, usedCx, usedBits, usedAxons } = p;
  const numCx = d.numCompartments;
  const groupsOnCore = (core: number): string => {
    const names: string[] = [];
    for (const g of d.net.groups) {
      if (g.neuron === 'generator') continue;
      const l = d.layout[g.name];
      for (let i = 0; i < l.size; i++)
        if (cxCore[l.start + i] === core) {
          names.push(g.name);
          break;
        }
    }
    return names.join(', ');
  };

  for (let core = 0; core < numCores; core++) {
    const over = (what: string, need: number, have: number) =>
      new UserError(`core ${core} is over its ${what} limit: needs ${need.toLocaleString('en-US')}, has ${have.toLocaleString('en-US')} (groups: ${groupsOnCore(core)})`);
    if (usedCx[core] > limits.compartments) throw over('compartment', usedCx[core], limits.compartments);
    if (usedBits[core] > limits.synapseBits) throw over('synapse memory (bits)', usedBits[core], limits.synapseBits);
    if (usedAxons[core] > limits.inputAxons) throw over('input axon', usedAxons[core], limits.inputAxons);
  }

  // output axons: per core, the (source compartment, destination core) pairs
  const synapseGroups = e.synapseGroups;
  const outAxons = new Float64Array(numCores);
  const destOf = new Float64Array(numCx);
  const seen = new Int32Array(numCores).fill(-1);
  const bySource: number[][] = [];
  for (let s = 0; s < numCx; s++) bySource.push([]);
  synapseGroups.forEach((g, gi) => {
    for (let i = 0; i < g.preSize; i++) if (g.preStart + i < numCx) bySource[g.preStart + i].push(gi);
  });
  for (let s = 0; s < numCx; s++) {
    for (const gi of bySource[s]) {
      const g = synapseGroups[gi];
      const i = s - g.preStart;
      const mark = (j: number) => {
        const core = cxCore[g.postStart + j];
        if (seen[core] !== s) {
          seen[core] = s;
          outAxons[cxCore[s]]++;
          destOf[s]++;
        }
      };
      const c = g.connectivity;
      if (c.kind === 'dense') for (let j = 0; j < g.postSize; j++) mark(j);
      else for (let k = c.offsets[i]; k < c.offsets[i + 1]; k++) mark(c.targets[k]);
    }
  }
  for (let core = 0; core < numCores; core++) {
    if (outAxons[core] <= limits.outputAxons) continue;
    const message = `core ${core} is over its output axon limit: needs ${outAxons[core]}, has ${limits.outputAxons} (groups: ${groupsOnCore(core)})`;
    // the group on this core whose compartments send to the most cores
    let worst = '';
    let worstDest = 0;
    for (const g of d.net.groups) {
      if (g.neuron === 'generator' || (t.placement === 'hint' && g.coreRange)) continue;
      const l = d.layout[g.name];
      for (let i = 0; i < l.size; i++)
        if (cxCore[l.start + i] === core && destOf[l.start + i] > worstDest) {
          worstDest = destOf[l.start + i];
          worst = g.name;
        }
    }
    if (!worst) throw new UserError(message);
    throw new OutputAxonOverflow(worst, Math.floor(limits.outputAxons / worstDest), message);
  }
  return { outAxons };
}
