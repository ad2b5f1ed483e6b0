/**
 * The firmware program: what runs on a microcontroller-class JavaScript engine (QuickJS,
 * Duktape) bundled by tools/build-boards.mjs. It owns one sBP network on the chip model,
 * trains it on the device sample by sample through the gating chain (the 12-phase training
 * network, portable JavaScript kernel) or runs the 4-phase inference network, keeps its
 * weights as a CRC-checked flash image, and counts the chip's operations.
 *
 * Rules of the device: no Node APIs, no timers, no Promise; the constructor refuses a
 * network that cannot fit the board's heap (the host's memory plan, or the weights alone),
 * before it builds anything; the chip is built with device storage (ChipSpec.lean); after
 * construction train() and infer() allocate nothing of their own (the result object and the
 * scratch arrays are reused: read a SampleResult before the next call).
 *
 * docs/device.md ("Firmware program") describes the interface.
 */
import { NUM_OPS, OP_NAMES } from '../src/chip/counters';
import type { Chip } from '../src/chip/chip';
import { UserError } from '../src/errors';
import { denseForward, SbpInferenceChip } from '../src/sbp/inference';
import { initialWeights } from '../src/sbp/init';
import { PLASTIC_NAMES, type PlasticName, type RewardSource, type SbpSizes } from '../src/sbp/topology';
import { loadWeights, SbpTrainingChip } from '../src/sbp/training';
import { decodeFlashImage, encodeFlashImage, type FlashImage } from './flash-image';

export interface FirmwareConfig {
  board: string;
  mode: 'train' | 'infer';
  sizes: { input: number; hidden: number; output: number };
  /** Seed of the initial weights (rand_He) when no image is given. */
  seed: number;
  /** A flash image (snapshot()) to start from instead of the initial weights. */
  image?: Uint8Array;
  /** Who drives the reward that switches learning: 'chip' (the gating chain, default) or 'host'. */
  reward?: string;
  /** The gate weights, inhibition and exponents: 'paper' (the authors', default) or 'robust' (docs/gating.md). */
  gating?: string;
  /**
   * The heap the engine has on this board (a board bundle passes its board's budget). When
   * given, the firmware refuses a network that cannot fit it: one whose host-made memory plan
   * (plannedBytes) or whose weights alone need more.
   */
  heapBytes?: number;
  /** The host's memory plan of this network (synfire plan: planMemory's totalBytes). */
  plannedBytes?: number;
}

/**
 * Bytes the weights alone take on the device (Int16 each, stored once): a lower bound of any
 * memory plan, which the firmware checks itself (the planner stays on the host).
 */
export function weightBytes(sizes: SbpSizes, mode: 'train' | 'infer'): number {
  const w1 = sizes.hidden * sizes.input;
  const w2 = sizes.output * sizes.hidden;
  // training: W1 and W2 in three copies each, +W2^T and -W2^T
  return mode === 'train' ? 2 * (3 * w1 + 5 * w2) : 2 * (w1 + w2);
}

/** Number with thousands separators (portable: no Intl). */
function grouped(v: number): string {
  const s = String(v);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s.charAt(i);
  }
  return out;
}

export interface SampleResult {
  /** 0-based count of samples this firmware has processed before this one. */
  index: number;
  /** The sample's label, -1 when none was given. */
  label: number;
  /**
   * Training: the lowest output that spiked in phase 3, -1 when none did. Inference: argmax
   * of the output potential W2.h (ties to the lowest index).
   */
  predicted: number;
  correct: boolean;
}

export interface SampleSource {
  /** The next sample, or null at the end. The input array may be reused between calls. */
  next(): { input: Uint8Array; label: number } | null;
}

export interface ResultSink {
  result(r: SampleResult): void;
  counters?(c: { names: string[]; values: number[] }): void;
}

const MAX_UNITS = 65535;

function checkSizes(s: FirmwareConfig['sizes']): SbpSizes {
  if (!s || typeof s !== 'object') throw new UserError('firmware: sizes must be {input, hidden, output}');
  const names: Array<keyof SbpSizes> = ['input', 'hidden', 'output'];
  for (let i = 0; i < names.length; i++) {
    const v = s[names[i]];
    if (typeof v !== 'number' || Math.floor(v) !== v || v < 1 || v > MAX_UNITS) {
      throw new UserError(`firmware: sizes.${names[i]} must be an integer 1..${MAX_UNITS}, got ${v}`);
    }
  }
  return { input: s.input, hidden: s.hidden, output: s.output };
}

