/**
 * synfire as a library: the portable core, as `import { ... } from 'synfire'`.
 *
 *   describe a network      NetworkDesc (GroupDesc, ConnectionDesc, NeuronType, ...), or a network file
 *   compile it for a board  new Simulation(desc, { limits: BOARDS.loihi1.limits }) / compileNetwork
 *   step it                 sim.inject(group, index, step); sim.step(n); sim.spiked(group); sim.counts()
 *   estimate the cost       attachTimeModel, buildEnergyReport (energy, latency, EDP by kind, step, core)
 *   save and load           networkFileToJson(networkFileFrom(sim.snapshot())), parseNetworkFile;
 *                           sBP weights (synfire-weights/1 JSON) and checkpoints
 *   sBP                     SbpTrainingChip, SbpInferenceChip, trainingNetwork, inferenceNetwork, initialWeights
 *
 * Everything here runs without Node APIs (the browser, QuickJS and other embedded engines
 * included); the simulation uses the portable JavaScript kernel.
 */

// ---- describing a network
export { LOIHI1_LIMITS } from '../src/net/network';
export type {
  NetworkDesc,
  GroupDesc,
  ConnectionDesc,
  ConnectivityDesc,
  LearningDesc,
  RewardChannelDesc,
  NeuronType,
  CoreLimits,
  CompileOptions,
} from '../src/net/network';
export type { TraceSpec, StepOrdering } from '../src/chip/spec';
export type { SignMode } from '../src/chip/weights';

// ---- network files (synfire-network/1)
export { NETWORK_FORMAT, parseNetworkFile, networkFromJson, networkFileFrom, networkFileToJson } from '../src/net/network-file';
export type { NetworkFile, LoadedNetwork, InputSpike, NeuronParams, ConnectionEntry, InputEntry } from '../src/net/network-file';
export { startNetwork, runStartup, type StartOptions } from '../src/net/run-file';

// ---- compiling onto cores and running
export { compileNetwork, type CompiledNetwork, type NetworkStats, type GroupLayout } from '../src/net/compile';
export { Simulation, SpikeRecorder, type SimulationOptions, type StepObserver } from '../src/net/simulation';
export { BOARDS, boardNames, type BoardProfile } from '../boards/profiles';
export { Op, OP_NAMES, type OpName } from '../src/chip/counters';
export { Chip } from '../src/chip/chip';

// ---- energy, latency and EDP
export { CONSTANT_SETS, DEFAULT_CONSTANTS, getConstants, type EnergyConstants } from '../src/energy/constants';
export { attachTimeModel, resetMeasurement, tilesInUse, buildEnergyReport } from '../src/energy/report';
export type { EnergyReport, EnergyReportInput, KindLine, PhaseLine } from '../src/energy/report';
export { CoreActivity, type CoreLine } from '../src/energy/core-activity';
export { costReport, perSample, ENERGY_KINDS, type CostReport } from '../src/energy/model';

// ---- the sBP networks, ready-made
export { trainingNetwork, inferenceNetwork, PLASTIC_CONNECTIONS, type SbpSizes, type RewardSource } from '../src/sbp/topology';
export { SbpTrainingChip, loadWeights, PhaseRecord, type SbpChipOptions, type Placement } from '../src/sbp/training';
export { SbpInferenceChip } from '../src/sbp/inference';
export { initialWeights } from '../src/sbp/init';
export { trainingNetworkFile, type TrainingSample, type TrainingExport } from '../src/sbp/export';
export { runProfile, type ProfileReport, type ProfileOptions, type ProfileMode } from '../src/sbp/profile';
export { TRAIN_GATES, INFER_GATES, phaseStep } from '../src/sbp/params';
export type { SpikeDataset } from '../src/data/preprocess';

// ---- saving and loading sBP weights and checkpoints
export { weightsToJson, weightsFromJson, WEIGHTS_FORMAT, type SbpWeights } from '../src/sbp/weights-file';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from '../src/sbp/checkpoint';

// ---- errors
export { UserError } from '../src/errors';
