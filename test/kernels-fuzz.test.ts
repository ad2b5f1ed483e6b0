// The fast kernel (portable JS, and with the WebAssembly kernel) against the naive kernel on
// random chips built by hand: memoryless and leaky prototypes, bias-driven firing, refractory
// delays 1..3, large weight exponents that make the accumulator and u wrap and v saturate,
// overlapping post ranges, one-to-one, one-to-all (uniform and not), random sparse and dense
// groups, delays, and plastic dense groups (with and without stochastic rounding). After every
// step all three chips must agree on the spikes and on u and v of every compartment; at the
// end on every counter and weight.
import { describe, expect, it } from 'vitest';
import { Chip } from '../src/chip/chip';
import { parseLearningRule } from '../src/chip/learning-rule';
import { Prng } from '../src/chip/prng';
import type { ChipSpec, CompartmentPrototype, SynapseGroupSpec } from '../src/chip/spec';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';

const PROTOS: CompartmentPrototype[] = [
  { name: 'layer', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: -4096, biasExp: 7, refractoryDelay: 2 },
  { name: 'gate', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 },
  { name: 'slow', vthMant: 3000, decayU: 4096, decayV: 4096, biasMant: 100, biasExp: 3, refractoryDelay: 3 },
  { name: 'leaky', vthMant: 2000, decayU: 1000, decayV: 300, biasMant: 50, biasExp: 2, refractoryDelay: 2 },
  // fires on its bias alone every few steps
  { name: 'pacer', vthMant: 200, decayU: 4096, decayV: 512, biasMant: 4000, biasExp: 0, refractoryDelay: 2 },
  // memoryless, but the bias alone pushes v into saturation range
  // u integrates without decay, so it wraps at 24 bits
  { name: 'integrator', vthMant: 131071, decayU: 0, decayV: 4096, biasMant: 4095, biasExp: 7, refractoryDelay: 1 },
  // v integrates without decay up to saturation
  { name: 'vsat', vthMant: 131071, decayU: 4096, decayV: 0, biasMant: 0, biasExp: 0, refractoryDelay: 2 },
  { name: 'hot', vthMant: 131071, decayU: 4096, decayV: 4096, biasMant: -4095, biasExp: 7, refractoryDelay: 1 },
];

/** A random chip: populations of compartments with one prototype each (one mixed). */
type Variant = 'fast' | 'fast+wasm' | 'naive';

function randomSpec(seed: number, variant: Variant): ChipSpec {
  const rng = new Prng(seed);
  const pops: Array<[number, number]> = [];
  const cxProto: number[] = [];
  for (let p = 0; p < 7; p++) {
    const size = 4 + rng.nextInt(12);
    pops.push([cxProto.length, size]);
    const proto = rng.nextInt(PROTOS.length);
    for (let k = 0; k < size; k++) cxProto.push(p === 6 ? rng.nextInt(PROTOS.length) : proto);
  }
  const n = cxProto.length;
  const ports = 10;
  const even = (lo: number, hi: number) => 2 * (Math.floor(lo / 2) + rng.nextInt(Math.floor((hi - lo) / 2) + 1));
  const groups: SynapseGroupSpec[] = [];
  const sbp = parseLearningRule('dw = y0*x0*r1*4 - y0*x0*2');
  const rounding = parseLearningRule('dw = 2^-3*x0*y0 - 2^-5*y0 + r0*x0');
  // pair support (the fast path) with a dw that needs stochastic rounding
  const pairRounding = parseLearningRule('dw = 2^-2*x0*y0*r1 - 2^-4*x0*y0 - x0*y0*40');
  for (let gi = 0; gi < 22; gi++) {
    // pre: a population, the generator ports, or a slice of either
    const fromGen = rng.nextInt(3) === 0;
    const [ps0, pn0] = fromGen ? [n, ports] : pops[rng.nextInt(pops.length)];
    const [qs0, qn0] = pops[rng.nextInt(pops.length)];
    // sometimes a post slice that partly overlaps the population (overlapping ranges)
    // (most ranges stay whole, so that many are clean: the fast kernel's shortcuts need that)
    const slice = rng.nextInt(6) === 0;
    const cut = slice ? 1 + rng.nextInt(qn0 - 2) : 0;
    const postStart = qs0 + cut;
    const postSize = qn0 - cut - (slice && rng.nextInt(2) === 0 ? rng.nextInt(qn0 - cut) : 0);
    const kind = rng.nextInt(6);
    // large exponents (wraps, saturation), and on some chips exponents below -6, whose
    // 2^(6 + exp) < 1 makes inputs fractions (the kernels must agree on those too)
    const exp = rng.nextInt(3) === 0 ? 5 + rng.nextInt(3) : seed % 4 === 1 && rng.nextInt(3) === 0 ? -8 + rng.nextInt(2) : rng.nextInt(4);
    const big = exp >= 5;
    let connectivity: SynapseGroupSpec['connectivity'];
    let learning: SynapseGroupSpec['learning'];
    const wgt = () => (big ? even(-256, 254) : even(-120, 254));
    if (kind <= 1) {
      const w = new Int16Array(pn0 * postSize);
      for (let k = 0; k < w.length; k++) w[k] = rng.nextInt(3) === 0 ? 0 : wgt();
      connectivity = { kind: 'dense', weights: w };
      if (kind === 1 && !fromGen) {
        learning = { rule: [rounding, pairRounding, sbp, sbp][rng.nextInt(4)], tEpoch: 1 + rng.nextInt(2), rewardChannel: 0 };
      }
    } else {
      const offsets = new Uint32Array(pn0 + 1);
      const targets: number[] = [];
      const weights: number[] = [];
      const uniform = wgt();
      for (let i = 0; i < pn0; i++) {
        if (kind === 2) {
          // one-to-one (identity where it fits)
          if (i < postSize) {
            targets.push(i);
            weights.push(uniform);
          }
        } else if (kind === 3 || kind === 4) {
          // one-to-all: uniform (3) or per-synapse (4) weights
          for (let j = 0; j < postSize; j++) {
            targets.push(j);
            weights.push(kind === 3 ? uniform : wgt());
          }
        } else {
          for (let j = 0; j < postSize; j++)
            if (rng.nextInt(3) === 0) {
              targets.push(j);
              weights.push(wgt());
            }
        }
        offsets[i + 1] = targets.length;
      }
      connectivity = { kind: 'sparse', offsets, targets: Uint32Array.from(targets), weights: Int16Array.from(weights) };
    }
    groups.push({
      name: `g${gi}`,
      preStart: ps0,
      preSize: pn0,
      postStart,
      postSize,
      connectivity,
      weightExp: exp,
      signMode: 'mixed',
      numWeightBits: 8,
      delay: rng.nextInt(3) === 0 ? 1 + rng.nextInt(5) : 0,
      learning,
    });
  }
  return {
    numCompartments: n,
    prototypes: PROTOS,
    cxPrototype: Uint16Array.from(cxProto),
    cxCore: Uint16Array.from(cxProto.map((_, i) => i % 5)),
    numGeneratorPorts: ports,
    genCore: new Uint16Array(ports),
    numCores: 5,
    mesh: { coresPerTile: 4, tilesX: 2, tilesY: 1 },
    coresPerChip: 5,
    synapseGroups: groups,
    rewardChannels: [{ name: 'r', sources: [n + ports - 1] }],
    ordering: seed % 2 === 0 ? 'route-then-learn' : 'learn-then-route',
    kernel: variant === 'naive' ? 'naive' : 'fast',
    rowSum: variant === 'fast+wasm' ? createWasmRowSumKernel : undefined,
    numBuckets: 2,
    seed: 7,
  };
}

