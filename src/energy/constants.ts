/**
 * Energy and latency constant sets for Loihi 1, as data with provenance, plus the
 * published per-sample figures of Renner et al. 2024 (Table 1) that the model is checked
 * against. Described in docs/energy-latency.md ("Constant sets", "Paper figures").
 *
 * Units: energies in picojoules per event, times in nanoseconds per event, static power in
 * milliwatts per chip. Note 1 mW x 1 ns = 1 pJ, which keeps static energy in pJ exact.
 */
import { UserError } from '../errors';

export interface EnergyConstants {
  /** Key in CONSTANT_SETS. */
  name: string;
  description: string;
  /** Citation for the numbers. */
  source: string;
  /** Energy per event in pJ. Optional entries count as 0 when absent. */
  pJ: {
    /** One synaptic op (a spike delivered over one synapse). */
    synOp: number;
    /** One learning-engine visit of one plastic synapse. */
    learnVisit: number;
    /** One update of a compartment that had something to do. */
    cxActive: number;
    /** One update of a compartment with nothing to do. */
    cxIdle: number;
    /** One spike message delivered within the sender's tile. */
    msgLocal: number;
    /** One east-west mesh hop of a spike message. */
    hopEW: number;
    /** One north-south mesh hop of a spike message. */
    hopNS: number;
    /** Per message sent to another tile, beyond its hops (e.g. SANA-FE axon-out). */
    msgRemote?: number;
    /** Per spike emitted by a compartment, beyond its update (e.g. SANA-FE spike-out). */
    spike?: number;
  };
  /** Time per event in ns, as spent by the core (or link) that does it. */
  ns: {
    synOp: number;
    learnVisit: number;
    cxActive: number;
    cxIdle: number;
    /** One spike message leaving a core. */
    msgOut: number;
    hopEW: number;
    hopNS: number;
  };
  /** Mesh-wide barrier sync time in ns for this many tiles in use. */
  barrierNs: (tiles: number) => number;
  /** Static (leakage) power per chip in mW; 0 if the set has none. See notes for the source. */
  staticMilliWattPerChip: number;
  /** Which values are min / max / fitted / inferred, and how derived quantities are modelled. */
  notes: string[];
}

/** Davies 2018 Table 2 barrier range: 113 ns for 1 tile to 465 ns for 32 tiles. */
const DAVIES_BARRIER_MIN_NS = 113;
const DAVIES_BARRIER_MAX_NS = 465;
const DAVIES_BARRIER_MAX_TILES = 32;

function checkTiles(tiles: number): void {
  if (!(tiles >= 0) || !isFinite(tiles)) {
    throw new Error('barrierNs: tiles must be a finite number >= 0, got ' + tiles);
  }
}

/**
 * Linear interpolation of the Table 2 barrier time in the number of tiles in use:
 * 1 tile -> 113 ns, 32 tiles -> 465 ns. Fewer than 1 tile is treated as 1; more than 32
 * (multi-chip) extrapolates the same line, which is a guess (no multi-chip figure is published).
 */
function daviesBarrierNs(tiles: number): number {
  checkTiles(tiles);
  const t = tiles < 1 ? 1 : tiles;
  const slope = (DAVIES_BARRIER_MAX_NS - DAVIES_BARRIER_MIN_NS) / (DAVIES_BARRIER_MAX_TILES - 1);
  return DAVIES_BARRIER_MIN_NS + slope * (t - 1);
}

/** SANA-FE uses one global barrier time regardless of the tiles in use. */
function sanafeBarrierNs(tiles: number): number {
  checkTiles(tiles);
  return 299;
}

/** Frady et al. 2020 (Pohoiki Springs): 3.34 W static over 32 chips. */
const FRADY_STATIC_MW_PER_CHIP = 104;

