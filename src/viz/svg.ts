/**
 * Small SVG charts built as strings (no DOM): a line chart with an optional right axis
 * (learning curves), a stacked bar chart (energy per phase by kind) and a spike raster.
 *
 * Every chart has a title, axes with ticks, labels and a legend where it has series, uses
 * font-family sans-serif, and sets a viewBox so it scales. Data marks carry a class
 * ("point", "bar", "spike") and a <title> tooltip; they are the only <circle> (line chart)
 * or <rect> (bar chart) elements of their chart.
 */

/** Tableau 10: distinct, colour-blind-tolerant default series colours. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

const TEXT = '#222';
const MUTED = '#666';
const GRID = '#e3e3e3';
const AXIS = '#888';
const TITLE_SIZE = 16;
const LABEL_SIZE = 12;
const TICK_SIZE = 11;

/** Escape text for use in SVG/XML text content and attribute values. */
export function escapeXml(s: string): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Coordinates rounded to 0.01 px: keeps files small without visible change. */
function r2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * Approximate width in px of a string in a Helvetica/Arial-like sans-serif font of this
 * size (per-character classes; good enough for layout, not for kerning).
 */
function textWidth(s: string, size: number): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    if ("il.,:;|!'`".indexOf(ch) >= 0) w += 0.25;
    else if ('fjrt()[]{} -/'.indexOf(ch) >= 0) w += 0.33;
    else if ('mwMW%@'.indexOf(ch) >= 0) w += 0.86;
    else if (ch >= 'A' && ch <= 'Z') w += 0.67;
    else w += 0.54;
  }
  return w * size;
}

/** A 1-2-2.5-5 step about range/target long. */
function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = Math.pow(10, floorLog10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

interface Ticks {
  lo: number;
  hi: number;
  step: number;
  values: number[];
}

/**
 * Nice axis ticks covering [lo, hi]. If `snap` the range is widened to whole steps;
 * otherwise the range is kept and only ticks inside it are returned.
 */
export function niceTicks(lo: number, hi: number, target = 5, snap = true): Ticks {
  if (!isFinite(lo) || !isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi < lo) {
    const t = lo;
    lo = hi;
    hi = t;
  }
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  const eps = step * 1e-9;
  const a = snap ? Math.floor(lo / step + 1e-9) * step : lo;
  const b = snap ? Math.ceil(hi / step - 1e-9) * step : hi;
  const values: number[] = [];
  const first = Math.ceil((a - eps) / step);
  const last = Math.floor((b + eps) / step);
  for (let i = first; i <= last; i++) values.push(cleanFloat(i * step));
  return { lo: snap ? cleanFloat(a) : a, hi: snap ? cleanFloat(b) : b, step, values };
}

/** Remove float noise such as 0.30000000000000004. */
function cleanFloat(v: number): number {
  return v === 0 ? 0 : parseFloat(v.toPrecision(12));
}

const SI = [
  { p: 1e12, s: 'T' },
  { p: 1e9, s: 'G' },
  { p: 1e6, s: 'M' },
  { p: 1e3, s: 'k' },
];

/** A tick label for v on an axis whose ticks are `step` apart. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4) {
    for (let i = 0; i < SI.length; i++) {
      if (a >= SI[i].p) return trimNumber(v / SI[i].p, step / SI[i].p) + SI[i].s;
    }
  }
  if (step < 1e-5) return stripExponent(v.toExponential(3));
  return trimNumber(v, step);
}

/** "1.500e-4" -> "1.5e-4", "2.000e-4" -> "2e-4". */
function stripExponent(s: string): string {
  return s.replace(/\.?0+e/, 'e');
}

/** floor(log10(x)) for x > 0, exact at powers of ten (Math.log10 is not in ES5). */
function floorLog10(x: number): number {
  let e = Math.floor(Math.log(x) / Math.LN10);
  if (Math.pow(10, e + 1) <= x) e++;
  else if (Math.pow(10, e) > x) e--;
  return e;
}

/** v with as many decimals as the step needs. */
function trimNumber(v: number, step: number): string {
  const s = cleanFloat(step);
  let dec = Math.max(0, -floorLog10(s));
  const m = String(cleanFloat(s * Math.pow(10, dec)));
  if (m.indexOf('.') >= 0) dec += m.length - m.indexOf('.') - 1;
  return cleanFloat(v).toFixed(Math.min(dec, 10));
}

/** A short stable id (for clipPath) so several charts can share one HTML page. */
function idFor(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = (h * 16777619) % 4294967296;
  }
  return 'c' + h.toString(36);
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' +
    r2(width) +
    ' ' +
    r2(height) +
    '" width="' +
    r2(width) +
    '" height="' +
    r2(height) +
    '" font-family="sans-serif" role="img" aria-label="' +
    escapeXml(title) +
    '" style="background:#fff">'
  );
}

