import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/datasets';
import { initialWeights } from '../src/sbp/init';
import { rasterChart } from '../src/viz/svg';
import { runCli, tempDir } from './fixtures';

/**
 * End to end: `synfire raster` (built bundle) draws one training sample. The per-phase spike
 * counts it reports are checked against the phase table of docs/sbp-network.md, the
 * dataset, and the weight-update bound of the learning rule.
 */

const tmp = tempDir('raster');
const run = (...args: string[]) => runCli(['raster', ...args]);

/** Active-phase sets, written out from the phase table in docs/sbp-network.md. */
const ACTIVE: Record<string, number[]> = {
  x: [1, 7, 11],
  h1: [2, 5, 7, 9, 11],
  h1_copy: [2, 7, 11],
  h1_copy2: [2, 7, 11],
  m_h1: [3],
  o: [3, 5, 9],
  o_copy: [3, 5, 9],
  o_copy2: [3, 5, 9],
  t: [3],
  'd+': [4],
  'd-': [4],
  'oT-': [5, 9],
  h1T: [5, 6, 9, 10],
  c_h1: [6],
  m_x6: [6],
};
const GATES = Array.from({ length: 12 }, (_, p) => `g${p < 10 ? '0' : ''}${p}`);
/** The eight plastic connections (pre, post). */
const PLASTIC: Array<[string, string]> = [
  ['x', 'h1'],
  ['x', 'h1_copy'],
  ['x', 'h1_copy2'],
  ['h1', 'o'],
  ['h1', 'o_copy'],
  ['h1', 'o_copy2'],
  ['o', 'h1T'],
  ['oT-', 'h1T'],
];

interface RasterJson {
  sample: number;
  label: number;
  predicted: number;
  hadErrors: boolean;
  trainedBefore: number;
  weightUpdates: number;
  weightUpdatesByPhase: number[];
  phases: Array<{ phase: number; spikes: Record<string, number> }>;
  out: string;
}

/** Every tag nested and closed, attributes quoted, no raw '<' '>' or unknown entities in text. */
function checkWellFormed(svg: string): void {
  const stack: string[] = [];
  const tagRe = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const checkText = (t: string) => {
    expect(t, 'raw markup in text: ' + t.slice(0, 60)).not.toMatch(/[<>]/);
    for (const a of t.match(/&[^;\s]*;?/g) || []) expect(['&amp;', '&lt;', '&gt;', '&quot;', '&#39;']).toContain(a);
  };
  while ((m = tagRe.exec(svg)) !== null) {
    checkText(svg.slice(last, m.index));
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop(), 'closing </' + name + '>').toBe(name);
    else if (!selfClose) stack.push(name);
  }
  checkText(svg.slice(last));
  expect(stack).toEqual([]);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
}

/** Drawn spikes as (tooltip group name, phase) from `<rect class="spike" ...><title>g[i] step s, phase p</title>`. */
function drawnSpikes(svg: string): Array<{ group: string; neuron: number; phase: number }> {
  const out: Array<{ group: string; neuron: number; phase: number }> = [];
  for (const m of svg.matchAll(/<rect class="spike"[^>]*><title>([^<]*)\[(\d+)\] step \d+, phase (\d+)<\/title><\/rect>/g)) {
    out.push({ group: m[1], neuron: Number(m[2]), phase: Number(m[3]) });
  }
  return out;
}

let main: RasterJson;
let mainSvg: string;

