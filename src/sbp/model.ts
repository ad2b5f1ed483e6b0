/**
 * A trained model: a synfire-weights/1 file (weights-json.ts) with one more top-level key,
 * "model", naming everything besides the weights that the network needs to run as trained:
 *
 *   {"format":"synfire-weights/1","sizes":[...],"w1":[...],...,
 *    "model":{"name":"mnist-robust-s1","dataset":"mnist","gating":"robust","order":"chip",
 *             "reward":"chip","encoding":"...","test":{...},"trainedWith":"synfire train ..."}}
 *
 * Readers of synfire-weights/1 ignore unknown keys, so a model file is also a plain weight
 * file, and a plain weight file is a model with nothing recorded (every setting at its
 * default). Portable: no Node APIs.
 */
import { UserError } from '../errors';
import { weightsFromJson, weightsToJson, type SbpWeights } from './weights-file';
import { checkErrorWindow, checkTargetTop } from './error-window';
import type { TargetTop } from './oracle';

/** The settings a model records. Absent fields mean the command's defaults. */
export interface ModelInfo {
  name?: string;
  /** 'mnist' (400 inputs, 20x20 crop) or 'fashion' (784 inputs). */
  dataset?: 'mnist' | 'fashion';
  /** 'paper' or 'robust' (src/sbp/gating.ts). */
  gating?: string;
  order?: 'chip' | 'reference';
  reward?: 'chip' | 'host';
  /** How pixels become spikes (informational; src/data/preprocess.ts defines the one in use). */
  encoding?: string;
  /** Test-set metrics measured when the model was saved. */
  test?: { samples: number; accExact: number; accArgmaxSpikes: number; accArgmaxPotential: number; mse: number };
  /** The command that produced the weights. */
  trainedWith?: string;
  epochs?: number;
  seed?: number;
  /**
   * Training only: where the missed-target error counted, (-errorWindow, targetTop]
   * (error-window.ts). Absent means the paper's (0, 512]. Inference does not depend on it;
   * continuing the training, verifying or profiling it does.
   */
  errorWindow?: number;
  targetTop?: TargetTop;
}

const CHOICES: Record<string, string[]> = {
  dataset: ['mnist', 'fashion'],
  order: ['chip', 'reference'],
  reward: ['chip', 'host'],
};

/** Weights plus the model block, as one synfire-weights/1 file. */
export function modelToJson(w: SbpWeights, info: ModelInfo): string {
  const text = weightsToJson(w);
  const end = text.lastIndexOf('}');
  return `${text.slice(0, end)},\n"model":${JSON.stringify(info)}}\n`;
}

/** Read a weight or model file: the weights, and the model block (null for a plain weight file). */
export function modelFromJson(text: string, fileName: string): { weights: SbpWeights; model: ModelInfo | null } {
  const weights = weightsFromJson(text, fileName);
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (!('model' in doc)) return { weights, model: null };
  const m = doc.model;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new UserError(`${fileName}: "model" must be an object`);
  const obj = m as Record<string, unknown>;
  for (const key in CHOICES) {
    const v = obj[key];
    if (v !== undefined && CHOICES[key].indexOf(v as string) < 0) throw new UserError(`${fileName}: model.${key} is ${JSON.stringify(v)}, expected one of ${CHOICES[key].join(', ')}`);
  }
  for (const key of ['name', 'gating', 'encoding', 'trainedWith']) {
    const v = obj[key];
    if (v !== undefined && typeof v !== 'string') throw new UserError(`${fileName}: model.${key} must be a string`);
  }
  for (const key of ['epochs', 'seed']) {
    const v = obj[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Math.floor(v) === v)) throw new UserError(`${fileName}: model.${key} must be an integer >= 0`);
  }
  if (obj.errorWindow !== undefined) checkErrorWindow(obj.errorWindow as number, `${fileName}: model.errorWindow`);
  if (obj.targetTop !== undefined) checkTargetTop(obj.targetTop as number, `${fileName}: model.targetTop`);
  if (obj.dataset !== undefined) {
    const nin = obj.dataset === 'mnist' ? 400 : 784;
    if (weights.sizes[0] !== nin) throw new UserError(`${fileName}: model.dataset ${String(obj.dataset)} has ${nin} inputs but the weights have ${weights.sizes[0]}`);
  }
  return { weights, model: obj as ModelInfo };
}