function text(
  x: number,
  y: number,
  s: string,
  attrs: { size?: number; anchor?: 'start' | 'middle' | 'end'; fill?: string; weight?: string; rotate?: number; baseline?: string } = {},
): string {
  let a = '<text x="' + r2(x) + '" y="' + r2(y) + '"';
  if (attrs.size !== undefined) a += ' font-size="' + attrs.size + '"';
  if (attrs.anchor) a += ' text-anchor="' + attrs.anchor + '"';
  a += ' fill="' + (attrs.fill || TEXT) + '"';
  if (attrs.weight) a += ' font-weight="' + attrs.weight + '"';
  if (attrs.baseline) a += ' dominant-baseline="' + attrs.baseline + '"';
  if (attrs.rotate) a += ' transform="rotate(' + attrs.rotate + ' ' + r2(x) + ' ' + r2(y) + ')"';
  return a + '>' + escapeXml(s) + '</text>';
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ''): string {
  return (
    '<line x1="' + r2(x1) + '" y1="' + r2(y1) + '" x2="' + r2(x2) + '" y2="' + r2(y2) + '" stroke="' + stroke + '"' + extra + '/>'
  );
}

interface LegendItem {
  name: string;
  color: string;
  /** 'line' (with a point), 'dashed' or 'swatch' (a filled square). */
  kind: 'line' | 'dashed' | 'swatch';
}

/**
 * A legend laid out in rows across `width`, starting at (x, y). Swatches are drawn as thick
 * lines, so legends add no <rect> or <circle> elements. Returns the markup and its height.
 */
function legend(items: LegendItem[], x: number, y: number, width: number): { svg: string; height: number } {
  if (items.length === 0) return { svg: '', height: 0 };
  const rowH = 18;
  const parts: string[] = ['<g class="legend">'];
  let cx = x;
  let cy = y + rowH / 2;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const w = 26 + textWidth(it.name, LABEL_SIZE) + 16;
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += rowH;
    }
    if (it.kind === 'swatch') {
      parts.push(line(cx + 4, cy, cx + 16, cy, it.color, ' stroke-width="12"'));
    } else {
      parts.push(
        line(cx, cy, cx + 20, cy, it.color, ' stroke-width="2.5"' + (it.kind === 'dashed' ? ' stroke-dasharray="5 3"' : '')),
      );
    }
    parts.push(text(cx + 26, cy, it.name, { size: LABEL_SIZE, baseline: 'central' }));
    cx += w;
  }
  parts.push('</g>');
  return { svg: parts.join(''), height: cy + rowH / 2 - y };
}

// ---------------------------------------------------------------------------------------
// Line chart

export interface LineSeries {
  name: string;
  points: Array<[number, number]>;
  color?: string;
  dashed?: boolean;
  /** Which y axis the series is plotted against (default left). */
  axis?: 'left' | 'right';
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Left axis range; automatic (nice, from the data) if absent. */
  yRange?: [number, number];
  /** Right axis range; automatic if absent. */
  rightYRange?: [number, number];
  rightYLabel?: string;
  width?: number;
  height?: number;
}

/** Nice automatic range: from 0 if all data are >= 0 and spread over more than half of [0, max]. */
function autoRange(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo >= 0 && lo <= hi * 0.5) lo = 0;
  return [lo, hi];
}

/**
 * A line chart: one polyline plus one <circle class="point"> per finite point per series.
 * Series with axis 'right' use a second y axis on the right (e.g. MSE beside accuracies).
 */
