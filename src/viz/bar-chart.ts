/** A stacked bar chart (energy per phase by kind). */
import { PALETTE, TEXT, MUTED, GRID, AXIS, TITLE_SIZE, LABEL_SIZE, TICK_SIZE, escapeXml, r2, niceTicks, cleanFloat, SI, formatTick, svgOpen, text, line, legend, maxWidth } from './svg-base';

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
