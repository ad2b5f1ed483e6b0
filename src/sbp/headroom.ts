/**
 * The gating headroom of an sBP network, proved by interval arithmetic over one sample's
 * phases (docs/gating.md).
 *
 * Induction hypothesis: up to the current step every compartment group has fired only in its
 * active phases, and each gate g_p exactly once per sample, in phase p-1. Then the input q a
 * compartment receives in phase a is the sum, over its connections, of the spikes its
 * presynaptic group can have sent in phase a-1-delay:
 *  - a gate's spike is certain, so its weight enters both ends of the interval;
 *  - any other group (or host spike generator) fires some subset of its members, so a
 *    connection adds its negative synapses to the low end and its positive ones to the high
 *    end: fan-in x the weight, or x the limits of the weight's sign mode for a matrix
 *    (plastic or loaded), whatever its values.
 * Every compartment of the sBP networks is memoryless (full decays), so u = q and v = q + bias.
 * The step keeps the hypothesis when, for every group and phase:
 *  - q stays inside the 21-bit dendritic accumulator [-2^21, 2^21 - 1] (no wrap; then u,
 *    within 24 bits, cannot wrap either);
 *  - q + bias stays inside [-(2^23 - 1), 2^23 - 1] (no u + bias wrap, no voltage saturation);
 *  - outside the group's active phases, the largest v is at most the threshold (the chip
 *    fires on v > threshold), so nothing fires;
 *  - a gate in its own phase gets more than the threshold for certain, and in every other
 *    phase at most the threshold, so nothing can stop or override the gating ring.
 * In its active phases a group may fire or not; which is the algorithm's business (the
 * oracle), and since no rule wraps or saturates there the chip computes it exactly.
 */
import { TWO_21, V_MAX, V_MIN, effectiveBias, thresholdUnits, weightScale } from '../chip/arith';
import { encodeWeight, weightRange, type SignMode } from '../chip/weights';
import type { NetworkDesc } from '../net/network';
import { UserError } from '../errors';
import { INFER_GATES, TRAIN_GATES } from './params';
import { ACTIVE_PHASES } from './topology';

/** When each group may fire, per sample of `phases` steps. */
export interface PhaseSchedule {
  phases: number;
  /** Compartment groups other than gates: the phases in which they may fire. */
  active: Record<string, number[]>;
  /** Host spike generators: the phases in which they may fire. */
  generators: Record<string, number[]>;
  /**
   * Groups of equal size that fire the same vector in the given phases. The checker proves
   * each claim (every member gets the same fixed inputs in that phase, none from a matrix, and
   * no member can still be refractory from an earlier, different spike), then lets one-to-one
   * inputs from such twins cancel as they do on the chip.
   */
  twins: Array<{ groups: string[]; phases: number[] }>;
}

/** The 12-phase training network: input pixels in phase 0, the label in phase 2, in_g once before sample 0 (phase 10). */
export function trainingSchedule(): PhaseSchedule {
  return {
    phases: TRAIN_GATES,
    active: ACTIVE_PHASES,
    generators: { input: [0], in_tgt: [2], in_g: [10], reward: [5, 7] },
    // the output family replays d+ (phase 5) and d- (phase 9); d- relies on o_copy2's -520 cancelling o's +520
    twins: [{ groups: ['o', 'o_copy', 'o_copy2'], phases: [5, 9] }],
  };
}

/** The 4-phase inference network: x in phase 1, h1 in 2, o in 3. */
export function inferenceSchedule(): PhaseSchedule {
  return { phases: INFER_GATES, active: { x: [1], h1: [2], o: [3] }, generators: { input: [0], in_g: [2] }, twins: [] };
}

/** The bound of one group in one phase (hardware units). */
export interface PhaseBound {
  group: string;
  phase: number;
  /** The group may fire in this phase (a gate: must fire). */
  active: boolean;
  gate: boolean;
  qMin: number;
  qMax: number;
  bias: number;
  threshold: number;
  /**
   * Inactive phase: threshold - (qMax + bias), how far the largest possible voltage stays
   * below firing (>= 0 is safe). A gate's own phase: (qMin + bias) - threshold - 1 (>= 0 means
   * it fires for certain). Active phases: null.
   */
  margin: number | null;
  problems: string[];
}

