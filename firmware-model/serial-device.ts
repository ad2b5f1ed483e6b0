/**
 * The device end of the serial protocol (docs/protocol.md): bytes in, bytes out, one
 * Firmware behind it. Runs wherever the firmware runs (Node, or inside QuickJS with Node
 * only carrying the bytes): no Node APIs, no timers, no Promise. The device never waits and
 * never retransmits on its own; the host's timeouts drive recovery.
 *
 * Rules (the host relies on them):
 *  - Sequenced frames (sample, label, command) are carried out strictly in sequence order,
 *    each exactly once. A frame ahead of the next expected one (within the window) is kept
 *    and answered with an ack naming it (and, in its held bits, every frame kept ahead of the
 *    expected one: a selective acknowledgement); one behind (a duplicate) is answered again from the
 *    reply cache, or with an ack when it is too old to be cached, and never carried out twice.
 *  - Every frame that cannot be decoded (CRC, stuffing, length, version, type) is counted and
 *    answered with an error frame naming the problem; nothing else changes.
 *  - A hello with a new session number resets the sequence numbers (not the weights); the
 *    network is built at the first hello, from its sizes, mode and seed, unless the device
 *    started from a weight image.
 */
import { UserError } from '../src/errors';
import { ACCEL_ENCODER, EventEncoder } from '../src/data/event-encoder';
import {
  asciiBytes,
  COMMANDS,
  encodeFrame,
  ERRORS,
  frameCode,
  imageDigest,
  FrameReader,
  isFault,
  MAX_WINDOW,
  NO_LABEL,
  NO_PREVIOUS,
  SEQ_MODULUS,
  seqDiff,
  unpackBits,
  WEIGHTS_CHUNK_BYTES,
  type ErrorName,
  type Frame,
  type FrameFault,
  type FrameOf,
} from '../src/io/protocol';
import { decodeSpikeRuns } from '../src/io/spike-runs';
import type { FirmwareConfig, SampleResult } from './firmware';

/** What the device needs of the firmware program (firmware.ts's Firmware). */
export interface DeviceFirmware {
  readonly sizes: { input: number; hidden: number; output: number };
  readonly mode: 'train' | 'infer';
  readonly seed: number;
  readonly samplesTrained: number;
  train(input: Uint8Array, label: number): SampleResult;
  infer(input: Uint8Array, label?: number): SampleResult;
  snapshot(): Uint8Array;
  counters(): { names: string[]; values: number[] };
}

/** Sample encodings (hello.encoding). */
export const ENCODING_BITS = 0;
export const ENCODING_ACCEL = 1;
/** Spike bits as run lengths (src/io/spike-runs.ts), or packed bits when that is no longer. */
export const ENCODING_RUNS = 2;

/** The link counters of the device, in the order the counters command lists them after the firmware's. */
export const LINK_COUNTER_NAMES = [
  'fw.samplesTrained',
  'link.framesIn',
  'link.framesOut',
  'link.samples',
  'link.duplicates',
  'link.outOfOrder',
  'link.sensorEvents',
  'link.sensorMerged',
  'link.labelled',
  'link.labelledCorrect',
] as const;

export interface SerialDeviceOptions {
  board: string;
  makeFirmware(config: FirmwareConfig): DeviceFirmware;
  /** A weight image to start from (the firmware is then built at the first hello from it). */
  image?: Uint8Array;
  /** The firmware's reward source ('chip' or 'host'; FirmwareConfig.reward). */
  reward?: string;
  /** The firmware's gating ('paper' or 'robust'; FirmwareConfig.gating). */
  gating?: string;
}

const TWO_32 = 4294967296;
const REPLY_CACHE = 2 * MAX_WINDOW;
const PREDICTION_RING = 256;

export class SerialDevice {
  firmware: DeviceFirmware | null = null;
  /** Frames received and answered with an error, by error name. */
  readonly faults: Record<ErrorName, number>;
  readonly link = {
    framesIn: 0,
    framesOut: 0,
    samples: 0,
    duplicates: 0,
    outOfOrder: 0,
    labelled: 0,
    labelledCorrect: 0,
  };
  private readonly reader = new FrameReader();
  private session = -1;
  private mode: 'train' | 'infer' = 'train';
  private encoding = ENCODING_BITS;
  private expected = 0;
  private readonly pending: Array<Frame | null> = [];
  private readonly replySeq: number[] = [];
  private readonly replies: Array<Uint8Array | null> = [];
  private readonly predictions = new Int16Array(PREDICTION_RING).fill(-1);
  private readonly predictionIndex = new Int32Array(PREDICTION_RING).fill(-1);
  private out: Uint8Array[] = [];
  private lastSampleSeq = -1;
  private lastPredicted = NO_PREVIOUS;
  private encoder: EventEncoder | null = null;
  private bits: Uint8Array = new Uint8Array(0);
  private image: { bytes: Uint8Array; crc: number; at: number } | null = null;

