/**
 * The two checks a shadow oracle makes after every training sample (shadow.ts for one hidden
 * layer, deep-shadow.ts for several), and the report they add up to: spikes outside their
 * phases, and whether a weight the sample can have changed differs from the oracle's.
 *
 * Which weights a sample can change: the sBP rule (dw = 4*x0*y0*r1 - 2*x0*y0, tEpoch 1) moves a
 * weight only in a step in which both its pre and its post compartment spiked. So on the chip
 * only weights whose post spiked in a phase in which some pre of the matrix spiked, and whose
 * pre spiked at all, can change; in the oracle only the rows and columns the sample updated.
 * Every other weight is equal after the sample because it was equal before. (verify compares
 * every weight after every sample; the shadow is the cheap check for whole training runs.)
 *
 * Portable: no Node APIs.
 */

import type { PhaseRecord } from './training';

export interface ShadowReport {
  /** Samples run beside the chip. */
  samples: number;
  /** Samples after which some weight differed from the oracle (the oracle restarts from the chip's weights). */
  departures: number;
  /** The first departure: position in the run (counted from where the shadow started). */
  firstDeparture: number | null;
  /** Spikes outside their groups' active phases, and gate spikes outside their own phase. */
  spuriousSpikes: number;
  /** Samples with at least one spurious spike. */
  samplesWithSpurious: number;
  /** The first spurious spike: sample, group, phase. */
  firstSpurious: { sample: number; group: string; phase: number } | null;
}

/** The counts of a shadow that has not run yet. */
export function emptyShadowReport(): ShadowReport {
  return { samples: 0, departures: 0, firstDeparture: null, spuriousSpikes: 0, samplesWithSpurious: 0, firstSpurious: null };
}

/** The report as one line of text. */
export function describeShadow(s: ShadowReport): string {
  const first = s.firstDeparture !== null ? ` (first after sample ${s.firstDeparture})` : '';
  const spur = s.firstSpurious ? ` (first: ${s.firstSpurious.group} in phase ${s.firstSpurious.phase} of sample ${s.firstSpurious.sample})` : '';
  return `shadow oracle over ${s.samples.toLocaleString('en-US')} samples: ${s.departures} departure(s)${first}, ${s.spuriousSpikes} spike(s) outside their phases in ${s.samplesWithSpurious} sample(s)${spur}`;
}

/** A compartment range. */
export interface Range {
  start: number;
  size: number;
}

/** Per phase, the named ranges that must not spike in it. */
export type SilentLists = Array<Array<[string, Range]>>;

/**
 * The silent lists of a gated network: every group outside its active phases, and every gate
 * outside the one phase in which it fires (gate q fires in phase q-1, the ring wrapping).
 */
export function silentLists(active: Record<string, number[]>, phases: number, groups: Record<string, Range>, gateName: (q: number) => string): SilentLists {
  const out: SilentLists = [];
  for (let p = 0; p < phases; p++) {
    const list: Array<[string, Range]> = [];
    for (const name in active) if (active[name].indexOf(p) < 0) list.push([name, groups[name]]);
    for (let q = 0; q < phases; q++) if ((q + phases - 1) % phases !== p) list.push([gateName(q), groups[gateName(q)]]);
    out.push(list);
  }
  return out;
}

/** Spikes in `flags` (one 0/1 array per phase) that the silent lists forbid; the first one found goes to `first`. */
export function countSpurious(flags: Uint8Array[], silent: SilentLists, onFirst: (group: string, phase: number) => void): number {
  let spurious = 0;
  for (let p = 0; p < silent.length; p++) {
    const f = flags[p];
    const list = silent[p];
    for (let c = 0; c < list.length; c++) {
      const l = list[c][1];
      let n = 0;
      for (let i = l.start; i < l.start + l.size; i++) n += f[i];
      if (n > 0) onFirst(list[c][0], p);
      spurious += n;
    }
  }
  return spurious;
}

