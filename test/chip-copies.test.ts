// Exact copies of a plastic group (same pre, shape, delay, rule and weights): the fast kernel
// lets a copy read its leader's row sums and learn through its leader. Writing any group from
// outside (the leader or a copy, through setPostMajor or straight into its weights) must change
// that group alone, in every kernel: the naive kernel (no copies at all) is the reference.
import { describe, expect, it } from 'vitest';
import { Chip } from '../src/chip/chip';
import { parseLearningRule } from '../src/chip/learning-rule';
import { Prng } from '../src/chip/prng';
import type { ChipSpec, CompartmentPrototype, SynapseGroupSpec } from '../src/chip/spec';
import { initialWeights } from '../src/sbp/init';
import { PLASTIC_NAMES, type PlasticName } from '../src/sbp/topology';
import { loadWeights, SbpTrainingChip } from '../src/sbp/training';
import { createWasmRowSumKernel } from '../tools/wasm-row-sum';

type Variant = 'naive' | 'js' | 'wasm';
const VARIANTS: Variant[] = ['naive', 'js', 'wasm'];

function kernelOptions(v: Variant) {
  return { kernel: v === 'naive' ? ('naive' as const) : ('fast' as const), rowSum: v === 'wasm' ? createWasmRowSumKernel : undefined };
}

describe('writing a leader or a copy changes that group alone (sBP 24-16-4)', () => {
  const sizes = { input: 24, hidden: 16, output: 4 };
  const rng = new Prng(5);
  const samples: Array<{ active: number[]; label: number }> = [];
  for (let s = 0; s < 6; s++) {
    const active: number[] = [];
    for (let i = 0; i < sizes.input; i++) if (rng.nextInt(3) === 0) active.push(i);
    samples.push({ active, label: rng.nextInt(sizes.output) });
  }
  const other = initialWeights(sizes, 77);
  const matrixFor = (name: PlasticName) => (name.startsWith('w1') ? other.w1 : name.startsWith('w2t') ? (name === 'w2tPos' ? other.w2tPos : other.w2tNeg) : other.w2);

  for (const target of ['w1', 'w1c1', 'w2', 'w2c2'] as const) {
    it(`setMatrix('${target}') after 3 samples, then 3 more samples: every matrix and counter as naive`, () => {
      const nets = VARIANTS.map((v) => {
        const net = new SbpTrainingChip({ sizes, ...kernelOptions(v) });
        loadWeights(net, initialWeights(sizes, 3));
        return net;
      });
      expect(nets[2].chip.rowSum.name).toBe('wasm-simd');
      for (const s of samples.slice(0, 3)) for (const net of nets) net.trainSample(s.active, 0, s.active.length, s.label);
      const before = nets.map((net) => Object.fromEntries(PLASTIC_NAMES.map((n) => [n, Array.from(net.matrix(n))])));
      // the fast kernel had copies following their leader when the write came
      expect(nets[1].group('w1').copies + nets[1].group('w2').copies).toBeGreaterThan(2);
      for (const net of nets) net.setMatrix(target, matrixFor(target));
      nets.forEach((net, k) => {
        for (const n of PLASTIC_NAMES) {
          const now = Array.from(net.matrix(n));
          if (n === target) expect(now, `${VARIANTS[k]} ${n}`).toEqual(Array.from(matrixFor(target)));
          else expect(now, `${VARIANTS[k]} ${n}`).toEqual(before[k][n]);
        }
      });
      for (const s of samples.slice(3)) for (const net of nets) net.trainSample(s.active, 0, s.active.length, s.label);
      for (const k of [1, 2]) {
        for (const n of PLASTIC_NAMES) expect(Array.from(nets[k].matrix(n)), `${VARIANTS[k]} ${n}`).toEqual(Array.from(nets[0].matrix(n)));
        expect(Array.from(nets[k].chip.counters.data)).toEqual(Array.from(nets[0].chip.counters.data));
      }
    });
  }
});