export function lineChart(opts: LineChartOptions): string {
  const W = opts.width || 800;
  const H = opts.height || 480;
  const hasRight = opts.series.some((s) => s.axis === 'right');
  const colorOf = (i: number): string => opts.series[i].color || PALETTE[i % PALETTE.length];

  const leftVals: number[] = [];
  const rightVals: number[] = [];
  const xVals: number[] = [];
  for (let i = 0; i < opts.series.length; i++) {
    const s = opts.series[i];
    for (let j = 0; j < s.points.length; j++) {
      const p = s.points[j];
      if (!isFinite(p[0]) || !isFinite(p[1])) continue;
      xVals.push(p[0]);
      (s.axis === 'right' ? rightVals : leftVals).push(p[1]);
    }
  }
  const yl = opts.yRange ? niceTicks(opts.yRange[0], opts.yRange[1], 6, false) : niceTicksOf(autoRange(leftVals), 6);
  const yr = hasRight
    ? opts.rightYRange
      ? niceTicks(opts.rightYRange[0], opts.rightYRange[1], 6, false)
      : niceTicksOf(autoRange(rightVals), 6)
    : null;
  let xlo = Infinity;
  let xhi = -Infinity;
  for (let i = 0; i < xVals.length; i++) {
    if (xVals[i] < xlo) xlo = xVals[i];
    if (xVals[i] > xhi) xhi = xVals[i];
  }
  if (xlo === Infinity) {
    xlo = 0;
    xhi = 1;
  }
  const xt = niceTicks(xlo, xhi, Math.max(2, Math.floor((W - 140) / 90)), false);

  // Layout: title, legend, plot, x axis.
  const leftTickW = maxWidth(yl.values.map((v) => formatTick(v, yl.step)), TICK_SIZE);
  const rightTickW = yr ? maxWidth(yr.values.map((v) => formatTick(v, yr.step)), TICK_SIZE) : 0;
  const ml = 24 + leftTickW + 12;
  const mr = yr ? 24 + rightTickW + 12 : 24;
  const titleH = 34;
  const items: LegendItem[] = opts.series.map((s, i) => ({
    name: s.name + (hasRight ? (s.axis === 'right' ? ' (right)' : '') : ''),
    color: colorOf(i),
    kind: s.dashed ? ('dashed' as const) : ('line' as const),
  }));
  const lg = legend(items, ml, titleH, W - ml - mr);
  const mt = titleH + lg.height + 12;
  const mb = 52;
  const pw = W - ml - mr;
  const ph = H - mt - mb;
  const sx = (x: number): number => ml + ((x - xt.lo) / (xt.hi - xt.lo)) * pw;
  const syL = (y: number): number => mt + ph - ((y - yl.lo) / (yl.hi - yl.lo)) * ph;
  const syR = yr ? (y: number): number => mt + ph - ((y - yr.lo) / (yr.hi - yr.lo)) * ph : syL;
  const clip = idFor('line:' + opts.title + ':' + opts.series.length);

  const out: string[] = [svgOpen(W, H, opts.title)];
  out.push('<title>' + escapeXml(opts.title) + '</title>');
  out.push(
    '<defs><clipPath id="' + clip + '"><path d="M' + r2(ml - 4) + ' ' + r2(mt - 4) + 'h' + r2(pw + 8) + 'v' + r2(ph + 8) + 'h' + r2(-pw - 8) + 'z"/></clipPath></defs>',
  );
  out.push(text(W / 2, 22, opts.title, { size: TITLE_SIZE, anchor: 'middle', weight: 'bold' }));
  out.push(lg.svg);

  // Grid and axes.
  out.push('<g class="grid">');
  for (let i = 0; i < yl.values.length; i++) out.push(line(ml, syL(yl.values[i]), ml + pw, syL(yl.values[i]), GRID));
  for (let i = 0; i < xt.values.length; i++) out.push(line(sx(xt.values[i]), mt, sx(xt.values[i]), mt + ph, GRID));
  out.push('</g><g class="axes">');
  out.push(line(ml, mt + ph, ml + pw, mt + ph, AXIS));
  out.push(line(ml, mt, ml, mt + ph, AXIS));
  for (let i = 0; i < yl.values.length; i++) {
    const y = syL(yl.values[i]);
    out.push(line(ml - 4, y, ml, y, AXIS));
    out.push(text(ml - 7, y, formatTick(yl.values[i], yl.step), { size: TICK_SIZE, anchor: 'end', fill: MUTED, baseline: 'central' }));
  }
  if (yr) {
    out.push(line(ml + pw, mt, ml + pw, mt + ph, AXIS));
    for (let i = 0; i < yr.values.length; i++) {
      const y = syR(yr.values[i]);
      out.push(line(ml + pw, y, ml + pw + 4, y, AXIS));
      out.push(text(ml + pw + 7, y, formatTick(yr.values[i], yr.step), { size: TICK_SIZE, anchor: 'start', fill: MUTED, baseline: 'central' }));
    }
  }
  for (let i = 0; i < xt.values.length; i++) {
    const x = sx(xt.values[i]);
    out.push(line(x, mt + ph, x, mt + ph + 4, AXIS));
    out.push(text(x, mt + ph + 17, formatTick(xt.values[i], xt.step), { size: TICK_SIZE, anchor: 'middle', fill: MUTED }));
  }
  out.push(text(ml + pw / 2, H - 12, opts.xLabel, { size: LABEL_SIZE, anchor: 'middle' }));
  out.push(text(16, mt + ph / 2, opts.yLabel, { size: LABEL_SIZE, anchor: 'middle', rotate: -90, baseline: 'central' }));
  if (yr && opts.rightYLabel) {
    out.push(text(W - 14, mt + ph / 2, opts.rightYLabel, { size: LABEL_SIZE, anchor: 'middle', rotate: 90, baseline: 'central' }));
  }
  out.push('</g>');

  // Series: a path broken at non-finite points, then its points.
  const totalPoints = opts.series.reduce((n, s) => n + s.points.length, 0);
  const radius = totalPoints > 400 ? 1.8 : totalPoints > 150 ? 2.4 : 3.2;
  for (let i = 0; i < opts.series.length; i++) {
    const s = opts.series[i];
    const sy = s.axis === 'right' ? syR : syL;
    const color = colorOf(i);
    let d = '';
    let pen = false;
    for (let j = 0; j < s.points.length; j++) {
      const p = s.points[j];
      if (!isFinite(p[0]) || !isFinite(p[1])) {
        pen = false;
        continue;
      }
      d += (pen ? 'L' : 'M') + r2(sx(p[0])) + ' ' + r2(sy(p[1]));
      pen = true;
    }
    out.push('<g class="series" clip-path="url(#' + clip + ')">');
    if (d) {
      out.push(
        '<path d="' + d + '" fill="none" stroke="' + color + '" stroke-width="2" stroke-linejoin="round"' + (s.dashed ? ' stroke-dasharray="6 4"' : '') + '/>',
      );
    }
    for (let j = 0; j < s.points.length; j++) {
      const p = s.points[j];
      if (!isFinite(p[0]) || !isFinite(p[1])) continue;
      out.push(
        '<circle class="point" cx="' + r2(sx(p[0])) + '" cy="' + r2(sy(p[1])) + '" r="' + radius + '" fill="' + color + '" stroke="#fff" stroke-width="1"><title>' +
          escapeXml(s.name + ': (' + cleanFloat(p[0]) + ', ' + cleanFloat(p[1]) + ')') +
          '</title></circle>',
      );
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

function niceTicksOf(r: [number, number], target: number): Ticks {
  return niceTicks(r[0], r[1], target, true);
}

function maxWidth(labels: string[], size: number): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) m = Math.max(m, textWidth(labels[i], size));
  return m;
}

// ---------------------------------------------------------------------------------------
// Stacked bar chart

export interface BarStack {
  name: string;
  /** One value per category; must be >= 0. */
  values: number[];
  color?: string;
}

export interface StackedBarChartOptions {
  title: string;
  categories: string[];
  stacks: BarStack[];
  yLabel: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

/**
 * Stacked bars, one per category, stacked in the order of `stacks` from the bottom.
 * Each value > 0 is one <rect class="bar">; zero values draw nothing. The bar total is
 * written above each bar.
 */
export function stackedBarChart(opts: StackedBarChartOptions): string {
  const W = opts.width || 800;
  const H0 = opts.height || 480;
  const nc = opts.categories.length;
  for (let k = 0; k < opts.stacks.length; k++) {
    const s = opts.stacks[k];
    if (s.values.length !== nc) {
      throw new Error('stackedBarChart: stack "' + s.name + '" has ' + s.values.length + ' values for ' + nc + ' categories');
    }
    for (let i = 0; i < nc; i++) {
      if (!(s.values[i] >= 0) || !isFinite(s.values[i])) {
        throw new Error('stackedBarChart: stack "' + s.name + '" value ' + i + ' must be a finite number >= 0, got ' + s.values[i]);
      }
    }
  }
  const colorOf = (k: number): string => opts.stacks[k].color || PALETTE[k % PALETTE.length];
  const totals: number[] = [];
  let maxTotal = 0;
  for (let i = 0; i < nc; i++) {
    let t = 0;
    for (let k = 0; k < opts.stacks.length; k++) t += opts.stacks[k].values[i];
    totals.push(t);
    if (t > maxTotal) maxTotal = t;
  }
  const yt = niceTicks(0, maxTotal > 0 ? maxTotal * 1.06 : 1, 6, true);
  const ml = 24 + maxWidth(yt.values.map((v) => formatTick(v, yt.step)), TICK_SIZE) + 12;
  const mr = 20;
  const pw = W - ml - mr;
  const band = nc > 0 ? pw / nc : pw;
  const catW = maxWidth(opts.categories, TICK_SIZE);
  const rotate = catW > band - 6;
  const catH = rotate ? Math.min(catW * 0.71 + 10, 140) : 18;
  const H = H0 + (rotate ? catH - 18 : 0);
  const titleH = 34;
  const lg = legend(
    opts.stacks.map((s, k) => ({ name: s.name, color: colorOf(k), kind: 'swatch' as const })),
    ml,
    titleH,
    pw,
  );
  const mt = titleH + lg.height + 12;
  const mb = 16 + catH + (opts.xLabel ? 22 : 0);
  const ph = H - mt - mb;
  const sy = (v: number): number => mt + ph - (v / (yt.hi - yt.lo)) * ph;

  const out: string[] = [svgOpen(W, H, opts.title)];
  out.push('<title>' + escapeXml(opts.title) + '</title>');
  out.push(text(W / 2, 22, opts.title, { size: TITLE_SIZE, anchor: 'middle', weight: 'bold' }));
  out.push(lg.svg);
  out.push('<g class="grid">');
  for (let i = 0; i < yt.values.length; i++) out.push(line(ml, sy(yt.values[i]), ml + pw, sy(yt.values[i]), GRID));
  out.push('</g><g class="axes">');
  for (let i = 0; i < yt.values.length; i++) {
    const y = sy(yt.values[i]);
    out.push(line(ml - 4, y, ml, y, AXIS));
    out.push(text(ml - 7, y, formatTick(yt.values[i], yt.step), { size: TICK_SIZE, anchor: 'end', fill: MUTED, baseline: 'central' }));
  }
  out.push(line(ml, mt, ml, mt + ph, AXIS));
  out.push(text(16, mt + ph / 2, opts.yLabel, { size: LABEL_SIZE, anchor: 'middle', rotate: -90, baseline: 'central' }));
  if (opts.xLabel) out.push(text(ml + pw / 2, H - 10, opts.xLabel, { size: LABEL_SIZE, anchor: 'middle' }));
  out.push('</g><g class="bars">');
  const bw = Math.max(1, Math.min(band * 0.68, 90));
  for (let i = 0; i < nc; i++) {
    const cx = ml + band * (i + 0.5);
    let acc = 0;
    for (let k = 0; k < opts.stacks.length; k++) {
      const v = opts.stacks[k].values[i];
      if (v <= 0) continue;
      const y0 = sy(acc);
      const y1 = sy(acc + v);
      acc += v;
      out.push(
        '<rect class="bar" x="' + r2(cx - bw / 2) + '" y="' + r2(y1) + '" width="' + r2(bw) + '" height="' + r2(y0 - y1) + '" fill="' + colorOf(k) + '" stroke="#fff" stroke-width="0.6"><title>' +
          escapeXml(opts.categories[i] + ' / ' + opts.stacks[k].name + ': ' + formatValue(v)) +
          '</title></rect>',
      );
    }
    if (totals[i] > 0 && band >= 26) {
      out.push(text(cx, sy(totals[i]) - 5, formatValue(totals[i]), { size: TICK_SIZE - 1, anchor: 'middle', fill: MUTED }));
    }
    const ly = mt + ph + 16;
    if (rotate) {
      out.push(text(cx + 4, ly - 4, opts.categories[i], { size: TICK_SIZE, anchor: 'end', fill: TEXT, rotate: -45 }));
    } else {
      out.push(text(cx, ly, opts.categories[i], { size: TICK_SIZE, anchor: 'middle', fill: TEXT }));
    }
  }
  out.push(line(ml, mt + ph, ml + pw, mt + ph, AXIS));
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

/** A value label with 3 significant digits (SI suffix for large values). */
export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  for (let i = 0; i < SI.length; i++) {
    if (a >= SI[i].p * 0.9995 && a >= 1e4) return String(cleanFloat(parseFloat((v / SI[i].p).toPrecision(3)))) + SI[i].s;
  }
  if (a < 1e-3) return v.toExponential(2);
  return String(parseFloat(v.toPrecision(3)));
}

// ---------------------------------------------------------------------------------------
// Spike raster

export interface RasterRow {
  /** Group (population) name. */
  group: string;
  /** Neuron rows drawn in the band; spike indices must be in [0, size). */
  size: number;
  /** Spikes as [time step, row index]. Steps outside the window are not drawn. */
  spikes: Array<[number, number]>;
  /** Muted text after the name (default: the size), e.g. "40 of 400". */
  note?: string;
  /** Tick colour (default: cycled by row). */
  color?: string;
  /** Block of consecutive rows this row belongs to: named on the left, set off by a darker line. */
  section?: string;
  /**
   * Exact spike counts per step column (index = step - firstStep), written into the cells and
   * summed on the right. They may include neurons that have no row (a subset is drawn).
   * Rows of one neuron show no numbers (their tick says it all) but add to the column totals.
   */
  counts?: number[];
  /** Neuron id of each row, for the tooltips (default: the row index). */
  neuronIds?: ArrayLike<number>;
  /** Band height in px (default: grows with sqrt(size) from 14 to 120). */
  height?: number;
  /** Tooltip of the group label, e.g. what the group does. */
  description?: string;
}

/** A labelled bracket above a range of phases. */
export interface PhaseSpan {
  /** First and last phase (inclusive). */
  from: number;
  to: number;
  label: string;
  color?: string;
}

export interface RasterChartOptions {
  title: string;
  /** Number of time steps shown. */
  steps: number;
  /** Time step of the first column. */
  firstStep: number;
  rows: RasterRow[];
  /** Phase of a time step; phase boundaries get grid lines labelled on top. */
  phaseOf?: (step: number) => number;
  /** Label for each phase number (default: the number itself). */
  phaseLabels?: string[];
  /** A second, smaller line under each phase label (by phase). */
  phaseNotes?: string[];
  /** Background tint of each phase's columns (by phase; '' or absent for none). */
  phaseFills?: string[];
  /** Labelled brackets above ranges of phases, e.g. "forward pass" over phases 1..3. */
  phaseSpans?: PhaseSpan[];
  /** Lines of text under the title. */
  subtitle?: string[];
  /** Swatch legend under the subtitle. */
  legend?: Array<{ name: string; color: string }>;
  /** Groups whose spikes are joined in time order by a thin line (e.g. a gating ring). */
  chainRows?: string[];
  /** Group names whose bands are highlighted. */
  highlightRows?: string[];
  /** Label of the time axis (default "time step"). */
  xLabel?: string;
  width?: number;
}

/** Darker colours for thin spike ticks on light bands (cycled by group). */
const RASTER_COLORS = ['#2f5d8a', '#c4620f', '#b8383b', '#3c8c84', '#3f7f37', '#7d4f75', '#6b4c36', '#444'];

const BAND_MIN = 14;
const BAND_MAX = 120;
const BAND_PER_SQRT_NEURON = 4.5;
const SEPARATOR = '#d5d9e0';
const SECTION_LINE = '#9aa3ad';

/** Band height: BAND_MIN for one neuron, growing with sqrt(size), capped at BAND_MAX. */
function bandHeight(size: number): number {
  return Math.min(BAND_MAX, BAND_MIN + BAND_PER_SQRT_NEURON * (Math.sqrt(Math.max(1, size)) - 1));
}

/** A filled axis-aligned box as a <path> (so the only <rect> elements of a raster are spikes). */
function box(x: number, y: number, w: number, h: number, fill: string, extra = ''): string {
  return '<path d="M' + r2(x) + ' ' + r2(y) + 'h' + r2(w) + 'v' + r2(h) + 'h' + r2(-w) + 'z" fill="' + fill + '"' + extra + '/>';
}

/** Thousands separators for counts (locale-independent). */
function groupDigits(n: number): string {
  const s = String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? '-' + s : s;
}

/**
 * A spike raster: one horizontal band per group (height grows with group size unless given),
 * one <rect class="spike"> tick per spike in the window, group names on the
 * left, step numbers below, and phase boundaries as vertical lines labelled with the phase
 * on top. Optional: a subtitle and legend, phase brackets, notes and column tints, sections
 * of rows, a chain line through some rows' spikes, and exact per-cell spike counts with row
 * and column totals.
 */
export function rasterChart(opts: RasterChartOptions): string {
  const W = opts.width || 1000;
  const steps = Math.max(1, Math.floor(opts.steps));
  const first = opts.firstStep;
  const rows = opts.rows;
  const highlight: Record<string, boolean> = {};
  if (opts.highlightRows) for (let i = 0; i < opts.highlightRows.length; i++) highlight[opts.highlightRows[i]] = true;
  const chain: Record<string, boolean> = {};
  if (opts.chainRows) for (let i = 0; i < opts.chainRows.length; i++) chain[opts.chainRows[i]] = true;
  const noteOf = (r: RasterRow): string => (r.note !== undefined ? r.note : String(r.size));
  const colorOf = (i: number): string => rows[i].color || RASTER_COLORS[i % RASTER_COLORS.length];
  const phaseAt = (step: number): number => (opts.phaseOf ? opts.phaseOf(step) : NaN);

  // Counts: per-row totals and per-column totals over the rows that have counts.
  let hasCounts = false;
  const rowTotals: number[] = [];
  const colTotals: number[] = [];
  for (let s = 0; s < steps; s++) colTotals.push(0);
  for (let i = 0; i < rows.length; i++) {
    const c = rows[i].counts;
    let t = 0;
    if (c) {
      hasCounts = true;
      for (let s = 0; s < steps; s++) {
        const v = c[s] || 0;
        t += v;
        colTotals[s] += v;
      }
    }
    rowTotals.push(t);
  }
  let grand = 0;
  for (let s = 0; s < steps; s++) grand += colTotals[s];

  // Horizontal layout: section labels, group labels, plot, totals column.
  let hasSections = false;
  for (let i = 0; i < rows.length; i++) if (rows[i].section) hasSections = true;
  const labelW = maxWidth(
    rows.map((r) => r.group + ' ' + noteOf(r)),
    TICK_SIZE,
  );
  const secW = hasSections ? 24 : 0;
  const ml = secW + Math.max(70, labelW + 18);
  const totalsW = hasCounts ? Math.max(40, textWidth(groupDigits(grand), TICK_SIZE) + 22) : 0;
  const mr = 20 + totalsW;
  const pw = W - ml - mr;
  const colW = pw / steps;
  const sx = (step: number): number => ml + (step - first) * colW;

  // Vertical layout: title, subtitle, legend, phase brackets, phase labels and notes, plot,
  // column totals, time axis.
  let top = 34;
  const subtitle = opts.subtitle || [];
  const subtitleY = top + 4;
  top += subtitle.length * 17;
  const legendItems: LegendItem[] = (opts.legend || []).map((l) => ({ name: l.name, color: l.color, kind: 'swatch' as const }));
  const lg = legend(legendItems, ml, top + (subtitle.length ? 4 : 0), pw);
  if (lg.height > 0) top += lg.height + (subtitle.length ? 8 : 4);
  const spansY = top + 4;
  if (opts.phaseSpans && opts.phaseSpans.length > 0 && opts.phaseOf) top += 26;
  const hasNotes = !!(opts.phaseNotes && opts.phaseOf);
  const phaseH = opts.phaseOf ? (hasNotes ? 36 : 22) : 6;
  const mt = top + phaseH;
  const heights = rows.map((r) => (r.height !== undefined && r.height > 0 ? r.height : bandHeight(r.size)));
  let ph = 0;
  for (let i = 0; i < heights.length; i++) ph += heights[i];
  if (ph === 0) ph = BAND_MIN;
  const totalsRowH = hasCounts ? 22 : 0;
  const mb = totalsRowH + 48;
  const H = mt + ph + mb;

  const out: string[] = [svgOpen(W, H, opts.title)];
  out.push('<title>' + escapeXml(opts.title) + '</title>');
  out.push(text(W / 2, 22, opts.title, { size: TITLE_SIZE, anchor: 'middle', weight: 'bold' }));
  for (let i = 0; i < subtitle.length; i++) {
    out.push(text(W / 2, subtitleY + 13 + i * 17, subtitle[i], { size: LABEL_SIZE, anchor: 'middle', fill: i === 0 ? TEXT : MUTED }));
  }
  out.push(lg.svg);

  // Phase spans (runs of consecutive columns whose phase is one value).
  const spans: Array<{ start: number; end: number; phase: number }> = [];
  if (opts.phaseOf) {
    let spanStart = first;
    let phase = phaseAt(first);
    for (let s = first + 1; s <= first + steps; s++) {
      const p = s < first + steps ? phaseAt(s) : NaN;
      if (p !== phase) {
        spans.push({ start: spanStart, end: s, phase });
        spanStart = s;
        phase = p;
      }
    }
  }

  // Backgrounds: phase tints, then band shading (translucent, so tints show through),
  // highlighted rows and group labels.
  out.push('<g class="bands">');
  if (opts.phaseFills) {
    for (let i = 0; i < spans.length; i++) {
      const fill = opts.phaseFills[spans[i].phase];
      if (fill) out.push(box(sx(spans[i].start), mt, sx(spans[i].end) - sx(spans[i].start), ph, fill));
    }
  }
  let y = mt;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const h = heights[i];
    const hl = highlight[r.group] === true;
    if (hl) out.push(box(ml, y, pw, h, '#fff1c2'));
    else if (i % 2 === 1) out.push(box(ml, y, pw, h, '#1c2a3a', ' fill-opacity="0.045"'));
    out.push(
      '<text x="' + r2(ml - 8) + '" y="' + r2(y + h / 2) + '" font-size="' + TICK_SIZE + '" text-anchor="end" dominant-baseline="central" fill="' + (r.color || TEXT) + '"' + (hl ? ' font-weight="bold"' : '') + '>' +
        escapeXml(r.group) + ' <tspan fill="' + MUTED + '" font-size="' + (TICK_SIZE - 2) + '">' + escapeXml(noteOf(r)) + '</tspan>' +
        (r.description ? '<title>' + escapeXml(r.description) + '</title>' : '') +
        '</text>',
    );
    y += h;
  }
  out.push('</g>');

  // Sections: a bracket and a rotated name left of the group labels.
  if (hasSections) {
    out.push('<g class="sections">');
    y = mt;
    let i = 0;
    while (i < rows.length) {
      const name = rows[i].section || '';
      let h = 0;
      let j = i;
      while (j < rows.length && (rows[j].section || '') === name) h += heights[j++];
      if (name) {
        const x = secW - 4;
        out.push('<path d="M' + r2(x + 3) + ' ' + r2(y + 2) + 'h-3v' + r2(h - 4) + 'h3" fill="none" stroke="' + SECTION_LINE + '"/>');
        if (textWidth(name, TICK_SIZE) <= h - 4) {
          out.push(text(x - 7, y + h / 2, name, { size: TICK_SIZE, anchor: 'middle', fill: MUTED, rotate: -90, baseline: 'central' }));
        }
      }
      y += h;
      i = j;
    }
    out.push('</g>');
  }

  // Phase brackets, labels, notes and boundaries; or step boundaries when wide enough.
  out.push('<g class="grid">');
  if (opts.phaseOf) {
    if (opts.phaseSpans) {
      for (let k = 0; k < opts.phaseSpans.length; k++) {
        const ps = opts.phaseSpans[k];
        let s = first;
        while (s < first + steps) {
          const p = phaseAt(s);
          if (!(p >= ps.from && p <= ps.to)) {
            s++;
            continue;
          }
          let e = s;
          while (e < first + steps && phaseAt(e) >= ps.from && phaseAt(e) <= ps.to) e++;
          const x0 = sx(s) + 3;
          const x1 = sx(e) - 3;
          const color = ps.color || MUTED;
          out.push('<path d="M' + r2(x0) + ' ' + r2(spansY + 20) + 'v-5h' + r2(x1 - x0) + 'v5" fill="none" stroke="' + color + '" stroke-width="1.5"/>');
          if (textWidth(ps.label, LABEL_SIZE) <= x1 - x0) {
            out.push(text((x0 + x1) / 2, spansY + 10, ps.label, { size: LABEL_SIZE, anchor: 'middle', fill: color, weight: 'bold' }));
          }
          s = e;
        }
      }
    }
    const labelY = hasNotes ? mt - 22 : mt - 8;
    for (let i = 0; i < spans.length; i++) {
      const sp = spans[i];
      const x0 = sx(sp.start);
      const x1 = sx(sp.end);
      if (i > 0) out.push(line(x0, mt - 4, x0, mt + ph, '#b8bec8', ' stroke-dasharray="3 3"'));
      const label = opts.phaseLabels && opts.phaseLabels[sp.phase] !== undefined ? opts.phaseLabels[sp.phase] : String(sp.phase);
      if (textWidth(label, TICK_SIZE) <= x1 - x0 - 2) {
        out.push(text((x0 + x1) / 2, labelY, label, { size: TICK_SIZE, anchor: 'middle', fill: TEXT }));
      }
      const note = hasNotes && opts.phaseNotes ? opts.phaseNotes[sp.phase] : undefined;
      if (note && textWidth(note, TICK_SIZE - 1) <= x1 - x0 - 2) {
        out.push(text((x0 + x1) / 2, mt - 8, note, { size: TICK_SIZE - 1, anchor: 'middle', fill: MUTED }));
      }
    }
    out.push(text(ml - 8, labelY, 'phase', { size: TICK_SIZE, anchor: 'end', fill: MUTED }));
  } else if (colW >= 8) {
    for (let s = 1; s < steps; s++) out.push(line(sx(first + s), mt, sx(first + s), mt + ph, GRID));
  }
  out.push('</g>');

  // Row separators (darker between sections) and the frame.
  out.push('<g class="axes">');
  y = mt;
  for (let i = 0; i + 1 < rows.length; i++) {
    y += heights[i];
    const sectionBreak = hasSections && (rows[i].section || '') !== (rows[i + 1].section || '');
    out.push(line(ml, y, ml + pw, y, sectionBreak ? SECTION_LINE : SEPARATOR, sectionBreak ? '' : ' stroke-width="0.5"'));
  }
  out.push(box(ml, mt, pw, ph, 'none', ' stroke="' + AXIS + '"'));
  out.push('</g>');

  // Tick geometry: centred in the step column, or left of centre when counts take the right.
  const showCellCounts = hasCounts && colW >= 36;
  const tickW = showCellCounts ? Math.max(0.8, Math.min(colW * 0.5, 44)) : Math.max(0.8, Math.min(colW * 0.6, 14));
  const tickOffset = showCellCounts ? colW * 0.4 : colW / 2;
  const rowTop: number[] = [];
  y = mt;
  for (let i = 0; i < rows.length; i++) {
    rowTop.push(y);
    y += heights[i];
  }

  // Chain line through the spikes of the chain rows, in time order, behind the ticks.
  if (opts.chainRows && opts.chainRows.length > 0) {
    const pts: Array<[number, number, number]> = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (chain[r.group] !== true) continue;
      const rowH = heights[i] / Math.max(1, r.size);
      for (let j = 0; j < r.spikes.length; j++) {
        const step = r.spikes[j][0];
        if (!(step >= first && step < first + steps)) continue;
        pts.push([step, sx(step) + tickOffset, rowTop[i] + (r.spikes[j][1] + 0.5) * rowH]);
      }
    }
    pts.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
    if (pts.length > 1) {
      let d = '';
      for (let k = 0; k < pts.length; k++) d += (k === 0 ? 'M' : 'L') + r2(pts[k][1]) + ' ' + r2(pts[k][2]);
      out.push('<path class="chain" d="' + d + '" fill="none" stroke="#8a94a3" stroke-width="1.2" stroke-dasharray="4 3"/>');
    }
  }

  // Spikes: one tick per spike on the neuron's row within the band.
  out.push('<g class="spikes" shape-rendering="crispEdges">');
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const h = heights[i];
    const rowH = h / Math.max(1, r.size);
    // Rows under 3 px get full-height ticks (neighbours merge instead of aliasing into stripes).
    const tickH = rowH < 3 ? Math.max(1, rowH) : Math.min(rowH * 0.75, 8);
    const color = colorOf(i);
    for (let j = 0; j < r.spikes.length; j++) {
      const step = r.spikes[j][0];
      const idx = r.spikes[j][1];
      if (!(idx >= 0 && idx < r.size) || Math.floor(idx) !== idx) {
        throw new Error('rasterChart: group "' + r.group + '" spike index ' + idx + ' is outside [0, ' + r.size + ')');
      }
      if (!(step >= first && step < first + steps)) continue;
      const cx = sx(step) + tickOffset;
      const cy = rowTop[i] + (idx + 0.5) * rowH;
      const id = r.neuronIds ? r.neuronIds[idx] : idx;
      const p = phaseAt(step);
      const when = 'step ' + step + (isFinite(p) ? ', phase ' + p : '');
      out.push(
        '<rect class="spike" x="' + r2(cx - tickW / 2) + '" y="' + r2(cy - tickH / 2) + '" width="' + r2(tickW) + '" height="' + r2(tickH) + '" fill="' + color + '"><title>' +
          escapeXml(r.group + '[' + id + '] ' + when) +
          '</title></rect>',
      );
    }
  }
  out.push('</g>');

  // Counts: in the cells, per row on the right, per column below.
  if (hasCounts) {
    out.push('<g class="counts">');
    const tx = ml + pw + totalsW - 6;
    out.push(text(tx, mt - 8, 'Σ', { size: LABEL_SIZE, anchor: 'end', fill: TEXT, weight: 'bold' }));
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!r.counts || r.size <= 1) continue;
      const cy = rowTop[i] + heights[i] / 2;
      if (showCellCounts) {
        for (let s = 0; s < steps; s++) {
          const v = r.counts[s] || 0;
          if (v > 0) out.push(text(sx(first + s) + colW - 5, cy, groupDigits(v), { size: TICK_SIZE - 1, anchor: 'end', fill: colorOf(i), baseline: 'central' }));
        }
      }
      out.push(text(tx, cy, groupDigits(rowTotals[i]), { size: TICK_SIZE, anchor: 'end', fill: rowTotals[i] > 0 ? TEXT : MUTED, baseline: 'central' }));
    }
    const cy = mt + ph + totalsRowH / 2 + 2;
    out.push(text(ml - 8, cy, 'all groups', { size: TICK_SIZE, anchor: 'end', fill: MUTED, baseline: 'central' }));
    for (let s = 0; s < steps; s++) {
      if (colW >= textWidth(groupDigits(colTotals[s]), TICK_SIZE) + 4) {
        out.push(text(sx(first + s) + colW / 2, cy, groupDigits(colTotals[s]), { size: TICK_SIZE, anchor: 'middle', fill: TEXT, baseline: 'central' }));
      }
    }
    out.push(text(tx, cy, groupDigits(grand), { size: TICK_SIZE, anchor: 'end', fill: TEXT, weight: 'bold', baseline: 'central' }));
    out.push('</g>');
  }

  // Time axis (step numbers).
  out.push('<g class="axes">');
  const axisY = mt + ph + totalsRowH;
  const labelEvery = Math.max(1, Math.ceil((textWidth(String(first + steps), TICK_SIZE) + 10) / colW));
  const xt = labelEvery === 1 ? null : niceTicks(first, first + steps - 1, Math.max(2, Math.floor(pw / 70)), false);
  const tickSteps: number[] = [];
  if (xt === null) for (let s = 0; s < steps; s++) tickSteps.push(first + s);
  else for (let i = 0; i < xt.values.length; i++) if (Math.floor(xt.values[i]) === xt.values[i]) tickSteps.push(xt.values[i]);
  for (let i = 0; i < tickSteps.length; i++) {
    const cx = sx(tickSteps[i]) + colW / 2;
    out.push(line(cx, axisY, cx, axisY + 4, AXIS));
    out.push(text(cx, axisY + 17, String(tickSteps[i]), { size: TICK_SIZE, anchor: 'middle', fill: MUTED }));
  }
  out.push(text(ml + pw / 2, H - 10, opts.xLabel || 'time step', { size: LABEL_SIZE, anchor: 'middle' }));
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}
