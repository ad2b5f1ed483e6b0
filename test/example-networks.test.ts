/**
 * The example network files in examples/, run through the network-file path (parse, compile,
 * inject, step), checked against spikes and counters worked out by hand below.
 *
 * Rules used (docs/chip-model.md): a weight of w weight units delivers w * 2^6 to the
 * dendrite; a compartment fires when v > vthMant * 2^6, i.e. when its input in weight units
 * (plus bias) exceeds vthMant; decayU = 4096 clears u every step (u = this step's input);
 * decayV = 4096 clears v every step (v = u + bias), decayV = 0 keeps v (v += u + bias); a
 * spike resets v to 0; a spike at step t (generator or compartment) is integrated at step
 * t + 1 + delay and its synaptic ops are counted at step t (one per synapse of the spiking
 * source).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetworkFile } from '../src/net/network-file';
import { startNetwork } from '../src/net/run-file';
import { SpikeRecorder, type Simulation } from '../src/net/simulation';

function load(name: string): { sim: Simulation; rec: SpikeRecorder; steps: number } {
  const file = join(__dirname, '..', 'examples', name);
  const net = parseNetworkFile(readFileSync(file, 'utf8'), file);
  const sim = startNetwork(net);
  const rec = new SpikeRecorder(sim);
  return { sim, rec, steps: net.steps };
}

const stepsOf = (spikes: Array<[number, number]>, member: number) => spikes.filter((s) => s[1] === member).map((s) => s[0]);

describe('examples/winner-take-all.json', () => {
  // Inputs (300 wu each, one-to-one): in0 every step 1..20, in1 at odd steps 1..19, in2 at
  // 1, 4, 7, ..., 19. exc_k integrates (decayV 0) and fires above 1000 wu.
  // exc0 gets 300 at steps 2, 3, 4, 5 -> v = 300, 600, 900, 1200 > 1000: fires at step 5, v = 0.
  // exc1 gets 300 at steps 2, 4 -> 600 by step 5 (it would reach 1200 at step 8).
  // exc2 gets 300 at steps 2, 5 -> 600 by step 5.
  // exc0's spike at 5 reaches exc1 and exc2 at step 6 with -250 * 2^3 = -2000 wu:
  //   exc1 at step 6: 600 + 300 (in1 at 5) - 2000 = -1100; exc2 at 6: 600 - 2000 = -1400.
  // exc0 starts again from 0 and fires every 4th step: 5, 9, 13, 17 (next at 21, after the run).
  // Between two exc0 spikes exc1 gains at most 2 x 300 and exc2 at most 2 x 300, and each
  // exc0 spike takes 2000: they only sink. So exc0 spikes 4 times, the others never.
  // synOps: 20 + 10 + 7 = 37 input spikes x 1 synapse + 4 exc0 spikes x 2 lateral synapses = 45.
  const { sim, rec, steps } = load('winner-take-all.json');
  sim.step(5);
  const v5 = [sim.voltage('exc', 0), sim.voltage('exc', 1), sim.voltage('exc', 2)];
  sim.step(1);
  const v6 = [sim.voltage('exc', 1), sim.voltage('exc', 2)];
  sim.step(steps - 6);

  it('lets the fastest input win: exc0 fires at 5, 9, 13, 17; exc1 and exc2 never', () => {
    expect(stepsOf(rec.spikes.exc, 0)).toEqual([5, 9, 13, 17]);
    expect(stepsOf(rec.spikes.exc, 1)).toEqual([]);
    expect(stepsOf(rec.spikes.exc, 2)).toEqual([]);
  });

  it('has the voltages worked out by hand (in 2^6 units)', () => {
    expect(v5).toEqual([0, 600 * 64, 600 * 64]);
    expect(v6).toEqual([-1100 * 64, -1400 * 64]);
  });

  it('counts 45 synaptic ops, 4 spikes, 37 input spikes in 20 steps', () => {
    const c = sim.counts();
    expect(c.synOps).toBe(45);
    expect(c.spikes).toBe(4);
    expect(c.genSpikes).toBe(37);
    expect(c.steps).toBe(20);
    // integrators (decayV 0) have dynamics of their own: all 3 are active every step
    expect(c.cxActive).toBe(3 * 20);
  });
});

describe('examples/synfire-chain.json', () => {
  // Memoryless neurons firing above 1000 wu; layer to layer all-to-all at 600 wu, so a neuron
  // fires only when BOTH neurons of the layer before it fired (1200), never on one (600).
  // start spikes at 1 -> L0 (one-to-all, 1200) at 2.
  // L0 -> L1 delay 2: 2 + 1 + 2 = 5.   L1 -> L2 delay 0: 6.   L2 -> L3 delay 5: 6 + 1 + 5 = 12.
  // L3 -> L0 delay 3: 12 + 1 + 3 = 16, and around again: L1 19, L2 20, L3 26, L0 30.
  // synOps: start 2 + 9 layer volleys (L0 x 3, L1, L2, L3 x 2) x 2 neurons x 2 synapses = 38.
  const { sim, rec, steps } = load('synfire-chain.json');
  sim.step(steps);

  it('fires each layer in step with the delays: L0 2, 16, 30; L1 5, 19; L2 6, 20; L3 12, 26', () => {
    const expected: Record<string, number[]> = { L0: [2, 16, 30], L1: [5, 19], L2: [6, 20], L3: [12, 26] };
    for (const layer in expected) {
      expect(stepsOf(rec.spikes[layer], 0), layer).toEqual(expected[layer]);
      expect(stepsOf(rec.spikes[layer], 1), layer).toEqual(expected[layer]);
    }
  });

  it('counts 38 synaptic ops and 18 spikes; every compartment is updated every step', () => {
    const c = sim.counts();
    expect(c.synOps).toBe(38);
    expect(c.spikes).toBe(18);
    // a memoryless neuron is active only in the steps its input arrives: one per spike here
    expect(c.cxActive).toBe(18);
    expect(c.cxActive + c.cxIdle).toBe(8 * 30);
  });
});

describe('examples/trace-learning.json', () => {
  // post: memoryless, fires above 1000 wu. teach -> post 1200 wu (fires it alone).
  // pre -> post: mantissas [100, 100], weight exponent 3 (800 wu each, below threshold).
  // Rule dw = x1*y0 - 2^-2*x1 once per 2-step epoch (epochs end at even steps); x1 is the
  // pre trace with impulse 2048/256 = 8 and tau 0 (8 in an epoch where pre spiked, else 0);
  // y0 = 1 when post spiked in the epoch. Inputs sit at odd steps, so a pre spike at t and
  // the post spike it causes at t + 1 fall in the same epoch.
  // pre0 with teach at 1, 5, 9, 13, 17: post fires at 2, 6, 10, 14, 18; dw = 8 - 2 = +6 each:
  //   w0 = 100 + 5 x 6 = 130 after step 18 (1040 wu > 1000).
  // pre1 alone at 3, 7, ..., 23: post gets 8 * w1 <= 800 wu, silent; dw = 0 - 2 = -2 each:
  //   w1 = 100 - 6 x 2 = 88.
  // pre0 alone at 21: 1040 wu > 1000, post fires at 22 (it learned); dw = +6: w0 = 136.
  // Counters: 12 epochs x 2 plastic synapses = 24 visits; one weight changes per epoch = 12;
  // synOps = 5 teach + 6 pre0 + 6 pre1 spikes, one synapse each = 17.
  const { sim, rec, steps } = load('trace-learning.json');
  sim.step(steps);

  it('fires post with the teacher at 2, 6, 10, 14, 18 and on pre 0 alone at 22', () => {
    expect(stepsOf(rec.spikes.post, 0)).toEqual([2, 6, 10, 14, 18, 22]);
  });

  it('ends with weights [136, 88]', () => {
    expect(Array.from(sim.weights('plastic'))).toEqual([136, 88]);
  });

  it('counts 24 learning visits, 12 weight updates and 17 synaptic ops', () => {
    const c = sim.counts();
    expect(c.learnVisits).toBe(24);
    expect(c.learnUpdates).toBe(12);
    expect(c.synOps).toBe(17);
    expect(c.spikes).toBe(6);
  });
});
