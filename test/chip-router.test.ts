/**
 * The spike router and synapse memory (docs/chip-model.md, "Delays and routing" and "Weight encoding"; docs/sbp-network.md, "Time base" and "Weights"):
 * axonal delays, connectivity kinds, generator = compartment timing, weight exponents, sign
 * modes and weight truncation, and the routing counters (synOps, cxActive/cxIdle).
 * Expected sums are computed independently in the tests.
 */
import { describe, expect, it } from 'vitest';
import { Chip } from '../src/chip/chip';
import { Op } from '../src/chip/counters';
import { clipWeight, encodeWeight, storeWeight, truncateWeight, weightLsb, weightRange } from '../src/chip/weights';
import { UserError } from '../src/errors';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';
import { compileNetwork, type CompiledNetwork } from '../src/net/compile';
import type { NetworkDesc, NeuronType } from '../src/net/network';

const neuron = (p: Partial<NeuronType>): NeuronType => ({
  name: 'n',
  vthMant: 1024,
  decayU: 4096,
  decayV: 4096,
  biasMant: 0,
  biasExp: 0,
  refractoryDelay: 1,
  ...p,
});
const GATE = neuron({ name: 'gate' });
const LAYER = neuron({ name: 'layer', biasMant: -4096, biasExp: 7, refractoryDelay: 2 });
/** Never fires on realistic input: its u shows the delivered sum. */
const PROBE = neuron({ name: 'probe', vthMant: 131071 });

/** Generator spikes: [group, index, step]. Scheduled just before their step. */
type GenSpike = [string, number, number];

/** Run `steps` steps; returns, per step (index t - 1), the list of spiking compartment ids. */
function runNet(net: CompiledNetwork, gen: GenSpike[], steps: number, each?: (t: number) => void): number[][] {
  const chip = net.chip;
  const out: number[][] = [];
  for (let t = chip.time + 1; t <= steps; t++) {
    for (const [g, i, s] of gen) if (s === t) chip.schedule(net.groups[g].start + i, t);
    chip.step();
    out.push(Array.from(chip.spikedCx.subarray(0, chip.spikedCount)).sort((a, b) => a - b));
    each?.(t);
  }
  return out;
}

/** Steps at which member i of group g spiked. */
function firing(net: CompiledNetwork, spikes: number[][], g: string, i = 0): number[] {
  const cx = net.groups[g].start + i;
  const steps: number[] = [];
  spikes.forEach((list, k) => {
    if (list.includes(cx)) steps.push(k + 1);
  });
  return steps;
}

describe('axonal delays', () => {
  it('a spike at t over delay d is integrated at t + 1 + d, for d up to 62', () => {
    const delays = [0, 1, 2, 7, 8, 31, 61, 62];
    const net = compileNetwork({
      name: 'delays',
      groups: [{ name: 'src', size: 1, neuron: 'generator' }, ...delays.map((d) => ({ name: `d${d}`, size: 1, neuron: GATE }))],
      connections: delays.map((d) => ({ pre: 'src', post: `d${d}`, connectivity: 'one-to-one' as const, weight: 9280, delay: d })),
    });
    const T = 3;
    const spikes = runNet(net, [['src', 0, T], ['src', 0, T + 2]], 70);
    for (const d of delays) expect(firing(net, spikes, `d${d}`)).toEqual([T + 1 + d, T + 3 + d]);
  });

  it('the delay window is checked when scheduling generator spikes', () => {
    const net = compileNetwork({
      name: 'w',
      groups: [
        { name: 'src', size: 1, neuron: 'generator' },
        { name: 'a', size: 1, neuron: GATE },
      ],
      connections: [{ pre: 'src', post: 'a', connectivity: 'one-to-one', weight: 9280 }],
    });
    expect(() => net.chip.schedule(0, 0)).toThrow();
    net.chip.schedule(0, 1);
    net.chip.step();
    expect(() => net.chip.schedule(0, 1)).toThrow();
  });
});

