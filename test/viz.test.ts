import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, lineChart, niceTicks, rasterChart, stackedBarChart } from '../src/viz/svg';

/**
 * A tiny well-formedness check: every tag is properly nested and closed, attributes are
 * quoted, and text outside tags contains no raw '<' or '>' and only known entities.
 */
function checkWellFormed(svg: string): void {
  const stack: string[] = [];
  const tagRe = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(svg)) !== null) {
    checkText(svg.slice(last, m.index));
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close) {
      const open = stack.pop();
      expect(open, 'closing </' + name + '>').toBe(name);
    } else if (!selfClose) {
      stack.push(name);
    }
  }
  checkText(svg.slice(last));
  expect(stack).toEqual([]);
  expect(svg.trim().startsWith('<svg')).toBe(true);
  expect(svg.trim().endsWith('</svg>')).toBe(true);
}

function checkText(t: string): void {
  expect(t, 'raw markup in text: ' + t.slice(0, 60)).not.toMatch(/[<>]/);
  const amps = t.match(/&[^;\s]*;?/g) || [];
  for (const a of amps) expect(['&amp;', '&lt;', '&gt;', '&quot;', '&#39;']).toContain(a);
}

function count(svg: string, re: RegExp): number {
  return (svg.match(re) || []).length;
}

describe('escapeXml', () => {
  it('escapes & < > " and \'', () => {
    expect(escapeXml('a<b & "c" > \'d\'')).toBe('a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;');
  });
});

describe('axis helpers', () => {
  it('picks 1-2-2.5-5 steps and snaps the range', () => {
    const t = niceTicks(0, 97, 5);
    expect(t.step).toBe(20);
    expect(t.values).toEqual([0, 20, 40, 60, 80, 100]);
    const u = niceTicks(0.01, 0.087, 6);
    expect(u.values).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1]);
  });

  it('formats tick labels without float noise and with SI suffixes', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(2.5, 2.5)).toBe('2.5');
    expect(formatTick(2500000, 500000)).toBe('2.5M');
    expect(formatTick(40, 20)).toBe('40');
    expect(formatTick(0.0028, 0.0002)).toBe('0.0028');
    expect(formatTick(0.000004, 0.000002)).toBe('4e-6');
  });
});

describe('lineChart', () => {
  const series = [
    { name: 'train', points: [[1, 90], [2, 94], [3, 96]] as Array<[number, number]> },
    { name: 'test <held-out>', points: [[1, 89], [2, NaN], [3, 95.5]] as Array<[number, number]>, dashed: true },
    { name: 'MSE', points: [[1, 0.08], [2, 0.03], [3, 0.02], [4, 0.015]] as Array<[number, number]>, axis: 'right' as const },
  ];
  const svg = lineChart({
    title: 'Learning curve & more',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    rightYLabel: 'MSE',
    yRange: [80, 100],
    series,
  });

  it('is well-formed XML with a viewBox and sans-serif font', () => {
    checkWellFormed(svg);
    expect(svg).toMatch(/viewBox="0 0 800 480"/);
    expect(svg).toContain('font-family="sans-serif"');
  });

  it('has one circle per finite point, and no other circles', () => {
    // 3 + 2 (one NaN skipped) + 4
    expect(count(svg, /<circle /g)).toBe(9);
    expect(count(svg, /<circle class="point"/g)).toBe(9);
    expect(count(svg, /<path d="M[^"]*" fill="none"/g)).toBe(3);
  });

  it('contains the title, axis labels and legend names, escaped', () => {
    expect(svg).toContain('Learning curve &amp; more');
    expect(svg).toContain('>epoch<');
    expect(svg).toContain('>accuracy (%)<');
    expect(svg).toContain('>MSE<');
    expect(svg).toContain('test &lt;held-out&gt;');
    expect(svg).not.toContain('test <held-out>');
    expect(svg).toContain('stroke-dasharray');
  });

  it('draws a right axis only when a series uses it', () => {
    const noRight = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [series[0]] });
    checkWellFormed(noRight);
    expect(noRight).not.toContain('(right)');
    expect(svg).toContain('MSE (right)');
  });
});