export class Firmware {
  readonly board: string;
  readonly mode: 'train' | 'infer';
  readonly sizes: SbpSizes;
  /** Seed of the initial weights these weights grew from (carried in the flash image). */
  seed: number;
  /** What the constructor checked: the bytes the network needs (the host's plan, else the weights alone) and the heap (0: unknown). */
  readonly need: { bytes: number; heapBytes: number; planned: boolean };
  /** Samples trained or inferred since construction. */
  samplesSeen = 0;
  /** Samples trained into the current weights (carried in the flash image). */
  samplesTrained = 0;
  private readonly trainer: SbpTrainingChip | null = null;
  private readonly inferer: SbpInferenceChip | null = null;
  private readonly active: Uint16Array;
  private readonly o: Uint8Array;
  private readonly potential: Float64Array;
  private readonly res: SampleResult = { index: 0, label: -1, predicted: -1, correct: false };
  /** Training firmware only, built at the first infer(): post x pre copies of W1 and W2 and the hidden layer. */
  private dense: { w1: Int16Array; w2: Int16Array; h: Uint8Array; at: number } | null = null;

  constructor(config: FirmwareConfig) {
    if (!config || typeof config !== 'object') throw new UserError('firmware: a configuration object is required');
    if (config.mode !== 'train' && config.mode !== 'infer') throw new UserError(`firmware: mode must be 'train' or 'infer', got ${String(config.mode)}`);
    const sizes = checkSizes(config.sizes);
    const seed = config.seed;
    if (typeof seed !== 'number' || Math.floor(seed) !== seed || seed < 0 || seed > 4294967295) {
      throw new UserError(`firmware: seed must be an integer 0..4294967295, got ${seed}`);
    }
    const reward = config.reward === undefined ? 'chip' : config.reward;
    if (reward !== 'chip' && reward !== 'host') throw new UserError(`firmware: reward must be 'chip' or 'host', got ${reward}`);
    const gating = config.gating === undefined ? 'paper' : config.gating;
    if (gating !== 'paper' && gating !== 'robust') throw new UserError(`firmware: gating must be 'paper' or 'robust', got ${gating}`);
    this.board = config.board;
    this.mode = config.mode;
    this.sizes = sizes;
    this.seed = seed;
    // refuse before building anything
    const heap = config.heapBytes ?? 0;
    const planned = config.plannedBytes;
    const need = Math.max(planned ?? 0, weightBytes(sizes, config.mode));
    this.need = { bytes: need, heapBytes: heap, planned: planned !== undefined };
    if (heap > 0 && need > heap) {
      throw new UserError(
        `${sizes.input}-${sizes.hidden}-${sizes.output} ${config.mode} does not fit ${config.board}: needs ${grouped(need)} B` +
          (planned !== undefined && planned >= need ? ' (memory plan)' : ' (weights alone)') +
          `, budget ${grouped(heap)} B`,
      );
    }

    const img: FlashImage | null = config.image ? decodeFlashImage(config.image, sizes, config.mode === 'train') : null;
    this.active = new Uint16Array(sizes.input);
    this.o = new Uint8Array(sizes.output);
    this.potential = new Float64Array(sizes.output);
    if (config.mode === 'train') {
      const net = new SbpTrainingChip({ sizes, order: 'chip', reward: reward as RewardSource, gating, kernel: 'fast', lean: true });
      loadWeights(net, img ?? initialWeights(sizes, seed));
      this.trainer = net;
    } else {
      const w = img ?? initialWeights(sizes, seed);
      this.inferer = new SbpInferenceChip(sizes, w.w1, w.w2, { lean: true, gating });
    }
    if (img) {
      this.samplesTrained = img.samplesTrained;
      this.seed = img.seed;
    }
  }

  /** The chip the firmware runs (the training or the inference network). */
  get chip(): Chip {
    return this.trainer ? this.trainer.chip : this.inferer!.chip;
  }

  /** Active input indices of a 0/1 input vector into this.active; returns their count. */
  private gather(input: Uint8Array): number {
    const nin = this.sizes.input;
    if (!input || input.length !== nin) throw new UserError(`firmware: a sample has ${nin} inputs, got ${input ? input.length : 'none'}`);
    const a = this.active;
    let n = 0;
    for (let i = 0; i < nin; i++) if (input[i] !== 0) a[n++] = i;
    return n;
  }

  private checkLabel(label: number, required: boolean): void {
    if (!required && label === -1) return;
    if (typeof label !== 'number' || Math.floor(label) !== label || label < 0 || label >= this.sizes.output) {
      throw new UserError(`firmware: label must be an integer 0..${this.sizes.output - 1}${required ? '' : ' or -1'}, got ${label}`);
    }
  }

  /** Train one sample on the chip (12 phases; learning through the gating chain). */
  train(input: Uint8Array, label: number): SampleResult {
    const net = this.trainer;
    if (!net) throw new UserError('firmware: this firmware was built for inference; train() needs mode train');
    this.checkLabel(label, true);
    const n = this.gather(input);
    const o = this.o;
    net.trainSample(this.active, 0, n, label, undefined, o);
    let predicted = -1;
    for (let k = 0; k < o.length; k++)
      if (o[k]) {
        predicted = k;
        break;
      }
    this.samplesTrained++;
    return this.done(label, predicted);
  }

