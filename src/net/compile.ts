/**
 * The compiler: network description -> placed, checked Chip, in five stages, each a function
 * with a typed result (one module each):
 *
^ *   describe      describe.ts      groups checked and numbered (compartment ids, generator ports)
 *   encode        encode.ts        neuron types, weights, learning rules -> the chip's integer formats
 *   place         place.ts         compartments onto cores (packed, spread, or the description's hints)
 *   check limits  check-limits.ts  every core within its limits, output axons included
 *   build         build.ts         the ChipSpec, the Chip, and the usage statistics
 *
 * A network that does not fit fails before anything runs, with an error naming the group,
 * the resource, and the numbers needed versus available. Synapse memory is counted as
 * synapse-memory.ts describes.
 */
import { UserError } from '../errors';
import { build, buildCompiledSpec, type CompiledNetwork, type CompiledSpec } from './build';
import { checkLimits, OutputAxonOverflow } from './check-limits';
import { describeGroups, type Described } from './describe';
import { encode, type Encoded } from './encode';
import { LOIHI1_LIMITS, type CompileOptions, type NetworkDesc } from './network';
import { place, type Placed, type Target } from './place';

export type { GroupLayout } from './describe';
export type { CompiledNetwork, CompiledSpec, NetworkStats } from './build';

export function compileNetwork(net: NetworkDesc, opts: CompileOptions = {}): CompiledNetwork {
  return withAxonCaps(net, (caps) => {
    const { described, encoded, placed, checked, target } = stages(net, opts, caps, false);
    return build(described, encoded, placed, checked, target, opts);
  });
}

/**
 * compileNetwork without building the Chip: the encoded, placed and checked spec. With
 * `shapeOnly`, all-to-all connections without per-synapse weights get no weight array (see
 * encode): the memory plan reads a network's shape without allocating it; such a spec must
 * not be built into a Chip.
 */
export function compileSpec(net: NetworkDesc, opts: CompileOptions & { shapeOnly?: boolean } = {}): CompiledSpec {
  return withAxonCaps(net, (caps) => {
    const { described, encoded, placed, checked, target } = stages(net, opts, caps, opts.shapeOnly === true);
    return buildCompiledSpec(described, encoded, placed, checked, target, opts);
  });
}

/**
 * Output axons depend on where the targets land, so the packer learns them by trying: when
 * a core overflows, the group sending the most axons from it gets a per-core cap.
 */
function withAxonCaps<T>(net: NetworkDesc, attempt: (caps: Record<string, number>) => T): T {
  const caps: Record<string, number> = {};
  for (let k = 0; k < 32; k++) {
    try {
      return attempt(caps);
    } catch (e) {
      if (!(e instanceof OutputAxonOverflow)) throw e;
      if (e.cap < 1 || caps[e.group] === e.cap) throw new UserError(e.message);
      caps[e.group] = e.cap;
    }
  }
  throw new UserError(`network '${net.name}': could not place it within the output axon limit`);
}

/** The system a compilation targets: the board's limits times the number of chips. */
export function targetOf(opts: CompileOptions): Target {
  const limits = opts.limits ?? LOIHI1_LIMITS;
  const chips = opts.chips ?? 1;
  return { limits, chips, numCores: limits.coresPerChip * chips, placement: opts.placement === 'hint' ? 'hint' : 'pack' };
}

/** Halvings of the fill interval in the search of 'spread' (to 1/1024 of the limits). */
const SPREAD_STEPS = 10;

/**
 * 'spread': the placement packed with the smallest fill (a fraction of each core's limits,
 * found by bisection) at which the network still fits. If it does not fit at fill 1 either,
 * the packer's own error stands.
 */
function spread(described: Described, encoded: Encoded, target: Target, caps: Record<string, number>): Placed {
  let best = place(described, encoded, target, caps);
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < SPREAD_STEPS; k++) {
    const mid = (lo + hi) / 2;
    try {
      best = place(described, encoded, { ...target, fill: mid }, caps);
      hi = mid;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      lo = mid;
    }
  }
  return best;
}

/** Stages 1-4: describe, encode, place, check limits. */
function stages(net: NetworkDesc, opts: CompileOptions, caps: Record<string, number>, shapeOnly: boolean) {
  const target = targetOf(opts);
  const described = describeGroups(net);
  const encoded = encode(described, shapeOnly);
  const placed = opts.placement === 'spread' ? spread(described, encoded, target, caps) : place(described, encoded, target, caps);
  const checked = checkLimits(described, encoded, placed, target);
  return { described, encoded, placed, checked, target };
}
