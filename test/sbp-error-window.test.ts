/**
 * A wider error window (docs/sbp-network.md, "A wider error window"): a missed target counts
 * for an output potential in (-W, 512] instead of (0, 512]. The oracle's rule is checked on a
 * sample worked by hand; the chip, with its one extra gate synapse, equals the extended
 * oracle spike for spike and weight for weight in both gatings and orders; the robust gating
 * keeps its headroom proof; `train --error-window` runs it under the shadow oracle and a
 * checkpoint keeps it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plasticScale, gatingPlan } from '../src/sbp/gating';
import { requireHeadroom, trainingSchedule } from '../src/sbp/headroom';
import { initialWeights } from '../src/sbp/init';
import type { SbpSizes } from '../src/sbp/matrices';
import { newTrace, oracleTrain, type OracleState } from '../src/sbp/oracle';
import { trainingNetwork } from '../src/sbp/topology';
import { SbpTrainingChip } from '../src/sbp/training';
import { verifyRun } from '../src/sbp/verify';
import { randomData, runCli, tempDir } from './fixtures';

/**
 * Three inputs (all on), two hidden units, two outputs; the label is 0. Hidden unit 0 sums
 * 3 x 200 = 600 (h = 1, inside its derivative window (0, 1024]); unit 1 sums 0 (h = 0).
 * Output 0 sums W2[0][0] = -200, output 1 sums 100: neither fires, output 0 missed its target.
 */
function handState(errorWindow: number): OracleState {
  return {
    nin: 3,
    nhid: 2,
    nout: 2,
    w1: Int16Array.from([200, 200, 200, 0, 0, 0]),
    w2: Int16Array.from([-200, 0, 100, 0]),
    p: Int16Array.from([-200, 100, 0, 0]),
    m: Int16Array.from([200, -100, 0, 0]),
    errorWindow,
  };
}

describe('the oracle with a wider error window', () => {
  it('counts the missed target at potential -200 only when the window reaches below it, and then backprops it as the paper would', () => {
    const x = Uint8Array.from([1, 1, 1]);
    for (const w of [0, 192]) {
      const s = handState(w);
      const tr = newTrace(2, 2);
      oracleTrain(s, x, 0, 'chip', tr);
      expect(Array.from(tr.dPos), `W = ${w}`).toEqual([0, 0]);
      expect(Array.from(s.w1)).toEqual([200, 200, 200, 0, 0, 0]);
      expect(Array.from(s.w2)).toEqual([-200, 0, 100, 0]);
    }
    const s = handState(256);
    const tr = newTrace(2, 2);
    oracleTrain(s, x, 0, 'chip', tr);
    expect(Array.from(tr.oLow)).toEqual([1, 1]);
    expect(Array.from(tr.dPos)).toEqual([1, 0]);
    expect(Array.from(tr.dNeg)).toEqual([0, 0]);
    // phase 5: W2 += 2 d+ (x) h and P += 2 h (x) d+; phase 9: M -= 2 h (x) d+
    expect(Array.from(s.w2)).toEqual([-198, 0, 100, 0]);
    expect(Array.from(s.p)).toEqual([-200 + 2, 100, 0, 0]);
    expect(Array.from(s.m)).toEqual([200 - 2, -100, 0, 0]);
    // backprop with the old weights: s6 = P.d+ = -200 (no d1+), s10 = M.d+ = +200, so d1- on
    // hidden unit 0, whose row of W1 steps down by 2 on both active inputs
    expect(Array.from(tr.d1Pos)).toEqual([0, 0]);
    expect(Array.from(tr.d1Neg)).toEqual([1, 0]);
    expect(Array.from(s.w1)).toEqual([198, 198, 198, 0, 0, 0]);
  });
});

/**
 * Three inputs (all on), three hidden units summing 600 each (h = 1, inside (0, 1024]), two
 * outputs; the label is 0. Output 0 sums 3 x 240 = 720: it fired (> 512) but stays below the
 * upper copy's 1024. Output 1 sums 0.
 */
function marginState(targetTop: 512 | 1024): OracleState {
  return {
    nin: 3,
    nhid: 3,
    nout: 2,
    w1: Int16Array.from([200, 200, 200, 200, 200, 200, 200, 200, 200]),
    w2: Int16Array.from([240, 240, 240, 0, 0, 0]),
    p: Int16Array.from([240, 0, 240, 0, 240, 0]),
    m: Int16Array.from([-240, 0, -240, 0, -240, 0]),
    targetTop,
  };
}

