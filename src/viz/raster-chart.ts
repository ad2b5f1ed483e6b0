/** A spike raster: one band per group, one tick per spike. */
import { TEXT, MUTED, GRID, AXIS, TITLE_SIZE, LABEL_SIZE, TICK_SIZE, escapeXml, r2, textWidth, niceTicks, svgOpen, text, line, type LegendItem, legend, maxWidth } from './svg-base';

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
