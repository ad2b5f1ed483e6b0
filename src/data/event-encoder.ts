/**
 * An event-sensor encoder: delta modulation of a multi-axis signal into spikes, the way an
 * event camera or an event IMU reports only changes (docs/sensor.md).
 *
 * Each axis keeps a reference level, starting at its first reading. Whenever the reading
 * rises to `threshold` or more above the reference, the axis emits an UP event and the
 * reference moves up by `threshold` (as often as needed); likewise DOWN events below. A slow
 * drift of the sensor's offset therefore makes few events, and a constant offset none.
 *
 * The window is cut into `bins` equal time bins; the output has one input unit per
 * (axis, polarity, bin), in that order: unit = (axis * 2 + polarity) * bins + bin, polarity
 * 0 UP, 1 DOWN. A unit is 1 when its bin saw at least one event: the network's inputs are
 * single spikes, so several events in one bin merge into one spike (the merge rule, counted
 * in `merged`). Integer arithmetic only.
 *
 * Portable: no Node APIs.
 */

export interface EventEncoderConfig {
  axes: number;
  /** Readings per window (per axis). */
  window: number;
  /** Time bins per window; must divide `window`. */
  bins: number;
  /** The change, in reading units, that makes one event. */
  threshold: number;
}

/** The encoder the serial demo's sensor source uses: 3 axes, 40 readings, 8 bins, 3/8 g. */
export const ACCEL_ENCODER: EventEncoderConfig = { axes: 3, window: 40, bins: 8, threshold: 12 };

export function encodedUnits(c: EventEncoderConfig): number {
  return c.axes * 2 * c.bins;
}

export interface EventCounters {
  /** Events emitted (before merging). */
  events: number;
  /** Events that fell into a bin whose unit had already spiked (merged into one spike). */
  merged: number;
}

export class EventEncoder {
  readonly units: number;
  readonly counters: EventCounters = { events: 0, merged: 0 };
  private readonly perBin: number;

  constructor(readonly config: EventEncoderConfig) {
    const { axes, window, bins, threshold } = config;
    if (!(axes >= 1 && window >= 2 && bins >= 1 && window % bins === 0 && threshold >= 1)) {
      throw new RangeError(`EventEncoder: bad configuration ${JSON.stringify(config)}`);
    }
    this.units = encodedUnits(config);
    this.perBin = window / bins;
  }

  /**
   * Encodes one window of interleaved readings (r[t * axes + axis]) into `out` (one 0/1 per
   * unit, cleared first). Returns `out`.
   */
  encode(readings: ArrayLike<number>, out: Uint8Array = new Uint8Array(this.units)): Uint8Array {
    const { axes, window, bins, threshold } = this.config;
    if (readings.length !== axes * window) {
      throw new RangeError(`EventEncoder: a window has ${axes * window} readings, got ${readings.length}`);
    }
    out.fill(0);
    for (let a = 0; a < axes; a++) {
      let ref = readings[a];
      for (let t = 1; t < window; t++) {
        const v = readings[t * axes + a];
        const bin = Math.floor(t / this.perBin);
        while (v - ref >= threshold) {
          ref += threshold;
          this.emit(out, (a * 2) * bins + bin);
        }
        while (ref - v >= threshold) {
          ref -= threshold;
          this.emit(out, (a * 2 + 1) * bins + bin);
        }
      }
    }
    return out;
  }

  private emit(out: Uint8Array, unit: number): void {
    this.counters.events++;
    if (out[unit] !== 0) this.counters.merged++;
    else out[unit] = 1;
  }
}