/** One plastic matrix of the chip (a main group and its exact copies) beside the oracle's. */
export interface WatchedMatrix {
  /** The pre group (the same for every copy). */
  pre: Range;
  /** The post group of each copy. */
  posts: Range[];
  /**
   * Each copy's weights, pre-major (pre i -> post j at i * post + j), read after the sample:
   * the array the chip's kernels use (SynapseGroup.store), so that reading does not separate
   * copies that share storage; an array already compared for this matrix is not compared again.
   */
  weights: Array<() => Int16Array>;
  /** The oracle's matrix, post-major (post j, pre i at j * pre + i). */
  oracle: () => Int16Array;
  /** 0/1 over the posts: the oracle's rows this sample updated. */
  oracleRows: Array<() => Uint8Array>;
  /** 0/1 over the pres: the oracle's columns this sample updated. */
  oracleCols: Array<() => Uint8Array>;
}

/** Scratch for matrixDiffers, sized for the largest group, reused every sample. */
export interface DiffScratch {
  mark: Uint8Array;
  cols: Int32Array;
  /** The weight arrays already compared for the current matrix. */
  seen: Int16Array[];
}

export function diffScratch(largestGroup: number): DiffScratch {
  return { mark: new Uint8Array(largestGroup), cols: new Int32Array(largestGroup), seen: [] };
}

/** True when a weight the sample can have changed differs between the chip and the oracle. */
export function matrixDiffers(flags: Uint8Array[], m: WatchedMatrix, s: DiffScratch): boolean {
  const mark = s.mark;
  const post = m.posts[0].size;
  const pre = m.pre.size;
  mark.fill(0, 0, post);
  for (let p = 0; p < flags.length; p++) {
    const f = flags[p];
    let any = 0;
    for (let i = m.pre.start; i < m.pre.start + pre && any === 0; i++) any = f[i];
    if (!any) continue;
    for (const l of m.posts) for (let j = 0; j < post; j++) if (f[l.start + j]) mark[j] = 1;
  }
  for (const r of m.oracleRows) {
    const v = r();
    for (let j = 0; j < post; j++) if (v[j]) mark[j] = 1;
  }
  // columns: pre neurons that spiked in any phase on the chip, or that the oracle updated
  const cols = s.cols;
  let nc = 0;
  for (let i = 0; i < pre; i++) {
    let hit = 0;
    for (let p = 0; p < flags.length && hit === 0; p++) hit = flags[p][m.pre.start + i];
    for (let c = 0; c < m.oracleCols.length && hit === 0; c++) hit = m.oracleCols[c]()[i];
    if (hit) cols[nc++] = i;
  }
  const o = m.oracle();
  const seen = s.seen;
  seen.length = 0;
  for (const weights of m.weights) {
    const a = weights();
    if (seen.indexOf(a) >= 0) continue;
    seen.push(a);
    for (let j = 0; j < post; j++) {
      if (!mark[j]) continue;
      const row = j * pre;
      for (let c = 0; c < nc; c++) {
        const i = cols[c];
        if (a[i * post + j] !== o[row + i]) return true;
      }
    }
  }
  return false;
}

/**
 * Both checks after one sample, added to `report`; clears the record for the next sample.
 * Returns true for a departure (some weight differs, or `alsoDiffers`: the caller found other
 * state that differs, such as the rounding generator's): the caller restarts its oracle from
 * the chip's state.
 */
export function checkSample(record: PhaseRecord, silent: SilentLists, watched: WatchedMatrix[], scratch: DiffScratch, report: ShadowReport, alsoDiffers = false): boolean {
  const k = report.samples;
  const spurious = countSpurious(record.flags, silent, (group, phase) => {
    if (report.firstSpurious === null) report.firstSpurious = { sample: k, group, phase };
  });
  if (spurious > 0) {
    report.spuriousSpikes += spurious;
    report.samplesWithSpurious++;
  }
  let differs = alsoDiffers;
  for (const m of watched) if (matrixDiffers(record.flags, m, scratch)) differs = true;
  record.clear();
  if (differs) {
    report.departures++;
    if (report.firstDeparture === null) report.firstDeparture = k;
  }
  report.samples = k + 1;
  return differs;
}
