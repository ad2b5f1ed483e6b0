/**
 * The portable-core check: one deterministic text transcript computed only with the portable
 * modules (src/chip, src/net, src/sbp, src/energy, src/io). tools/build-portable.mjs bundles
 * this file for embedded engines (QuickJS; Duktape after ES5 lowering) and
 * test/portable.test.ts asserts that every engine prints the same bytes as Node.
 *
 * Sections of the transcript:
 *  - golden: the four Lava golden vectors (docs/chip-model.md, "Golden vectors") through compileNetwork + Chip;
 *  - init:   CRC-32 of the rand_He initial weights (sizes 16-12-4, seed 7: Box-Muller uses
 *            Math.log/sin/cos, so this also checks the engines' libm agrees after rounding);
 *  - train:  60 synthetic samples trained on the chip: per-sample output spikes (phase 3),
 *            and every 10 samples the CRC-32 of all eight plastic matrices next to the CRC of
 *            the §4.6 oracle's matrices for the same run (they must be equal);
 *  - counters, energy: the op counts and the energy/latency report of the training run;
 *  - infer:  the trained weights on the 4-phase inference chip and on the dense path;
 *  - io:     weights JSON and checkpoint (typed-binary) encode/decode round trips, and the
 *            UserError messages of a damaged checkpoint, a bad weights file and a bad rule;
 *  - verify: the lock-step verifier in the other step order, host reward, naive kernel;
 *  - session: a shuffled training session stopped at the half-epoch checkpoint and resumed
 *            from the encoded bytes, against an uninterrupted one.
 *
 * The text is ASCII only and has no trailing newline. No Node APIs, no host I/O: the caller
 * prints the returned string (engines' `print` adds the final newline).
 */
import { Chip } from '../src/chip/chip';
import { NUM_OPS, Op, OP_NAMES } from '../src/chip/counters';
import { parseLearningRule } from '../src/chip/learning-rule';
import { Prng } from '../src/chip/prng';
import type { ChipSpec } from '../src/chip/spec';
import type { SpikeDataset } from '../src/data/preprocess';
import { getConstants } from '../src/energy/constants';
import { costReport, perSample, timeWeights } from '../src/energy/model';
import { decodeCheckpoint, encodeCheckpoint, MATRIX_NAMES, type Checkpoint, type MatrixName } from '../src/sbp/checkpoint';
import { utf8Encode } from '../src/io/utf8';
import { crc32, crc32Update } from '../src/io/crc32';
import { UserError } from '../src/errors';
import { weightsFromJson, weightsToJson } from '../src/sbp/weights-file';
import { compileNetwork } from '../src/net/compile';
import type { ConnectionDesc, GroupDesc, NeuronType } from '../src/net/network';
import { denseForward, SbpInferenceChip } from '../src/sbp/inference';
import { initialWeights } from '../src/sbp/init';
import { newTrace, oracleTrain, type OracleState } from '../src/sbp/oracle';
import { TrainingSession, type SessionOptions } from '../src/sbp/session';
import type { SbpSizes } from '../src/sbp/topology';
import type { SbpWeights } from '../src/sbp/weights-file';
import { loadWeights, SbpTrainingChip } from '../src/sbp/training';
import { verifyRun } from '../src/sbp/verify';

/** Sizes, seeds and lengths of the training run (fixed: the transcript must be reproducible). */
export const PORTABLE_SIZES: SbpSizes = { input: 16, hidden: 12, output: 4 };
export const PORTABLE_INIT_SEED = 7;
export const PORTABLE_DATA_SEED = 2024;
export const PORTABLE_SAMPLES = 60;
export const PORTABLE_HASH_EVERY = 10;

/** Eight-digit lower-case hex of an unsigned 32-bit value. */
function hex32(v: number): string {
  const s = (v >>> 0).toString(16);
  return '00000000'.substring(s.length) + s;
}

/** CRC-32 continued over the 16-bit values of m, each as two little-endian bytes. */
function crcInt16(crc: number, m: ArrayLike<number>): number {
  const b = new Uint8Array(2 * m.length);
  for (let i = 0; i < m.length; i++) {
    const v = m[i] & 0xffff; // two's complement 16-bit pattern
    b[2 * i] = v & 0xff;
    b[2 * i + 1] = v >>> 8;
  }
  return crc32Update(crc, b);
}

