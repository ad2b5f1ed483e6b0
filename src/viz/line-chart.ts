/** A line chart with an optional right axis (learning curves). */
import { PALETTE, MUTED, GRID, AXIS, TITLE_SIZE, LABEL_SIZE, TICK_SIZE, escapeXml, r2, niceTicks, cleanFloat, formatTick, idFor, svgOpen, text, line, type LegendItem, legend, niceTicksOf, maxWidth } from './svg-base';

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