describe('connectivity: per-target input sums', () => {
  const pre = 3;
  // all-to-all, post x pre mantissas (mixed: even values)
  const W = [
    [2, -4, 6],
    [100, 0, -100],
    [-256, 254, 10],
    [0, 0, 0],
  ];
  const sparse: Array<[number, number, number]> = [
    [0, 1, 10],
    [2, 1, -20],
    [1, 3, 30],
    [2, 3, 40],
    [0, 0, -50],
  ];
  const desc: NetworkDesc = {
    name: 'sums',
    groups: [
      { name: 'p', size: pre, neuron: 'generator' },
      { name: 'solo', size: 1, neuron: 'generator' },
      { name: 'one', size: pre, neuron: PROBE },
      { name: 'all', size: 4, neuron: PROBE },
      { name: 'fan', size: 5, neuron: PROBE },
      { name: 'sp', size: 4, neuron: PROBE },
    ],
    connections: [
      { pre: 'p', post: 'one', connectivity: 'one-to-one', weight: 100 },
      { pre: 'p', post: 'all', connectivity: 'all-to-all', weights: W.flat(), signMode: 'mixed', weightExp: 1 },
      { pre: 'solo', post: 'fan', connectivity: 'one-to-all', weight: -8128 },
      { pre: 'p', post: 'sp', connectivity: { sparse }, signMode: 'mixed' },
    ],
  };

  it('one-to-one, all-to-all, one-to-all and sparse deliver the independently computed sums', () => {
    const net = compileNetwork(desc);
    const spiking = [1, 0, 1]; // pre 0 and 2 spike at step 1; solo too
    runNet(net, [['p', 0, 1], ['p', 2, 1], ['solo', 0, 1]], 2);
    const u = (g: string, j: number) => net.chip.current(net.groups[g].start + j);
    for (let j = 0; j < pre; j++) expect(u('one', j)).toBe(spiking[j] * 100 * 64);
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let i = 0; i < pre; i++) s += spiking[i] * W[j][i];
      expect(u('all', j)).toBe(s * 2 ** (6 + 1));
    }
    for (let j = 0; j < 5; j++) expect(u('fan', j)).toBe(-8128 * 64);
    const sums = [0, 0, 0, 0];
    for (const [i, j, w] of sparse) sums[j] += spiking[i] * w * 64;
    for (let j = 0; j < 4; j++) expect(u('sp', j)).toBe(sums[j]);
    // spot values
    expect(u('all', 2)).toBe((-256 + 10) * 128);
    expect(u('sp', 1)).toBe((10 - 20) * 64);
  });

  it('two spikes from the same pre at different steps do not mix', () => {
    const net = compileNetwork(desc);
    const seen: number[] = [];
    runNet(net, [['p', 0, 1], ['p', 1, 2]], 3, () => seen.push(net.chip.current(net.groups.sp.start + 3)));
    // step 2: pre 0 only (no synapse to sp[3]); step 3: pre 1 -> 30
    expect(seen).toEqual([0, 0, 30 * 64]);
  });
});

describe('generator spikes behave like compartment spikes', () => {
  it('a generator firing at T and a relay compartment firing at T give identical downstream activity', () => {
    const downstream = (srcKind: 'generator' | 'relay'): NetworkDesc => {
      const groups: NetworkDesc['groups'] = [];
      const connections: NetworkDesc['connections'] = [];
      if (srcKind === 'generator') groups.push({ name: 'src', size: 2, neuron: 'generator' });
      else {
        groups.push({ name: 'drive', size: 2, neuron: 'generator' }, { name: 'src', size: 2, neuron: GATE });
        connections.push({ pre: 'drive', post: 'src', connectivity: 'one-to-one', weight: 9280 });
      }
      groups.push({ name: 'L', size: 3, neuron: LAYER }, { name: 'M', size: 3, neuron: LAYER }, { name: 'P', size: 3, neuron: PROBE });
      connections.push(
        { pre: 'src', post: 'L', connectivity: 'all-to-all', weights: [145, 0, 145, 145, 0, 145], weightExp: 6, signMode: 'excitatory' },
        { pre: 'L', post: 'M', connectivity: 'one-to-one', weight: 9280, delay: 3 },
        { pre: 'src', post: 'P', connectivity: 'all-to-all', weights: [2, 4, -6, 8, 10, -12], signMode: 'mixed', delay: 5 },
        { pre: 'M', post: 'P', connectivity: 'one-to-one', weight: -520, delay: 1 },
      );
      return { name: srcKind, groups, connections };
    };
    const a = compileNetwork(downstream('generator'));
    const b = compileNetwork(downstream('relay'));
    const times: Array<[number, number]> = [
      [0, 5],
      [1, 5],
      [0, 9],
      [1, 14],
    ];
    const rec = (net: CompiledNetwork, gen: GenSpike[]) => {
      const out: Array<{ L: number[]; M: number[]; P: number[]; spikes: string[] }> = [];
      runNet(net, gen, 30, () => {
        const state = (g: string) => [0, 1, 2].map((j) => [net.chip.current(net.groups[g].start + j), net.chip.voltage(net.groups[g].start + j)]).flat();
        // every downstream spike of this step, as group:index
        const spikes: string[] = [];
        for (const g of ['L', 'M', 'P']) {
          const l = net.groups[g];
          for (const c of Array.from(net.chip.spikedCx.subarray(0, net.chip.spikedCount))) if (c >= l.start && c < l.start + l.size) spikes.push(`${g}:${c - l.start}`);
        }
        out.push({ L: state('L'), M: state('M'), P: state('P'), spikes: spikes.sort() });
      });
      return out;
    };
    const ra = rec(
      a,
      times.map(([i, t]) => ['src', i, t] as GenSpike),
    );
    const rb = rec(
      b,
      times.map(([i, t]) => ['drive', i, t - 1] as GenSpike),
    );
    expect(ra).toEqual(rb);
    // and the downstream did something: L fires at 6, 10 and 15, M 1 + 3 steps later
    const all = ra.flatMap((r, k) => r.spikes.map((x) => `${k + 1}/${x}`));
    expect(all).toEqual(['6/L:0', '6/L:1', '6/L:2', '10/L:0', '10/L:1', '10/M:0', '10/M:1', '10/M:2', '14/M:0', '14/M:1', '15/L:1', '15/L:2', '19/M:1', '19/M:2']);
  });
});