describe('stackedBarChart', () => {
  const categories = ['phase 0', 'phase 1', 'phase <2>'];
  const stacks = [
    { name: 'synOps', values: [10, 20, 5] },
    { name: 'learn <visits>', values: [0, 100, 50] },
    { name: 'static', values: [3, 3, 3], color: '#999999' },
  ];
  const svg = stackedBarChart({ title: 'Energy per phase', categories, stacks, yLabel: 'energy (pJ)', xLabel: 'phase' });

  it('is well-formed and has one rect per positive value, and no other rects', () => {
    checkWellFormed(svg);
    expect(count(svg, /<rect /g)).toBe(8);
    expect(count(svg, /<rect class="bar"/g)).toBe(8);
    expect(count(svg, /fill="#999999"/g)).toBe(3);
  });

  it('contains title, legend names and category labels, escaped', () => {
    expect(svg).toContain('Energy per phase');
    expect(svg).toContain('synOps');
    expect(svg).toContain('learn &lt;visits&gt;');
    expect(svg).toContain('phase &lt;2&gt;');
    expect(svg).not.toContain('<visits>');
    // Bar totals: 13, 123, 58.
    expect(svg).toContain('>123<');
    expect(svg).toContain('>58<');
  });

  it('stacks segments: the segments of a bar tile its height', () => {
    const rects = [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)];
    const byX: Record<string, Array<[number, number]>> = {};
    for (const r of rects) (byX[r[1]] = byX[r[1]] || []).push([parseFloat(r[2]), parseFloat(r[3])]);
    const bars = Object.values(byX);
    expect(bars.length).toBe(3);
    for (const segs of bars) {
      for (let i = 1; i < segs.length; i++) expect(segs[i][0] + segs[i][1]).toBeCloseTo(segs[i - 1][0], 1);
    }
  });

  it('rotates long category labels and rejects bad values', () => {
    const long = stackedBarChart({
      title: 'x',
      categories: Array.from({ length: 12 }, (_, i) => 'a rather long category name ' + i),
      stacks: [{ name: 's', values: Array.from({ length: 12 }, () => 1) }],
      yLabel: 'y',
    });
    checkWellFormed(long);
    expect(long).toContain('rotate(-45');
    expect(() => stackedBarChart({ title: 't', categories: ['a', 'b'], stacks: [{ name: 's', values: [1] }], yLabel: 'y' })).toThrow(/"s" has 1 values for 2/);
    expect(() => stackedBarChart({ title: 't', categories: ['a'], stacks: [{ name: 's', values: [-1] }], yLabel: 'y' })).toThrow(/>= 0/);
  });
});

describe('rasterChart', () => {
  const rows = [
    { group: 'hidden', size: 400, spikes: [[10, 0], [10, 399], [11, 5], [30, 1]] as Array<[number, number]> },
    { group: 'out<put>', size: 10, spikes: [[12, 3], [9, 2]] as Array<[number, number]> },
  ];
  for (let g = 0; g < 28; g++) rows.push({ group: 'gate_' + g, size: 1, spikes: [[10 + (g % 12), 0]] });
  const svg = rasterChart({
    title: 'Spikes',
    steps: 12,
    firstStep: 10,
    rows,
    phaseOf: (s) => s % 12,
    highlightRows: ['hidden'],
  });

  it('is well-formed, with one rect per spike inside the window and no other rects', () => {
    checkWellFormed(svg);
    // hidden: 3 in [10, 22), out: 1, gates: 28
    expect(count(svg, /<rect class="spike"/g)).toBe(32);
    expect(count(svg, /<rect /g)).toBe(32);
  });

  it('labels groups (escaped) and phases, and highlights rows', () => {
    expect(svg).toContain('out&lt;put&gt;');
    expect(svg).not.toContain('out<put>');
    for (let g = 0; g < 28; g++) expect(svg).toContain('>gate_' + g + ' <tspan');
    expect(svg).toContain('>phase<');
    // Phases 10, 11, 0..9 each get a label over their column (12 one-step phases).
    for (let p = 0; p < 12; p++) expect(svg).toMatch(new RegExp('>' + p + '</text>'));
    expect(svg).toContain('font-weight="bold">hidden');
  });

  it('gives bigger groups taller bands, with a minimum', () => {
    const h = parseFloat(svg.match(/viewBox="0 0 [\d.]+ ([\d.]+)"/)![1]);
    // 30 bands of at least 14 px plus a larger band for 400 neurons.
    expect(h).toBeGreaterThan(30 * 14 + 50);
  });

  it('rejects a neuron index outside the group', () => {
    expect(() => rasterChart({ title: 't', steps: 2, firstStep: 0, rows: [{ group: 'g', size: 2, spikes: [[0, 2]] }] })).toThrow(/"g" spike index 2/);
  });
});
