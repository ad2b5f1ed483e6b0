/**
 * Compiler stage 3, place: give every compartment a core. 'pack' fills each core as far as
 * every limit allows (compartments, synapse memory, input axons, and a per-group cap learned
 * from output-axon overflows), then moves on; 'hint' follows each group's coreRange (the
 * authors' placement), which may overfill a core (check-limits.ts catches that). A network
 * that does not fit fails here, naming the group, the resource and the numbers.
 *
 * 'spread' is 'pack' with each core filled only up to a fraction `fill` of its compartments,
 * synapse memory and input axons; the compiler searches the smallest fill at which the
 * network still fits (compile.ts), so a network that 'pack' crowds onto a few cores spreads
 * over the chip, and the busiest core, which sets the time of a step, has less to do.
 */
import { UserError } from '../errors';
import type { Described } from './describe';
import type { Encoded } from './encode';
import type { CoreLimits, GroupDesc } from './network';
import { costOf, type GroupCost } from './synapse-memory';

/** The system the network is compiled for. */
export interface Target {
  limits: CoreLimits;
  chips: number;
  numCores: number;
  placement: 'pack' | 'hint';
  /** Pack each core only up to this fraction of its compartment, synapse-memory and input-axon limits (default 1). */
  fill?: number;
}

/** Every compartment's core and what each core holds. */
export interface Placed {
  cxCore: Uint16Array;
  usedCx: Float64Array;
  usedBits: Float64Array;
  usedAxons: Float64Array;
}

/** `caps`: at most this many compartments of a group per core (from output-axon overflows). */
export function place(d: Described, e: Encoded, t: Target, caps: Record<string, number>): Placed {
  const { limits, chips, numCores } = t;
  const fill = t.fill ?? 1;
  const maxCx = Math.max(1, Math.floor(limits.compartments * fill));
  const maxBits = limits.synapseBits * fill;
  const maxAxons = limits.inputAxons * fill;
  const cxCore = new Uint16Array(d.numCompartments);
  const usedCx = new Float64Array(numCores);
  const usedBits = new Float64Array(numCores);
  const usedAxons = new Float64Array(numCores);
  let nextCore = 0;
  for (const g of d.net.groups) {
    if (g.neuron === 'generator') continue;
    const base = d.layout[g.name].start;
    const gc = e.costs[g.name];
    if (t.placement === 'hint' && g.coreRange) {
      const [s, end] = g.coreRange;
      const per = Math.ceil(g.size / (end - s));
      for (let i = 0; i < g.size; i++) {
        const core = s + Math.floor(i / per);
        if (core >= numCores) throw new UserError(`group '${g.name}': placement hint needs core ${core}, but ${chips} chip(s) have ${numCores} cores`);
        cxCore[base + i] = core;
      }
      for (let core = s; core < end && (core - s) * per < g.size; core++) {
        const k = Math.min(per, g.size - (core - s) * per);
        const c = costOf(gc, k);
        usedCx[core] += k;
        usedBits[core] += c.bits;
        usedAxons[core] += c.axons;
      }
      continue;
    }
    // pack: fill the current core as far as every limit allows, then move on
    let placed = 0;
    while (placed < g.size) {
      if (nextCore >= numCores) throw notFit(g, placed, gc, limits, chips, numCores);
      const core = nextCore;
      const room = (k: number) => {
        const c = costOf(gc, k);
        return usedCx[core] + k <= maxCx && usedBits[core] + c.bits <= maxBits && usedAxons[core] + c.axons <= maxAxons;
      };
      let lo = 0;
      let hi = Math.min(g.size - placed, maxCx - usedCx[core], caps[g.name] ?? Infinity);
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (room(mid)) lo = mid;
        else hi = mid - 1;
      }
      if (lo === 0) {
        if (usedCx[core] === 0) throw notFit(g, placed, gc, limits, chips, numCores);
        nextCore++;
        continue;
      }
      const c = costOf(gc, lo);
      for (let i = 0; i < lo; i++) cxCore[base + placed + i] = core;
      usedCx[core] += lo;
      usedBits[core] += c.bits;
      usedAxons[core] += c.axons;
      placed += lo;
      if (placed < g.size) nextCore++;
    }
    nextCore++;
  }
  return { cxCore, usedCx, usedBits, usedAxons };
}

function notFit(g: GroupDesc, placed: number, gc: GroupCost, limits: CoreLimits, chips: number, numCores: number): UserError {
  // how many compartments of this group one empty core can hold, and which limit binds
  let best = 0;
  let binding = 'compartments';
  for (let k = 1; k <= limits.compartments; k++) {
    const c = costOf(gc, k);
    if (c.bits > limits.synapseBits) {
      binding = `synapse memory (${costOf(gc, 1).bits.toLocaleString('en-US')}+ bits per compartment, ${limits.synapseBits.toLocaleString('en-US')} bits per core)`;
      break;
    }
    if (c.axons > limits.inputAxons) {
      binding = `input axons (${c.axons} needed, ${limits.inputAxons} per core)`;
      break;
    }
    best = k;
  }
  if (best === 0) {
    return new UserError(`group '${g.name}': one compartment does not fit on an empty core; the binding limit is ${binding}`);
  }
  const remaining = g.size - placed;
  const needCores = Math.ceil(remaining / best);
  return new UserError(
    `network does not fit on ${chips} chip(s) (${numCores} cores): group '${g.name}' still has ${remaining.toLocaleString('en-US')} of ${g.size.toLocaleString('en-US')} compartments to place and needs ${needCores} more cores (at most ${best} of its compartments fit on one core; binding limit: ${binding}); all ${numCores} cores are used. Try a smaller network or more chips (--chips N).`,
  );
}