/** CRC-32 of the eight plastic matrices in MATRIX_NAMES order (post x pre, i16 LE). */
function matricesCrc(get: (name: MatrixName) => ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < MATRIX_NAMES.length; i++) c = crcInt16(c, get(MATRIX_NAMES[i]));
  return c;
}

/**
 * The string with every non-ASCII UTF-16 unit written as \uXXXX. The transcript stays
 * ASCII because engines print non-ASCII text differently (Duktape writes CESU-8).
 */
function ascii(text: string): string {
  let s = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) s += text.charAt(i);
    else {
      const h = c.toString(16);
      s += '\\u' + '0000'.substring(h.length) + h;
    }
  }
  return s;
}

/** "Name: message" of what `f` throws, or "no error". */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const err = e as Error;
    return ascii(err.name + (err instanceof UserError ? ' (a UserError)' : '') + ': ' + err.message);
  }
  return 'no error';
}

/**
 * CRC-32 of a checkpoint without its CRC trailer. (The CRC of a whole checkpoint is the
 * constant CRC-32 residue 0x2144df1c, whatever it holds.)
 */
function payloadCrc(checkpoint: Uint8Array): number {
  return crc32(checkpoint, 0, checkpoint.length - 4);
}

function bits(v: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < v.length; i++) s += v[i] ? '1' : '0';
  return s;
}

function list(v: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < v.length; i++) parts.push(String(v[i]));
  return parts.join(',');
}

// ---------------------------------------------------------------------------------------------
// Golden vectors (docs/chip-model.md, "Golden vectors")

const neuron = (vthMant: number, decayU: number, decayV: number, biasMant: number, biasExp: number): NeuronType => ({
  name: 'n',
  vthMant,
  decayU,
  decayV,
  biasMant,
  biasExp,
  refractoryDelay: 1,
});

/**
 * One compartment 'c' with one generator 'in' feeding it `weight` weight units (one-to-one).
 * `inputAt` is the step at which the input arrives (the generator fires one step earlier);
 * 0 for none. Calls `each(t, chip)` after every step 1..steps.
 */
function runSingle(n: NeuronType, weight: number, inputAt: number, steps: number, each: (t: number, chip: Chip) => void): void {
  const groups: GroupDesc[] = [{ name: 'c', size: 1, neuron: n }];
  const connections: ConnectionDesc[] = [];
  if (weight !== 0) {
    groups.push({ name: 'in', size: 1, neuron: 'generator' });
    connections.push({ pre: 'in', post: 'c', connectivity: 'one-to-one', weight });
  }
  const net = compileNetwork({ name: 'golden', groups, connections });
  const chip = net.chip;
  while (chip.time < steps) {
    const next = chip.time + 1;
    if (weight !== 0 && next === inputAt - 1) chip.schedule(net.groups['in'].start, next);
    chip.step();
    each(chip.time, chip);
  }
}

function goldenVectors(out: string[]): void {
  // 1. no decay, bias-driven: du=0 (effective 1), dv=0, bias 2<<6 = 128, vth 8; 10 steps
  const spikes: number[] = [];
  const volts: number[] = [];
  runSingle(neuron(8, 1, 0, 2, 6), 0, 0, 10, (t, chip) => {
    if (chip.spikedCount > 0) spikes.push(t - 1); // step index, 0-based
    volts.push(chip.voltage(0));
  });
  out.push('golden bias-driven spikes=' + list(spikes) + ' v=' + list(volts));
  // 2. current impulse: du=2047 (+1 = half decay), dv=0, input 128 at t0, vth 256
  const u: number[] = [];
  runSingle(neuron(256, 2048, 0, 0, 0), 128, 2, 9, (t, chip) => {
    if (t >= 2) u.push(chip.current(0));
  });
  out.push('golden current-impulse u=' + list(u));
  // 3. voltage impulse: du=0 (effective 1), dv=2048, input 128 at t0, vth 256
  const v: number[] = [];
  runSingle(neuron(256, 1, 2048, 0, 0), 128, 2, 9, (t, chip) => {
    if (t >= 2) v.push(chip.voltage(0));
  });
  out.push('golden voltage-impulse v=' + list(v));
  // 4. bias scaling (Lava #329): du=dv=0, bias_mant 4095, bias_exp 5, vth 2^17, 1 step
  // (vth 2^17 is one above the compiler's 17-bit vthMant check, so this chip is specified by hand)
  const spec: ChipSpec = {
    numCompartments: 1,
    prototypes: [{ name: 'b', vthMant: 131072, decayU: 1, decayV: 0, biasMant: 4095, biasExp: 5, refractoryDelay: 1 }],
    cxPrototype: new Uint16Array([0]),
    cxCore: new Uint16Array([0]),
    numGeneratorPorts: 0,
    genCore: new Uint16Array(0),
    numCores: 1,
    mesh: { coresPerTile: 4, tilesX: 1, tilesY: 1 },
    coresPerChip: 1,
    synapseGroups: [],
    rewardChannels: [],
    ordering: 'route-then-learn',
    numBuckets: 1,
    seed: 1,
  };
  const chip = new Chip(spec);
  chip.step();
  out.push('golden bias-scaling v=' + chip.voltage(0) + ' spikes=' + chip.spikedCount);
}

