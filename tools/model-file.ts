/**
 * `--load-weights NAME|FILE`: a weight file, or a model by name (models/NAME.json in the
 * current directory, then in the synfire package), and the settings a model file records
 * (src/sbp/model.ts) applied to the command's options.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextDecoder } from 'node:util';
import { UserError } from '../src/errors';
import { modelFromJson, type ModelInfo } from '../src/sbp/model';
import type { SbpWeights } from '../src/sbp/weights-file';
import { isGating } from '../src/sbp/gating';
import { camelCase, wasGiven, type CommandSpec } from './args';
import { readUserFile } from './fsutil';

/** Where models are looked up by name: ./models, then the package's models/ (next to dist/). */
export function modelDirs(): string[] {
  const dirs = [join(process.cwd(), 'models')];
  try {
    dirs.push(join(dirname(fileURLToPath(import.meta.url)), '..', 'models'));
  } catch {
    // not loaded from a file (bundled elsewhere): only ./models
  }
  return dirs;
}

/** The file `--load-weights` means: the path itself if it exists, else models/NAME.json. */
export function resolveWeightsArg(arg: string): string {
  if (existsSync(arg) || !/^[A-Za-z0-9_.-]+$/.test(arg) || arg.endsWith('.json')) return arg;
  const known: string[] = [];
  for (const d of modelDirs()) {
    const f = join(d, `${arg}.json`);
    if (existsSync(f)) return f;
    try {
      for (const x of readdirSync(d)) if (x.endsWith('.json') && known.indexOf(x.slice(0, -5)) < 0) known.push(x.slice(0, -5));
    } catch {
      // no such directory
    }
  }
  throw new UserError(`--load-weights: no file '${arg}' and no model named '${arg}' (${known.length ? `models: ${known.join(', ')}` : 'no models/ directory found'})`, 2);
}

/**
 * Load weights or a model. A model's recorded settings replace the options not given on the
 * command line; an option given as something else than the model records is an error. Without
 * --hidden, the file's hidden size is the network's.
 */
export function loadWeightsArg(arg: string, o: Record<string, unknown>, spec: CommandSpec): { file: string; weights: SbpWeights; model: ModelInfo | null } {
  const file = resolveWeightsArg(arg);
  const { weights, model } = modelFromJson(new TextDecoder().decode(readUserFile(file, 'weights')), file);
  if (model) {
    if (model.gating !== undefined && !isGating(model.gating)) throw new UserError(`${file}: model.gating is ${JSON.stringify(model.gating)}, expected paper or robust`);
    // each recorded setting, for the commands that have its option
    for (const key of ['dataset', 'gating', 'order', 'reward', 'error-window', 'target-top'] as const) {
      const k = camelCase(key);
      const want = model[k as keyof ModelInfo];
      const opt = spec.options.find((x) => x.name === key);
      if (want === undefined || !opt) continue;
      if (!wasGiven(o, k)) o[k] = want;
      else if (o[k] !== want) throw new UserError(`${file}: the model was trained with --${key} ${String(want)}, not ${String(o[k])}`, 2);
    }
  }
  // without --hidden, the file's hidden layer is the network's (a plain weight file's too)
  if (spec.options.some((x) => x.name === 'hidden') && !wasGiven(o, 'hidden')) o.hidden = weights.sizes[1];
  return { file, weights, model };
}
