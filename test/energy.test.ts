import { describe, expect, it } from 'vitest';
import { CoreOp, NUM_CORE_OPS, Op, OpCounters } from '../src/chip/counters';
import { UserError } from '../src/errors';
import {
  CONSTANT_SETS,
  DEFAULT_CONSTANTS,
  PAPER,
  TABLE1_ROWS,
  getConstants,
} from '../src/energy/constants';
import { costReport, nsToMs, pJToMicroJoule, pJToMilliJoule, perSample, timeWeights } from '../src/energy/model';

/**
 * Two buckets of small counts. Expected energies below are worked out by hand from
 * docs/energy-latency.md (Davies 2018 Table 2, 0.75 V, and SANA-FE):
 *   synOp 23.6, synaptic update 120, neuron active/inactive 81/52, spike within tile 1.7,
 *   hop EW/NS 3.0/4.0 pJ.
 */
function sampleCounters(): OpCounters {
  const c = new OpCounters(2);
  c.bucket = 0;
  c.add(Op.synOps, 10);
  c.add(Op.cxActive, 2);
  c.add(Op.cxIdle, 3);
  c.add(Op.msgLocal, 4);
  c.add(Op.hopsEW, 5);
  c.add(Op.hopsNS, 6);
  c.add(Op.msgRemote, 2);
  c.add(Op.spikes, 3);
  // Kinds that carry no energy: barriers, steps, host spikes, updates, wrap counters.
  c.add(Op.barriers, 1);
  c.add(Op.steps, 1);
  c.add(Op.genSpikes, 9);
  c.add(Op.uWrap, 2);
  c.bucket = 1;
  c.add(Op.synOps, 7);
  c.add(Op.learnVisits, 100);
  c.add(Op.learnUpdates, 40);
  c.add(Op.cxActive, 1);
  c.add(Op.cxIdle, 4);
  c.add(Op.barriers, 1);
  c.add(Op.steps, 1);
  return c;
}

const LAT = new Float64Array([1000, 2000]);

describe('Davies 2018 constant set', () => {
  const c = getConstants('loihi1-davies2018');

  it('is the default', () => {
    expect(DEFAULT_CONSTANTS).toBe('loihi1-davies2018');
    expect(getConstants(DEFAULT_CONSTANTS)).toBe(c);
  });

  it('computes exact energy by kind and in total', () => {
    const r = costReport(sampleCounters(), LAT, c, { chips: 1, includeStatic: false });
    // bucket 0: 10*23.6 + 2*81 + 3*52 + 4*1.7 + 5*3.0 + 6*4.0 = 236 + 162 + 156 + 6.8 + 15 + 24 = 599.8
    // bucket 1: 7*23.6 + 100*120 + 1*81 + 4*52 = 165.2 + 12000 + 81 + 208 = 12454.2
    expect(r.energyPJ.synOps).toBeCloseTo(17 * 23.6, 9);
    expect(r.energyPJ.learnVisits).toBeCloseTo(12000, 9);
    expect(r.energyPJ.cxActive).toBeCloseTo(243, 9);
    expect(r.energyPJ.cxIdle).toBeCloseTo(364, 9);
    expect(r.energyPJ.msgLocal).toBeCloseTo(6.8, 9);
    expect(r.energyPJ.hops).toBeCloseTo(39, 9);
    expect(r.energyPJ.msgRemote).toBe(0);
    expect(r.energyPJ.spikes).toBe(0);
    expect(r.energyPJ.static).toBe(0);
    expect(r.perBucket[0].energyPJ).toBeCloseTo(599.8, 9);
    expect(r.perBucket[1].energyPJ).toBeCloseTo(12454.2, 9);
    expect(r.energyPJ.total).toBeCloseTo(13054, 9);
    expect(r.latencyNs).toBe(3000);
    // EDP: 13054 pJ = 1.3054e-5 mJ, 3000 ns = 0.003 ms.
    expect(r.edpMilliJouleMs).toBeCloseTo(1.3054e-5 * 0.003, 15);
    expect(r.constants).toBe('loihi1-davies2018');
  });

  it('adds static power x chips x latency when asked', () => {
    const r = costReport(sampleCounters(), LAT, c, { chips: 2, includeStatic: true });
    // 104 mW * 2 chips * 3000 ns = 624000 pJ (1 mW * 1 ns = 1 pJ).
    expect(r.energyPJ.static).toBeCloseTo(624000, 6);
    expect(r.perBucket[0].byKind.static).toBeCloseTo(208000, 6);
    expect(r.perBucket[1].byKind.static).toBeCloseTo(416000, 6);
    expect(r.energyPJ.total).toBeCloseTo(13054 + 624000, 6);
  });

  it('per-bucket energies sum to the total, by kind too', () => {
    const r = costReport(sampleCounters(), LAT, c, { chips: 1, includeStatic: true });
    let sum = 0;
    let lat = 0;
    const byKind: Record<string, number> = {};
    for (const b of r.perBucket) {
      sum += b.energyPJ;
      lat += b.latencyNs;
      for (const k in b.byKind) byKind[k] = (byKind[k] || 0) + b.byKind[k];
    }
    expect(sum).toBeCloseTo(r.energyPJ.total, 6);
    expect(lat).toBe(r.latencyNs);
    for (const k in byKind) expect(byKind[k]).toBeCloseTo((r.energyPJ as unknown as Record<string, number>)[k], 6);
  });

  it('has time weights in CoreOp order from Table 2', () => {
    const w = timeWeights(c);
    expect(w.length).toBe(NUM_CORE_OPS);
    expect(w[CoreOp.synOps]).toBe(3.5);
    expect(w[CoreOp.cxActive]).toBe(8.4);
    expect(w[CoreOp.cxIdle]).toBe(5.3);
    expect(w[CoreOp.learnVisits]).toBe(6.1);
    expect(w[CoreOp.msgOut]).toBe(2.1);
  });

  it('interpolates the barrier linearly over 1..32 tiles (113..465 ns)', () => {
    expect(c.barrierNs(1)).toBeCloseTo(113, 9);
    expect(c.barrierNs(32)).toBeCloseTo(465, 9);
    expect(c.barrierNs(16)).toBeCloseTo(113 + (352 * 15) / 31, 9);
    expect(c.barrierNs(0)).toBeCloseTo(113, 9);
    expect(() => c.barrierNs(NaN)).toThrow(/tiles/);
  });

  it('carries provenance', () => {
    expect(c.source).toMatch(/Davies/);
    expect(c.staticMilliWattPerChip).toBe(104);
    expect(c.notes.join(' ')).toMatch(/upper bound/);
    expect(c.notes.join(' ')).toMatch(/linear/);
  });
});

