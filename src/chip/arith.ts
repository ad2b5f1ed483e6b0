/**
 * The chip's integer rules, each written once and named. Every function here is exact
 * for the value ranges the chip produces (products up to 2^35 stay exact in a double);
 * none uses 32-bit bitwise arithmetic on values that can exceed 31 bits.
 *
 * Units: "hardware units" are what u and v hold. A synaptic weight mantissa w with weight
 * exponent e delivers w * 2^(6+e) hardware units; a threshold mantissa vth compares
 * against vth * 2^6.
 */

/** u and v are 24-bit signed state (Loihi 1). */
export const UV_BITS = 24;
/** 2^23: the magnitude bound of a 24-bit signed value. */
export const TWO_23 = 8388608;
export const TWO_24 = 16777216;
/** Voltage saturates at +-(2^23 - 1) (the largest vmax / smallest vmin encodable). */
export const V_MAX = TWO_23 - 1;
export const V_MIN = -(TWO_23 - 1);
/** Decays are 12-bit fractions of 4096; a decay of 4096 clears the state each step. */
export const DECAY_ONE = 4096;
/** Synaptic input is shifted left by 6 (act_shift) before it enters u. */
export const INPUT_SHIFT = 6;
/** The threshold mantissa is shifted left by 6 (vth_shift). */
export const VTH_SHIFT = 6;
/** Dendritic accumulator: 21 magnitude bits plus sign, in hardware units. */
export const Q_BITS = 21;
export const TWO_21 = 2097152;
/** Threshold mantissa is 17-bit unsigned. */
export const VTH_MANT_MAX = 131071;
/** Bias mantissa is 13-bit signed; exponent 0..7. */
export const BIAS_MANT_MIN = -4096;
export const BIAS_MANT_MAX = 4095;
export const BIAS_EXP_MAX = 7;
/** Refractory delay: 1..63 steps (6 bits). */
export const REFRACTORY_MAX = 63;
/** Axonal delay: 0..62 steps. */
export const DELAY_MAX = 62;

/**
 * wrap24: reduce x modulo 2^24 into the 24-bit signed interval the way Lava's bit-accurate
 * LIF does it: values above 2^23 drop by 2^24, values at or below -2^23 rise by 2^24, so the
 * result lies in (-2^23, 2^23] (exactly +2^23 is kept; -2^23 becomes +2^23).
 * Generalised to any number of wraps with a true modulo.
 */
export function wrap24(x: number): number {
  if (x <= TWO_23 && x > -TWO_23) return x;
  const m = (x + TWO_23 - 1) % TWO_24;
  return (m < 0 ? m + TWO_24 : m) - TWO_23 + 1;
}

/** True when wrap24 would change x. */
export function wraps24(x: number): boolean {
  return x > TWO_23 || x <= -TWO_23;
}

/**
 * wrapQ: the dendritic accumulator holds 21 magnitude bits plus sign; a sum outside
 * [-2^21, 2^21) wraps (two's complement, as nengo-loihi's overflow_signed does).
 */
export function wrapQ(x: number): number {
  if (x < TWO_21 && x >= -TWO_21) return x;
  const m = (x + TWO_21) % (2 * TWO_21);
  return (m < 0 ? m + 2 * TWO_21 : m) - TWO_21;
}

/**
 * decay: sign-magnitude decay with truncation toward zero:
 *   sign(x) * floor(|x| * (4096 - decay) / 4096).
 * decay is the effective 0..4096 value (for u: the du register plus its 1-bit offset).
 * |x| * 4096 < 2^36: exact in a double.
 */
export function decay(x: number, decay: number): number {
  if (x === 0 || decay === 0) return x;
  if (decay >= DECAY_ONE) return 0;
  const k = DECAY_ONE - decay;
  return x > 0 ? Math.floor((x * k) / DECAY_ONE) : -Math.floor((-x * k) / DECAY_ONE);
}

/** saturateV: clamp a voltage to [V_MIN, V_MAX]. */
export function saturateV(v: number): number {
  return v > V_MAX ? V_MAX : v < V_MIN ? V_MIN : v;
}

/**
 * Effective bias in hardware units: mantissa * 2^exp for exp >= 0, and an arithmetic right
 * shift (floor toward -infinity) for a negative exponent. Computed in doubles, so no 16-bit
 * intermediate can overflow (Lava issue #329).
 */
export function effectiveBias(mant: number, exp: number): number {
  return exp >= 0 ? mant * Math.pow(2, exp) : Math.floor(mant / Math.pow(2, -exp));
}

/** Hardware units a weight mantissa delivers: w * 2^(6 + weightExp). */
export function weightScale(weightExp: number): number {
  return Math.pow(2, INPUT_SHIFT + weightExp);
}

/** Threshold in hardware units: vth mantissa << 6. */
export function thresholdUnits(vthMant: number): number {
  return vthMant * Math.pow(2, VTH_SHIFT);
}