describe('weights: exponent, sign modes, truncation (docs/chip-model.md)', () => {
  it('a mantissa m with exponent e delivers m * 2^(6+e)', () => {
    for (const e of [-6, -3, -1, 0, 1, 3, 6, 7]) {
      const net = compileNetwork({
        name: 'exp',
        groups: [
          { name: 'g', size: 1, neuron: 'generator' },
          { name: 'p', size: 2, neuron: PROBE },
        ],
        connections: [{ pre: 'g', post: 'p', connectivity: 'all-to-all', weights: [100, -100], weightExp: e, signMode: 'mixed' }],
      });
      runNet(net, [['g', 0, 1]], 2);
      expect(net.chip.current(0)).toBe(100 * Math.pow(2, 6 + e));
      expect(net.chip.current(1)).toBe(-100 * Math.pow(2, 6 + e));
    }
  });

  it('sign-mode clipping and LSB truncation floor toward -infinity', () => {
    // independent statement of §A.5: k = 8 - bits + (mixed ? 1 : 0), w -> floor(w / 2^k) * 2^k
    const ref = (w: number, mode: 'mixed' | 'excitatory' | 'inhibitory', bits: number) => {
      const lo = mode === 'excitatory' ? 0 : mode === 'inhibitory' ? -255 : -256;
      const hi = mode === 'inhibitory' ? 0 : 255;
      const c = Math.min(hi, Math.max(lo, w));
      const lsb = 2 ** (8 - bits + (mode === 'mixed' ? 1 : 0));
      return Math.floor(c / lsb) * lsb;
    };
    expect(storeWeight(255, 'mixed', 8)).toBe(254);
    expect(storeWeight(-255, 'mixed', 8)).toBe(-256);
    expect(storeWeight(253, 'mixed', 8)).toBe(252);
    expect(storeWeight(-1, 'mixed', 8)).toBe(-2);
    expect(storeWeight(1, 'mixed', 8)).toBe(0);
    expect(storeWeight(300, 'mixed', 8)).toBe(254);
    expect(storeWeight(-300, 'mixed', 8)).toBe(-256);
    expect(storeWeight(255, 'excitatory', 8)).toBe(255);
    expect(storeWeight(-5, 'excitatory', 8)).toBe(0);
    expect(storeWeight(-255, 'inhibitory', 8)).toBe(-255);
    expect(storeWeight(5, 'inhibitory', 8)).toBe(0);
    expect(storeWeight(100, 'mixed', 6)).toBe(96);
    expect(storeWeight(-100, 'mixed', 6)).toBe(-104);
    for (const mode of ['mixed', 'excitatory', 'inhibitory'] as const)
      for (const bits of [1, 3, 6, 8])
        for (let w = -300; w <= 300; w += 7) expect(storeWeight(w, mode, bits)).toBe(ref(w, mode, bits));
    expect(clipWeight(-256, 'mixed')).toBe(-256);
    expect(truncateWeight(-3, 'mixed', 8)).toBe(-4);
    expect(weightRange('mixed', 8)).toEqual([-256, 254]);
    expect(weightLsb('mixed', 8)).toBe(2);
    expect(weightRange('excitatory', 8)).toEqual([0, 255]);
    expect(weightLsb('excitatory', 8)).toBe(1);
    expect(weightRange('inhibitory', 8)).toEqual([-255, 0]);
    expect(weightRange('mixed', 6)).toEqual([-256, 248]);
  });

  it('the mantissa/exponent search finds the sBP constants exactly (§1.2, §3.2)', () => {
    expect(encodeWeight(520, 'excitatory')).toEqual({ mant: 130, exp: 2, exact: true });
    expect(encodeWeight(9280, 'excitatory')).toEqual({ mant: 145, exp: 6, exact: true });
    expect(encodeWeight(8704, 'excitatory')).toEqual({ mant: 136, exp: 6, exact: true });
    expect(encodeWeight(-8128, 'inhibitory')).toEqual({ mant: -254, exp: 5, exact: true });
    expect(encodeWeight(8192, 'excitatory')).toEqual({ mant: 128, exp: 6, exact: true });
    expect(encodeWeight(512, 'excitatory')).toEqual({ mant: 128, exp: 2, exact: true });
    expect(encodeWeight(-520, 'inhibitory')).toEqual({ mant: -130, exp: 2, exact: true });
    expect(encodeWeight(9281, 'excitatory').exact).toBe(false);
  });

  it('the chip delivers the stored extremes, and the compiler refuses unstorable mantissas', () => {
    const net = compileNetwork({
      name: 'extremes',
      groups: [
        { name: 'g', size: 1, neuron: 'generator' },
        { name: 'p', size: 2, neuron: PROBE },
        { name: 'e', size: 1, neuron: PROBE },
      ],
      connections: [
        { pre: 'g', post: 'p', connectivity: 'all-to-all', weights: [254, -256], signMode: 'mixed' },
        { pre: 'g', post: 'e', connectivity: 'all-to-all', weights: [255], signMode: 'excitatory' },
      ],
    });
    runNet(net, [['g', 0, 1]], 2);
    expect(net.chip.current(net.groups.p.start)).toBe(254 * 64);
    expect(net.chip.current(net.groups.p.start + 1)).toBe(-256 * 64);
    expect(net.chip.current(net.groups.e.start)).toBe(255 * 64);
    const bad = (w: number, signMode: 'mixed' | 'excitatory') => () =>
      compileNetwork({
        name: 'bad',
        groups: [
          { name: 'g', size: 1, neuron: 'generator' },
          { name: 'p', size: 1, neuron: PROBE },
        ],
        connections: [{ name: 'g2p', pre: 'g', post: 'p', connectivity: 'all-to-all', weights: [w], signMode }],
      });
    expect(bad(255, 'mixed')).toThrow(UserError);
    expect(bad(255, 'mixed')).toThrow(/g2p.*255.*mixed/);
    expect(bad(-3, 'excitatory')).toThrow(/g2p/);
  });
});