export interface HeadroomReport {
  network: string;
  ok: boolean;
  bounds: PhaseBound[];
  problems: string[];
  /** The smallest inactive-phase margin and where (hardware units). */
  worstMargin: { group: string; phase: number; margin: number } | null;
  /** The largest |q| anywhere, against 2^21. */
  worstQ: { group: string; phase: number; q: number };
}

interface Contribution {
  lo: number;
  hi: number;
}

/** Per-post bound of one spike wave over connection c: lo/hi in hardware units. */
function connectionBound(c: NetworkDesc['connections'][number], preSize: number, certain: boolean): Contribution {
  let count: number;
  if (c.connectivity === 'one-to-one' || c.connectivity === 'one-to-all') count = 1;
  else if (c.connectivity === 'all-to-all') count = preSize;
  else throw new Error(`headroom: connection ${c.name ?? `${c.pre}->${c.post}`} is sparse; not supported`);
  let wLo: number;
  let wHi: number;
  if (c.weight !== undefined) {
    const sign: SignMode = c.signMode ?? (c.weight > 0 ? 'excitatory' : c.weight < 0 ? 'inhibitory' : 'mixed');
    const enc = encodeWeight(c.weight, sign, c.numWeightBits ?? 8);
    wLo = wHi = enc.mant * weightScale(enc.exp);
  } else {
    const [lo, hi] = weightRange(c.signMode ?? 'mixed', c.numWeightBits ?? 8);
    const s = weightScale(c.weightExp ?? 0);
    wLo = lo * s;
    wHi = hi * s;
  }
  if (certain) {
    if (wLo !== wHi) throw new Error(`headroom: gate connection ${c.name} has a weight matrix`);
    return { lo: count * wLo, hi: count * wHi };
  }
  return { lo: count * Math.min(0, wLo), hi: count * Math.max(0, wHi) };
}

/** Throw a UserError naming the network and its first problem unless headroom() proves it (robust gating's promise). */
export function requireHeadroom(desc: NetworkDesc, schedule: PhaseSchedule): void {
  const h = headroom(desc, schedule);
  if (!h.ok) throw new UserError(`robust gating: ${desc.name}: ${h.problems[0]} (use --gating paper or narrower hidden layers)`);
}

