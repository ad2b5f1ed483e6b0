/**
 * `synfire profile`: the counting rules on a small network worked out by hand, the latency
 * model (max over cores + barrier) from the Davies 2018 Table 2 and SANA-FE constants
 * (docs/energy-latency.md), the per-sample report built from them, and the JSON the CLI
 * prints.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Op } from '../src/chip/counters';
import { getConstants } from '../src/energy/constants';
import { attachTimeModel, resetMeasurement, tilesInUse } from '../src/energy/report';
import { buildProfileReport } from '../src/sbp/profile';
import { profileChartSvg } from '../src/viz/profile-chart';
import { compileNetwork, type CompiledNetwork } from '../src/net/compile';
import type { CoreLimits, NetworkDesc, NeuronType } from '../src/net/network';

/**
 * A small mesh so that placement decides local vs remote: 2 cores per tile, 2 x 2 tiles.
 * Core -> tile (x, y): 0,1 -> tile 0 (0,0); 2,3 -> tile 1 (1,0); 4,5 -> tile 2 (0,1); 6,7 -> tile 3 (1,1).
 */
const LIMITS: CoreLimits = {
  coresPerChip: 8,
  compartments: 1024,
  synapseBits: 1048576,
  inputAxons: 4096,
  outputAxons: 4096,
  coresPerTile: 2,
  tilesX: 2,
  tilesY: 2,
};

/** Memoryless, no bias, threshold 1024 wu, no refractory hold: fires iff its input > 1024 wu. */
const GATE: NeuronType = { name: 'gate', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 };
const K = 8;

/**
 * A 3-gate ring g0 -> g1 -> g2 -> g0 (9280 wu, well above threshold) on core 0, kicked once by
 * a host generator, and a one-to-all fan-out g0 -> a of K = 8 plastic synapses of 512 wu
 * (below threshold: a never fires). Placement hint: a over cores [1, 5) = 2 per core on
 * cores 1, 2, 3, 4.
 */
function ringNetwork(): NetworkDesc {
  const gate = (name: string): NetworkDesc['groups'][number] => ({ name, size: 1, neuron: GATE, coreRange: [0, 1] });
  return {
    name: 'ring3',
    groups: [
      { name: 'kick', size: 1, neuron: 'generator' },
      gate('g0'),
      gate('g1'),
      gate('g2'),
      { name: 'a', size: K, neuron: { ...GATE, name: 'a' }, coreRange: [1, 5] },
    ],
    connections: [
      { pre: 'kick', post: 'g0', connectivity: 'one-to-one', weight: 9280 },
      { pre: 'g0', post: 'g1', connectivity: 'one-to-one', weight: 9280 },
      { pre: 'g1', post: 'g2', connectivity: 'one-to-one', weight: 9280 },
      { pre: 'g2', post: 'g0', connectivity: 'one-to-one', weight: 9280 },
      { pre: 'g0', post: 'a', connectivity: 'one-to-all', weight: 512, learning: { rule: 'dw = x0*y0*2', tEpoch: 1 } },
    ],
  };
}

/**
 * Compile, kick g0 at step 1 (g0 fires at 2, g1 at 3, g2 at 4), run to step 4, clear the
 * counters, then run `cycles` cycles of 3 steps with the bucket = which gate fires:
 * bucket 0 = step where g0 fires, 1 = g1, 2 = g2.
 */
function runRing(constants: string, cycles: number): { compiled: CompiledNetwork; tiles: number; barrierNs: number } {
  const compiled = compileNetwork(ringNetwork(), { limits: LIMITS, placement: 'hint', numBuckets: 4 });
  const chip = compiled.chip;
  const t = attachTimeModel(compiled, getConstants(constants));
  chip.setBucket(3);
  chip.schedule(compiled.groups.kick.start, 1);
  while (chip.time < 4) chip.step();
  resetMeasurement(chip);
  for (let c = 0; c < cycles; c++) {
    for (let b = 0; b < 3; b++) {
      chip.setBucket(b);
      chip.step();
    }
  }
  return { compiled, ...t };
}