describe('the oracle with a target margin', () => {
  it('counts a target that fired at potential 720 as missed only with the margin (until 1024), and then backprops it as the paper would', () => {
    const x = Uint8Array.from([1, 1, 1]);
    const paper = marginState(512);
    const trp = newTrace(3, 2);
    oracleTrain(paper, x, 0, 'chip', trp);
    expect(Array.from(trp.o)).toEqual([1, 0]);
    expect(Array.from(trp.dPos)).toEqual([0, 0]);
    expect(Array.from(trp.dNeg)).toEqual([0, 0]);
    expect(Array.from(paper.w2)).toEqual([240, 240, 240, 0, 0, 0]);
    const s = marginState(1024);
    const tr = newTrace(3, 2);
    oracleTrain(s, x, 0, 'chip', tr);
    expect(Array.from(tr.dPos)).toEqual([1, 0]);
    expect(Array.from(tr.dNeg)).toEqual([0, 0]);
    // phase 5: W2 and P up by 2 on (h, d+); phase 9: M down by 2 on (h, d+)
    expect(Array.from(s.w2)).toEqual([242, 242, 242, 0, 0, 0]);
    expect(Array.from(s.p)).toEqual([242, 0, 242, 0, 242, 0]);
    expect(Array.from(s.m)).toEqual([-242, 0, -242, 0, -242, 0]);
    // backprop with the old weights: s6 = P.d+ = 240 > 0 on every hidden unit, so d1+ raises all of W1
    expect(Array.from(tr.d1Pos)).toEqual([1, 1, 1]);
    expect(Array.from(tr.d1Neg)).toEqual([0, 0, 0]);
    expect(Array.from(s.w1)).toEqual([202, 202, 202, 202, 202, 202, 202, 202, 202]);
  });
});

describe('the chip with a target margin equals the extended oracle', () => {
  const sizes: SbpSizes = { input: 30, hidden: 20, output: 5 };
  const ds = { name: 'random', count: 400, ...randomData(sizes.input, sizes.output, 400, 29) };
  for (const gating of ['paper', 'robust'] as const) {
    for (const order of ['chip', 'reference'] as const) {
      it(`${gating} gating, order ${order}: 400 samples, with and without a wider window; targets that fired were counted as missed`, () => {
        const weights = initialWeights(sizes, 6);
        for (const errorWindow of [0, 512]) {
          const r = verifyRun({ sizes, order, kernel: 'fast', weights, samples: { dataset: ds }, gating, errorWindow, targetTop: 1024 });
          expect(r.firstMismatch).toBeUndefined();
          expect(r.mismatches).toBe(0);
          expect(r.invariantViolations).toBe(0);
          expect(r.copiesEqual).toBe(true);
          // d+ in phase 4 is compared with o< & t & !o>: some fired on a target that spiked,
          // so a chip still inhibiting d+ with o would have failed
          expect(r.activity.dPosMargin).toBeGreaterThan(0);
          if (errorWindow > 0) expect(r.activity.dPosWindow).toBeGreaterThan(0);
        }
      });
    }
  }
});

