/**
 * The compiler (src/net/compile.ts): placement under the Loihi-1 core limits
 * (docs/chip-model.md, "Core limits"), errors that name the group, the resource and the numbers, parameter
 * checks, and the sBP training network's size (docs/sbp-network.md, "Groups").
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors';
import { build } from '../src/net/build';
import { checkLimits } from '../src/net/check-limits';
import { compileNetwork, targetOf } from '../src/net/compile';
import { describeGroups } from '../src/net/describe';
import { encode } from '../src/net/encode';
import { place } from '../src/net/place';
import { LOIHI1_LIMITS, type NetworkDesc, type NeuronType } from '../src/net/network';
import { trainingNetwork } from '../src/sbp/topology';
import { MNIST_SIZES, randomData } from './fixtures';
import { SbpTrainingChip } from '../src/sbp/training';

const GATE: NeuronType = { name: 'gate', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 };

/** The message of the UserError `f` throws (fails the test for any other outcome). */
function userError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}

/** Compartments per core of a group, in core order. */
function perCore(net: ReturnType<typeof compileNetwork>, group: string): number[] {
  const l = net.groups[group];
  const counts = new Map<number, number>();
  for (let i = 0; i < l.size; i++) {
    const core = net.chip.spec.cxCore[l.start + i];
    counts.set(core, (counts.get(core) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/**
 * Synapse memory of a dense input on one core, as docs/chip-model.md ("Core limits") accounts it: each of
 * the `pre` input axons holds one block of k synapses of `bits` bits plus 4 + 6 header bits,
 * rounded up to 64-bit words.
 */
const denseBits = (pre: number, k: number, bits = 8) => pre * Math.ceil((k * bits + 4 + 6) / 64) * 64;

describe('placement', () => {
  it('a group of more than 1,024 compartments spills to a second core', () => {
    const net = compileNetwork({ name: 'spill', groups: [{ name: 'g', size: 1500, neuron: GATE }], connections: [] });
    expect(LOIHI1_LIMITS.compartments).toBe(1024);
    expect(perCore(net, 'g')).toEqual([1024, 1500 - 1024]);
    expect(net.stats.cores).toBe(2);
    expect(net.stats.compartments).toBe(1500);
  });

  it('a group whose synapses exceed 1,048,576 bits per core spreads over more cores', () => {
    const pre = 1000;
    const post = 300;
    // largest k with denseBits(pre, k) <= 1,048,576
    let k = 0;
    while (denseBits(pre, k + 1) <= 1048576) k++;
    expect(k).toBe(126);
    const net = compileNetwork({
      name: 'mem',
      groups: [
        { name: 'in', size: pre, neuron: 'generator' },
        { name: 'wide', size: post, neuron: GATE },
      ],
      connections: [{ pre: 'in', post: 'wide', connectivity: 'all-to-all', weight: 2 }],
    });
    expect(perCore(net, 'wide')).toEqual([k, k, post - 2 * k]);
    expect(net.stats.coreUsage.map((c) => c.synapseBits)).toEqual([denseBits(pre, k), denseBits(pre, k), denseBits(pre, post - 2 * k)]);
    for (const c of net.stats.coreUsage) expect(c.synapseBits).toBeLessThanOrEqual(LOIHI1_LIMITS.synapseBits);
    expect(net.stats.synapses).toBe(pre * post);
  });

  it("spread: the same group over every core of a 4-core target, evenly up to the search's precision", () => {
    const limits = { ...LOIHI1_LIMITS, coresPerChip: 4 };
    const desc: NetworkDesc = { name: 'spread', groups: [{ name: 'g', size: 1500, neuron: GATE }], connections: [] };
    expect(perCore(compileNetwork(desc, { limits, placement: 'pack' }), 'g')).toEqual([1024, 476]);
    const spread = perCore(compileNetwork(desc, { limits, placement: 'spread' }), 'g');
    expect(spread.length).toBe(4);
    // the smallest fill lies within 1/1024 of 1500/4/1024: at most 376 compartments per core
    expect(Math.max(...spread)).toBeLessThanOrEqual(Math.ceil(1500 / 4) + 1);
    // and a network that needs every limit of every core is placed as pack places it
    const full: NetworkDesc = { name: 'full', groups: [{ name: 'g', size: 4 * 1024, neuron: GATE }], connections: [] };
    expect(perCore(compileNetwork(full, { limits, placement: 'spread' }), 'g')).toEqual([1024, 1024, 1024, 1024]);
  });

  it('spread: the sBP training network learns the same weights and fires the same spikes on more cores, with less synapse memory on the busiest core', () => {
    const sizes = { input: 100, hidden: 200, output: 10 };
    const data = randomData(100, 10, 20, 3);
    const run = (placement: 'pack' | 'spread') => {
      const net = new SbpTrainingChip({ sizes, placement, gating: 'robust' });
      const out = new Uint8Array(10);
      const outs: number[] = [];
      for (let k = 0; k < 20; k++) {
        net.trainSample(data.indices, data.offsets[k], data.offsets[k + 1], data.labels[k], undefined, out);
        outs.push(...out);
      }
      return { net, outs, w1: Array.from(net.matrix('w1')), w2: Array.from(net.matrix('w2')) };
    };
    const p = run('pack');
    const s = run('spread');
    expect(s.net.compiled.stats.cores).toBeGreaterThan(p.net.compiled.stats.cores);
    expect(s.outs).toEqual(p.outs);
    expect(s.w1).toEqual(p.w1);
    expect(s.w2).toEqual(p.w2);
    // the busiest core sets a step's time: spreading the plastic groups lowers it
    const busiest = (n: SbpTrainingChip) => Math.max(...n.compiled.stats.coreUsage.map((c) => c.synapseBits));
    expect(busiest(s.net)).toBeLessThan(busiest(p.net));
  });

  it('a network larger than 128 cores fails before running, naming group, resource and numbers', () => {
    const desc: NetworkDesc = { name: 'huge', groups: [{ name: 'huge_layer', size: 128 * 1024 + 1, neuron: GATE }], connections: [] };
    const m = userError(() => compileNetwork(desc));
    expect(m).toContain("'huge_layer'");
    expect(m).toContain('compartments');
    expect(m).toContain('131,073');
    expect(m).toContain('128 cores');
    // two chips hold it
    const net = compileNetwork(desc, { chips: 2 });
    expect(net.stats.chips).toBe(2);
    expect(net.stats.cores).toBe(129);
    expect(net.chip.numCompartments).toBe(131073);
  });

  it('synapse memory as the binding limit is named with its numbers', () => {
    const m = userError(() =>
      compileNetwork({
        name: 'mem',
        groups: [
          { name: 'in', size: 1000, neuron: 'generator' },
          { name: 'wide', size: 126 * 128 + 1, neuron: GATE },
        ],
        connections: [{ pre: 'in', post: 'wide', connectivity: 'all-to-all', weight: 2 }],
      }),
    );
    expect(m).toContain("'wide'");
    expect(m).toContain('synapse memory');
    expect(m).toContain('1,048,576');
    expect(m).toContain('126');
  });

  it('more input axons than a core has: one compartment cannot be placed', () => {
    const m = userError(() =>
      compileNetwork({
        name: 'axons',
        groups: [
          { name: 'in', size: 5000, neuron: 'generator' },
          { name: 'p', size: 2, neuron: GATE },
        ],
        connections: [{ pre: 'in', post: 'p', connectivity: 'all-to-all', weight: 2 }],
      }),
    );
    expect(m).toContain("'p'");
    expect(m).toContain('input axons');
    expect(m).toContain('5000');
    expect(m).toContain('4096');
  });
});

describe('parameter checks name the group or connection', () => {
  const base = (neuron: Partial<NeuronType>, conn: Partial<NetworkDesc['connections'][number]> = {}): NetworkDesc => ({
    name: 'bad',
    groups: [
      { name: 'src', size: 2, neuron: 'generator' },
      { name: 'layer', size: 2, neuron: { ...GATE, ...neuron } },
    ],
    connections: [{ pre: 'src', post: 'layer', connectivity: 'one-to-one', weight: 520, ...conn }],
  });

  it('bias mantissa, bias exponent, threshold, decays, refractory delay', () => {
    let m = userError(() => compileNetwork(base({ biasMant: 5000 })));
    expect(m).toContain("group 'layer'");
    expect(m).toContain('bias mantissa 5000');
    m = userError(() => compileNetwork(base({ biasExp: 8 })));
    expect(m).toContain("group 'layer'");
    expect(m).toContain('bias exponent 8');
    m = userError(() => compileNetwork(base({ refractoryDelay: 0 })));
    expect(m).toContain("group 'layer'");
    expect(m).toContain('refractory delay 0');
    expect(userError(() => compileNetwork(base({ vthMant: 131072 })))).toContain('vthMant 131072');
    expect(userError(() => compileNetwork(base({ decayU: 4097 })))).toContain('decayU 4097');
    expect(userError(() => compileNetwork(base({ decayV: -1 })))).toContain('decayV -1');
  });

  it('delay, inexact weight, sizes, unknown groups, learning', () => {
    let m = userError(() => compileNetwork(base({}, { delay: 63 })));
    expect(m).toContain("connection 'src->layer'");
    expect(m).toContain('delay 63');
    m = userError(() => compileNetwork(base({}, { name: 'kick', weight: 9281 })));
    expect(m).toContain("connection 'kick'");
    expect(m).toContain('9281');
    expect(m).toContain('9280'); // the nearest representable value, 145 * 2^6
    expect(userError(() => compileNetwork(base({}, { post: 'nowhere' })))).toContain("'nowhere'");
    expect(userError(() => compileNetwork(base({}, { post: 'src' })))).toContain('generator');
    m = userError(() =>
      compileNetwork(base({}, { connectivity: 'all-to-all', weight: undefined, weights: [2, 2, 2, 2], signMode: 'mixed', learning: { rule: 'dw = 4*x9' } })),
    );
    expect(m).toContain("connection 'src->layer'");
    expect(m).toContain("'x9'");
    m = userError(() =>
      compileNetwork(base({}, { connectivity: 'all-to-all', weight: undefined, weights: [2, 2, 2, 2], signMode: 'mixed', learning: { rule: 'dw = x0*y0', tEpoch: 64 } })),
    );
    expect(m).toContain('tEpoch 64');
    expect(userError(() => compileNetwork(base({}, { connectivity: 'all-to-all', weight: undefined, weights: [2, 2, 2] })))).toContain('expected 2x2');
  });
});

describe('the sBP training network', () => {
  it('400-400-10 compiles to 3,282 compartments and 517,203 synapses, 500,000 plastic', () => {
    const net = compileNetwork(trainingNetwork(MNIST_SIZES, 'chip'));
    expect(net.stats.compartments).toBe(3282);
    expect(net.stats.compartments).toBe(2 * 400 + 6 * 400 + 7 * 10 + 12);
    expect(net.stats.synapses).toBe(517203);
    expect(net.stats.plasticSynapses).toBe(500000);
    expect(net.stats.plasticSynapses).toBe(3 * 160000 + 3 * 4000 + 2 * 4000);
    const kinds = Object.values(net.groups).map((g) => g.kind);
    expect(kinds.filter((k) => k === 'compartments').length).toBe(27);
    expect(kinds.filter((k) => k === 'generator').length).toBe(3); // input, in_tgt, in_g
    expect(net.stats.generatorPorts).toBe(400 + 10 + 1);
    expect(Object.keys(net.connections).length).toBe(102);
    expect(net.chip.groups.filter((g) => g.learning !== null).length).toBe(8);
  });

  it('with the host reward generator: 4 generators (400 + 10 + 1 + 1 ports), same synapses', () => {
    const net = compileNetwork(trainingNetwork(MNIST_SIZES, 'host'));
    expect(Object.values(net.groups).filter((g) => g.kind === 'generator').length).toBe(4);
    expect(net.stats.generatorPorts).toBe(412);
    expect(net.stats.synapses).toBe(517203);
  });

  it('runs as five stages whose results a caller can inspect one by one', () => {
    const net = trainingNetwork(MNIST_SIZES, 'chip');
    const target = targetOf({ placement: 'hint' });
    const described = describeGroups(net);
    expect(described.numCompartments).toBe(3282);
    expect(described.numGeneratorPorts).toBe(411);
    // generator sources come after every compartment
    expect(described.layout.input.sourceStart).toBe(3282);
    const encoded = encode(described);
    expect(encoded.synapseGroups.length).toBe(102);
    expect(encoded.synapses).toBe(517203);
    expect(encoded.prototypes.length).toBe(4); // n_sfc, n_sfl, n_sfl_nr, n_gat
    const placed = place(described, encoded, target, {});
    // the authors' ranges: n_gat on cores 40..94, one gate per core from 40
    expect(placed.cxCore[described.layout.g00.start]).toBe(40);
    const checked = checkLimits(described, encoded, placed, target);
    const built = build(described, encoded, placed, checked, target, {});
    const whole = compileNetwork(net, { placement: 'hint' });
    expect(built.stats).toEqual(whole.stats);
    expect(Array.from(placed.cxCore)).toEqual(Array.from(whole.chip.spec.cxCore));
  });

  it('hidden 20,000 does not fit one chip: a UserError, not a RangeError', () => {
    const m = userError(() => compileNetwork(trainingNetwork({ input: 400, hidden: 20000, output: 10 })));
    expect(m).toMatch(/group '[^']+'/);
    expect(m).toContain('128 cores');
  });
});
