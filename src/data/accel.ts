/**
 * A synthetic 3-axis accelerometer: a seeded, deterministic stream of labelled gesture
 * windows, the sensor source of the serial demo (docs/sensor.md).
 *
 * The sensor samples at ACCEL_RATE_HZ; one sample is a window of ACCEL_WINDOW readings
 * (x, y, z) as i8 in units of 1/32 g (range -4 g .. +3.97 g, saturating). Five gestures:
 *   0 still   gravity on z only
 *   1 shake   a 5 Hz shake along x (amplitude 1.2 g)
 *   2 circle  the device drawn in a 1.25 Hz circle in the x-y plane (0.8 g)
 *   3 tap     two short knocks on z, 0.3 s apart
 *   4 tilt    the device tipped over: gravity turns from z to x during the window
 * Every window gets random amplitude (±25 %), timing (phase, onset) and white noise
 * (sigma 0.1 g); a slow drift of the sensor's offset (a random walk, bounded to ±0.5 g per
 * axis) runs across windows, as a real sensor's bias does. The sequence of gestures is
 * random. Same seed, same stream.
 *
 * Portable: no Node APIs. Uses Math.sin/cos/log (via Prng.nextNormal); values are rounded
 * to integers before they leave, so engines agree whenever their libm agrees to 1/64 g.
 */
import { Prng } from '../chip/prng';

export const ACCEL_RATE_HZ = 50;
export const ACCEL_WINDOW = 40;
export const ACCEL_AXES = 3;
/** Readings are in units of 1/ACCEL_UNITS_PER_G g. */
export const ACCEL_UNITS_PER_G = 32;
export const ACCEL_CLASSES = ['still', 'shake', 'circle', 'tap', 'tilt'] as const;

const NOISE_G = 0.1;
const DRIFT_STEP_G = 0.02;
const DRIFT_LIMIT_G = 0.5;

/** How often a reading left the i8 range and was held at -128 or 127. */
export interface AccelCounters {
  saturated: number;
}

export class AccelStream {
  private readonly rng: Prng;
  private readonly drift = [0, 0, 0];
  readonly counters: AccelCounters = { saturated: 0 };

  constructor(readonly seed: number) {
    this.rng = new Prng(seed);
  }

  /** The next window: readings x0 y0 z0 x1 y1 z1 ... and its gesture label. */
  next(): { readings: Int8Array; label: number } {
    const rng = this.rng;
    const label = rng.nextInt(ACCEL_CLASSES.length);
    const amp = 0.75 + 0.5 * rng.nextFloat();
    const phase = 2 * Math.PI * rng.nextFloat();
    const onset = rng.nextInt(ACCEL_WINDOW / 2);
    const out = new Int8Array(ACCEL_WINDOW * ACCEL_AXES);
    for (let a = 0; a < ACCEL_AXES; a++) {
      const d = this.drift[a] + DRIFT_STEP_G * rng.nextNormal();
      this.drift[a] = Math.max(-DRIFT_LIMIT_G, Math.min(DRIFT_LIMIT_G, d));
    }
    for (let t = 0; t < ACCEL_WINDOW; t++) {
      const s = t / ACCEL_RATE_HZ;
      let x = 0;
      let y = 0;
      let z = 1;
      switch (label) {
        case 1:
          x = 1.2 * amp * Math.sin(2 * Math.PI * 5 * s + phase);
          break;
        case 2:
          x = 0.8 * amp * Math.cos(2 * Math.PI * 1.25 * s + phase);
          y = 0.8 * amp * Math.sin(2 * Math.PI * 1.25 * s + phase);
          break;
        case 3: {
          const k = t - onset;
          if (k === 0 || k === 1 || k === 15 || k === 16) z += (k % 15 === 0 ? 2 : -1.2) * amp;
          break;
        }
        case 4: {
          const f = Math.max(0, Math.min(1, (t - onset) / (ACCEL_WINDOW / 2)));
          const angle = (f * Math.PI) / 2 * amp;
          x = Math.sin(angle);
          z = Math.cos(angle);
          break;
        }
      }
      const v = [x, y, z];
      for (let a = 0; a < ACCEL_AXES; a++) {
        const g = v[a] + this.drift[a] + NOISE_G * rng.nextNormal();
        out[t * ACCEL_AXES + a] = this.saturate(Math.round(g * ACCEL_UNITS_PER_G));
      }
    }
    return { readings: out, label };
  }

  /** The i8 range rule: a reading outside -128..127 is held at the nearest end (counted). */
  private saturate(v: number): number {
    if (v > 127) {
      this.counters.saturated++;
      return 127;
    }
    if (v < -128) {
      this.counters.saturated++;
      return -128;
    }
    return v;
  }
}