describe('counting rules on a 3-gate ring with a one-to-all fan-out of 8', () => {
  const CYCLES = 5;
  const { compiled, tiles } = runRing('loihi1-davies2018', CYCLES);
  const cnt = compiled.chip.counters;

  it('places the ring on core 0 and the fan-out 2 per core on cores 1..4 (3 tiles in use)', () => {
    const cores = compiled.stats.coreUsage.map((u) => [u.core, u.compartments]);
    expect(cores).toEqual([
      [0, 3],
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
    ]);
    // tiles 0 (cores 0, 1), 1 (cores 2, 3), 2 (core 4)
    expect(tilesInUse(compiled)).toBe(3);
    expect(tiles).toBe(3);
  });

  it('counts synOps, spikes and compartment updates per step', () => {
    // step of g0: g0 -> g1 (1 synapse) + g0 -> a (8) = 9 synOps; g0 was updated (input from g2),
    // the other 2 gates and the 8 a's idle (a's input from g0 arrives the step after).
    // step of g1: 1 synOp; g1 and all 8 a's active, g0 and g2 idle.
    // step of g2: 1 synOp; g2 active, 10 idle.
    const per = (op: number, b: number) => cnt.get(op, b) / CYCLES;
    expect([per(Op.synOps, 0), per(Op.synOps, 1), per(Op.synOps, 2)]).toEqual([K + 1, 1, 1]);
    expect([per(Op.spikes, 0), per(Op.spikes, 1), per(Op.spikes, 2)]).toEqual([1, 1, 1]);
    expect([per(Op.cxActive, 0), per(Op.cxActive, 1), per(Op.cxActive, 2)]).toEqual([1, 1 + K, 1]);
    expect([per(Op.cxIdle, 0), per(Op.cxIdle, 1), per(Op.cxIdle, 2)]).toEqual([2 + K, 2, 2 + K]);
    // every configured compartment is serviced every step: (3 + 8) x 3 steps per cycle
    expect(cnt.total(Op.cxActive) + cnt.total(Op.cxIdle)).toBe((3 + K) * 3 * CYCLES);
    expect(cnt.total(Op.barriers)).toBe(3 * CYCLES);
    expect(cnt.total(Op.steps)).toBe(3 * CYCLES);
  });

  it('counts one message per distinct destination core: local within the tile, else remote + hops', () => {
    // g0's spike goes to core 0 (g1) and cores 1..4 (a): cores 0, 1 are in g0's tile -> 2 local;
    // cores 2, 3 (tile 1, x = 1) -> 2 remote, 1 EW hop each; core 4 (tile 2, y = 1) -> 1 remote, 1 NS hop.
    // g1 -> g2 and g2 -> g0 stay on core 0: 1 local message each.
    const per = (op: number, b: number) => cnt.get(op, b) / CYCLES;
    expect([per(Op.msgLocal, 0), per(Op.msgLocal, 1), per(Op.msgLocal, 2)]).toEqual([2, 1, 1]);
    expect([per(Op.msgRemote, 0), per(Op.msgRemote, 1), per(Op.msgRemote, 2)]).toEqual([3, 0, 0]);
    expect(per(Op.hopsEW, 0)).toBe(2);
    expect(per(Op.hopsNS, 0)).toBe(1);
    expect(cnt.total(Op.hopsEW) + cnt.total(Op.hopsNS)).toBe(3 * CYCLES);
  });

  it('counts learnVisits as plastic synapses x epochs (tEpoch 1: every step), updates only on change', () => {
    expect(compiled.stats.plasticSynapses).toBe(K);
    for (let b = 0; b < 3; b++) expect(cnt.get(Op.learnVisits, b)).toBe(K * CYCLES);
    // a never fires, so y0 = 0 and no weight changes
    expect(cnt.total(Op.learnUpdates)).toBe(0);
  });

  it('with tEpoch 3 the engine visits the synapses once per 3 steps', () => {
    const net = ringNetwork();
    net.connections[4].learning = { rule: 'dw = x0*y0*2', tEpoch: 3 };
    const c2 = compileNetwork(net, { limits: LIMITS, placement: 'hint', numBuckets: 1 });
    c2.chip.schedule(c2.groups.kick.start, 1);
    for (let s = 0; s < 12; s++) c2.chip.step();
    // epochs end at steps 3, 6, 9, 12
    expect(c2.chip.counters.total(Op.learnVisits)).toBe(K * 4);
  });
});