  /** Infer one sample (label -1 when unknown). */
  infer(input: Uint8Array, label = -1): SampleResult {
    this.checkLabel(label, false);
    const n = this.gather(input);
    const out = this.potential;
    if (this.inferer) this.inferer.inferSample(this.active, 0, n, this.o, out);
    else {
      // a training firmware answers with the dense integer path (proved equal to the
      // inference network), from copies of W1 and W2 refreshed after training
      const net = this.trainer!;
      let d = this.dense;
      if (d === null) {
        const s = this.sizes;
        d = this.dense = { w1: new Int16Array(s.hidden * s.input), w2: new Int16Array(s.output * s.hidden), h: new Uint8Array(s.hidden), at: -1 };
      }
      if (d.at !== net.samples) {
        net.group('w1').postMajor(d.w1);
        net.group('w2').postMajor(d.w2);
        d.at = net.samples;
      }
      denseForward(this.sizes, d.w1, d.w2, this.active, 0, n, d.h, out, this.o);
    }
    let best = 0;
    for (let k = 1; k < out.length; k++) if (out[k] > out[best]) best = k;
    return this.done(label, best);
  }

  private done(label: number, predicted: number): SampleResult {
    const r = this.res;
    r.index = this.samplesSeen;
    r.label = label;
    r.predicted = predicted;
    r.correct = label >= 0 && predicted === label;
    this.samplesSeen++;
    return r;
  }

  /** The weights as a flash image (little-endian layout + CRC-32; see flash-image.ts). */
  snapshot(): Uint8Array {
    const s = this.sizes;
    if (this.trainer) {
      const net = this.trainer;
      // the copies must still equal W1 and W2 (the sBP network keeps them so); an image stores
      // each once. (Compared in the chip's own storage, which all copies lay out alike.)
      const pairs: Array<[PlasticName, PlasticName]> = [['w1c1', 'w1'], ['w1c2', 'w1'], ['w2c1', 'w2'], ['w2c2', 'w2']];
      for (let p = 0; p < pairs.length; p++) {
        const c = net.group(pairs[p][0]).weights;
        const m = net.group(pairs[p][1]).weights;
        for (let k = 0; k < m.length; k++) if (c[k] !== m[k]) throw new Error(`firmware: plastic copy ${pairs[p][0]} differs from ${pairs[p][1]} at ${k}`);
      }
      const w1 = net.matrix('w1');
      const w2 = net.matrix('w2');
      return encodeFlashImage({ sizes: s, samplesTrained: this.samplesTrained, seed: this.seed, w1, w2, w2tPos: net.matrix('w2tPos'), w2tNeg: net.matrix('w2tNeg') });
    }
    const c = this.inferer!.compiled;
    const chip = this.inferer!.chip;
    const w1 = chip.groups[c.connections['x->h1']].postMajor();
    const w2 = chip.groups[c.connections['h1->o']].postMajor();
    return encodeFlashImage({ sizes: s, samplesTrained: this.samplesTrained, seed: this.seed, w1, w2, w2tPos: new Int16Array(0), w2tNeg: new Int16Array(0) });
  }

  /**
   * Load weights from a flash image. A truncated, corrupted or foreign image, or one of other
   * sizes, throws a UserError naming the problem, and the weights in use are kept.
   */
  restore(image: Uint8Array): void {
    const img = decodeFlashImage(image, this.sizes, this.mode === 'train');
    if (this.trainer) {
      const net = this.trainer;
      const source: Record<PlasticName, Int16Array> = { w1: img.w1, w1c1: img.w1, w1c2: img.w1, w2: img.w2, w2c1: img.w2, w2c2: img.w2, w2tPos: img.w2tPos, w2tNeg: img.w2tNeg };
      // every matrix checked before any is written
      for (let i = 0; i < PLASTIC_NAMES.length; i++) net.group(PLASTIC_NAMES[i]).checkPostMajor(source[PLASTIC_NAMES[i]]);
      loadWeights(net, img);
    } else this.inferer!.setWeights(img.w1, img.w2);
    this.samplesTrained = img.samplesTrained;
    this.seed = img.seed;
    if (this.dense) this.dense.at = -1;
  }

  /** The chip's operation counters, totals over all phases since construction. */
  counters(): { names: string[]; values: number[] } {
    const names: string[] = [];
    const values: number[] = [];
    const c = this.chip.counters;
    for (let i = 0; i < NUM_OPS; i++) {
      names.push(OP_NAMES[i]);
      values.push(c.total(i));
    }
    return { names, values };
  }
}

/**
 * The main loop: every sample of `source` through the firmware (train or infer), each result
 * to the sink, then the counters (if the sink takes them). Returns the number of samples.
 */
export function runLoop(fw: Firmware, source: SampleSource, sink: ResultSink, mode: 'train' | 'infer'): number {
  if (mode !== 'train' && mode !== 'infer') throw new UserError(`runLoop: mode must be 'train' or 'infer', got ${String(mode)}`);
  let n = 0;
  for (let s = source.next(); s !== null; s = source.next()) {
    sink.result(mode === 'train' ? fw.train(s.input, s.label) : fw.infer(s.input, s.label));
    n++;
  }
  if (sink.counters) sink.counters(fw.counters());
  return n;
}