const PROTOS: CompartmentPrototype[] = [
  { name: 'layer', vthMant: 300, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 },
  { name: 'leaky', vthMant: 400, decayU: 2000, decayV: 1000, biasMant: 0, biasExp: 0, refractoryDelay: 2 },
];

/**
 * Generator ports feed a leader and two exact copies of it (posts of one prototype each, so the
 * copies keep spiking like the leader until a write sets them apart), a delayed leader with one
 * copy, and a fixed dense group with a copy; population A feeds a second plastic pair.
 */
function copiesSpec(seed: number, v: Variant): ChipSpec {
  const rng = new Prng(seed);
  const ports = 12;
  const pop = 8;
  // populations A..F of 8 compartments; F is leaky
  const n = 6 * pop;
  const cxProto = Array.from({ length: n }, (_, i) => (i >= 5 * pop ? 1 : 0));
  const rule = parseLearningRule('dw = y0*x0*r1*4 - y0*x0*2');
  const learning = { rule, tEpoch: 1, rewardChannel: 0 };
  const w0 = new Int16Array(ports * pop);
  for (let k = 0; k < w0.length; k++) w0[k] = 2 * (rng.nextInt(180) - 60);
  const wA = new Int16Array(pop * pop);
  for (let k = 0; k < wA.length; k++) wA[k] = 2 * (rng.nextInt(180) - 70);
  const dense = (name: string, preStart: number, preSize: number, post: number, w: Int16Array, plastic: boolean, delay = 0): SynapseGroupSpec => ({
    name,
    preStart,
    preSize,
    postStart: post * pop,
    postSize: pop,
    connectivity: { kind: 'dense', weights: Int16Array.from(w) },
    weightExp: 0,
    signMode: 'mixed',
    numWeightBits: 8,
    delay,
    learning: plastic ? learning : undefined,
  });
  const gen = n;
  const groups = [
    dense('lead', gen, ports, 0, w0, true),
    dense('copy1', gen, ports, 1, w0, true),
    dense('copy2', gen, ports, 2, w0, true),
    dense('lateLead', gen, ports, 3, w0, true, 2),
    dense('lateCopy', gen, ports, 4, w0, true, 2),
    dense('fixed', gen, ports, 5, w0, false),
    dense('fixedCopy', gen, ports, 4, w0, false),
    dense('fromA', 0, pop, 5, wA, true),
    dense('fromAcopy', 0, pop, 3, wA, true),
  ];
  return {
    numCompartments: n,
    prototypes: PROTOS,
    cxPrototype: Uint16Array.from(cxProto),
    cxCore: Uint16Array.from(cxProto.map((_, i) => Math.floor(i / pop) % 3)),
    numGeneratorPorts: ports + 1,
    genCore: new Uint16Array(ports + 1),
    numCores: 3,
    mesh: { coresPerTile: 4, tilesX: 1, tilesY: 1 },
    coresPerChip: 3,
    synapseGroups: groups,
    rewardChannels: [{ name: 'r', sources: [n + ports] }],
    ordering: seed % 2 === 0 ? 'route-then-learn' : 'learn-then-route',
    kernel: kernelOptions(v).kernel,
    rowSum: kernelOptions(v).rowSum,
    numBuckets: 1,
    seed: 3,
  };
}