  constructor(private readonly opts: SerialDeviceOptions) {
    const f = {} as Record<ErrorName, number>;
    for (const n of Object.keys(ERRORS) as ErrorName[]) f[n] = 0;
    this.faults = f;
    for (let i = 0; i < MAX_WINDOW; i++) this.pending.push(null);
    for (let i = 0; i < REPLY_CACHE; i++) {
      this.replySeq.push(-1);
      this.replies.push(null);
    }
  }

  /** The hello a device sends when it starts, so that a host learns of a restart. */
  announce(): Uint8Array {
    return this.helloFrame(0);
  }

  /** Feeds received bytes; returns the bytes to send back (possibly none). */
  feed(bytes: Uint8Array): Uint8Array {
    this.out = [];
    this.reader.push(bytes, (x) => this.onFrame(x));
    return concat(this.out);
  }

  private send(bytes: Uint8Array): void {
    this.link.framesOut++;
    this.out.push(bytes);
  }

  private sendFault(error: ErrorName, detail: number): void {
    this.faults[error]++;
    this.send(encodeFrame('error', 0, { code: ERRORS[error].code, detail: detail >>> 0, ack: this.expected }));
  }

  private onFrame(x: Frame | FrameFault): void {
    if (isFault(x)) {
      this.sendFault(x.error, x.detail);
      return;
    }
    this.link.framesIn++;
    switch (x.type) {
      case 'hello':
        this.onHello(x);
        return;
      case 'sample':
      case 'label':
      case 'command':
        this.onSequenced(x);
        return;
      default:
        // result, counters, weights, error and ack frames come from a device: a host does not send them
        this.sendFault('unknown-type', frameCode(x.type));
    }
  }

  private onHello(f: FrameOf<'hello'>): void {
    const b = f.body;
    if (b.role !== 0) return; // another device's hello (a loop-back line): nothing to answer
    if (b.session === this.session) {
      this.send(this.helloFrame(b.session));
      return;
    }
    if (b.mode !== 0 && b.mode !== 1) {
      this.sendFault('mode', b.mode);
      return;
    }
    if (b.encoding !== ENCODING_BITS && b.encoding !== ENCODING_ACCEL && b.encoding !== ENCODING_RUNS) {
      this.sendFault('payload', b.encoding);
      return;
    }
    const mode = b.mode === 0 ? 'train' : 'infer';
    if (this.firmware === null) {
      try {
        this.firmware = this.opts.makeFirmware({
          board: this.opts.board,
          mode,
          sizes: { input: b.input, hidden: b.hidden, output: b.output },
          seed: b.seed,
          image: this.opts.image,
          reward: this.opts.reward,
          gating: this.opts.gating,
        });
      } catch (e) {
        // sizes the board cannot hold, or an image of other sizes: the hello answer shows none
        if (!(e instanceof UserError)) throw e;
        this.sendFault('payload', b.input);
        return;
      }
    }
    const fw = this.firmware;
    if (mode === 'train' && fw.mode !== 'train') {
      this.sendFault('mode', b.mode);
      return;
    }
    this.mode = mode;
    this.encoding = b.encoding;
    if (b.encoding === ENCODING_ACCEL && this.encoder === null) this.encoder = new EventEncoder(ACCEL_ENCODER);
    this.bits = new Uint8Array(fw.sizes.input);
    this.session = b.session;
    this.expected = 0;
    this.lastSampleSeq = -1;
    for (let i = 0; i < MAX_WINDOW; i++) this.pending[i] = null;
    for (let i = 0; i < REPLY_CACHE; i++) {
      this.replySeq[i] = -1;
      this.replies[i] = null;
    }
    this.send(this.helloFrame(b.session));
  }

  private helloFrame(session: number): Uint8Array {
    const fw = this.firmware;
    return encodeFrame(
      'hello',
      0,
      {
        session,
        role: 1,
        mode: this.mode === 'train' ? 0 : 1,
        encoding: this.encoding,
        input: fw ? fw.sizes.input : 0,
        hidden: fw ? fw.sizes.hidden : 0,
        output: fw ? fw.sizes.output : 0,
        samplesTrained: fw ? fw.samplesTrained : 0,
        seed: fw ? fw.seed : 0,
        window: MAX_WINDOW,
      },
      asciiBytes(this.opts.board),
    );
  }