const SEEDS = Array.from({ length: 16 }, (_, k) => k + 1);

describe('fast kernel = naive kernel on random chips', () => {
  for (const seed of SEEDS) {
    it(`chip ${seed}: spikes, u and v every step; counters and weights at the end`, () => {
      const chips = (['fast', 'fast+wasm', 'naive'] as const).map((k) => new Chip(randomSpec(seed, k)));
      const [fast, wasm, naive] = chips;
      expect(wasm.rowSum.name).toBe('wasm-simd');
      // a time model on two chips of three, so that the per-core loads behind the
      // critical-path latency are compared too (the others take the paths without one)
      const timed = seed % 3 !== 0;
      if (timed) for (const c of chips) c.setTimeModel([1.5, 3.25, 0.5, 0.75, 2.125], 7);
      const drive = new Prng(seed * 31 + 5);
      const n = fast.numCompartments;
      for (let t = 1; t <= 300; t++) {
        const density = (t >> 5) % 3 === 0 ? 0.6 : 0.25;
        for (let p = 0; p < fast.spec.numGeneratorPorts; p++)
          if (drive.nextFloat() < density) for (const c of chips) c.schedule(p, t);
        for (const c of chips) {
          c.setBucket(t & 1);
          c.step();
        }
        const spikes = chips.map((c) => Array.from(c.spikedCx.subarray(0, c.spikedCount)).sort((a, b) => a - b));
        expect(spikes[0], `spikes at step ${t}`).toEqual(spikes[2]);
        expect(spikes[1], `spikes at step ${t} (wasm)`).toEqual(spikes[2]);
        for (const c of [fast, wasm])
          for (let cx = 0; cx < n; cx++) {
            if (c.current(cx) !== naive.current(cx) || c.voltage(cx) !== naive.voltage(cx))
              expect([c.rowSum.name, t, cx, c.current(cx), c.voltage(cx)]).toEqual([c.rowSum.name, t, cx, naive.current(cx), naive.voltage(cx)]);
          }
      }
      for (const c of [fast, wasm]) {
        expect(Array.from(c.counters.data)).toEqual(Array.from(naive.counters.data));
        expect(Array.from(c.latencyNs)).toEqual(Array.from(naive.latencyNs));
        c.groups.forEach((g, gi) => expect(Array.from(g.weights), g.name).toEqual(Array.from(naive.groups[gi].weights)));
      }
      // the chips exercised the rules whose shortcuts the fast kernel takes
      const tot = naive.counters.totals();
      expect(tot.spikes).toBeGreaterThan(0);
      expect(tot.msgLocal + tot.msgRemote).toBeGreaterThan(0);
      if (timed) expect(naive.latencyNs.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  }

  it('the random chips reach every wrap and saturation rule', () => {
    const tot: Record<string, number> = {};
    for (const seed of SEEDS) {
      const c = new Chip(randomSpec(seed, 'naive'));
      const drive = new Prng(seed * 31 + 5);
      for (let t = 1; t <= 300; t++) {
        const density = (t >> 5) % 3 === 0 ? 0.6 : 0.25;
        for (let p = 0; p < c.spec.numGeneratorPorts; p++) if (drive.nextFloat() < density) c.schedule(p, t);
        c.step();
      }
      for (const [k, v] of Object.entries(c.counters.totals())) tot[k] = (tot[k] ?? 0) + v;
    }
    for (const k of ['qWrap', 'uWrap', 'uBiasWrap', 'vSatHigh', 'vSatLow', 'refractoryHeld', 'learnUpdates', 'weightSatHigh', 'roundUp'])
      expect(tot[k], k).toBeGreaterThan(0);
  });
});