describe('routing counters', () => {
  const desc: NetworkDesc = {
    name: 'ops',
    groups: [
      { name: 'P', size: 3, neuron: 'generator' },
      { name: 'X', size: 5, neuron: PROBE },
      { name: 'Y', size: 3, neuron: GATE },
      { name: 'Z', size: 4, neuron: PROBE },
      { name: 'W', size: 3, neuron: PROBE },
    ],
    connections: [
      { pre: 'P', post: 'X', connectivity: 'all-to-all', weight: 2 }, // fan-out 5 per pre
      { pre: 'P', post: 'Y', connectivity: 'one-to-one', weight: 9280 }, // 1 per pre
      {
        pre: 'P',
        post: 'Z',
        connectivity: {
          sparse: [
            [0, 0, 2],
            [0, 3, 2],
            [2, 1, 2],
            [2, 2, 2],
            [2, 3, 2],
          ],
        },
      }, // fan-out 2, 0, 3
      { pre: 'Y', post: 'W', connectivity: 'one-to-one', weight: 520 }, // 1 per Y
    ],
  };

  it('synOps = sum over spikes of the fan-out; spikes and genSpikes count sources', () => {
    const net = compileNetwork(desc);
    const steps = 6;
    runNet(net, [['P', 0, 1], ['P', 2, 1], ['P', 0, 2]], steps);
    const fanP = [5 + 1 + 2, 5 + 1 + 0, 5 + 1 + 3];
    // generators: P0 twice, P2 once; Y0 fires at 2 and 3, Y2 at 2 (each fan-out 1)
    const expected = 2 * fanP[0] + 1 * fanP[2] + 3 * 1;
    const c = net.chip.counters;
    expect(c.total(Op.synOps)).toBe(expected);
    expect(c.total(Op.synOps)).toBe(28);
    expect(c.total(Op.genSpikes)).toBe(3);
    expect(c.total(Op.spikes)).toBe(3);
    expect(c.total(Op.steps)).toBe(steps);
    expect(c.total(Op.barriers)).toBe(steps);
    // every compartment is either updated or idle every step
    expect(c.total(Op.cxActive) + c.total(Op.cxIdle)).toBe(net.stats.compartments * steps);
  });

  it('counters go to the chosen bucket', () => {
    const net = compileNetwork(desc, { numBuckets: 3 });
    const chip = net.chip;
    chip.setBucket(2);
    runNet(net, [['P', 0, 1]], 1);
    chip.setBucket(1);
    runNet(net, [], 2);
    expect(chip.counters.get(Op.synOps, 2)).toBe(8); // P0: 5 + 1 + 2
    expect(chip.counters.get(Op.synOps, 1)).toBe(1); // Y0 -> W0
    expect(chip.counters.get(Op.synOps, 0)).toBe(0);
    expect(chip.counters.total(Op.steps)).toBe(2);
  });

  it('work per step follows activity: one spike in a 6,000-compartment network updates two compartments', () => {
    const n = 3000;
    const net = compileNetwork({
      name: 'big',
      groups: [
        { name: 'in', size: n, neuron: 'generator' },
        { name: 'A', size: n, neuron: GATE },
        { name: 'B', size: n, neuron: PROBE },
      ],
      connections: [
        { pre: 'in', post: 'A', connectivity: 'one-to-one', weight: 9280 },
        { pre: 'A', post: 'B', connectivity: 'one-to-one', weight: 520 },
      ],
    });
    expect(net.stats.cores).toBeGreaterThan(4);
    const steps = 10;
    const spikes = runNet(net, [['in', 7, 1]], steps);
    expect(firing(net, spikes, 'A', 7)).toEqual([2]);
    expect(net.chip.current(net.groups.B.start + 7)).toBe(0); // back at rest
    const c = net.chip.counters;
    expect(c.total(Op.cxActive)).toBe(2); // A7 at step 2, B7 at step 3
    expect(c.total(Op.cxIdle)).toBe(2 * n * steps - 2);
    expect(c.total(Op.synOps)).toBe(2);
  });

  it('messages: one per distinct destination core of a spike', () => {
    const net = compileNetwork(desc);
    runNet(net, [['P', 1, 1]], 2);
    // X, Y, Z each start a core of their own in 'pack' placement; P1 reaches X and Y only
    const c = net.chip.counters;
    expect(c.total(Op.msgLocal) + c.total(Op.msgRemote)).toBe(2 + 1); // + Y1 -> W1 at step 2
  });
});