  private onSequenced(f: FrameOf<'sample'> | FrameOf<'label'> | FrameOf<'command'>): void {
    if (this.session < 0) {
      this.sendFault('no-session', f.seq);
      return;
    }
    const d = seqDiff(f.seq, this.expected);
    if (d < 0) {
      this.link.duplicates++;
      const k = f.seq % REPLY_CACHE;
      const cached = this.replies[k];
      if (this.replySeq[k] === f.seq && cached !== null) this.send(cached);
      else this.send(this.ackFrame(0, f.seq));
      return;
    }
    if (d >= MAX_WINDOW) {
      this.sendFault('window', f.seq);
      return;
    }
    if (d > 0) {
      const k = f.seq % MAX_WINDOW;
      if (this.pending[k] !== null) this.link.duplicates++;
      else this.link.outOfOrder++;
      this.pending[k] = f;
      this.send(this.ackFrame(0, f.seq));
      return;
    }
    this.carryOut(f);
    // then every kept frame that is now next in line
    for (;;) {
      const k = this.expected % MAX_WINDOW;
      const next = this.pending[k];
      if (next === null || next.seq !== this.expected) break;
      this.pending[k] = null;
      this.carryOut(next as FrameOf<'sample'>);
    }
  }

  /**
   * An ack frame: `ack` the next expected seq, and the selective-acknowledgement bits of the
   * frames kept ahead of it (bit k: frame expected + 1 + k is held).
   */
  private ackFrame(seq: number, got: number): Uint8Array {
    let lo = 0;
    let hi = 0;
    for (let d = 1; d < MAX_WINDOW; d++) {
      const s = (this.expected + d) % SEQ_MODULUS;
      const kept = this.pending[s % MAX_WINDOW];
      if (kept === null || kept.seq !== s) continue;
      const k = d - 1;
      if (k < 32) lo += Math.pow(2, k);
      else hi += Math.pow(2, k - 32);
    }
    return encodeFrame('ack', seq, { ack: this.expected, got, heldLo: lo, heldHi: hi });
  }

  /** Carries out the next expected frame, caches and sends its reply. */
  private carryOut(f: Frame): void {
    const seq = f.seq;
    this.expected = (this.expected + 1) % SEQ_MODULUS;
    let reply: Uint8Array;
    switch (f.type) {
      case 'sample':
        reply = this.onSample(f);
        break;
      case 'label':
        reply = this.onLabel(f);
        break;
      case 'command':
        reply = this.onCommand(f);
        break;
      default:
        throw new Error(`serial-device: ${f.type} is not a sequenced frame`);
    }
    const k = seq % REPLY_CACHE;
    this.replySeq[k] = seq;
    this.replies[k] = reply;
    this.send(reply);
  }

  /** The error frame that answers sequenced frame `seq` (cached like any reply). */
  private errorReply(seq: number, error: ErrorName, detail: number): Uint8Array {
    this.faults[error]++;
    return encodeFrame('error', seq, { code: ERRORS[error].code, detail: detail >>> 0, ack: this.expected });
  }

  private onSample(f: FrameOf<'sample'>): Uint8Array {
    const fw = this.firmware!;
    const tail = f.tail;
    const bits = this.bits;
    if (this.encoding === ENCODING_BITS) {
      if (tail.length !== (fw.sizes.input + 7) >> 3) return this.errorReply(f.seq, 'payload', tail.length);
      const u = unpackBits(tail, fw.sizes.input);
      bits.set(u);
    } else if (this.encoding === ENCODING_RUNS) {
      if (!decodeSpikeRuns(tail, bits)) return this.errorReply(f.seq, 'payload', tail.length);
    } else {
      const enc = this.encoder!;
      if (tail.length !== enc.config.axes * enc.config.window || enc.units !== fw.sizes.input) {
        return this.errorReply(f.seq, 'payload', tail.length);
      }
      const readings = new Int8Array(tail.buffer, tail.byteOffset, tail.length);
      enc.encode(readings, bits);
    }
    const label = f.body.label;
    if (label !== NO_LABEL && label >= fw.sizes.output) return this.errorReply(f.seq, 'payload', label);
    let r: SampleResult;
    if (this.mode === 'train' && label !== NO_LABEL) r = fw.train(bits, label);
    else r = fw.infer(bits, label === NO_LABEL ? -1 : label);
    this.link.samples++;
    const slot = r.index % PREDICTION_RING;
    this.predictionIndex[slot] = r.index;
    this.predictions[slot] = r.predicted;
    const predicted = r.predicted < 0 ? NO_LABEL : r.predicted;
    const previous = this.lastSampleSeq === (f.seq + SEQ_MODULUS - 1) % SEQ_MODULUS ? this.lastPredicted : NO_PREVIOUS;
    this.lastSampleSeq = f.seq;
    this.lastPredicted = predicted;
    return encodeFrame('result', f.seq, { ack: this.expected, index: r.index, label, predicted, previous });
  }

