/**
 * Board profiles: the chip limits, the number of chips and the energy constant set of one
 * target. A profile is data; `--board NAME` selects one. Portable (no Node APIs), so board
 * bundles can include it.
 */
import { LOIHI1_LIMITS, type CoreLimits } from '../src/net/network';

export interface BoardProfile {
  name: string;
  description: string;
  source: string;
  chips: number;
  limits: CoreLimits;
  /** Name of the energy constant set (src/energy/constants.ts). */
  constants: string;
}

export const BOARDS: Record<string, BoardProfile> = {
  loihi1: {
    name: 'loihi1',
    description: 'one Loihi 1 chip: 128 cores of 1,024 compartments, 128 KB synapse memory, 4,096 input and output axons each',
    source: 'Davies et al. 2018 (reference/loihi-model.md §A.1)',
    chips: 1,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
  },
  'kapoho-bay': {
    name: 'kapoho-bay',
    description: "Intel's USB form-factor board with 2 Loihi 1 chips (the authors' default target)",
    source: 'reference/sbp-network-spec.md §7.1 names the board; its two chips are from Intel\'s product description (not in reference/)',
    chips: 2,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
  },
  nahuku32: {
    name: 'nahuku32',
    description: 'a Nahuku board with 32 Loihi 1 chips (the authors used its partition under SLURM)',
    source: 'reference/sbp-network-spec.md §7.1',
    chips: 32,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
  },
  'loihi1-small-core': {
    name: 'loihi1-small-core',
    description: 'Loihi 1 with a quarter of the synapse memory per core: for checking placement under tighter limits',
    source: 'synthetic profile (not a product)',
    chips: 1,
    limits: { ...LOIHI1_LIMITS, synapseBits: LOIHI1_LIMITS.synapseBits / 4 },
    constants: 'loihi1-davies2018',
  },
};

export function boardNames(): string[] {
  return Object.keys(BOARDS);
}