export const CONSTANT_SETS: Record<string, EnergyConstants> = {
  'loihi1-davies2018': {
    name: 'loihi1-davies2018',
    description: 'Loihi 1 per-operation energy and time, Davies et al. 2018 Table 2 at 0.75 V',
    source:
      'M. Davies et al., "Loihi: A Neuromorphic Manycore Processor with On-Chip Learning", ' +
      'IEEE Micro 38(1), 2018, Table 2 (0.75 V); static power from Frady et al. 2020 (NICE 2020)',
    pJ: {
      synOp: 23.6,
      learnVisit: 120,
      cxActive: 81,
      cxIdle: 52,
      msgLocal: 1.7,
      hopEW: 3.0,
      hopNS: 4.0,
    },
    ns: {
      synOp: 3.5,
      learnVisit: 6.1,
      cxActive: 8.4,
      cxIdle: 5.3,
      msgOut: 2.1,
      hopEW: 4.1,
      hopNS: 6.5,
    },
    barrierNs: daviesBarrierNs,
    staticMilliWattPerChip: FRADY_STATIC_MW_PER_CHIP,
    notes: [
      'Table 2 comes from pre-silicon SDF/SPICE simulation, said to be consistent with early silicon.',
      'synOp 23.6 pJ is a minimum; synOp 3.5 ns is a maximum.',
      'learnVisit uses Table 2 "synaptic update (pairwise STDP)" 120 pJ / 6.1 ns per synapse visited.',
      'msgLocal uses "spike within tile" 1.7 pJ; msgOut time uses its 2.1 ns for every message a core sends.',
      'A message to another tile costs only its hops (EW 3.0 pJ / 4.1 ns, NS 4.0 pJ / 6.5 ns); no per-message remote cost is published.',
      'Barrier: Table 2 gives 113-465 ns for 1-32 tiles; modelled as a linear interpolation in tiles in use (extrapolated beyond 32).',
      'Barrier energy and synapse-memory data-movement energy are not published and count as 0.',
      'staticMilliWattPerChip 104 mW: 3.34 W over 32 chips (Frady et al. 2020, Pohoiki Springs); an upper bound at an unknown voltage that does not mix cleanly with the 0.75 V dynamic numbers. Report it as a separate line.',
    ],
  },
  'loihi1-sanafe': {
    name: 'loihi1-sanafe',
    description: 'Loihi 1 fit from the SANA-FE architecture simulator (arch/loihi.yaml)',
    source:
      'SLAM-Lab/SANA-FE, arch/loihi.yaml (values fitted to Loihi; the file cites Davies et al. 2018)',
    pJ: {
      synOp: 35.5,
      learnVisit: 120,
      cxActive: 72.8,
      cxIdle: 51.2,
      msgLocal: 76.8,
      hopEW: 3.0,
      hopNS: 4.2,
      msgRemote: 76.8,
      spike: 69.3,
    },
    ns: {
      synOp: 4.0,
      learnVisit: 6.1,
      cxActive: 9.7,
      cxIdle: 6.0,
      msgOut: 7.6,
      hopEW: 4.1,
      hopNS: 6.5,
    },
    barrierNs: sanafeBarrierNs,
    staticMilliWattPerChip: 0,
    notes: [
      'Fitted values: SANA-FE says they come "from Davies 2018" but they differ from Table 2.',
      'cxActive 72.8 pJ / 9.7 ns and cxIdle 51.2 pJ / 6.0 ns are SANA-FE neuron active / inactive costs.',
      'spike 69.3 pJ is SANA-FE spike-out energy, charged per emitted spike on top of the update; its 30 ns is not in the core time weights (there is no per-spike core op).',
      'Every message pays the 76.8 pJ / 7.6 ns axon-out cost: msgLocal = msgRemote = 76.8 pJ, msgOut = 7.6 ns; remote messages also pay hops.',
      'hopNS 4.2 pJ is SANA-FE; hopEW 3.0 pJ and hop times 4.1 / 6.5 ns are the Table 2 values SANA-FE also uses (inferred).',
      'learnVisit 120 pJ / 6.1 ns: SANA-FE models no learning; borrowed from Davies 2018 Table 2 (inferred).',
      'Barrier: one global 299 ns barrier, independent of tiles in use.',
      'No static power in this set (0 mW).',
    ],
  },
};

export const DEFAULT_CONSTANTS = 'loihi1-davies2018';

/** The constant set of this name; a UserError listing the valid names if there is none. */
export function getConstants(name: string): EnergyConstants {
  if (Object.prototype.hasOwnProperty.call(CONSTANT_SETS, name)) return CONSTANT_SETS[name];
  throw new UserError(
    'unknown energy constant set "' + name + '"; valid names: ' + Object.keys(CONSTANT_SETS).join(', '),
  );
}

/** Renner et al. 2024 Table 1, this study: per-sample energy and latency on Loihi 1. */
export const PAPER = {
  train: { energyMilliJoule: 0.59, latencyMs: 1.5 },
  infer: { energyMilliJoule: 0.0025, latencyMs: 0.17 },
} as const;

export type Table1Block = 'on-chip backprop' | 'on-chip single-layer or BP alternative' | 'inference only';

