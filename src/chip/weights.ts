/**
 * Synaptic weight encoding: sign modes, mantissa bit widths and the weight exponent.
 *
 * A stored weight is a mantissa in the range of its sign mode. With numWeightBits = 8:
 * excitatory 0..255 (LSB 1), inhibitory -255..0, mixed -256..254 (7 magnitude bits + sign,
 * so the LSB is 2). What reaches the dendrite is mantissa * 2^(6 + weightExp).
 */
import { UserError } from '../errors';

export type SignMode = 'excitatory' | 'inhibitory' | 'mixed';
export const SIGN_MODES: SignMode[] = ['excitatory', 'inhibitory', 'mixed'];

/** Weight exponent range. */
export const WEIGHT_EXP_MIN = -8;
export const WEIGHT_EXP_MAX = 7;

/** Number of low mantissa bits dropped: 8 - numWeightBits + (mixed ? 1 : 0). */
export function droppedBits(signMode: SignMode, numWeightBits: number): number {
  return 8 - numWeightBits + (signMode === 'mixed' ? 1 : 0);
}

/** The smallest step between representable mantissas (2^droppedBits). */
export function weightLsb(signMode: SignMode, numWeightBits: number): number {
  return Math.pow(2, droppedBits(signMode, numWeightBits));
}

/** Representable mantissa range [min, max] after clipping and truncation. */
export function weightRange(signMode: SignMode, numWeightBits: number): [number, number] {
  const lsb = weightLsb(signMode, numWeightBits);
  const top = Math.floor(255 / lsb) * lsb;
  if (signMode === 'excitatory') return [0, top];
  if (signMode === 'inhibitory') return [-top, 0];
  return [-256, top];
}

/**
 * clipWeight: clip a mantissa to its sign mode's 8-bit range
 * (mixed [-256, 255], excitatory [0, 255], inhibitory [-255, 0]).
 */
export function clipWeight(w: number, signMode: SignMode): number {
  const lo = signMode === 'excitatory' ? 0 : signMode === 'inhibitory' ? -255 : -256;
  const hi = signMode === 'inhibitory' ? 0 : 255;
  return w < lo ? lo : w > hi ? hi : w;
}

/**
 * truncateWeight: drop the low bits by an arithmetic shift, (w >> k) << k, which floors
 * toward -infinity (so 255 -> 254 and -255 -> -256 in mixed mode).
 */
export function truncateWeight(w: number, signMode: SignMode, numWeightBits: number): number {
  const lsb = weightLsb(signMode, numWeightBits);
  return Math.floor(w / lsb) * lsb;
}

/** What the chip stores for a requested mantissa: clip, then truncate. */
export function storeWeight(w: number, signMode: SignMode, numWeightBits: number): number {
  return truncateWeight(clipWeight(Math.round(w), signMode), signMode, numWeightBits);
}

/**
 * Mantissa/exponent search for a fixed weight given in weight units (wu = mantissa *
 * 2^exp): halve while |value| >= 256 and exp < 7, then double while |value| < 128 and exp
 * is above the lower bound (0, or -1 for mixed), then round. Exact when
 * mantissa * 2^exp equals the value; `exact` says whether it does.
 */
export function encodeWeight(
  value: number,
  signMode: SignMode,
  numWeightBits = 8,
): { mant: number; exp: number; exact: boolean } {
  let v = value;
  let exp = 0;
  const lower = numWeightBits - 8 - (signMode === 'mixed' ? 1 : 0);
  while (Math.abs(v) >= 256 && exp < WEIGHT_EXP_MAX) {
    v /= 2;
    exp++;
  }
  while (v !== 0 && Math.abs(v) < 128 && exp > lower) {
    v *= 2;
    exp--;
  }
  const mant = storeWeight(v, signMode, numWeightBits);
  return { mant, exp, exact: mant * Math.pow(2, exp) === value };
}

/** Check a (mantissa, exponent) pair is storable; throws a UserError naming `where`. */
export function checkWeight(mant: number, exp: number, signMode: SignMode, numWeightBits: number, where: string): void {
  if (!(exp >= WEIGHT_EXP_MIN && exp <= WEIGHT_EXP_MAX) || Math.floor(exp) !== exp)
    throw new UserError(`${where}: weight exponent ${exp} outside ${WEIGHT_EXP_MIN}..${WEIGHT_EXP_MAX}`);
  if (storeWeight(mant, signMode, numWeightBits) !== mant)
    throw new UserError(
      `${where}: weight mantissa ${mant} is not representable in ${signMode} mode with ${numWeightBits} weight bits (range ${weightRange(signMode, numWeightBits).join('..')}, step ${weightLsb(signMode, numWeightBits)})`,
    );
}