describe('the chip with a wider error window equals the extended oracle', () => {
  const sizes: SbpSizes = { input: 30, hidden: 20, output: 5 };
  const ds = { name: 'random', count: 400, ...randomData(sizes.input, sizes.output, 400, 23) };
  for (const gating of ['paper', 'robust'] as const) {
    for (const order of ['chip', 'reference'] as const) {
      it(`${gating} gating, order ${order}: 400 samples, every spike and weight, and the window let misses through`, () => {
        const weights = initialWeights(sizes, 5);
        const r = verifyRun({ sizes, order, kernel: 'fast', weights, samples: { dataset: ds }, gating, errorWindow: 1024 });
        expect(r.firstMismatch).toBeUndefined();
        expect(r.mismatches).toBe(0);
        expect(r.invariantViolations).toBe(0);
        expect(r.copiesEqual).toBe(true);
        expect(r.samples).toBe(400);
        // o_copy in phase 3 is compared with [W2h > -1024]: misses below 0 happened, so a chip
        // without the window would have failed that comparison
        expect(r.activity.dPosWindow).toBeGreaterThan(0);
        const paperWindow = verifyRun({ sizes, order, kernel: 'fast', weights, samples: { dataset: ds }, gating });
        expect(paperWindow.mismatches).toBe(0);
        expect(paperWindow.activity.dPosWindow).toBe(0);
        expect(paperWindow.activity.dPosMargin).toBe(0);
        expect(r.activity.dPos).toBeGreaterThan(paperWindow.activity.dPos);
      });
    }
  }

  it('the naive kernel agrees (every synapse in its own memory)', () => {
    const weights = initialWeights(sizes, 9);
    const r = verifyRun({ sizes, order: 'chip', kernel: 'naive', weights, samples: { dataset: { ...ds, count: 150 } }, gating: 'robust', errorWindow: 512 });
    expect(r.mismatches).toBe(0);
    expect(r.invariantViolations).toBe(0);
    expect(r.activity.dPosWindow).toBeGreaterThan(0);
  });

  it('profile takes them: the window costs one synapse per output (g03 onto o_copy), the margin none (it moves one), and the report names both', () => {
    const prof = (extra: string[]) => {
      const p = runCli(['profile', '--hidden', '16', '--samples', '3', '--gating', 'robust', ...extra, '--json']);
      expect(p.status, p.stderr).toBe(0);
      return JSON.parse(p.stdout);
    };
    const paper = prof([]);
    const wide = prof(['--error-window', '1024']);
    const both = prof(['--error-window', '1024', '--target-top', '1024']);
    expect(paper).toMatchObject({ gating: 'robust', errorWindow: 0, targetTop: 512 });
    expect(both).toMatchObject({ errorWindow: 1024, targetTop: 1024 });
    expect(wide.network.synapses - paper.network.synapses).toBe(10);
    expect(both.network.synapses).toBe(wide.network.synapses);
    expect(both.network.compartments).toBe(paper.network.compartments);
    const deep = runCli(['profile', '--hidden', '16,8', '--samples', '3', '--target-top', '1024']);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/--error-window and --target-top are for one hidden layer/);
  });
});

describe('the window on the chip', () => {
  it('is one gate onto o_copy worth W x 2^e weight units for W2\'s exponent e, and robust gating still proves its headroom at the widest window', () => {
    for (const sizes of [
      { input: 784, hidden: 400, output: 10 },
      { input: 400, hidden: 2000, output: 10 },
    ]) {
      const e = gatingPlan(sizes, 'robust').w2Exp;
      const desc = trainingNetwork(sizes, 'chip', 'robust', 4096);
      const gate = desc.connections.filter((c) => c.pre === 'g03' && c.post === 'o_copy' && /window/.test(c.name ?? ''));
      expect(gate.length).toBeGreaterThan(0);
      expect(gate.reduce((a, c) => a + (c.weight as number), 0)).toBe(4096 * Math.pow(2, e));
      expect(4096 * plasticScale(e)).toBe(gate.reduce((a, c) => a + (c.weight as number), 0) * 64);
      expect(() => requireHeadroom(desc, trainingSchedule())).not.toThrow();
      // the paper's window adds nothing
      const paper = trainingNetwork(sizes, 'chip', 'robust', 0);
      expect(paper.connections.length).toBe(desc.connections.length - gate.length);
    }
  });

  it('the margin moves the one synapse that inhibits d+ from o to o_copy2, and nothing else', () => {
    const sizes = { input: 784, hidden: 400, output: 10 };
    const paper = trainingNetwork(sizes, 'chip', 'robust');
    const margin = trainingNetwork(sizes, 'chip', 'robust', 0, 1024);
    const key = (c: (typeof paper.connections)[number]) => `${c.pre}->${c.post}:${String(c.weight)}:${String(c.delay)}`;
    const a = paper.connections.map(key).sort();
    const b = margin.connections.map(key).sort();
    expect(a.filter((k) => b.indexOf(k) < 0)).toEqual(['o->d+:-520:0']);
    expect(b.filter((k) => a.indexOf(k) < 0)).toEqual(['o_copy2->d+:-520:0']);
    expect(() => requireHeadroom(margin, trainingSchedule())).not.toThrow();
  });

  it('refuses a window that is not a multiple of 64 in [0, 4096]', () => {
    const sizes: SbpSizes = { input: 30, hidden: 20, output: 5 };
    for (const w of [32, -64, 4160, 0.5]) expect(() => new SbpTrainingChip({ sizes, errorWindow: w })).toThrow(/multiple of 64 from 0 to 4096, got/);
  });
});