describe('a hand-written ChipSpec', () => {
  it('schedule and scheduleMany name a port that does not exist and a step outside the window', () => {
    const chip = new Chip({
      numCompartments: 1,
      prototypes: [PROBE],
      cxPrototype: new Uint16Array(1),
      cxCore: new Uint16Array(1),
      numGeneratorPorts: 3,
      genCore: new Uint16Array(3),
      numCores: 1,
      mesh: { coresPerTile: 4, tilesX: 1, tilesY: 1 },
      coresPerChip: 1,
      synapseGroups: [],
      rewardChannels: [],
      ordering: 'route-then-learn',
      numBuckets: 1,
      seed: 1,
    });
    expect(() => chip.schedule(3, 1)).toThrow('generator port 3 does not exist (the chip has ports 0..2)');
    expect(() => chip.schedule(-1, 1)).toThrow('generator port -1 does not exist');
    expect(() => chip.scheduleMany([0, 5], 0, 2, 0, 1)).toThrow('generator port 5 does not exist');
    expect(() => chip.schedule(0, 0)).toThrow('outside the schedulable window 1..');
    expect(() => chip.scheduleMany([1, 1.5], 0, 2, 0, 1)).toThrow('generator port 1.5 does not exist');
    // the failed calls above scheduled nothing, not even ports 0 and 1, and left them free to
    // be scheduled for that step; duplicates in one call are one spike
    chip.scheduleMany([2, 1, 2, 0], 0, 4, 0, 1);
    chip.step();
    expect(Array.from(chip.spikedGen.subarray(0, chip.spikedGenCount)).sort()).toEqual([0, 1, 2]);
    expect(chip.counters.total(Op.genSpikes)).toBe(3);
  });

  it('a fixed dense group reached by several runs of spikes in one step sums them all (every kernel)', () => {
    // ports 0 and 1 also feed a one-to-all group, so the step's spikes 3, 0, 2, 1 form four
    // runs of different synapse-group sets, each delivering rows of the dense group
    for (const variant of ['fast', 'fast+wasm', 'naive'] as const) {
      const chip = new Chip({
        numCompartments: 3,
        prototypes: [PROBE],
        cxPrototype: new Uint16Array(3),
        cxCore: new Uint16Array(3),
        numGeneratorPorts: 4,
        genCore: new Uint16Array(4),
        numCores: 1,
        mesh: { coresPerTile: 4, tilesX: 1, tilesY: 1 },
        coresPerChip: 1,
        synapseGroups: [
          {
            name: 'dense',
            preStart: 3,
            preSize: 4,
            postStart: 0,
            postSize: 2,
            connectivity: { kind: 'dense', weights: new Int16Array([1, 2, 3, 4, 5, 6, 7, 8]) }, // [pre][post]
            weightExp: 0,
            signMode: 'excitatory',
            numWeightBits: 8,
            delay: 0,
          },
          {
            name: 'side',
            preStart: 3,
            preSize: 2,
            postStart: 2,
            postSize: 1,
            connectivity: { kind: 'sparse', offsets: new Uint32Array([0, 1, 2]), targets: new Uint32Array([0, 0]), weights: new Int16Array([1, 1]) },
            weightExp: 0,
            signMode: 'excitatory',
            numWeightBits: 8,
            delay: 0,
          },
        ],
        rewardChannels: [],
        ordering: 'route-then-learn',
        kernel: variant === 'naive' ? 'naive' : 'fast',
        rowSum: variant === 'fast+wasm' ? createWasmRowSumKernel : undefined,
        numBuckets: 1,
        seed: 1,
      });
      for (const port of [3, 0, 2, 1]) chip.schedule(port, 1);
      chip.step();
      chip.step();
      // every row of the dense group, times 2^(6 + 0); the side group's two rows into compartment 2
      expect([chip.current(0), chip.current(1), chip.current(2)], variant).toEqual([(1 + 3 + 5 + 7) * 64, (2 + 4 + 6 + 8) * 64, 2 * 64]);
      expect(chip.counters.total(Op.synOps), variant).toBe(4 * 2 + 2);
    }
  });

  it('runs without the compiler: dense group, delay 2, exponent 3', () => {
    const chip = new Chip({
      numCompartments: 2,
      prototypes: [PROBE],
      cxPrototype: new Uint16Array(2),
      cxCore: new Uint16Array(2),
      numGeneratorPorts: 2,
      genCore: new Uint16Array(2),
      numCores: 1,
      mesh: { coresPerTile: 4, tilesX: 1, tilesY: 1 },
      coresPerChip: 1,
      synapseGroups: [
        {
          name: 'g',
          preStart: 2,
          preSize: 2,
          postStart: 0,
          postSize: 2,
          connectivity: { kind: 'dense', weights: new Int16Array([10, 20, 30, 40]) }, // [pre][post]
          weightExp: 3,
          signMode: 'excitatory',
          numWeightBits: 8,
          delay: 2,
        },
      ],
      rewardChannels: [],
      ordering: 'route-then-learn',
      numBuckets: 1,
      seed: 1,
    });
    chip.schedule(0, 1);
    chip.schedule(1, 1);
    const u: number[][] = [];
    for (let t = 1; t <= 5; t++) {
      chip.step();
      u.push([chip.current(0), chip.current(1)]);
    }
    expect(u[3]).toEqual([(10 + 30) * 512, (20 + 40) * 512]); // step 4 = 1 + 1 + 2
    expect(u[2]).toEqual([0, 0]);
    expect(u[4]).toEqual([0, 0]);
    expect(chip.counters.total(Op.synOps)).toBe(4);
  });
});