// ---------------------------------------------------------------------------------------------
// sBP training on the chip, against the oracle

/** Synthetic samples: random binary inputs (density 10..70% per sample) and random labels. */
function syntheticSamples(rng: Prng, nin: number, nout: number, count: number): SpikeDataset {
  const labels = new Uint8Array(count);
  const offsets = new Uint32Array(count + 1);
  const idx: number[] = [];
  for (let k = 0; k < count; k++) {
    const density = 0.1 + 0.6 * rng.nextFloat();
    for (let i = 0; i < nin; i++) if (rng.nextFloat() < density) idx.push(i);
    offsets[k + 1] = idx.length;
    labels[k] = rng.nextInt(nout);
  }
  const indices = new Uint16Array(idx.length);
  for (let i = 0; i < idx.length; i++) indices[i] = idx[i];
  // 'side' only labels image shapes (16 inputs = 4x4); nothing here reads it
  return { name: 'synthetic', numInputs: nin, side: Math.round(Math.sqrt(nin)), count, labels, offsets, indices };
}

function copy16(m: ArrayLike<number>): Int16Array {
  const c = new Int16Array(m.length);
  for (let i = 0; i < m.length; i++) c[i] = m[i];
  return c;
}

/**
 * The same samples again on the robust gating (the default of the CLI) with the wider
 * missed-target window and the target margin, chip beside the oracle extended to match
 * (src/sbp/error-window.ts): the window's gate synapse and the moved d+ inhibition run in the
 * engine too. Prints the weight hashes and how many d+ only the window or the margin let through.
 */
/** The oracle's matrix that a chip matrix (or one of its copies) must equal. */
function oracleMatrixOf(oracle: OracleState): (name: MatrixName) => Int16Array {
  return (name) =>
    name === 'w1' || name === 'w1c1' || name === 'w1c2' ? oracle.w1 : name === 'w2' || name === 'w2c1' || name === 'w2c2' ? oracle.w2 : name === 'w2tPos' ? oracle.p : oracle.m;
}

/** Passes over the samples in the robust-window run: enough for trained outputs to fire inside the margin. */
const ROBUST_WINDOW_EPOCHS = 6;