describe('SANA-FE constant set', () => {
  it('charges axon-out per message and spike-out per spike', () => {
    const c = getConstants('loihi1-sanafe');
    const r = costReport(sampleCounters(), LAT, c, { chips: 1, includeStatic: true });
    // bucket 0: 10*35.5 + 2*72.8 + 3*51.2 + 4*76.8 + (5*3.0 + 6*4.2) + 2*76.8 + 3*69.3
    //         = 355 + 145.6 + 153.6 + 307.2 + 40.2 + 153.6 + 207.9 = 1363.1
    expect(r.perBucket[0].energyPJ).toBeCloseTo(1363.1, 9);
    expect(r.energyPJ.static).toBe(0);
    expect(c.barrierNs(1)).toBe(299);
    expect(c.barrierNs(32)).toBe(299);
  });
});

describe('getConstants', () => {
  it('rejects an unknown name with a UserError listing the valid ones', () => {
    expect(() => getConstants('loihi3')).toThrow(UserError);
    try {
      getConstants('loihi3');
    } catch (e) {
      const m = (e as Error).message;
      expect(m).toContain('loihi3');
      for (const name of Object.keys(CONSTANT_SETS)) expect(m).toContain(name);
    }
  });

  it('does not resolve Object prototype names', () => {
    expect(() => getConstants('toString')).toThrow(UserError);
  });
});

describe('costReport checks and perSample', () => {
  const c = getConstants(DEFAULT_CONSTANTS);

  it('rejects a latency array of the wrong length and bad chip counts', () => {
    expect(() => costReport(sampleCounters(), new Float64Array(3), c, { chips: 1, includeStatic: false })).toThrow(/buckets/);
    expect(() => costReport(sampleCounters(), LAT, c, { chips: 0, includeStatic: false })).toThrow(/chips/);
  });

  it('divides energy and latency by samples; EDP is per-sample energy x per-sample latency', () => {
    const r = costReport(sampleCounters(), LAT, c, { chips: 1, includeStatic: false });
    const s = perSample(r, 4);
    expect(s.energyPJ.total).toBeCloseTo(13054 / 4, 9);
    expect(s.energyPJ.learnVisits).toBeCloseTo(3000, 9);
    expect(s.latencyNs).toBe(750);
    expect(s.perBucket[1].byKind.learnVisits).toBeCloseTo(3000, 9);
    expect(s.edpMilliJouleMs).toBeCloseTo((13054 / 4 / 1e9) * (750 / 1e6), 18);
    expect(s.samples).toBe(4);
    expect(() => perSample(r, 0)).toThrow(/samples/);
  });

  it('converts units', () => {
    expect(pJToMilliJoule(0.59e9)).toBeCloseTo(0.59, 12);
    expect(pJToMicroJoule(2.5e6)).toBeCloseTo(2.5, 12);
    expect(nsToMs(1.5e6)).toBeCloseTo(1.5, 12);
  });
});

describe('published figures', () => {
  it('PAPER holds Renner 2024 Table 1 per-sample figures', () => {
    expect(PAPER.train).toEqual({ energyMilliJoule: 0.59, latencyMs: 1.5 });
    expect(PAPER.infer).toEqual({ energyMilliJoule: 0.0025, latencyMs: 0.17 });
  });

  it('TABLE1_ROWS has every row of the paper Table 1 with derived EDP', () => {
    expect(TABLE1_ROWS.length).toBe(17);
    expect(TABLE1_ROWS.filter((r) => r.block === 'on-chip backprop').length).toBe(1);
    expect(TABLE1_ROWS.filter((r) => r.block === 'inference only').length).toBe(9);
    const find = (work: string, mode: string) => TABLE1_ROWS.find((r) => r.work.indexOf(work) >= 0 && r.mode === mode)!;
    // EDP values: energy x latency from the paper's Table 1, mJ*ms, computed by hand.
    expect(find('this study', 'on-chip nBP').edp).toBeCloseTo(0.885, 12);
    expect(find('this study', 'inference').edp).toBeCloseTo(4.25e-4, 12);
    expect(find('Shrestha', 'EM-STDP FA/DFA').edp).toBeCloseTo(168, 9);
    expect(find('Stromatias', 'inference').edp).toBeCloseTo(36.3, 9);
    expect(find('Göltz', 'inference').edp).toBeCloseTo(4.03e-4, 6);
    expect(find('Lin', 'S-STDP').edp).toBeNull();
    expect(find('Lin', 'S-STDP').latencyMs).toBeNull();
    expect(find('this study', 'on-chip nBP').accuracyAlt).toBe(97.5);
    for (const r of TABLE1_ROWS) {
      if (r.energyMilliJoule !== null && r.latencyMs !== null) expect(r.edp).toBeCloseTo(r.energyMilliJoule * r.latencyMs, 15);
    }
  });
});
