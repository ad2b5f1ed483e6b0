/**
 * The sBP training network as a network file: the 12-phase network with its current weights,
 * and the input spikes of a run of samples exactly as SbpTrainingChip streams them (the
 * gating ring's kick at step 11, each sample's pixel spikes in its phase 0 and its label spike
 * in its phase 2, and the host reward in phases 5 and 7 when the reward comes from the host).
 * Run with `synfire run`, the file gives the spikes and counters of `synfire train` on the
 * same samples (a test proves it).
 *
 * Portable: no Node APIs.
 */
import type { StepOrdering } from '../chip/spec';
import { UserError } from '../errors';
import type { SbpWeights } from './weights-file';
import { compileNetwork } from '../net/compile';
import type { CompileOptions, ConnectionDesc } from '../net/network';
import { networkFileFrom, type InputSpike, type NetworkFile } from '../net/network-file';
import type { Order, TargetTop } from './oracle';
import { phaseStep, TRAIN_GATES } from './params';
import type { Gating } from './gating';
import { PLASTIC_CONNECTIONS, PLASTIC_NAMES, trainingNetwork, type RewardSource, type SbpSizes } from './topology';
import { corePlacement, stepOrdering, STARTUP_BUCKET, type Placement } from './training';

/** One training sample: the active input indices and the label. */
export interface TrainingSample {
  active: ArrayLike<number>;
  label: number;
}

export interface TrainingExport {
  weights: SbpWeights;
  samples: TrainingSample[];
  order?: Order;
  reward?: RewardSource;
  placement?: Placement;
  /** Chip limits and chips, to decide whether the authors' core ranges fit (as SbpTrainingChip does). */
  limits?: CompileOptions['limits'];
  chips?: number;
  /** Seed of the learning engine (SbpTrainingChip's default 1). */
  seed?: number;
  /** Gating variant (SbpTrainingChip's default 'paper'). */
  gating?: Gating;
  /** The error window (error-window.ts; default 0, the paper's). */
  errorWindow?: number;
  /** The missed-target window's upper edge (error-window.ts; default 512, the paper's). */
  targetTop?: TargetTop;
}

/** The sBP training network, its weights and the samples' input spikes as a network file. */
export function trainingNetworkFile(x: TrainingExport): NetworkFile {
  const [nin, nhid, nout] = x.weights.sizes;
  const sizes: SbpSizes = { input: nin, hidden: nhid, output: nout };
  const reward = x.reward ?? 'chip';
  const desc = trainingNetwork(sizes, reward, x.gating ?? 'paper', x.errorWindow ?? 0, x.targetTop ?? 512);
  const matrices: Record<string, ArrayLike<number>> = {
    w1: x.weights.w1,
    w1c1: x.weights.w1,
    w1c2: x.weights.w1,
    w2: x.weights.w2,
    w2c1: x.weights.w2,
    w2c2: x.weights.w2,
    w2tPos: x.weights.w2tPos,
    w2tNeg: x.weights.w2tNeg,
  };
  const byName: Record<string, ConnectionDesc> = {};
  for (const c of desc.connections) byName[c.name ?? `${c.pre}->${c.post}`] = c;
  for (const name of PLASTIC_NAMES) byName[PLASTIC_CONNECTIONS[name]].weights = matrices[name];

  // the placement SbpTrainingChip would use: the authors' core ranges if they fit, else spread (or pack, or spread)
  const ordering: StepOrdering = stepOrdering(x.order ?? 'chip');
  let placement = corePlacement(x.placement);
  if (placement === 'hint') {
    try {
      compileNetwork(desc, { placement: 'hint', limits: x.limits, chips: x.chips, ordering, numBuckets: 1 });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      placement = 'spread';
    }
  }

  const inputs: InputSpike[] = [{ step: TRAIN_GATES - 1, group: 'in_g', index: 0 }];
  x.samples.forEach((s, n) => {
    if (!(s.label >= 0 && s.label < nout)) throw new UserError(`sample ${n}: label ${s.label} is not a class 0..${nout - 1}`);
    const first = phaseStep(TRAIN_GATES, n, 0);
    for (let k = 0; k < s.active.length; k++) inputs.push({ step: first, group: 'input', index: s.active[k] });
    inputs.push({ step: phaseStep(TRAIN_GATES, n, 2), group: 'in_tgt', index: s.label });
    if (reward === 'host') {
      inputs.push({ step: phaseStep(TRAIN_GATES, n, 5), group: 'reward', index: 0 });
      inputs.push({ step: phaseStep(TRAIN_GATES, n, 7), group: 'reward', index: 0 });
    }
  });
  return networkFileFrom(desc, {
    description: `sBP training network ${nin}-${nhid}-${nout} with ${x.samples.length} sample(s); startup (steps 1..${STARTUP_BUCKET}) kicks the gating ring, sample n runs steps ${TRAIN_GATES + 1} + ${TRAIN_GATES}n .. ${2 * TRAIN_GATES} + ${TRAIN_GATES}n`,
    inputs,
    steps: TRAIN_GATES * (x.samples.length + 1),
    stepsPerSample: TRAIN_GATES,
    startupSteps: TRAIN_GATES,
    placement,
    ordering,
    seed: x.seed ?? 1,
  });
}
