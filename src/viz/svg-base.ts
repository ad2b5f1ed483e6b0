/**
 * What every SVG chart shares: colours, font sizes, XML escaping, tick placement and labels,
 * the opening tag, text, lines and the legend.
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

export const TEXT = '#222';
export const MUTED = '#666';
export const GRID = '#e3e3e3';
export const AXIS = '#888';
export const TITLE_SIZE = 16;
export const LABEL_SIZE = 12;
export const TICK_SIZE = 11;

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
export function r2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * Approximate width in px of a string in a Helvetica/Arial-like sans-serif font of this
 * size (per-character classes; good enough for layout, not for kerning).
 */
export function textWidth(s: string, size: number): number {
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
export function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = Math.pow(10, floorLog10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

export interface Ticks {
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
export function cleanFloat(v: number): number {
  return v === 0 ? 0 : parseFloat(v.toPrecision(12));
}

export const SI = [
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
export function stripExponent(s: string): string {
  return s.replace(/\.?0+e/, 'e');
}

/** floor(log10(x)) for x > 0, exact at powers of ten (Math.log10 is not in ES5). */
export function floorLog10(x: number): number {
  let e = Math.floor(Math.log(x) / Math.LN10);
  if (Math.pow(10, e + 1) <= x) e++;
  else if (Math.pow(10, e) > x) e--;
  return e;
}

/** v with as many decimals as the step needs. */
export function trimNumber(v: number, step: number): string {
  const s = cleanFloat(step);
  let dec = Math.max(0, -floorLog10(s));
  const m = String(cleanFloat(s * Math.pow(10, dec)));
  if (m.indexOf('.') >= 0) dec += m.length - m.indexOf('.') - 1;
  return cleanFloat(v).toFixed(Math.min(dec, 10));
}

/** A short stable id (for clipPath) so several charts can share one HTML page. */
export function idFor(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = (h * 16777619) % 4294967296;
  }
  return 'c' + h.toString(36);
}

export function svgOpen(width: number, height: number, title: string): string {
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

export function text(
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

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ''): string {
  return (
    '<line x1="' + r2(x1) + '" y1="' + r2(y1) + '" x2="' + r2(x2) + '" y2="' + r2(y2) + '" stroke="' + stroke + '"' + extra + '/>'
  );
}

export interface LegendItem {
  name: string;
  color: string;
  /** 'line' (with a point), 'dashed' or 'swatch' (a filled square). */
  kind: 'line' | 'dashed' | 'swatch';
}

/**
 * A legend laid out in rows across `width`, starting at (x, y). Swatches are drawn as thick
 * lines, so legends add no <rect> or <circle> elements. Returns the markup and its height.
 */
export function legend(items: LegendItem[], x: number, y: number, width: number): { svg: string; height: number } {
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


export function niceTicksOf(r: [number, number], target: number): Ticks {
  return niceTicks(r[0], r[1], target, true);
}

export function maxWidth(labels: string[], size: number): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) m = Math.max(m, textWidth(labels[i], size));
  return m;
}