describe('random steps and writes leave every kernel identical', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: spikes, u and v every step; weights and counters after every write and at the end`, () => {
      const chips = VARIANTS.map((v) => new Chip(copiesSpec(seed, v)));
      const [naive, js, wasm] = chips;
      expect(wasm.rowSum.name).toBe('wasm-simd');
      if (seed % 2 === 0) for (const c of chips) c.setTimeModel([1.5, 3.25, 0.5, 0.75, 2.125], 7);
      const drive = new Prng(1000 + seed);
      const ng = naive.groups.length;
      const ports = naive.spec.numGeneratorPorts;
      let leaderWrites = 0;
      let followed = 0;
      // reads without a write release the copy sets; the next step lets them share again
      let readWhileShared = 0;
      let sharedAfterRead = 0;
      let readAt = -1;
      const same = (why: string) => {
        for (const c of [js, wasm]) {
          c.groups.forEach((g, gi) => expect(Array.from(g.weights), `${c.rowSum.name} ${g.name} ${why}`).toEqual(Array.from(naive.groups[gi].weights)));
          expect(Array.from(c.counters.data), `${c.rowSum.name} ${why}`).toEqual(Array.from(naive.counters.data));
        }
      };
      for (let t = 1; t <= 400; t++) {
        if (drive.nextInt(8) === 0) {
          // a write from outside, to a random dense group: another group's matrix (which makes
          // them copies again), that matrix with a few entries changed, or a few entries
          // written straight into the weights
          const gi = drive.nextInt(ng);
          const g = naive.groups[gi];
          const from = naive.groups[drive.nextInt(ng)];
          const mode = drive.nextInt(3);
          const m = g.preSize === from.preSize ? from.postMajor() : g.postMajor();
          const changes = mode === 0 ? 0 : 1 + drive.nextInt(6);
          const ks: number[] = [];
          const xs: number[] = [];
          for (let e = 0; e < changes; e++) {
            ks.push(drive.nextInt(m.length));
            xs.push(2 * (drive.nextInt(256) - 128));
          }
          if (js.groups[gi].copies > 1) leaderWrites++;
          for (const c of chips) {
            const cg = c.groups[gi];
            if (mode < 2) {
              const mm = Int16Array.from(m);
              ks.forEach((k, e) => (mm[k] = xs[e]));
              cg.setPostMajor(mm);
            } else {
              // (dense storage is pre-major: entry k of the post x pre matrix is pre k % preSize)
              ks.forEach((k, e) => (cg.weights[(k % cg.preSize) * cg.postSize + Math.floor(k / cg.preSize)] = xs[e]));
              c.weightsChanged();
            }
          }
          same(`after a write at step ${t}`);
        } else if (drive.nextInt(6) === 0) {
          if (js.groups.some((g) => g.followsLeader)) readWhileShared++;
          same(`after a read at step ${t}`);
          readAt = t;
        }
        const density = (t >> 4) % 3 === 0 ? 0.5 : 0.2;
        for (let p = 0; p < ports - 1; p++) if (drive.nextFloat() < density) for (const c of chips) c.schedule(p, t);
        if (drive.nextInt(3) === 0) for (const c of chips) c.schedule(ports - 1, t);
        for (const c of chips) c.step();
        const following = js.groups.filter((g) => g.followsLeader).length;
        followed += following;
        if (readAt === t && following > 0) sharedAfterRead++;
        const spikes = chips.map((c) => Array.from(c.spikedCx.subarray(0, c.spikedCount)).sort((a, b) => a - b));
        expect(spikes[1], `spikes at step ${t}`).toEqual(spikes[0]);
        expect(spikes[2], `spikes at step ${t} (wasm)`).toEqual(spikes[0]);
        for (const c of [js, wasm])
          for (let cx = 0; cx < naive.numCompartments; cx++)
            if (c.current(cx) !== naive.current(cx) || c.voltage(cx) !== naive.voltage(cx))
              expect([c.rowSum.name, t, cx, c.current(cx), c.voltage(cx)]).toEqual([c.rowSum.name, t, cx, naive.current(cx), naive.voltage(cx)]);
      }
      same('at the end');
      for (const c of [js, wasm]) expect(Array.from(c.latencyNs)).toEqual(Array.from(naive.latencyNs));
      // the run exercised what it is about: copies following a leader, writes to such leaders, learning
      expect(followed).toBeGreaterThan(0);
      expect(leaderWrites).toBeGreaterThan(0);
      expect(readWhileShared).toBeGreaterThan(0);
      expect(sharedAfterRead).toBeGreaterThan(0);
      expect(naive.counters.totals().learnUpdates).toBeGreaterThan(0);
    });
  }
});
