/**
 * A learning step below the paper's (docs/sbp-network.md, "A smaller learning step"): the host
 * reprograms the training chip's plastic groups with the sBP rule scaled by 2^-shift (between
 * samples, as it would between runs). From then on a weight that the paper's rule moves by one
 * LSB moves with probability 2^-shift, by the learning engine's stochastic rounding, drawn
 * from the matrix's own rounding stream; W1's copies share W1's stream and W2's share W2's,
 * so the copies still draw alike and stay exact copies.
 *
 * Portable: no Node APIs.
 */
import { setLearningRule } from '../chip/reprogram';
import { PLASTIC_NAMES } from './matrices';
import { sbpRule } from './params';
import { PLASTIC_CONNECTIONS } from './topology';
import type { SbpTrainingChip } from './training';

/** Give every plastic group of `net` the sBP rule with step 2 * 2^-shift (params.ts, sbpRule). */
export function setLearningShift(net: SbpTrainingChip, shift: number): void {
  if (shift === net.lrShift) return;
  const rule = sbpRule(shift);
  for (const name of PLASTIC_NAMES) setLearningRule(net.chip, net.compiled.connections[PLASTIC_CONNECTIONS[name]], rule);
  net.lrShift = shift;
}