/** Prove (or refute) the headroom of `desc` under `schedule`; see the module comment. */
export function headroom(desc: NetworkDesc, schedule: PhaseSchedule): HeadroomReport {
  const P = schedule.phases;
  const groups: Record<string, NetworkDesc['groups'][number]> = {};
  for (const g of desc.groups) groups[g.name] = g;
  const isGate = (name: string) => /^g\d\d$/.test(name) && Number(name.slice(1)) < P;
  const firing = (name: string): number[] => {
    if (isGate(name)) return [(Number(name.slice(1)) + P - 1) % P];
    const g = groups[name];
    if (g.neuron === 'generator') {
      const f = schedule.generators[name];
      if (!f) throw new Error(`headroom: generator ${name} has no schedule`);
      return f;
    }
    const f = schedule.active[name];
    if (!f) throw new Error(`headroom: group ${name} has no active phases`);
    return f;
  };
  const problems: string[] = [];
  // twins: which class (if any) a group belongs to in a phase, after proving the claim
  const twinOf = (name: string, f: number): number => {
    for (let k = 0; k < schedule.twins.length; k++) if (schedule.twins[k].groups.indexOf(name) >= 0 && schedule.twins[k].phases.indexOf(f) >= 0) return k;
    return -1;
  };
  schedule.twins.forEach((t, k) => {
    for (const f of t.phases) {
      const inputs = t.groups.map((name) => {
        const keys: string[] = [];
        for (const c of desc.connections) {
          if (c.post !== name) continue;
          for (const f0 of firing(c.pre)) {
            if ((f0 + 1 + (c.delay ?? 0)) % P !== f) continue;
            keys.push(`${c.pre}/${String(c.connectivity)}/${c.weight === undefined ? 'matrix' : c.weight}/${f0}`);
          }
        }
        return keys.sort().join(' ');
      });
      const ok = inputs.every((x) => x === inputs[0]) && inputs[0].indexOf('matrix') < 0 && t.groups.every((g) => groups[g].size === groups[t.groups[0]].size);
      // refractory: the previous active phase of each member must be at least refractoryDelay steps back
      const refOk = t.groups.every((g) => {
        const n = groups[g].neuron;
        if (n === 'generator') return false;
        const act = firing(g);
        let back = P;
        for (const a of act) if (a !== f) back = Math.min(back, (f - a + P) % P);
        return n.refractoryDelay <= back;
      });
      if (!ok || !refOk) {
        problems.push(`twins ${t.groups.join(', ')} in phase ${f}: ${!ok ? 'inputs differ' : 'a member may still be refractory'}`);
        t.phases = t.phases.filter((x) => x !== f);
      }
    }
    void k;
  });
  const lo: Record<string, Float64Array> = {};
  const hi: Record<string, Float64Array> = {};
  for (const g of desc.groups) {
    lo[g.name] = new Float64Array(P);
    hi[g.name] = new Float64Array(P);
  }
  // one-to-one inputs from twins: summed per (post, arrival phase, class, firing phase), then bounded
  const twinSums: Record<string, { post: string; a: number; sum: number }> = {};
  for (const c of desc.connections) {
    const certain = isGate(c.pre);
    const b = connectionBound(c, groups[c.pre].size, certain);
    for (const f of firing(c.pre)) {
      const a = (f + 1 + (c.delay ?? 0)) % P;
      const k = twinOf(c.pre, f);
      if (k >= 0 && c.connectivity === 'one-to-one' && c.weight !== undefined) {
        const key = `${c.post}|${a}|${k}|${f}`;
        const t = twinSums[key] ?? (twinSums[key] = { post: c.post, a, sum: 0 });
        t.sum += b.lo + b.hi;
        continue;
      }
      lo[c.post][a] += b.lo;
      hi[c.post][a] += b.hi;
    }
  }
  for (const key in twinSums) {
    const t = twinSums[key];
    lo[t.post][t.a] += Math.min(0, t.sum);
    hi[t.post][t.a] += Math.max(0, t.sum);
  }
  const bounds: PhaseBound[] = [];
  let worstMargin: HeadroomReport['worstMargin'] = null;
  let worstQ = { group: '', phase: 0, q: 0 };
  for (const g of desc.groups) {
    if (g.neuron === 'generator') continue;
    const n = g.neuron;
    if (n.decayU < 4096 || n.decayV < 4096) throw new Error(`headroom: group ${g.name} is not memoryless`);
    const bias = effectiveBias(n.biasMant, n.biasExp);
    const th = thresholdUnits(n.vthMant);
    const gate = isGate(g.name);
    const act = firing(g.name);
    for (let p = 0; p < P; p++) {
      const qMin = lo[g.name][p];
      const qMax = hi[g.name][p];
      const active = act.indexOf(p) >= 0;
      const pr: string[] = [];
      if (qMin < -TWO_21 || qMax > TWO_21 - 1) pr.push(`q in [${qMin}, ${qMax}] can leave the 21-bit accumulator`);
      if (qMin + bias < V_MIN || qMax + bias > V_MAX) pr.push(`q + bias in [${qMin + bias}, ${qMax + bias}] can wrap or saturate`);
      let margin: number | null = null;
      if (!active) {
        margin = th - (qMax + bias);
        if (margin < 0) pr.push(`can fire outside its active phases (largest v ${qMax + bias} > threshold ${th})`);
        if (worstMargin === null || margin < worstMargin.margin) worstMargin = { group: g.name, phase: p, margin };
      } else if (gate) {
        margin = qMin + bias - th - 1;
        if (margin < 0) pr.push(`gate may fail to fire (smallest v ${qMin + bias} <= threshold ${th})`);
      }
      const q = Math.max(-qMin, qMax);
      if (q > worstQ.q) worstQ = { group: g.name, phase: p, q };
      for (const x of pr) problems.push(`${g.name} phase ${p}: ${x}`);
      bounds.push({ group: g.name, phase: p, active, gate, qMin, qMax, bias, threshold: th, margin, problems: pr });
    }
  }
  return { network: desc.name, ok: problems.length === 0, bounds, problems, worstMargin, worstQ };
}
