/**
 * Progress reporting for long command-line runs, on stderr so stdout stays clean for results.
 *
 * - stderr is a terminal: one live line, redrawn in place at most 10 times a second:
 *   `train [#####...............] 12,345/60,000 20.6% 3,456 samples/s acc(last 5k) 91.2% ETA 0:14`
 * - stderr is not a terminal (a log file, CI): the same line without the bar, every
 *   `everySeconds` seconds, and once at the end.
 * - `quiet` or `--json`: nothing at all.
 *
 * The rate behind the ETA is an exponential moving average (time constant RATE_TAU_MS), so the
 * ETA follows the current speed without jumping with every update.
 *
 * The live line is redrawn by moving the cursor up one line and erasing it, so nothing else
 * should write to the terminal between the first `update` and `finish`.
 */
import type { CliIO } from './cli';

export interface ProgressOptions {
  /** Number of items (samples, steps) the run will do. */
  total: number;
  /** Short name shown at the start of the line, e.g. 'train epoch 1'. */
  label: string;
  io: CliIO;
  /** Print nothing (also implied by io.json). */
  quiet?: boolean;
  /** Seconds between plain lines when stderr is not a terminal; default 10. */
  everySeconds?: number;
  /** What is counted, for the rate; default 'samples'. */
  unit?: string;
  /** Clock in milliseconds; default Date.now. Tests pass a fake one. */
  now?: () => number;
}

export interface Progress {
  /** Reports that `done` of `total` items are finished; `fields` are shown as `key value`. */
  update(done: number, fields?: Record<string, string>): void;
  /** Prints the final line (with the elapsed time and `summary`); later calls do nothing. */
  finish(summary?: string): void;
}

/** Minimum time between two redraws of the live line (at most 10 per second). */
const REDRAW_INTERVAL_MS = 100;
/** Shortest interval over which an instantaneous rate is measured for the moving average. */
const RATE_SAMPLE_MS = 250;
/** Time constant of the rate's exponential moving average. */
const RATE_TAU_MS = 5000;
/** Characters inside the brackets of the bar. */
const BAR_WIDTH = 20;

/** 1234567 → '1,234,567' (integers; independent of the locale). */
export function formatCount(n: number): string {
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? '-' + grouped : grouped;
}

/** Seconds → 'm:ss', or 'h:mm:ss' from an hour on (rounded to the nearest second). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A rate with as many decimals as make sense: 3,456 / 45.6 / 0.46. */
function formatRate(rate: number): string {
  if (rate >= 100) return formatCount(rate);
  if (rate >= 1) return rate.toFixed(1);
  return rate.toFixed(2);
}

/** A `[####....]` bar for the fraction `f` (clamped to 0..1). */
function bar(f: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, f)) * BAR_WIDTH);
  return '[' + '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled) + ']';
}

/** Creates a progress reporter; see the module comment for what it prints where. */
export function createProgress(opts: ProgressOptions): Progress {
  const { total, label, io } = opts;
  const now = opts.now ?? Date.now;
  const silent = opts.quiet === true || io.json;
  const live = io.isTTY;
  const everyMs = (opts.everySeconds ?? 10) * 1000;
  const unit = opts.unit ?? 'samples';

  const start = now();
  let done = 0;
  let fields: Record<string, string> = {};
  let finished = false;
  let drawn = false;
  let lastDraw = -Infinity;
  let lastPrint = start;
  // Exponential moving average of the rate (items per ms), fed with samples >= RATE_SAMPLE_MS long.
  let rate: number | undefined;
  let sampleTime = start;
  let sampleDone = 0;

  const measureRate = (t: number) => {
    const dt = t - sampleTime;
    if (dt < RATE_SAMPLE_MS) return;
    const instant = (done - sampleDone) / dt;
    rate = rate === undefined ? instant : rate + (instant - rate) * (1 - Math.exp(-dt / RATE_TAU_MS));
    sampleTime = t;
    sampleDone = done;
  };

  /** The smoothed rate, or the average so far before the first full sample. */
  const currentRate = (t: number): number | undefined => {
    if (rate !== undefined) return rate;
    return t > start ? done / (t - start) : undefined;
  };

  const line = (t: number, withBar: boolean, ending: string): string => {
    const fraction = total > 0 ? done / total : 1;
    const parts = [label];
    if (withBar) parts.push(bar(fraction));
    parts.push(`${formatCount(done)}/${formatCount(total)}`, `${(fraction * 100).toFixed(1)}%`);
    const r = finished ? (t > start ? done / (t - start) : undefined) : currentRate(t);
    if (r !== undefined) parts.push(`${formatRate(r * 1000)} ${unit}/s`);
    for (const [k, v] of Object.entries(fields)) parts.push(`${k} ${v}`);
    parts.push(ending);
    return parts.filter((p) => p !== '').join(' ');
  };

  const eta = (t: number): string => {
    const r = currentRate(t);
    if (r === undefined || r <= 0) return 'ETA --:--';
    return `ETA ${formatDuration(Math.max(0, total - done) / r / 1000)}`;
  };

  /**
   * Draws (or redraws in place) the live line. A line wider than the terminal drops its bar, then
   * is cut, so that it takes exactly one row, which the next redraw erases; the final line is
   * left whole.
   */
  const draw = (t: number, ending: string, final: boolean) => {
    const columns = io.columns !== undefined && io.columns > 0 ? io.columns : 80; // 0: size unknown
    const width = Math.max(20, columns - 1);
    let text = line(t, true, ending);
    if (!final && text.length > width) text = line(t, false, ending);
    if (!final && text.length > width) text = text.slice(0, width);
    io.err((drawn ? '\x1b[1A\x1b[2K' : '') + text);
    drawn = true;
  };

  return {
    update(d, f) {
      if (finished) return;
      done = d;
      if (f !== undefined) fields = f;
      const t = now();
      measureRate(t);
      if (silent) return;
      if (live) {
        if (t - lastDraw >= REDRAW_INTERVAL_MS || (d >= total && lastDraw < t)) {
          lastDraw = t;
          draw(t, eta(t), false);
        }
      } else if (t - lastPrint >= everyMs) {
        lastPrint = t;
        io.err(line(t, false, eta(t)));
      }
    },
    finish(summary) {
      if (finished) return;
      finished = true;
      if (silent) return;
      const t = now();
      const ending = `in ${formatDuration((t - start) / 1000)}` + (summary ? ` ${summary}` : '');
      if (live) draw(t, ending, true);
      else io.err(line(t, false, ending));
    },
  };
}