  private onLabel(f: FrameOf<'label'>): Uint8Array {
    const slot = f.body.index % PREDICTION_RING;
    if (this.predictionIndex[slot] === f.body.index) {
      this.link.labelled++;
      if (this.predictions[slot] === f.body.label) this.link.labelledCorrect++;
    }
    return this.ackFrame(f.seq, f.seq);
  }

  private onCommand(f: FrameOf<'command'>): Uint8Array {
    const fw = this.firmware!;
    const { code, arg } = f.body;
    if (code === COMMANDS.snapshot) {
      let img = this.image;
      if (img === null || img.at !== this.link.samples) {
        const bytes = fw.snapshot();
        img = this.image = { bytes, crc: imageDigest(bytes), at: this.link.samples };
      }
      const from = Math.min(arg, img.bytes.length);
      const chunk = img.bytes.subarray(from, Math.min(from + WEIGHTS_CHUNK_BYTES, img.bytes.length));
      return encodeFrame('weights', f.seq, { offset: from, total: img.bytes.length, crc: img.crc }, chunk);
    }
    if (code === COMMANDS.counters) {
      const { names, values } = this.counterList();
      if (arg >= names.length) return this.errorReply(f.seq, 'command', code);
      const v = values[arg];
      return encodeFrame(
        'counters',
        f.seq,
        { index: arg, total: names.length, hi: Math.floor(v / TWO_32), lo: v % TWO_32 },
        asciiBytes(names[arg]),
      );
    }
    if (code === COMMANDS.mode) {
      if (arg !== 0 && arg !== 1) return this.errorReply(f.seq, 'mode', arg);
      if (arg === 0 && fw.mode !== 'train') return this.errorReply(f.seq, 'mode', arg);
      this.mode = arg === 0 ? 'train' : 'infer';
      return this.ackFrame(f.seq, f.seq);
    }
    return this.errorReply(f.seq, 'command', code);
  }

  /** The firmware's counters, then the link counters, then one per error kind. */
  counterList(): { names: string[]; values: number[] } {
    const fw = this.firmware;
    const c = fw ? fw.counters() : { names: [], values: [] };
    const names = c.names.slice();
    const values = c.values.slice();
    const l = this.link;
    const enc = this.encoder;
    const link = [fw ? fw.samplesTrained : 0, l.framesIn, l.framesOut, l.samples, l.duplicates, l.outOfOrder, enc ? enc.counters.events : 0, enc ? enc.counters.merged : 0, l.labelled, l.labelledCorrect];
    for (let i = 0; i < LINK_COUNTER_NAMES.length; i++) {
      names.push(LINK_COUNTER_NAMES[i]);
      values.push(link[i]);
    }
    for (const n of Object.keys(this.faults) as ErrorName[]) {
      names.push('error.' + n);
      values.push(this.faults[n]);
    }
    return { names, values };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], o);
    o += parts[i].length;
  }
  return out;
}

const HEX_DIGITS = '0123456789abcdef';

function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_DIGITS.charAt(b[i] >> 4) + HEX_DIGITS.charAt(b[i] & 15);
  return s;
}

function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const v = parseInt(s.substr(2 * i, 2), 16);
    if (v !== v) throw new UserError(`serial device: character ${2 * i} of a hex chunk is not hex`);
    out[i] = v;
  }
  return out;
}

/**
 * The serial device for an engine driven by a host program that carries bytes (the
 * `synfire device --engine quickjs` command): bytes cross as hex strings, the only type every
 * engine's evaluation returns. The firmware and the protocol run in the engine; the host
 * program only moves the bytes between the serial port and `feedHex`.
 */
export class SerialDeviceHex {
  readonly device: SerialDevice;
  private image: number[] = [];

  constructor(board: string, heapBytes: number, makeFirmware: (c: FirmwareConfig) => DeviceFirmware) {
    this.device = new SerialDevice({
      board,
      makeFirmware: (c) => {
        if (this.image.length > 0) c.image = Uint8Array.from(this.image);
        if (heapBytes > 0 && c.heapBytes === undefined) c.heapBytes = heapBytes;
        return makeFirmware(c);
      },
    });
  }

  /** Appends hex bytes of a weight image to start from (before the first hello). */
  imagePart(hex: string): void {
    const b = fromHex(hex);
    for (let i = 0; i < b.length; i++) this.image.push(b[i]);
  }

  announceHex(): string {
    return toHex(this.device.announce());
  }

  feedHex(hex: string): string {
    return toHex(this.device.feed(fromHex(hex)));
  }

  /** The weight image as hex ('' before the network is built), for a host that saves it. */
  snapshotHex(): string {
    return this.device.firmware ? toHex(this.device.firmware.snapshot()) : '';
  }

  samples(): number {
    return this.device.link.samples;
  }
}