export interface Table1Row {
  /** Publication, with the paper's reference number where it has one. */
  work: string;
  hardware: string;
  mode: string;
  network: string;
  /** Energy per sample in mJ; null where the table has none. */
  energyMilliJoule: number | null;
  /** Latency per sample in ms; null where the table has none. */
  latencyMs: number | null;
  /** Test accuracy in %. */
  accuracy: number;
  /** Derived: energy x latency in mJ*ms; null if either is missing. */
  edp: number | null;
  /** Which of the table's three blocks the row is in. */
  block: Table1Block;
  /** Table footnote letters attached to the row (their texts were not retrieved). */
  footnotes?: string;
  /** Second accuracy given in brackets, if any. */
  accuracyAlt?: number;
}

function row(
  block: Table1Block,
  work: string,
  hardware: string,
  mode: string,
  network: string,
  energyMilliJoule: number | null,
  latencyMs: number | null,
  accuracy: number,
  extra?: { footnotes?: string; accuracyAlt?: number },
): Table1Row {
  const r: Table1Row = {
    work,
    hardware,
    mode,
    network,
    energyMilliJoule,
    latencyMs,
    accuracy,
    edp: energyMilliJoule !== null && latencyMs !== null ? energyMilliJoule * latencyMs : null,
    block,
  };
  if (extra && extra.footnotes !== undefined) r.footnotes = extra.footnotes;
  if (extra && extra.accuracyAlt !== undefined) r.accuracyAlt = extra.accuracyAlt;
  return r;
}

const BP: Table1Block = 'on-chip backprop';
const ALT: Table1Block = 'on-chip single-layer or BP alternative';
const INF: Table1Block = 'inference only';

/**
 * Every row of Renner et al. 2024 Table 1 ("Review of the MNIST literature on neuromorphic
 * hardware"). Footnote letters mark a value the table
 * qualifies (a: this study's network, b: bracketed accuracy, c/d/e: texts not retrieved).
 */
export const TABLE1_ROWS: Table1Row[] = [
  row(BP, 'Renner et al. 2024 (this study)', 'Loihi', 'on-chip nBP', '400-400-10', 0.59, 1.5, 96.3, {
    footnotes: 'a,b',
    accuracyAlt: 97.5,
  }),
  row(ALT, '[40] Shrestha et al. 2021', 'Loihi', 'EM-STDP FA/DFA', 'CNN-CNN-100-10', 8.4, 20, 94.7),
  row(ALT, '[39] Frenkel et al. 2020', 'SPOON', 'DRTP', 'CNN-10', 0.000366, 0.12, 95.3, { footnotes: 'c' }),
  row(ALT, '[37] Park et al. 2019', 'unnamed', 'mod. SD', '784-200-200-10', 0.000253, 0.01, 98.1, {
    footnotes: 'c',
  }),
  row(ALT, '[102] Chen et al. 2018', 'unnamed', 'S-STDP', '236-20', 0.017, 0.16, 89, { footnotes: 'd' }),
  row(ALT, '[34] Frenkel et al. 2018', 'ODIN', 'SDSP', '256-10', 0.000015, null, 84.5),
  row(ALT, '[101] Lin et al. 2018', 'Loihi', 'S-STDP', '1920-10', 0.553, null, 96.4, { footnotes: 'd' }),
  row(ALT, '[36] Buhler et al. 2017', 'unnamed', 'LCA features', '256-10', 0.00005, 0.001, 88, {
    footnotes: 'c',
  }),
  row(INF, 'Renner et al. 2024 (this study)', 'Loihi', 'inference', '400-400-10', 0.0025, 0.17, 96.3, {
    footnotes: 'a,b',
    accuracyAlt: 97.5,
  }),
  row(INF, '[40] Shrestha et al. 2021', 'Loihi', 'inference', 'CNN-CNN-100-10', 2.47, 10, 94.7),
  row(INF, '[39] Frenkel et al. 2020', 'SPOON', 'inference', 'CNN-10', 0.000313, 0.12, 97.5),
  row(INF, '[85] Göltz et al. 2019', 'BrainScaleS-2', 'inference', '256-246-10', 0.0084, 0.048, 96.9),
  row(INF, '[101] Lin et al. 2018', 'Loihi', 'inference', '1920-10', 0.0128, null, 96.4, { footnotes: 'd,e' }),
  row(INF, '[102] Chen et al. 2018', 'unnamed', 'inference', '784-1024-512-10', 0.0017, null, 97.9),
  row(INF, '[106] Esser et al. 2015', 'TrueNorth', 'inference', 'CNN (512 neurons)', 0.00027, 1, 92.7),
  row(INF, '[106] Esser et al. 2015', 'TrueNorth', 'inference', 'CNN (3840 neurons)', 0.108, 1, 99.4),
  row(INF, '[107] Stromatias et al. 2015', 'SpiNNaker', 'inference', '784-500-500-10', 3.3, 11, 95),
];