beforeAll(() => {
  const r = run('--out', join(tmp, 'r.svg'), '--train-first', '50', '--json');
  if (r.status !== 0) throw new Error(`synfire raster failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  main = JSON.parse(r.stdout) as RasterJson;
  mainSvg = readFileSync(join(tmp, 'r.svg'), 'utf8');
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('synfire raster', () => {
  it('writes a well-formed SVG to --out and reports it', () => {
    expect(main.out).toBe(join(tmp, 'r.svg'));
    checkWellFormed(mainSvg);
    expect(mainSvg).toMatch(/viewBox="0 0 \d+ \d+"/);
    for (const label of ['1 x', '2 h=f(W1x)', '3 o=f(W2h)', '5 learn W2 (+)', '7 learn W1 (+)', '9 learn W2 (−)', '11 learn W1 (−)']) {
      expect(mainSvg).toContain('>' + label + '</text>');
    }
    expect(mainSvg).toContain(`training sample ${main.sample} · label ${main.label} · predicted ${main.predicted}`);
  });

  it('draws the sample after the 50 trained ones that has an output and a hidden error', () => {
    expect(main.trainedBefore).toBe(main.sample);
    expect(main.sample).toBeGreaterThanOrEqual(50);
    const c = (g: string, p: number) => main.phases[p].spikes[g];
    expect(c('d+', 4) + c('d-', 4)).toBeGreaterThan(0);
    expect(c('h1', 7) + c('h1', 11)).toBeGreaterThan(0);
    expect(main.hadErrors).toBe(true);
    const ds = loadDataset('mnist', 'train');
    expect(main.label).toBe(ds.labels[main.sample]);
  });

  it('has 12 phases whose spike counts follow the active-phase sets', () => {
    expect(main.phases.map((p) => p.phase)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const [group, active] of Object.entries(ACTIVE)) {
      for (let p = 0; p < 12; p++) {
        const n = main.phases[p].spikes[group];
        expect(n, `${group} in phase ${p}`).toBeGreaterThanOrEqual(0);
        if (!active.includes(p)) expect(n, `${group} must be silent in phase ${p}`).toBe(0);
      }
    }
  });

  it('fires each gate exactly once, one phase before the phase it opens', () => {
    for (let q = 0; q < 12; q++) {
      const phases = main.phases.filter((p) => p.spikes[GATES[q]] > 0);
      expect(phases.map((p) => p.phase), GATES[q]).toEqual([(q + 11) % 12]);
      expect(phases[0].spikes[GATES[q]]).toBe(1);
    }
  });

  it('replays memories and errors as the phase table says', () => {
    const ds = loadDataset('mnist', 'train');
    const pixels = ds.offsets[main.sample + 1] - ds.offsets[main.sample];
    const c = (g: string, p: number) => main.phases[p].spikes[g];
    for (const p of [1, 7, 11]) expect(c('x', p)).toBe(pixels);
    expect(c('m_x6', 6)).toBe(pixels);
    expect(c('t', 3)).toBe(1);
    const h = c('h1', 2);
    for (const [g, p] of [['m_h1', 3], ['h1', 5], ['h1', 9], ['h1T', 5], ['h1T', 9]] as Array<[string, number]>) expect(c(g, p), `${g}(${p})`).toBe(h);
    for (const g of ['o', 'o_copy', 'o_copy2']) {
      expect(c(g, 5), `${g}(5) = d+`).toBe(c('d+', 4));
      expect(c(g, 9), `${g}(9) = d-`).toBe(c('d-', 4));
    }
    expect(c('oT-', 5)).toBe(c('d-', 4));
    expect(c('oT-', 9)).toBe(c('d+', 4));
    for (const p of [7, 11]) {
      expect(c('h1_copy', p)).toBe(c('h1', p));
      expect(c('h1_copy2', p)).toBe(c('h1', p));
    }
  });

  it('counts weight updates only where plastic pre and post fire together', () => {
    let total = 0;
    for (let p = 0; p < 12; p++) {
      let bound = 0;
      for (const [pre, post] of PLASTIC) bound += main.phases[p].spikes[pre] * main.phases[p].spikes[post];
      const u = main.weightUpdatesByPhase[p];
      expect(u, `phase ${p}`).toBeLessThanOrEqual(bound);
      if (bound === 0) expect(u, `phase ${p}`).toBe(0);
      else expect(u, `phase ${p}`).toBeGreaterThan(0);
      total += u;
    }
    for (const p of [0, 1, 2, 3, 4, 6, 8, 10]) expect(main.weightUpdatesByPhase[p]).toBe(0);
    expect(main.weightUpdates).toBe(total);
  });

  it('draws every gate spike and at most --max-neurons (default 60) rows per big group', () => {
    const drawn = drawnSpikes(mainSvg);
    expect(drawn.length).toBe((mainSvg.match(/<rect /g) || []).length);
    for (const g of GATES) {
      const d = drawn.filter((s) => s.group === g);
      expect(d.length, g).toBe(1);
    }
    const perCell: Record<string, number> = {};
    for (const s of drawn) perCell[s.group + '@' + s.phase] = (perCell[s.group + '@' + s.phase] || 0) + 1;
    for (const label of ['x', 'h1', 'h<', 'h>', 'm_h1', 'h1T', 'c_h1', 'm_x6']) {
      for (let p = 0; p < 12; p++) expect(perCell[label + '@' + p] || 0).toBeLessThanOrEqual(60);
    }
  });

  it('draws one tick per spike with --max-neurons 0', () => {
    const out = join(tmp, 'all.svg');
    const r = run('--out', out, '--sample', '0', '--train-first', '0', '--max-neurons', '0', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as RasterJson;
    expect(j.sample).toBe(0);
    expect(j.trainedBefore).toBe(0);
    const svg = readFileSync(out, 'utf8');
    checkWellFormed(svg);
    let total = 0;
    for (const p of j.phases) for (const n of Object.values(p.spikes)) total += n;
    expect(drawnSpikes(svg).length).toBe(total);
  });

  it('rejects bad arguments with a clear message and no stack trace', () => {
    const beyond = run('--out', join(tmp, 'x.svg'), '--sample', '60000', '--train-first', '0');
    expect(beyond.status).toBe(1);
    expect(beyond.stderr).toContain('--sample 60000 is beyond the mnist training set');
    expect(beyond.stderr).not.toMatch(/\n\s+at /);
    const json = run('--out', join(tmp, 'x.svg'), '--sample', '60000', '--json');
    expect(JSON.parse(json.stdout).error.message).toContain('--sample 60000');
    const noOut = run('--train-first', '0');
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain('--out FILE is required');
    const missing = run('--out', join(tmp, 'x.svg'), '--load-weights', join(tmp, 'nope.json'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.json');
  });
});

describe('synfire raster --gating, --error-window, --load-weights NAME', () => {
  it('draws the robust gating by default, the paper\'s on request, and a wider window where the output potentials say', () => {
    const json = (...a: string[]) => {
      const r = run('--out', join(tmp, 'w.svg'), '--train-first', '0', '--sample', '0', '--json', ...a);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as RasterJson & { gating: string; errorWindow: number; targetTop: number };
    };
    const robust = json();
    const paper = json('--gating', 'paper');
    const wide = json('--error-window', '1024', '--target-top', '1024');
    expect([robust.gating, paper.gating, wide.gating]).toEqual(['robust', 'paper', 'robust']);
    expect([wide.errorWindow, wide.targetTop]).toEqual([1024, 1024]);
    expect(readFileSync(join(tmp, 'w.svg'), 'utf8')).toContain('missed-target window (-1024, 1024]');
    // independently: z = W2 [W1 x > 512] of sample 0 from the seed-1 initial weights; the lower
    // copy o< fires in phase 3 for z > 0, and for z > -1024 with the window
    const ds = loadDataset('mnist', 'train');
    const w = initialWeights({ input: 400, hidden: 400, output: 10 }, 1);
    const h: number[] = [];
    for (let j = 0; j < 400; j++) {
      let s = 0;
      for (let q = ds.offsets[0]; q < ds.offsets[1]; q++) s += w.w1[j * 400 + ds.indices[q]];
      h.push(s > 512 ? 1 : 0);
    }
    const z: number[] = [];
    for (let k = 0; k < 10; k++) {
      let s = 0;
      for (let j = 0; j < 400; j++) s += h[j] * w.w2[k * 400 + j];
      z.push(s);
    }
    const phase3 = (j: RasterJson, g: string) => j.phases[3].spikes[g];
    expect(phase3(robust, 'o')).toBe(z.filter((v) => v > 512).length);
    expect(phase3(robust, 'o_copy')).toBe(z.filter((v) => v > 0).length);
    expect(phase3(paper, 'o_copy')).toBe(z.filter((v) => v > 0).length);
    expect(phase3(wide, 'o_copy')).toBe(z.filter((v) => v > -1024).length);
    expect(phase3(wide, 'o_copy')).toBeGreaterThan(phase3(robust, 'o_copy'));
  });
});

describe('rasterChart options used by synfire raster', () => {
  const svg = rasterChart({
    title: 'ring & layers',
    steps: 4,
    firstStep: 100,
    phaseOf: (s) => s - 100,
    phaseLabels: ['0 a', '1 b', '2 c', '3 d'],
    phaseNotes: ['', 'note <b>', '', ''],
    phaseFills: ['', '#abcdef', '', '#fedcba'],
    phaseSpans: [{ from: 1, to: 2, label: 'span one', color: '#123456' }],
    subtitle: ['first line', 'second line'],
    legend: [{ name: 'input', color: '#2f5d8a' }],
    chainRows: ['ga', 'gb'],
    rows: [
      { group: 'ga', size: 1, spikes: [[100, 0], [102, 0]], section: 'ring', counts: [1, 0, 1, 0], height: 12 },
      { group: 'gb', size: 1, spikes: [[101, 0]], section: 'ring', counts: [0, 1, 0, 0], height: 12 },
      {
        group: 'big',
        size: 3,
        spikes: [[101, 0], [101, 2], [103, 1]],
        section: 'layers',
        counts: [0, 17, 0, 4],
        neuronIds: [5, 9, 300],
        note: '400',
        description: 'what big does',
        height: 60,
      },
    ],
    width: 900,
  });

  it('is well-formed, and its only rects are the spikes', () => {
    checkWellFormed(svg);
    expect((svg.match(/<rect /g) || []).length).toBe(6);
    expect((svg.match(/<rect class="spike"/g) || []).length).toBe(6);
  });

  it('writes counts in the cells, row totals and column totals (not for one-neuron rows)', () => {
    // big: cells 17 and 4, total 21; columns: 1, 18, 1, 4; all: 24.
    expect(svg).toMatch(/>17<\/text>/);
    expect(svg).toMatch(/>21<\/text>/);
    expect(svg).toMatch(/>18<\/text>/);
    expect(svg).toMatch(/>24<\/text>/);
    // ga's row total (2) is not written.
    expect(svg).not.toMatch(/>2<\/text>/);
  });

  it('names neurons by id in tooltips, tints phases, and draws spans, notes, sections and the chain', () => {
    expect(svg).toContain('<title>big[9] step 103, phase 3</title>');
    expect(svg).toContain('<title>big[300] step 101, phase 1</title>');
    expect(svg).toContain('<title>big[5] step 101, phase 1</title>');
    expect(svg).toContain('fill="#abcdef"');
    expect(svg).toContain('fill="#fedcba"');
    expect(svg).toContain('>span one</text>');
    expect(svg).toContain('>note &lt;b&gt;</text>');
    expect(svg).toContain('>ring</text>');
    expect(svg).toContain('>layers</text>');
    expect(svg).toContain('<title>what big does</title>');
    expect(svg).toContain('>first line</text>');
    // The chain joins the three gate spikes in time order: ga@100, gb@101, ga@102.
    const chain = svg.match(/<path class="chain" d="([^"]*)"/);
    expect(chain).not.toBeNull();
    expect((chain![1].match(/[ML]/g) || []).length).toBe(3);
  });
});
