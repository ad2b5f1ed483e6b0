/**
 * Synapse memory and input axons, counted per core as nengo-loihi's model does: the synapses
 * one input axon holds on a core form a block of n * (weight bits + delay bits + index bits)
 * + 10 bits, rounded up to 64-bit words (docs/chip-model.md, "Core limits").
 */
import type { ConnectionDesc } from './network';

/** How one incoming connection of a group is stored. */
export interface InputCost {
  kind: 'dense' | 'one' | 'all' | 'sparse';
  preSize: number;
  /** Bits per synapse. */
  bits: number;
  /** Sparse: synapses per post compartment. */
  perPost: number;
}

/** What placing compartments of a group on one core costs: its incoming connections. */
export interface GroupCost {
  inputs: InputCost[];
}

/** Bits one synapse of a connection takes in synapse memory. */
export function synapseBits(c: ConnectionDesc, postSize: number): number {
  const weightBits = c.numWeightBits ?? 8;
  const delayBits = (c.delay ?? 0) > 0 ? Math.ceil(Math.log2((c.delay ?? 0) + 1)) : 0;
  const indexBits = typeof c.connectivity === 'object' ? Math.max(1, Math.ceil(Math.log2(postSize))) : 0;
  return weightBits + delayBits + indexBits;
}

function blockBits(n: number, bits: number): number {
  return Math.ceil((n * bits + 10) / 64) * 64;
}

/** Synapse bits and input axons that k compartments of a group take on one core. */
export function costOf(gc: GroupCost, k: number): { bits: number; axons: number } {
  let bits = 0;
  let axons = 0;
  for (const c of gc.inputs) {
    if (c.kind === 'dense') {
      bits += c.preSize * blockBits(k, c.bits);
      axons += c.preSize;
    } else if (c.kind === 'one') {
      bits += k * blockBits(1, c.bits);
      axons += k;
    } else if (c.kind === 'all') {
      bits += blockBits(k, c.bits);
      axons += 1;
    } else {
      // sparse: assume each post's synapses come from distinct axons (an upper bound)
      bits += Math.ceil(k * c.perPost) * blockBits(1, c.bits);
      axons += Math.min(c.preSize, Math.ceil(k * c.perPost));
    }
  }
  return { bits, axons };
}
