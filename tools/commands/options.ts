/**
 * Options several subcommands share, defined once so their names, limits and help agree.
 */
import type { OptionSpec } from '../args';
import { MAX_ERROR_WINDOW } from '../../src/sbp/error-window';

/** Hidden units of the paper's network (400-400-10). */
export const DEFAULT_HIDDEN = 400;

/**
 * The largest --hidden any command accepts: 2^16 - 1, the largest size the serial protocol's
 * hello frame can carry (a 16-bit field). Around it the host's weight arrays alone (eight
 * plastic matrices of hidden × 784 16-bit weights for Fashion-MNIST, plus the chip's copies)
 * pass a gigabyte; smaller networks that still do not fit the chip are refused by the
 * compiler with the resource that ran out.
 */
export const MAX_HIDDEN = 65535;

/**
 * --hidden H. `fromWeights`: the default is the weight file's size when --load-weights is
 * given (no fixed default in the spec, so the command can tell whether the user set it).
 */
export function hiddenOption(fromWeights: boolean): OptionSpec {
  return fromWeights
    ? { name: 'hidden', type: 'int', min: 1, max: MAX_HIDDEN, metavar: 'H', help: `hidden units (default ${DEFAULT_HIDDEN}, or the size in --load-weights)` }
    : { name: 'hidden', type: 'int', default: DEFAULT_HIDDEN, min: 1, max: MAX_HIDDEN, metavar: 'H', help: 'hidden units' };
}

/**
 * --hidden for the commands that also run the L-hidden-layer network (docs/deep.md): one size,
 * or a comma-separated list of sizes, one per hidden layer (`--hidden 400,400`).
 */
export function hiddenListOption(fromWeights: boolean): OptionSpec {
  const o = hiddenOption(fromWeights);
  return { ...o, list: true, metavar: 'H[,H...]', help: `${o.help}; a comma-separated list means several hidden layers` };
}

/** The hidden layer sizes of a parsed --hidden (a number or a list); undefined if absent. */
export function hiddenSizes(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as number[]) : [value as number];
}

/**
 * --error-window W and --target-top 512|1024: where the missed-target error (d+) counts
 * (docs/sbp-network.md, "A wider error window"). `what` says what the command does with it
 * ("count", "verify", "profile").
 */
export function errorWindowOptions(what: string): OptionSpec[] {
  return [
    { name: 'error-window', type: 'int', min: 0, max: MAX_ERROR_WINDOW, default: 0, metavar: 'W', help: `${what} a missed target (d+) for an output potential in (-W, 512] instead of the paper's (0, 512]: one more gate synapse on the chip, the oracle extended to match; W a multiple of 64 (docs/sbp-network.md)` },
    { name: 'target-top', type: 'int', default: 512, metavar: '512|1024', help: `${what} a missed target (d+) until its output potential exceeds this: 512, the paper (until the output fires), or 1024, a margin (until it passes the upper copy's threshold)` },
  ];
}
