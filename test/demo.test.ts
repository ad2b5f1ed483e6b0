/**
 * `synfire demo`: the counters of the demo network, worked out by hand from its wiring
 * (tools/commands/demo.ts), checked in process for several run lengths and end to end
 * through bin/synfire.js.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../tools/commands/demo';
import { runCli } from './fixtures';

/** Number of steps t = first + period * k (k >= 0) with t <= n. */
const cnt = (first: number, period: number, n: number) => (first > n ? 0 : Math.floor((n - first) / period) + 1);

/**
 * Expected totals for an n-step run. Timeline (a spike at t arrives at t + 1 + delay):
 * kick fires at 1, so gate g_p fires at 2 + p + 4k. g0 makes all 4 E fire at 3, 11, 19, ...
 * (the volley at 7 + 8m is cancelled by I); E makes both I fire 3 steps later (6 + 8m);
 * g1 + E's volley make O0 fire at 4 + 8m. Reward at 3 + 16j.
 */
function expected(n: number) {
  const G = [0, 1, 2, 3].map((p) => cnt(2 + p, 4, n));
  const gates = G[0] + G[1] + G[2] + G[3];
  const cE = cnt(3, 8, n);
  const cI = cnt(6, 8, n);
  const cO = cnt(4, 8, n);
  // fan-outs: kick 1; g0 -> g1 + 4 E; g1 -> g2 + 2 O; g2, g3 -> 1; E -> 2 I + 2 O; I -> 4 E
  const synOps = 1 + 5 * G[0] + 3 * G[1] + G[2] + G[3] + 4 * (4 * cE) + 4 * (2 * cI);
  // updates: gates when their input arrives; E at every g0 arrival (3 + 4k) and the step
  // after each spike (refractory count, 4 + 8m); I at 6 + 8m and 7 + 8m; O (both) at every
  // g1 arrival (4 + 4k)
  const cxActive = gates + 4 * (cnt(3, 4, n) + cnt(4, 8, n)) + 2 * (cnt(6, 8, n) + cnt(7, 8, n)) + 2 * cnt(4, 4, n);
  return {
    spikes: gates + 4 * cE + 2 * cI + cO,
    genSpikes: 1 + cnt(3, 16, n),
    synOps,
    cxActive,
    cxIdle: 12 * n - cxActive,
    learnVisits: 8 * Math.floor(n / 2),
    // every coincidence epoch (ending 4 + 8m) moves O0's 4 weights by +-2
    learnUpdates: 4 * cO,
    steps: n,
    G,
    cE,
    cI,
    cO,
  };
}

describe('demo network counters (in process)', () => {
  for (const n of [1, 5, 12, 32, 77, 200]) {
    it(`${n} steps`, () => {
      const { result } = runDemo(n);
      const e = expected(n);
      const c = result.counters;
      expect(c.spikes).toBe(e.spikes);
      expect(c.genSpikes).toBe(e.genSpikes);
      expect(c.synOps).toBe(e.synOps);
      expect(c.cxActive).toBe(e.cxActive);
      expect(c.cxIdle).toBe(e.cxIdle);
      expect(c.learnVisits).toBe(e.learnVisits);
      expect(c.learnUpdates).toBe(e.learnUpdates);
      expect(c.steps).toBe(n);
      // each gate fires once per turn of the ring, in its own phase
      for (let p = 0; p < 4; p++) {
        const steps = result.spikes.filter((s) => s.group === `g${p}`).map((s) => s.step);
        expect(steps.length).toBe(e.G[p]);
        for (const t of steps) expect((t - 2 - p) % 4).toBe(0);
      }
      expect(result.spikes.filter((s) => s.group === 'E').every((s) => s.neurons.length === 4 && (s.step - 3) % 8 === 0)).toBe(true);
      expect(result.spikes.filter((s) => s.group === 'O').every((s) => s.neurons.join() === '0' && (s.step - 4) % 8 === 0)).toBe(true);
      // O0's weights: +2 on rewarded volleys (m even), -2 on the others; O1's never change
      const w0 = 200 + (e.cO % 2 === 1 ? 2 : 0);
      expect(result.weights['E->O']).toEqual([w0, w0, w0, w0, 100, 100, 100, 100]);
      // phase buckets add up to the totals
      const sum = result.phases.reduce((a, ph) => a + ph.spikes, 0);
      expect(sum).toBe(c.spikes);
    });
  }

  it('per phase: g_p and the layers it drives fire in phase p', () => {
    const n = 32;
    const { result } = runDemo(n);
    const e = expected(n);
    const ph = result.phases.map((p) => p.spikes);
    expect(ph).toEqual([e.G[0] + 2 * e.cI, e.G[1] + 4 * e.cE, e.G[2] + e.cO, e.G[3]]);
    expect(result.phases[3].genSpikes).toBe(1); // kick at step 1
  });
});

describe('synfire demo end to end', () => {
  const run = (...args: string[]) => runCli(['demo', ...args]);

  it('--json prints the network, the counters and the spikes', () => {
    const r = run('--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    const e = expected(32);
    expect(j.steps).toBe(32);
    expect(j.network).toMatchObject({ compartments: 12, synapses: 1 + 4 + 4 + 8 + 8 + 2 + 8, plasticSynapses: 8 });
    expect(j.network.cores).toBeGreaterThanOrEqual(1);
    expect(j.counters).toMatchObject({ spikes: 59, genSpikes: 3, synOps: 176, learnVisits: 128, learnUpdates: 16, steps: 32 });
    expect(j.counters.spikes).toBe(e.spikes);
    expect(j.counters.synOps).toBe(e.synOps);
    expect(j.counters.cxActive + j.counters.cxIdle).toBe(12 * 32);
    expect(j.spikes.filter((s: { group: string }) => s.group === 'g0').map((s: { step: number }) => s.step)).toEqual([2, 6, 10, 14, 18, 22, 26, 30]);
    expect(j.spikes.filter((s: { group: string }) => s.group === 'I').map((s: { step: number }) => s.step)).toEqual([6, 14, 22, 30]);
  });

  it('prints a readable report', () => {
    const r = run('--steps', '16');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('op counters');
    expect(r.stdout).toMatch(/synOps\s+\d+/);
    expect(r.stdout).toMatch(/^E \(4\)\s+4 {7}4$/m); // E fires at 3 and 11
    expect(r.stderr).toBe('');
  });

  it('rejects a bad --steps', () => {
    const r = run('--steps', '0');
    expect(r.status).toBe(2);
  });
});