describe('latency of a step = max over cores of their op time + barrier', () => {
  it('Davies 2018 Table 2 (0.75 V)', () => {
    const { compiled, barrierNs } = runRing('loihi1-davies2018', 2);
    // Table 2: synOp 3.5 ns, active / idle update 8.4 / 5.3 ns, synaptic update 6.1 ns,
    // spike within tile 2.1 ns (per message sent); barrier 113..465 ns over 1..32 tiles.
    const barrier = 113 + ((465 - 113) / 31) * (3 - 1);
    expect(barrierNs).toBeCloseTo(barrier, 9);
    // g0's step. core 0: g0 active, g1 g2 idle, 1 synOp into g1, 5 messages out;
    // cores 1..4: 2 idle, 2 synOps, 2 learning visits.
    const core0A = 8.4 + 2 * 5.3 + 3.5 + 5 * 2.1; // 33.0
    const aA = 2 * 5.3 + 2 * 3.5 + 2 * 6.1; // 29.8
    // g1's step. core 0: g1 active, 2 idle, 1 synOp into g2, 1 message; cores 1..4: 2 active, 2 visits.
    const core0B = 8.4 + 2 * 5.3 + 3.5 + 2.1; // 24.6
    const aB = 2 * 8.4 + 2 * 6.1; // 29.0
    // g2's step. core 0 as in g1's step (synOp into g0); cores 1..4: 2 idle, 2 visits.
    const core0C = 8.4 + 2 * 5.3 + 3.5 + 2.1; // 24.6
    const aC = 2 * 5.3 + 2 * 6.1; // 22.8
    const lat = compiled.chip.latencyNs;
    expect(lat[0] / 2).toBeCloseTo(Math.max(core0A, aA) + barrier, 9);
    expect(lat[1] / 2).toBeCloseTo(Math.max(core0B, aB) + barrier, 9);
    expect(lat[2] / 2).toBeCloseTo(Math.max(core0C, aC) + barrier, 9);
    // the critical path moves: core 0 in g0's step, an 'a' core in g1's step
    expect(core0A > aA && aB > core0B).toBe(true);
  });

  it('SANA-FE (arch/loihi.yaml)', () => {
    const { compiled, barrierNs } = runRing('loihi1-sanafe', 1);
    // synapse 4.0 ns, neuron active / inactive 9.7 / 6.0 ns, axon-out 7.6 ns per message,
    // learning 6.1 ns (borrowed from Table 2), one global barrier of 299 ns.
    expect(barrierNs).toBe(299);
    const lat = compiled.chip.latencyNs;
    expect(lat[0]).toBeCloseTo(Math.max(9.7 + 2 * 6.0 + 4.0 + 5 * 7.6, 2 * 6.0 + 2 * 4.0 + 2 * 6.1) + 299, 9);
    expect(lat[1]).toBeCloseTo(Math.max(9.7 + 2 * 6.0 + 4.0 + 7.6, 2 * 9.7 + 2 * 6.1) + 299, 9);
    expect(lat[2]).toBeCloseTo(Math.max(9.7 + 2 * 6.0 + 4.0 + 7.6, 2 * 6.0 + 2 * 6.1) + 299, 9);
  });
});

