/**
 * A wider window for the missed-target error (docs/sbp-network.md, "A wider error window").
 *
 * In the paper's algorithm an output k whose target is 1 and which did not fire gets the
 * error d+ only when its potential z = (W2 h)_k is in (0, 512]: the lower copy o< = [z > 0]
 * gates d+. With a window W > 0 the lower copy fires for z > -W instead, so a missed target
 * counts for z in (-W, 512]. Nothing else changes: d- needs o = [z > 512], which implies o<
 * either way; the hidden derivative keeps its own (0, 1024]. W = 0 is the paper.
 *
 * On the chip it is one more gate synapse (split where one weight cannot hold the value
 * exactly): g03 onto o_copy, W x (W2's hardware units per weight unit) / 64 weight units, in
 * phase 3 only, the lower copy's active phase. The headroom proof (headroom.ts) covers it
 * like any other connection. Portable: no Node APIs.
 */
import type { NetworkDesc } from '../net/network';
import { UserError } from '../errors';
import { plasticScale, splitWeight } from './gating';
import type { TargetTop } from './oracle';

/** The largest window: one unit (1.0 = 1,024 weight units) below 0, four times over. */
export const MAX_ERROR_WINDOW = 4096;
/**
 * Windows are multiples of 64: the gate synapse is W x 2^e weight units for W2's weight
 * exponent e, which robust gating lowers to as little as -6 (gating.ts, MIN_EXP).
 */
export const ERROR_WINDOW_STEP = 64;

/** Throws a UserError naming `where` unless `w` is a multiple of 64 in [0, 4096]. */
export function checkErrorWindow(w: number, where: string): void {
  if (!Number.isInteger(w) || w < 0 || w > MAX_ERROR_WINDOW || w % ERROR_WINDOW_STEP !== 0) {
    throw new UserError(`${where}: the error window must be a multiple of ${ERROR_WINDOW_STEP} from 0 to ${MAX_ERROR_WINDOW}, got ${w}`, 2);
  }
}

export type { TargetTop };

/** Throws a UserError naming `where` unless `top` is 512 or 1024. */
export function checkTargetTop(top: number, where: string): asserts top is TargetTop {
  if (top !== 512 && top !== 1024) throw new UserError(`${where}: the missed-target window ends at 512 (the paper) or 1024 (a margin), got ${top}`, 2);
}

/**
 * With the margin, d+ is inhibited by the upper copy o> = [z > 1024] instead of by o = [z > 512]:
 * the same one-to-one synapse from another presynaptic group, in the same phase.
 */
export function raiseTargetTop(desc: NetworkDesc, top: TargetTop): NetworkDesc {
  if (top === 512) return desc;
  let c: NetworkDesc['connections'][number] | undefined;
  for (const x of desc.connections) if (x.pre === 'o' && x.post === 'd+') c = x;
  if (!c) throw new Error(`target margin: ${desc.name} has no connection o->d+`);
  c.pre = 'o_copy2';
  c.name = 'o_copy2->d+:1i';
  desc.name += '-top1024';
  return desc;
}

/** Add the window's gate synapses (g03 onto o_copy) to a training network, in place. */
export function widenErrorWindow(desc: NetworkDesc, w: number): NetworkDesc {
  checkErrorWindow(w, desc.name);
  if (w === 0) return desc;
  let w2c1: NetworkDesc['connections'][number] | undefined;
  for (const c of desc.connections) if (c.name === 'h1->o_copy') w2c1 = c;
  if (!w2c1) throw new Error(`error window: ${desc.name} has no connection h1->o_copy`);
  // the sum z arrives at plasticScale(e) hardware units per weight unit; a gate weight unit is 64
  const value = (w * plasticScale(w2c1.weightExp ?? 0)) / 64;
  const parts = splitWeight(value);
  for (let k = 0; k < parts.length; k++) {
    desc.connections.push({ name: `g03->o_copy:window${k > 0 ? `+${k}` : ''}`, pre: 'g03', post: 'o_copy', connectivity: 'one-to-all', weight: parts[k], delay: 0 });
  }
  desc.name += `-window${w}`;
  return desc;
}