describe('synfire train --error-window and --target-top', () => {
  const common = ['train', '--hidden', '16', '--train-limit', '300', '--test-limit', '50', '--json', '--quiet'];

  it('trains under the shadow oracle with 0 departures, ends elsewhere than the paper\'s window, and a checkpoint keeps it', () => {
    const dir = tempDir('window');
    const ck = join(dir, 'w.ckpt');
    const wide = runCli([...common, '--epochs', '2', '--error-window', '512', '--shadow', '--checkpoint', ck, '--save-weights', join(dir, 'wide.json')]);
    expect(wide.status, wide.stderr).toBe(0);
    const w = JSON.parse(wide.stdout);
    expect(w.errorWindow).toBe(512);
    expect(w.shadow).toMatchObject({ samples: 600, departures: 0, spuriousSpikes: 0 });
    const paper = runCli([...common, '--epochs', '2', '--save-weights', join(dir, 'paper.json')]);
    expect(paper.status, paper.stderr).toBe(0);
    expect(JSON.parse(paper.stdout).errorWindow).toBe(0);
    expect(readFileSync(join(dir, 'wide.json'), 'utf8')).not.toBe(readFileSync(join(dir, 'paper.json'), 'utf8'));
    // a resume keeps the window, and refuses another
    const more = runCli(['train', '--resume', ck, '--epochs', '3', '--test-limit', '50', '--json', '--quiet']);
    expect(more.status, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout).errorWindow).toBe(512);
    const other = runCli(['train', '--resume', ck, '--epochs', '3', '--error-window', '256', '--quiet']);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/option errorWindow = 256 differs from the checkpoint's 512/);
    expect(other.stderr).not.toMatch(/\n\s+at /);
  });

  it('--target-top 1024 trains under the shadow oracle with 0 departures, and a checkpoint keeps it', () => {
    const dir = tempDir('margin');
    const ck = join(dir, 'm.ckpt');
    const m = runCli([...common, '--epochs', '1', '--target-top', '1024', '--shadow', '--checkpoint', ck]);
    expect(m.status, m.stderr).toBe(0);
    const j = JSON.parse(m.stdout);
    expect(j.targetTop).toBe(1024);
    expect(j.shadow).toMatchObject({ samples: 300, departures: 0, spuriousSpikes: 0 });
    const more = runCli(['train', '--resume', ck, '--epochs', '2', '--test-limit', '50', '--shadow', '--json', '--quiet']);
    expect(more.status, more.stderr).toBe(0);
    const k = JSON.parse(more.stdout);
    expect(k.targetTop).toBe(1024);
    expect(k.shadow).toMatchObject({ departures: 0, spuriousSpikes: 0 });
  });

  it('bad windows are usage errors (exit 2) that say what is wrong; verify takes the window too', () => {
    const odd = runCli([...common, '--error-window', '100']);
    expect(odd.status).toBe(2);
    expect(odd.stderr).toMatch(/--error-window: the error window must be a multiple of 64 from 0 to 4096, got 100/);
    expect(odd.stderr).not.toMatch(/\n\s+at /);
    const deep = runCli(['train', '--hidden', '16,8', '--train-limit', '10', '--error-window', '64', '--quiet']);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/--error-window: the wider error window is for one hidden layer/);
    const deepTop = runCli(['train', '--hidden', '16,8', '--train-limit', '10', '--target-top', '1024', '--quiet']);
    expect(deepTop.status).toBe(2);
    expect(deepTop.stderr).toMatch(/--target-top: the target margin is for one hidden layer/);
    const badTop = runCli([...common, '--target-top', '768']);
    expect(badTop.status).toBe(2);
    expect(badTop.stderr).toMatch(/--target-top: the missed-target window ends at 512 \(the paper\) or 1024 \(a margin\), got 768/);
    const v = runCli(['verify', '--hidden', '16', '--samples', '200', '--error-window', '1024', '--kernel', 'js', '--json']);
    expect(v.status, v.stderr).toBe(0);
    const r = JSON.parse(v.stdout);
    expect(r.errorWindow).toBe(1024);
    expect(r.mismatches).toBe(0);
    expect(r.activity.dPosWindow).toBeGreaterThan(0);
  });
});