describe('buildProfileReport on the ring (one cycle = one "sample" of 3 phases)', () => {
  const CYCLES = 4;
  const { compiled, tiles, barrierNs } = runRing('loihi1-davies2018', CYCLES);
  const report = buildProfileReport({
    mode: 'infer',
    compiled,
    constants: getConstants('loihi1-davies2018'),
    samples: CYCLES,
    warmupSamples: 0,
    phases: 3,
    tiles,
    barrierNs,
    includeStatic: false,
    placement: 'paper',
    sizes: { input: 1, hidden: 1, output: 1 },
    paperNetwork: false,
    gating: 'paper',
    errorWindow: 0,
    targetTop: 512,
  });

  it('gives energy per sample by kind from the counts x Table 2 energies', () => {
    // per cycle: synOps 11 x 23.6, active 11 x 81, idle 22 x 52, visits 24 x 120,
    // local messages 4 x 1.7, hops 2 EW x 3.0 + 1 NS x 4.0 (pJ)
    const pJ = 11 * 23.6 + 11 * 81 + 22 * 52 + 24 * 120 + 4 * 1.7 + 2 * 3.0 + 1 * 4.0;
    expect(report.perSample.energyMilliJoule).toBeCloseTo(pJ / 1e9, 15);
    expect(report.breakdown.synOps.count).toBe(11);
    expect(report.breakdown.learnVisits.count).toBe(24);
    expect(report.breakdown.learnVisits.energyMilliJoule).toBeCloseTo((24 * 120) / 1e9, 15);
    expect(report.breakdown.hops.count).toBe(3);
    expect(report.breakdown.cxIdle.energyMilliJoule).toBeCloseTo((22 * 52) / 1e9, 15);
    expect(report.breakdown.barriers.count).toBe(3);
    expect(report.breakdown.barriers.energyMilliJoule).toBe(0);
    expect(report.evidence.dominantKind).toBe('learnVisits');
    let share = 0;
    for (const k in report.breakdown) share += report.breakdown[k].share;
    expect(share).toBeCloseTo(1, 12);
  });

  it('gives latency per sample = sum of the 3 steps, and per phase', () => {
    const barrier = 113 + (352 / 31) * 2;
    const steps = [Math.max(33.0, 29.8), Math.max(24.6, 29.0), Math.max(24.6, 22.8)];
    const ns = steps[0] + steps[1] + steps[2] + 3 * barrier;
    expect(report.perSample.latencyMs).toBeCloseTo(ns / 1e6, 12);
    expect(report.latency.barrierMs).toBeCloseTo((3 * barrier) / 1e6, 12);
    for (let p = 0; p < 3; p++) expect(report.perPhase[p].latencyMs).toBeCloseTo((steps[p] + barrier) / 1e6, 12);
    expect(report.perSample.edpMilliJouleMs).toBeCloseTo(report.perSample.energyMilliJoule * report.perSample.latencyMs, 20);
    // static is reported (104 mW x latency, 1 mW x 1 ns = 1 pJ) but not included
    expect(report.breakdown.static.included).toBe(false);
    expect(report.perSample.staticEnergyMilliJoule).toBeCloseTo((104 * ns) / 1e9, 15);
  });

  it('rejects counts left in a non-phase bucket (the startup bucket must be excluded)', () => {
    const { compiled: c2, tiles: t2, barrierNs: b2 } = runRing('loihi1-davies2018', 1);
    c2.chip.setBucket(3);
    c2.chip.step();
    expect(() =>
      buildProfileReport({ mode: 'infer', compiled: c2, constants: getConstants('loihi1-davies2018'), samples: 1, warmupSamples: 0, phases: 3, tiles: t2, barrierNs: b2, includeStatic: false, placement: 'paper', sizes: { input: 1, hidden: 1, output: 1 }, paperNetwork: false, gating: 'paper', errorWindow: 0, targetTop: 512 }),
    ).toThrow(/bucket 3/);
  });

  it('draws one SVG with a bar per phase plus the paper bar in both panels', () => {
    const svg = profileChartSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect((svg.match(/>phase 0</g) || []).length).toBe(2);
    expect((svg.match(/>paper \/ 4</g) || []).length).toBe(2);
  });
});

describe('synfire profile --json (built CLI)', () => {
  const root = join(__dirname, '..');
  it('prints one JSON object whose ratio is estimate / paper (infer, 50 samples)', () => {
    const r = spawnSync(process.execPath, ['bin/synfire.js', 'profile', '--mode', 'infer', '--samples', '50', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mode).toBe('infer');
    expect(j.samples).toBe(50);
    expect(j.constants).toBe('loihi1-davies2018');
    for (const k of ['energyMilliJoule', 'latencyMs', 'edpMilliJouleMs']) {
      expect(typeof j.perSample[k]).toBe('number');
      expect(j.perSample[k]).toBeGreaterThan(0);
    }
    // Renner et al. 2024, Table 1: inference 0.0025 mJ and 0.17 ms per sample
    expect(j.paper.energyMilliJoule).toBe(0.0025);
    expect(j.paper.latencyMs).toBe(0.17);
    expect(j.ratio.energy).toBeCloseTo(j.perSample.energyMilliJoule / 0.0025, 12);
    expect(j.ratio.latency).toBeCloseTo(j.perSample.latencyMs / 0.17, 12);
    expect(j.perSample.edpMilliJouleMs).toBeCloseTo(j.perSample.energyMilliJoule * j.perSample.latencyMs, 15);
    // breakdown: every kind the issue names
    for (const k of ['synOps', 'cxActive', 'cxIdle', 'learnVisits', 'learnUpdates', 'msgLocal', 'hops', 'barriers', 'static']) {
      expect(j.breakdown[k], k).toBeDefined();
    }
    // inference network: 814 compartments, 4 phases, no plastic synapses
    expect(j.network.compartments).toBe(814);
    expect(j.perPhase.length).toBe(4);
    expect(j.breakdown.learnVisits.count).toBe(0);
    expect(j.counts.steps).toBe(4);
    expect(j.breakdown.cxActive.count + j.breakdown.cxIdle.count).toBe(814 * 4);
    let e = 0;
    for (const p of j.perPhase) e += p.energyMilliJoule;
    expect(e).toBeCloseTo(j.perSample.energyMilliJoule, 15);
  }, 60_000);

  it('rejects a --plot name that is not .svg as a usage error', () => {
    const r = spawnSync(process.execPath, ['bin/synfire.js', 'profile', '--mode', 'infer', '--samples', '1', '--plot', 'x.png'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\.svg/);
  });
});
