/**
 * Options several subcommands share, defined once so their names, limits and help agree.
 */
import type { OptionSpec } from '../args';

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