function robustWindowRun(out: string[], sizes: SbpSizes, w0: SbpWeights, ds: SpikeDataset): void {
  const { input: nin, hidden: nhid, output: nout } = sizes;
  const errorWindow = 1024;
  const targetTop = 1024;
  const net = new SbpTrainingChip({ sizes, order: 'chip', reward: 'chip', gating: 'robust', errorWindow, targetTop });
  loadWeights(net, w0);
  const oracle: OracleState = { nin, nhid, nout, w1: copy16(w0.w1), w2: copy16(w0.w2), p: copy16(w0.w2tPos), m: copy16(w0.w2tNeg), errorWindow, targetTop };
  const oracleMatrix = oracleMatrixOf(oracle);
  const trace = newTrace(nhid, nout);
  const x = new Uint8Array(nin);
  const o = new Uint8Array(nout);
  let outputsAgree = 0;
  let inWindow = 0;
  let inMargin = 0;
  const n = ROBUST_WINDOW_EPOCHS * ds.count;
  for (let t = 0; t < n; t++) {
    const s = t % ds.count;
    const a = ds.offsets[s];
    const b = ds.offsets[s + 1];
    net.trainSample(ds.indices, a, b, ds.labels[s], undefined, o);
    for (let i = 0; i < nin; i++) x[i] = 0;
    for (let k = a; k < b; k++) x[ds.indices[k]] = 1;
    oracleTrain(oracle, x, ds.labels[s], 'chip', trace);
    if (bits(o) === bits(trace.o)) outputsAgree++;
    for (let k = 0; k < nout; k++) {
      if (trace.dPos[k] === 1 && trace.out[k] <= 0) inWindow++;
      if (trace.dPos[k] === 1 && trace.o[k] === 1) inMargin++;
    }
    if ((t + 1) % ds.count === 0) {
      out.push('robust-window weights after ' + (t + 1) + ' chip=' + hex32(matricesCrc((n) => net.matrix(n))) + ' oracle=' + hex32(matricesCrc(oracleMatrix)));
    }
  }
  out.push('robust-window samples=' + n + ' window=' + errorWindow + ' top=' + targetTop + ' outputs-agree=' + outputsAgree + ' dPos-in-window=' + inWindow + ' dPos-in-margin=' + inMargin + ' compartments=' + net.compiled.stats.compartments + ' synapses=' + net.compiled.stats.synapses);
}

