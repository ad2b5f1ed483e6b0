/**
 * The learning engine (docs/chip-model.md, "Learning engine"; docs/sbp-network.md, "Learning rule"): the rule parser, the
 * sBP rule's +-2 updates, saturation, stochastic rounding, learning epochs, traces, the
 * route/learn ordering and the learnVisits counter.
 */
import { describe, expect, it } from 'vitest';
import { Op } from '../src/chip/counters';
import { evaluateRule, parseLearningRule, VAR_INDEX, type LearningRule } from '../src/chip/learning-rule';
import { UserError } from '../src/errors';
import { compileNetwork, type CompiledNetwork } from '../src/net/compile';
import type { CompileOptions, LearningDesc, NetworkDesc, NeuronType } from '../src/net/network';

const SBP_RULE = 'dw = y0*x0*r1*4 - y0*x0*2';

const GATE: NeuronType = { name: 'gate', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 };

/** A term as a comparable string: scale and sorted factors. */
const canon = (r: LearningRule) =>
  r.terms
    .map((t) => `${t.scale}*${t.factors.map((f) => `(${f.variable}${f.constant >= 0 ? '+' : ''}${f.constant})`).sort().join('*')}`)
    .sort();

describe('rule parser', () => {
  it('the sBP rule written two ways gives the same terms', () => {
    const a = parseLearningRule(SBP_RULE);
    const b = parseLearningRule('dw = 4*x0*y0*r1 - 2*x0*y0');
    expect(canon(a)).toEqual(canon(b));
    expect(canon(a)).toEqual(['-2*(x0+0)*(y0+0)', '4*(r1+0)*(x0+0)*(y0+0)']);
    expect(a.support).toBe('pair');
    expect(a.target).toBe('dw');
  });

  it('evaluates to +2 with reward and -2 without at a coincidence, 0 elsewhere (§4.2)', () => {
    const r = parseLearningRule(SBP_RULE);
    const vars = (x0: number, y0: number, r1: number) => {
      const v = new Float64Array(10);
      v[VAR_INDEX.x0] = x0;
      v[VAR_INDEX.y0] = y0;
      v[VAR_INDEX.r1] = r1;
      return v;
    };
    expect(evaluateRule(r, vars(1, 1, 1))).toBe(2);
    expect(evaluateRule(r, vars(1, 1, 0))).toBe(-2);
    expect(evaluateRule(r, vars(1, 0, 1)) + 0).toBe(0);
    expect(evaluateRule(r, vars(0, 1, 0)) + 0).toBe(0);
  });

  it('powers of two, products of scales, constants in factors', () => {
    const p = parseLearningRule('dw = 2^-3*x1*y0 - 3*2^2*y1*x0');
    expect(p.terms.map((t) => t.scale)).toEqual([0.125, -12]);
    const c = parseLearningRule('dw = x0*(y1 - 8)');
    expect(c.terms[0].factors).toEqual([
      { variable: 'x0', constant: 0 },
      { variable: 'y1', constant: -8 },
    ]);
    expect(c.support).toBe('pre');
    const v = new Float64Array(10);
    v[VAR_INDEX.x0] = 1;
    v[VAR_INDEX.y1] = 5;
    expect(evaluateRule(c, v)).toBe(-3);
    expect(parseLearningRule('dw = -y0*x1').support).toBe('post');
    expect(parseLearningRule('dw = x1*y1').support).toBe('all');
  });

  it('a bad token gives a UserError naming the token and its position', () => {
    const err = (text: string) => {
      try {
        parseLearningRule(text, "connection 'a->b'");
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error(`no error for ${text}`);
    };
    const m1 = err('dw = 4*x9');
    expect(m1).toContain("'x9'");
    expect(m1).toContain('position 8');
    expect(m1).toContain("connection 'a->b'");
    const m2 = err('dw = 4**x0');
    expect(m2).toContain("'*'");
    expect(m2).toContain('position 8');
    const m3 = err('dw = 3^2*x0');
    expect(m3).toContain('powers of two');
    const m4 = err('dw = x0 $ y0');
    expect(m4).toContain("'$'");
    expect(m4).toContain('position 9');
    expect(err('dt = x0')).toContain("'dt'");
    expect(err('dw = x0 +')).toContain('expected a term');
  });
});

/**
 * A tiny plastic network: generator 'pre' -> plastic all-to-all -> gate group 'post' (size
 * `n`), 'drive' makes every post neuron fire one step after it, 'rew' drives the reward
 * channel. Spikes are scheduled by the step at which the source fires.
 */
function plastic(opts: {
  rule?: string;
  n?: number;
  nPre?: number;
  w0?: number;
  learning?: Partial<LearningDesc>;
  compile?: CompileOptions;
}) {
  const n = opts.n ?? 1;
  const nPre = opts.nPre ?? 1;
  const desc: NetworkDesc = {
    name: 'plastic',
    groups: [
      { name: 'pre', size: nPre, neuron: 'generator' },
      { name: 'drive', size: 1, neuron: 'generator' },
      { name: 'rew', size: 1, neuron: 'generator' },
      { name: 'post', size: n, neuron: GATE },
    ],
    connections: [
      { pre: 'drive', post: 'post', connectivity: 'one-to-all', weight: 9280 },
      {
        name: 'syn',
        pre: 'pre',
        post: 'post',
        connectivity: 'all-to-all',
        weights: new Array(n * nPre).fill(opts.w0 ?? 0),
        signMode: 'mixed',
        learning: { rule: opts.rule ?? SBP_RULE, rewardChannel: 'reward', ...opts.learning },
      },
    ],
    rewardChannels: [{ name: 'reward', sources: [{ group: 'rew' }] }],
  };
  const net = compileNetwork(desc, opts.compile);
  const g = net.chip.groups[net.connections.syn];
  return {
    net,
    chip: net.chip,
    g,
    /** Run to `last`; events are [source, step] with source 'pre' | 'pre:i' | 'post' | 'rew'. */
    run(events: Array<[string, number]>, last: number, each?: (t: number) => void) {
      run(net, events, last, each);
    },
  };
}

function run(net: CompiledNetwork, events: Array<[string, number]>, last: number, each?: (t: number) => void) {
  const chip = net.chip;
  while (chip.time < last) {
    const t = chip.time + 1;
    for (const [src, s] of events) {
      if (src === 'post' && s - 1 === t) chip.schedule(net.groups.drive.start, t);
      if (s !== t) continue;
      if (src === 'rew') chip.schedule(net.groups.rew.start, t);
      if (src === 'pre') for (let i = 0; i < net.groups.pre.size; i++) chip.schedule(net.groups.pre.start + i, t);
      if (src.startsWith('pre:')) chip.schedule(net.groups.pre.start + Number(src.slice(4)), t);
    }
    chip.step();
    each?.(t);
  }
}

describe('the sBP rule on a tiny network (§4.2)', () => {
  it('a coincidence without reward gives -2, with reward +2; no coincidence gives 0', () => {
    const { chip, g, run } = plastic({ w0: 100 });
    const w: number[] = [];
    run(
      [
        ['pre', 3],
        ['post', 3], // coincidence at 3: -2
        ['pre', 6],
        ['post', 6],
        ['rew', 6], // +2
        ['pre', 9], // pre alone: 0
        ['post', 11], // post alone: 0
        ['rew', 11],
        ['pre', 13],
        ['post', 14], // different steps (tEpoch 1): 0
      ],
      15,
      () => w.push(g.weight(0, 0)),
    );
    expect(w.slice(0, 2)).toEqual([100, 100]);
    expect(w[2]).toBe(98);
    expect(w[5]).toBe(100);
    expect(w.slice(5)).toEqual(new Array(10).fill(100));
    expect(chip.counters.total(Op.learnUpdates)).toBe(2);
  });

  it('saturates to [-256, 254] in mixed mode and counts it', () => {
    const hi = plastic({ w0: 252 });
    hi.run(
      [
        ['pre', 2],
        ['post', 2],
        ['rew', 2],
        ['pre', 4],
        ['post', 4],
        ['rew', 4],
      ],
      5,
    );
    expect(hi.g.weight(0, 0)).toBe(254);
    expect(hi.chip.counters.total(Op.weightSatHigh)).toBe(1);
    expect(hi.chip.counters.total(Op.learnUpdates)).toBe(1);
    const lo = plastic({ w0: -254 });
    lo.run(
      [
        ['pre', 2],
        ['post', 2],
        ['pre', 4],
        ['post', 4],
        ['pre', 6],
        ['post', 6],
      ],
      7,
    );
    expect(lo.g.weight(0, 0)).toBe(-256);
    expect(lo.chip.counters.total(Op.weightSatLow)).toBe(2);
    expect(lo.chip.counters.total(Op.weightSatHigh)).toBe(0);
  });
});

describe('stochastic rounding', () => {
  const trial = (seed: number) => {
    // dw = 1 on a weight with LSB 2: each update rounds up (to +2) with probability 1/2
    const p = plastic({ rule: 'dw = x0*y0', n: 400, compile: { seed } });
    const events: Array<[string, number]> = [];
    for (const t of [2, 4, 6, 8, 10]) events.push(['pre', t], ['post', t]);
    p.run(events, 11);
    return { weights: Array.from(p.g.weights), ups: p.chip.counters.total(Op.roundUp) };
  };

  it('rounds up about half the time, and the weights record exactly the round-ups', () => {
    const { weights, ups } = trial(7);
    const decisions = 400 * 5;
    expect(ups / decisions).toBeGreaterThan(0.45);
    expect(ups / decisions).toBeLessThan(0.55);
    expect(weights.reduce((a, b) => a + b, 0)).toBe(2 * ups);
    for (const w of weights) {
      expect(w % 2).toBe(0);
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(10);
    }
  });

  it('rounds up with probability equal to the fraction of an LSB (dw = 2^-3: 1/16)', () => {
    const p = plastic({ rule: 'dw = 2^-3*x0*y0', n: 400, compile: { seed: 3 } });
    const events: Array<[string, number]> = [];
    for (const t of [2, 4, 6, 8, 10]) events.push(['pre', t], ['post', t]);
    p.run(events, 11);
    const ups = p.chip.counters.total(Op.roundUp);
    // 2000 decisions, p = 1/16: mean 125, sd 10.8
    expect(ups).toBeGreaterThan(125 - 50);
    expect(ups).toBeLessThan(125 + 50);
    expect(Array.from(p.g.weights).reduce((a, b) => a + b, 0)).toBe(2 * ups);
  });

  it('depends only on the seed', () => {
    const a = trial(7);
    const b = trial(7);
    const c = trial(8);
    expect(b.weights).toEqual(a.weights);
    expect(c.weights).not.toEqual(a.weights);
  });

  it('a dw that is a multiple of the LSB is deterministic (§4.4)', () => {
    const p = plastic({ n: 50 });
    p.run(
      [
        ['pre', 2],
        ['post', 2],
      ],
      3,
    );
    expect(Array.from(p.g.weights)).toEqual(new Array(50).fill(-2));
    expect(p.chip.counters.total(Op.roundUp)).toBe(0);
  });
});

describe('the learning accumulator', () => {
  it('clips dw at +-(2^15 - 1) / 2^7 (accSat), then saturates the weight', () => {
    // x1 = 127 (saturated trace), dw = 4 * 127 = 508 > 255.99: the accumulator clips
    const { chip, g, run } = plastic({ rule: 'dw = 4*x1*y0', learning: { x1: { impulse: 127 * 256, tau: 0 } } });
    run(
      [
        ['pre', 2],
        ['post', 2],
      ],
      3,
    );
    expect(chip.counters.total(Op.accSat)).toBe(1);
    // 32767 / 128 = 255.99 -> 254 or 256 after rounding, 254 after saturation either way
    expect(g.weight(0, 0)).toBe(254);
  });
});

describe('learning epochs (tEpoch > 1)', () => {
  it('x0 and y0 mean "spiked during the epoch"; the update lands at the epoch end', () => {
    const { chip, g, run } = plastic({ w0: 50, learning: { tEpoch: 4 } });
    const w: number[] = [];
    run(
      [
        ['pre', 5],
        ['post', 7], // epoch 5..8: -2 at step 8
        ['post', 9],
        ['rew', 10],
        ['pre', 12], // epoch 9..12 with reward: +2 at 12
        ['pre', 16],
        ['post', 17], // epochs 13..16 and 17..20: nothing
      ],
      20,
      () => w.push(g.weight(0, 0)),
    );
    expect(w.slice(0, 7)).toEqual([50, 50, 50, 50, 50, 50, 50]); // steps 1..7
    expect(w[7]).toBe(48); // step 8
    expect(w.slice(8, 11)).toEqual([48, 48, 48]);
    expect(w[11]).toBe(50); // step 12
    expect(w.slice(12)).toEqual(new Array(8).fill(50));
    // 5 epochs ended (steps 4, 8, 12, 16, 20), one synapse each
    expect(chip.counters.total(Op.learnVisits)).toBe(5);
  });
});

describe('traces', () => {
  it('x1 with tau 0 holds its impulse for exactly the epoch of the spike', () => {
    // impulse in 1/256 units: 2560 -> 10; dw = 2 * x1 * y0
    const { g, run } = plastic({ rule: 'dw = 2*x1*y0', learning: { x1: { impulse: 2560, tau: 0 } } });
    run(
      [
        ['pre', 3],
        ['post', 3], // x1 = 10 -> +20
        ['pre', 5],
        ['post', 6], // x1 back to 0 at 6 -> 0
      ],
      7,
    );
    expect(g.weight(0, 0)).toBe(20);
  });

  it('y1 with a constant offset: dw = 2*x0*(y1 - 8)', () => {
    const { g, run } = plastic({ rule: 'dw = 2*x0*(y1 - 8)', learning: { y1: { impulse: 5 * 256, tau: 0 } } });
    const w: number[] = [];
    run(
      [
        ['pre', 3],
        ['post', 3], // y1 = 5: 2 * (5 - 8) = -6
        ['pre', 5], // y1 = 0: 2 * (0 - 8) = -16
      ],
      6,
      () => w.push(g.weight(0, 0)),
    );
    expect(w[2]).toBe(-6);
    expect(w[4]).toBe(-22);
  });

  it('traces saturate at 7 bits (127) and count it', () => {
    const { chip, g, run } = plastic({ rule: 'dw = 2*x1*y0', learning: { x1: { impulse: 200 * 256, tau: 0 } } });
    run(
      [
        ['pre', 2],
        ['post', 2],
      ],
      3,
    );
    expect(g.weight(0, 0)).toBe(254);
    expect(chip.counters.total(Op.traceSat)).toBe(1);
  });

  it('x1 decays as exp(-t/tau) per epoch with stochastic rounding: the mean follows 10 e^(-2/tau)', () => {
    const nPre = 300;
    const tau = 2;
    const { g, run } = plastic({ rule: 'dw = 2*x1*y0', nPre, learning: { x1: { impulse: 2560, tau } } });
    // every pre fires at 2 (x1 = 10), the post fires at 4: two decays
    run(
      [
        ['pre', 2],
        ['post', 4],
      ],
      4,
    );
    const ws = Array.from({ length: nPre }, (_, i) => g.weight(i, 0));
    const mean = ws.reduce((a, b) => a + b, 0) / nPre / 2;
    const expected = 10 * Math.exp(-2 / tau);
    expect(Math.abs(mean - expected)).toBeLessThan(0.2);
    for (const w of ws) {
      expect(w / 2).toBeGreaterThanOrEqual(Math.floor(expected) - 1);
      expect(w / 2).toBeLessThanOrEqual(Math.ceil(expected) + 1);
    }
  });
});

describe('the reward trace r1', () => {
  /** Two plastic groups (a, b) on one reward channel; dw = 2*x0*y0*r1. */
  const twoGroups = (r1?: { impulse: number; tau: number }) => {
    const net = compileNetwork({
      name: 'r1',
      groups: [
        { name: 'pre', size: 1, neuron: 'generator' },
        { name: 'drive', size: 1, neuron: 'generator' },
        { name: 'rew', size: 1, neuron: 'generator' },
        { name: 'a', size: 1, neuron: GATE },
        { name: 'b', size: 1, neuron: GATE },
      ],
      connections: [
        { pre: 'drive', post: 'a', connectivity: 'one-to-one', weight: 9280 },
        { pre: 'drive', post: 'b', connectivity: 'one-to-one', weight: 9280 },
        { name: 'A', pre: 'pre', post: 'a', connectivity: 'all-to-all', weights: [0], signMode: 'mixed', learning: { rule: 'dw = 2*x0*y0*r1' } },
        { name: 'B', pre: 'pre', post: 'b', connectivity: 'all-to-all', weights: [0], signMode: 'mixed', learning: { rule: 'dw = 2*x0*y0*r1' } },
      ],
      rewardChannels: [{ name: 'reward', sources: [{ group: 'rew' }], r1 }],
    });
    const w = () => [net.chip.groups[net.connections.A].weight(0, 0), net.chip.groups[net.connections.B].weight(0, 0)];
    return { net, w };
  };

  it('default (impulse 1, tau 0): r1 = 1 exactly in the rewarded epoch, no carry-over (§4.2)', () => {
    const { net, w } = twoGroups();
    // coincidence + reward at 2, coincidence without reward at 4
    run(net, [['post', 2], ['pre', 2], ['rew', 2], ['post', 4], ['pre', 4]], 2);
    expect(w()).toEqual([2, 2]);
    run(net, [['post', 2], ['pre', 2], ['rew', 2], ['post', 4], ['pre', 4]], 5);
    expect(w()).toEqual([2, 2]);
  });

  it('a compartment can drive the channel (on-chip reward, as the sBP gates g06/g08 do)', () => {
    const net = compileNetwork({
      name: 'onchip',
      groups: [
        { name: 'pre', size: 1, neuron: 'generator' },
        { name: 'drive', size: 1, neuron: 'generator' },
        { name: 'post', size: 1, neuron: GATE },
        { name: 'rg', size: 1, neuron: GATE },
      ],
      connections: [
        { pre: 'drive', post: 'post', connectivity: 'one-to-one', weight: 9280 },
        { pre: 'drive', post: 'rg', connectivity: 'one-to-one', weight: 9280 },
        { name: 'syn', pre: 'pre', post: 'post', connectivity: 'all-to-all', weights: [10], signMode: 'mixed', learning: { rule: SBP_RULE } },
      ],
      rewardChannels: [{ name: 'reward', sources: [{ group: 'rg' }] }],
    });
    // drive at 1: post and rg fire at 2; pre at 2 -> rewarded coincidence: +2
    run(net, [['post', 2], ['pre', 2]], 2);
    expect(net.chip.groups[net.connections.syn].weight(0, 0)).toBe(12);
  });

  it('every group sharing a channel sees the same r1, decayed once per epoch', () => {
    const { net, w } = twoGroups({ impulse: 10, tau: 1000 });
    const events: Array<[string, number]> = [['post', 2], ['pre', 2], ['rew', 2], ['post', 3], ['pre', 3]];
    run(net, events, 2);
    expect(w()).toEqual([20, 20]);
    run(net, events, 3);
    // next epoch: r1 = round(10 * e^(-1/1000)) is 9 or 10 (stochastic), dw = 2 * r1
    const [a, b] = w();
    expect([38, 40]).toContain(a);
    expect([38, 40]).toContain(b);
  });
});

describe('route-then-learn vs learn-then-route (§4.5)', () => {
  it('a spike of the learning step is weighted with the old or the new weight', () => {
    const currentAfter = (ordering: 'route-then-learn' | 'learn-then-route') => {
      const { chip, net, g, run } = plastic({ w0: 100, compile: { ordering } });
      // pre and post spike at 3 (no reward: dw = -2); the pre spike arrives at post in step 4
      run(
        [
          ['pre', 3],
          ['post', 3],
        ],
        4,
      );
      expect(g.weight(0, 0)).toBe(98);
      return chip.current(net.groups.post.start);
    };
    expect(currentAfter('route-then-learn')).toBe(100 * 64);
    expect(currentAfter('learn-then-route')).toBe(98 * 64);
  });
});

describe('learnVisits', () => {
  it('counts every plastic synapse each learning epoch, active or not', () => {
    const desc: NetworkDesc = {
      name: 'visits',
      groups: [
        { name: 'a', size: 20, neuron: 'generator' },
        { name: 'b', size: 30, neuron: GATE },
        { name: 'c', size: 3, neuron: GATE },
      ],
      connections: [
        { pre: 'a', post: 'b', connectivity: 'all-to-all', weights: new Array(600).fill(0), signMode: 'mixed', learning: { rule: SBP_RULE } },
        {
          pre: 'a',
          post: 'c',
          connectivity: {
            sparse: [
              [0, 0, 2],
              [5, 1, 2],
              [19, 2, 2],
            ],
          },
          signMode: 'mixed',
          learning: { rule: SBP_RULE, tEpoch: 2 },
        },
        // a fixed connection costs no learning visits
        { name: 'fixed', pre: 'a', post: 'c', connectivity: 'all-to-all', weight: 2 },
      ],
    };
    const net = compileNetwork(desc);
    expect(net.stats.plasticSynapses).toBe(603);
    for (let t = 1; t <= 10; t++) {
      if (t === 3) net.chip.schedule(net.groups.a.start + 4, t);
      net.chip.step();
    }
    expect(net.chip.counters.total(Op.learnVisits)).toBe(600 * 10 + 3 * 5);
  });
});
