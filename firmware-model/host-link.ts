/**
 * The host link of a board bundle: how a host (the `synfire embedded` command, or a serial
 * line) drives the firmware inside an engine that has no files. Everything crosses as text,
 * because Duktape's command line only takes lines of source:
 *
 *  - samples travel in chunks, each sample as 2 hex digits of label ("ff" for none) then
 *    the input bits packed 8 to a byte (bit i of byte b is input 8b + i) in hex;
 *  - a chunk's results come back as one character per sample: the predicted class as a
 *    base-36 digit, or "-" for none; the chunk's correct count follows after a space;
 *  - a flash image goes in (imageBegin/imagePart) and comes out (snapshot/snapshotHex) in
 *    hex pieces, so neither side holds more than one copy of it plus one piece.
 *
 * Portable (no Node APIs).
 */
import { UserError } from '../src/errors';
import { Firmware, runLoop, type FirmwareConfig, type ResultSink, type SampleResult, type SampleSource } from './firmware';

/** Hex digits of packed input bits per sample. */
export function packedHexLength(inputs: number): number {
  return 2 * Math.ceil(inputs / 8);
}

/** Encode samples (host side; the engine only decodes). */
export function encodeSamples(inputs: ArrayLike<number>[], labels: ArrayLike<number>): string {
  let s = '';
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k];
    s += hexByte(labels[k] < 0 ? 255 : labels[k]);
    for (let b = 0; b < x.length; b += 8) {
      let v = 0;
      for (let i = 0; i < 8 && b + i < x.length; i++) if (x[b + i]) v |= 1 << i;
      s += hexByte(v);
    }
  }
  return s;
}

const HEX = '0123456789abcdef';
function hexByte(v: number): string {
  return HEX.charAt(v >> 4) + HEX.charAt(v & 15);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** A SampleSource over one chunk of text; decodes each sample into one reused input array. */
export class ChunkSource implements SampleSource {
  private text = '';
  private at = 0;
  private readonly stride: number;
  private readonly sample: { input: Uint8Array; label: number };

  constructor(readonly inputs: number) {
    this.stride = 2 + packedHexLength(inputs);
    this.sample = { input: new Uint8Array(inputs), label: -1 };
  }

  reset(text: string): void {
    if (text.length % this.stride !== 0) throw new UserError(`host link: a chunk of ${text.length} characters is not a whole number of ${this.stride}-character samples`);
    this.text = text;
    this.at = 0;
  }

  private byteAt(i: number): number {
    const hi = hexValue(this.text.charCodeAt(i));
    const lo = hexValue(this.text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) throw new UserError(`host link: character ${i} of the chunk is not hex`);
    return hi * 16 + lo;
  }

  next(): { input: Uint8Array; label: number } | null {
    if (this.at >= this.text.length) return null;
    const s = this.sample;
    const l = this.byteAt(this.at);
    s.label = l === 255 ? -1 : l;
    const x = s.input;
    let p = this.at + 2;
    for (let b = 0; b < x.length; b += 8, p += 2) {
      const v = this.byteAt(p);
      for (let i = 0; i < 8 && b + i < x.length; i++) x[b + i] = (v >> i) & 1;
    }
    this.at += this.stride;
    return s;
  }
}

/** Collects one chunk's results as text. */
class ChunkSink implements ResultSink {
  predicted = '';
  correct = 0;
  result(r: SampleResult): void {
    this.predicted += r.predicted < 0 ? '-' : r.predicted.toString(36);
    if (r.correct) this.correct++;
  }
}

/** One firmware and its host link (what a board bundle exposes as the global `synfireFirmware`). */
export class HostLink {
  fw: Firmware | null = null;
  private source: ChunkSource | null = null;
  private image: Uint8Array | null = null;
  private imageAt = 0;
  private snap: Uint8Array | null = null;

  constructor(
    readonly board: string,
    /** Size of the bundle the engine runs, for the memory plan (0: unknown). */
    readonly bundleBytes = 0,
  ) {}

  /** Reserve room for a flash image that the next imagePart calls fill and boot() uses. */
  imageBegin(bytes: number): void {
    this.image = new Uint8Array(bytes);
    this.imageAt = 0;
  }

  imagePart(hex: string): void {
    const img = this.image;
    if (!img) throw new UserError('host link: imagePart before imageBegin');
    if (hex.length % 2 !== 0 || this.imageAt + hex.length / 2 > img.length) throw new UserError('host link: image part does not fit the announced image');
    for (let i = 0; i < hex.length; i += 2) {
      const hi = hexValue(hex.charCodeAt(i));
      const lo = hexValue(hex.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) throw new UserError('host link: image part is not hex');
      img[this.imageAt++] = hi * 16 + lo;
    }
  }

  /**
   * Build the firmware from a JSON FirmwareConfig without `image` (the image given with
   * imageBegin/imagePart is used if any). Returns JSON: the memory plan's totalBytes and budgetBytes.
   */
  boot(configJson: string): string {
    const c = JSON.parse(configJson) as FirmwareConfig;
    if (this.board && c.board !== this.board) throw new UserError(`host link: this bundle is built for board ${this.board}, not ${c.board}`);
    if (this.image) {
      if (this.imageAt !== this.image.length) throw new UserError(`host link: image has ${this.imageAt} of ${this.image.length} announced bytes`);
      c.image = this.image;
    }
    if (this.bundleBytes > 0 && c.bundleBytes === undefined) c.bundleBytes = this.bundleBytes;
    this.fw = new Firmware(c);
    this.image = null;
    this.source = new ChunkSource(c.sizes.input);
    return JSON.stringify({ plannedBytes: this.fw.plan.totalBytes, budgetBytes: this.fw.plan.budgetBytes });
  }

  private firmware(): Firmware {
    if (!this.fw) throw new UserError('host link: boot first');
    return this.fw;
  }

  /** Run a chunk of samples; returns the predictions (one character each), a space and the correct count. */
  feed(chunk: string, mode: 'train' | 'infer'): string {
    const fw = this.firmware();
    const src = this.source!;
    src.reset(chunk);
    const sink = new ChunkSink();
    runLoop(fw, src, sink, mode);
    return sink.predicted + ' ' + sink.correct;
  }

  /** Take a snapshot and keep it for snapshotHex; returns its length in bytes. */
  snapshot(): number {
    this.snap = this.firmware().snapshot();
    return this.snap.length;
  }

  /** Hex of snapshot bytes [offset, offset + count). */
  snapshotHex(offset: number, count: number): string {
    const s = this.snap;
    if (!s) throw new UserError('host link: snapshot first');
    let h = '';
    const end = Math.min(s.length, offset + count);
    for (let i = offset; i < end; i++) h += hexByte(s[i]);
    return h;
  }

  dropSnapshot(): void {
    this.snap = null;
  }

  /** The counters as JSON {names, values}. */
  counters(): string {
    return JSON.stringify(this.firmware().counters());
  }
}