/** Compute the whole transcript. Deterministic: the same text on every engine. */
export function runPortableCheck(): string {
  const out: string[] = [];
  out.push('synfire portable check v1');
  goldenVectors(out);

  const sizes = PORTABLE_SIZES;
  const { input: nin, hidden: nhid, output: nout } = sizes;
  const w0 = initialWeights(sizes, PORTABLE_INIT_SEED);
  out.push(
    'init sizes=' + nin + '-' + nhid + '-' + nout + ' seed=' + PORTABLE_INIT_SEED +
      ' w1=' + hex32(crcInt16(0, w0.w1)) + ' w2=' + hex32(crcInt16(0, w0.w2)) +
      ' w2tPos=' + hex32(crcInt16(0, w0.w2tPos)) + ' w2tNeg=' + hex32(crcInt16(0, w0.w2tNeg)),
  );

  const rng = new Prng(PORTABLE_DATA_SEED);
  const ds = syntheticSamples(rng, nin, nout, PORTABLE_SAMPLES);
  out.push('data samples=' + ds.count + ' active=' + ds.indices.length + ' crc=' + hex32(crcInt16(crcInt16(0, ds.labels), ds.indices)));

  const net = new SbpTrainingChip({ sizes, order: 'chip', reward: 'chip' });
  loadWeights(net, w0);
  const consts = getConstants('loihi1-davies2018');
  const chip = net.chip;
  chip.setTimeModel(timeWeights(consts), consts.barrierNs(Math.ceil(net.compiled.stats.cores / 4)));
  out.push('chip cores=' + net.compiled.stats.cores + ' compartments=' + net.compiled.stats.compartments + ' synapses=' + net.compiled.stats.synapses + ' plastic=' + net.compiled.stats.plasticSynapses);

  const oracle: OracleState = { nin, nhid, nout, w1: copy16(w0.w1), w2: copy16(w0.w2), p: copy16(w0.w2tPos), m: copy16(w0.w2tNeg) };
  const oracleMatrix = oracleMatrixOf(oracle);
  const trace = newTrace(nhid, nout);
  const x = new Uint8Array(nin);
  const o = new Uint8Array(nout);
  for (let s = 0; s < ds.count; s++) {
    const a = ds.offsets[s];
    const b = ds.offsets[s + 1];
    const spikesBefore = chip.counters.total(Op.spikes);
    net.trainSample(ds.indices, a, b, ds.labels[s], undefined, o);
    for (let i = 0; i < nin; i++) x[i] = 0;
    for (let k = a; k < b; k++) x[ds.indices[k]] = 1;
    oracleTrain(oracle, x, ds.labels[s], 'chip', trace);
    out.push('sample ' + s + ' label=' + ds.labels[s] + ' spikes=' + (chip.counters.total(Op.spikes) - spikesBefore) + ' o=' + bits(o) + ' oracle-o=' + bits(trace.o) + ' oracle-h=' + bits(trace.h) + ' d=' + bits(trace.dPos) + bits(trace.dNeg));
    if ((s + 1) % PORTABLE_HASH_EVERY === 0) {
      out.push('weights after ' + (s + 1) + ' chip=' + hex32(matricesCrc((n) => net.matrix(n))) + ' oracle=' + hex32(matricesCrc(oracleMatrix)));
    }
  }

  const totals: string[] = [];
  for (let i = 0; i < NUM_OPS; i++) totals.push(OP_NAMES[i] + '=' + chip.counters.total(i));
  out.push('counters ' + totals.join(' '));
  const report = costReport(chip.counters, chip.latencyNs, consts, { chips: 1, includeStatic: true });
  const per = perSample(report, ds.count);
  out.push('energy constants=' + report.constants + ' totalPJ=' + report.energyPJ.total + ' latencyNs=' + report.latencyNs + ' edp=' + report.edpMilliJouleMs);
  out.push('energy per-sample totalPJ=' + per.energyPJ.total + ' synOpsPJ=' + per.energyPJ.synOps + ' learnPJ=' + per.energyPJ.learnVisits + ' latencyNs=' + per.latencyNs);

  robustWindowRun(out, sizes, w0, ds);

  // inference with the trained weights: chip vs dense path
  const w1 = net.matrix('w1');
  const w2 = net.matrix('w2');
  const inf = new SbpInferenceChip(sizes, w1, w2);
  const oc = new Uint8Array(nout);
  const pc = new Float64Array(nout);
  const h = new Uint8Array(nhid);
  const od = new Uint8Array(nout);
  const pd = new Float64Array(nout);
  let agree = 0;
  let correct = 0;
  const outs: string[] = [];
  for (let s = 0; s < ds.count; s++) {
    inf.inferSample(ds.indices, ds.offsets[s], ds.offsets[s + 1], oc, pc);
    denseForward(sizes, w1, w2, ds.indices, ds.offsets[s], ds.offsets[s + 1], h, pd, od);
    if (bits(oc) === bits(od) && list(pc) === list(pd)) agree++;
    if (oc[ds.labels[s]] === 1) correct++;
    if (s < 8) outs.push(bits(oc) + ':' + list(pc));
  }
  out.push('infer agree=' + agree + '/' + ds.count + ' label-spiked=' + correct + ' first=' + outs.join(' '));

  // weights JSON round trip
  const weights = { sizes: [nin, nhid, nout] as [number, number, number], w1, w2, w2tPos: net.matrix('w2tPos'), w2tNeg: net.matrix('w2tNeg') };
  const json = weightsToJson(weights);
  const back = weightsFromJson(json, 'portable.json');
  out.push('weights-json bytes=' + json.length + ' crc=' + hex32(crc32(utf8Encode(json))) + ' roundtrip=' + (weightsToJson(back) === json ? 'same' : 'DIFFERENT'));

  // checkpoint round trip (typed-binary)
  const matrices = {} as Record<MatrixName, Int16Array>;
  for (let i = 0; i < MATRIX_NAMES.length; i++) matrices[MATRIX_NAMES[i]] = net.matrix(MATRIX_NAMES[i]);
  const cp: Checkpoint = {
    sizes: [nin, nhid, nout],
    matrices,
    epoch: 0,
    sampleInEpoch: ds.count,
    samplesTrained: ds.count,
    seed: PORTABLE_INIT_SEED,
    rngState: rng.saveState(),
    meta: { engine: 'portable', note: 'µ→✓ 𝄞', history: [1, 2.5, -3] },
  };
  const bytes = encodeCheckpoint(cp);
  const decoded = decodeCheckpoint(bytes, 'portable.ckpt');
  const again = encodeCheckpoint(decoded);
  let same = again.length === bytes.length;
  for (let i = 0; same && i < bytes.length; i++) same = again[i] === bytes[i];
  out.push(
    'checkpoint bytes=' + bytes.length + ' crc=' + hex32(payloadCrc(bytes)) + ' roundtrip=' + (same ? 'same' : 'DIFFERENT') +
      ' matrices=' + hex32(matricesCrc((n) => decoded.matrices[n])) + ' rng=' + list(decoded.rngState) + ' meta=' + ascii(JSON.stringify(decoded.meta)),
  );

  // error paths: messages built with template literals, UserError lowered to ES5
  const damaged = new Uint8Array(bytes.length);
  damaged.set(bytes);
  damaged[100] ^= 0x10;
  out.push('error checkpoint ' + thrown(() => decodeCheckpoint(damaged, 'damaged.ckpt')));
  out.push('error checkpoint-short ' + thrown(() => decodeCheckpoint(bytes.subarray(0, 10), 'short.ckpt')));
  out.push('error weights-json ' + thrown(() => weightsFromJson(json.replace('[', '[3,'), 'bad.json')));
  out.push('error rule ' + thrown(() => parseLearningRule('dw = y0*x0*q1', 'rule')));

  // the verifier: other order, host reward and the naive kernel, same weights and samples
  const vr = verifyRun({ sizes, order: 'reference', reward: 'host', kernel: 'naive', weights: w0, samples: { dataset: ds } });
  const act = vr.activity;
  out.push(
    'verify order=' + vr.order + ' reward=' + vr.reward + ' kernel=' + vr.kernel + ' samples=' + vr.samples + ' mismatches=' + vr.mismatches +
      ' invariantViolations=' + vr.invariantViolations + ' copiesEqual=' + vr.copiesEqual + ' spikeChecks=' + vr.spikeChecks + ' weightChecks=' + vr.weightChecks +
      ' activity=' + [act.h, act.o, act.dPos, act.dNeg, act.d1Pos, act.d1Neg].join(',') + ' saturated=' + vr.saturatedLow + '/' + vr.saturatedHigh +
      ' pmAsymmetry=' + vr.pmAsymmetry + ' weights=' + hex32(crcInt16(crcInt16(crcInt16(crcInt16(0, vr.weights.w1), vr.weights.w2), vr.weights.w2tPos), vr.weights.w2tNeg)),
  );

  // a training session: shuffled epoch of 40 samples, stopped at the half-epoch checkpoint,
  // resumed from the encoded checkpoint; must end where an uninterrupted session ends
  const sopts: SessionOptions = {
    sizes, seed: PORTABLE_INIT_SEED, order: 'chip', reward: 'chip', placement: 'paper', chips: 1, epochs: 1,
    trainLimit: 40, testLimit: 20, shuffle: true, evalEvery: 'half', evalOn: 'chip',
  };
  const whole = new TrainingSession(sopts, ds, ds, w0);
  const chunks: string[] = [];
  while (!whole.done) {
    const r = whole.trainChunk(25);
    chunks.push(r.trained + ':' + r.boundary + ':' + r.correct);
    if (r.boundary !== 'none') whole.record();
  }
  const first = new TrainingSession(sopts, ds, ds, w0);
  first.trainChunk(100); // stops at the half-epoch boundary
  first.record();
  const resumedBytes = encodeCheckpoint(first.checkpoint({ run: 'portable' }));
  const resumed = new TrainingSession(sopts, ds, ds, w0);
  resumed.restore(decodeCheckpoint(resumedBytes, 'half.ckpt'));
  while (!resumed.done) if (resumed.trainChunk(100).boundary !== 'none') resumed.record();
  const sessionCrc = (t: TrainingSession) => hex32(matricesCrc((n) => t.net.matrix(n)));
  const hist = whole.history.map((e) => e.epoch + '@' + e.samplesTrained + ':' + e.test.accExact + ',' + e.test.accArgmaxSpikes + ',' + e.test.accArgmaxPotential + ',' + e.test.mse);
  out.push(
    'session chunks=' + chunks.join(' ') + ' state=' + list([whole.epoch, whole.sampleInEpoch, whole.samplesTrained]) +
      ' weights=' + sessionCrc(whole) + ' resumed=' + sessionCrc(resumed) + ' checkpoint=' + resumedBytes.length + ':' + hex32(payloadCrc(resumedBytes)) +
      ' history=' + hist.join(' ') + ' resumed-history=' + resumed.history.length,
  );
  return out.join('\n');
}
