/**
 * Compiler stage 1, describe: check the groups of a network description and give every
 * group its range of compartment ids (or of spike-generator ports). Compartments are
 * numbered in group order; generator sources come after all compartments.
 */
import { UserError } from '../errors';
import type { GroupDesc, NetworkDesc } from './network';

export interface GroupLayout {
  name: string;
  kind: 'compartments' | 'generator';
  /** First compartment id, or first generator port. */
  start: number;
  size: number;
  /** Source id of member 0 (compartment id, or numCompartments + port). */
  sourceStart: number;
}

/** The network's groups, checked and numbered. */
export interface Described {
  net: NetworkDesc;
  byName: Record<string, GroupDesc>;
  layout: Record<string, GroupLayout>;
  numCompartments: number;
  numGeneratorPorts: number;
}

export function describeGroups(net: NetworkDesc): Described {
  const byName: Record<string, GroupDesc> = {};
  const layout: Record<string, GroupLayout> = {};
  let numCx = 0;
  let numGen = 0;
  for (const g of net.groups) {
    if (byName[g.name]) throw new UserError(`network '${net.name}': group '${g.name}' is defined twice`);
    if (!(g.size >= 1) || Math.floor(g.size) !== g.size) throw new UserError(`group '${g.name}': size must be a positive integer, got ${g.size}`);
    byName[g.name] = g;
    if (g.neuron === 'generator') {
      layout[g.name] = { name: g.name, kind: 'generator', start: numGen, size: g.size, sourceStart: -1 };
      numGen += g.size;
    } else {
      layout[g.name] = { name: g.name, kind: 'compartments', start: numCx, size: g.size, sourceStart: numCx };
      numCx += g.size;
    }
  }
  for (const name in layout) if (layout[name].kind === 'generator') layout[name].sourceStart = numCx + layout[name].start;
  return { net, byName, layout, numCompartments: numCx, numGeneratorPorts: numGen };
}
