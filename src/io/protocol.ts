/**
 * The serial wire protocol between a host and a device that learns (docs/protocol.md).
 *
 * A frame is a 4-byte header (protocol version, frame type, sequence number), a payload whose
 * layout the frame type fixes (a typed-binary schema, then for some types a variable `tail` of
 * bytes running to the end of the payload), and a CRC-32 (IEEE, crc32.ts) of everything
 * before it. On the wire each frame is COBS-stuffed (cobs.ts) and ends with a 0x00 byte.
 * All integers are little-endian.
 *
 * The schemas below are the one source of truth: the encoder and decoder use them, and the
 * byte tables of docs/protocol.md are generated from them (`protocolByteTables`; a test
 * checks the document).
 *
 * Portable: no Node APIs, no TextEncoder (names are ASCII).
 */
import * as bin from 'typed-binary';
import { crc32 } from './crc32';
import { cobsDecode, cobsEncode, FRAME_DELIMITER } from './cobs';

/** Bumped whenever a schema or a rule of docs/protocol.md changes. */
export const PROTOCOL_VERSION = 2;

/** The largest decoded frame (header, payload and CRC) either side sends or accepts. */
export const MAX_FRAME_BYTES = 320;
/** Bytes of image carried by one weights frame. */
export const WEIGHTS_CHUNK_BYTES = 48;
/** The most sequenced frames the host may have in flight (the device buffers this many). */
export const MAX_WINDOW = 64;
/** The sequence numbers wrap at 2^16; windows are far smaller than half of that. */
export const SEQ_MODULUS = 65536;
/** `label` value of a sample with no label (an inference-only sample). */
export const NO_LABEL = 0xff;
/** `previous` value of a result whose seq - 1 was not a sample. */
export const NO_PREVIOUS = 0xfe;
/**
 * Whether an ack's selective-acknowledgement bits say the device still needs frame `seq`:
 * the frame it expects next, or one ahead of it (within the window) that it does not hold.
 * False for frames before `ack` (done) and beyond the window.
 */
export function ackMissing(body: { ack: number; heldLo: number; heldHi: number }, seq: number): boolean {
  const d = seqDiff(seq, body.ack);
  if (d === 0) return true;
  if (d < 0 || d >= MAX_WINDOW) return false;
  const k = d - 1;
  const word = k < 32 ? body.heldLo : body.heldHi;
  return Math.floor(word / Math.pow(2, k % 32)) % 2 === 0;
}

/** `got` value of an ack that acknowledges no particular frame. */
export const NO_SEQ = 0xffff;

const headerSchema = bin.object({
  version: bin.u8,
  type: bin.u8,
  seq: bin.u16,
});

/** Payload schema of each frame type, in type-code order (the code is the index + 1). */
const SCHEMAS = {
  hello: bin.object({
    session: bin.u16,
    role: bin.u8,
    mode: bin.u8,
    encoding: bin.u8,
    input: bin.u16,
    hidden: bin.u16,
    output: bin.u16,
    samplesTrained: bin.u32,
    seed: bin.u32,
    window: bin.u8,
  }),
  sample: bin.object({
    label: bin.u8,
  }),
  label: bin.object({
    index: bin.u32,
    label: bin.u8,
  }),
  command: bin.object({
    code: bin.u8,
    arg: bin.u32,
  }),
  result: bin.object({
    ack: bin.u16,
    index: bin.u32,
    label: bin.u8,
    predicted: bin.u8,
    previous: bin.u8,
  }),
  counters: bin.object({
    index: bin.u8,
    total: bin.u8,
    hi: bin.u32,
    lo: bin.u32,
  }),
  weights: bin.object({
    offset: bin.u32,
    total: bin.u32,
    crc: bin.u32,
  }),
  error: bin.object({
    code: bin.u8,
    detail: bin.u32,
    ack: bin.u16,
  }),
  ack: bin.object({
    ack: bin.u16,
    got: bin.u16,
    heldLo: bin.u32,
    heldHi: bin.u32,
  }),
};

export type FrameName = keyof typeof SCHEMAS;
export const FRAME_NAMES = Object.keys(SCHEMAS) as FrameName[];

export type FrameBody<K extends FrameName> = bin.Parsed<(typeof SCHEMAS)[K]>;
export type FrameOf<K extends FrameName> = { type: K; seq: number; body: FrameBody<K>; tail: Uint8Array };
/** A decoded frame: its type, sequence number, fixed fields and variable tail. */
export type Frame = { [K in FrameName]: FrameOf<K> }[FrameName];

/** What each frame is for, who sends it and what its tail holds (documentation and checks). */
export const FRAME_DOCS: Record<
  FrameName,
  { from: 'host' | 'device' | 'both'; sequenced: boolean; about: string; fields: Record<string, string>; tail?: string }
> = {
  hello: {
    from: 'both',
    sequenced: false,
    about:
      'Opens a session. The host sends it (seq 0) until the device answers with its own hello; a hello with the session the device already has is answered again without resetting anything.',
    fields: {
      session: 'session number chosen by the host; sequence numbers restart at 0 in a new session',
      role: '0 host, 1 device',
      mode: "0 train, 1 infer (the host's request; the device answers with the mode it runs)",
      encoding: '0 spike bits (one bit per input unit), 1 accelerometer window (three i8 per reading, x y z), 2 spike runs (run lengths of the spike bits, Elias gamma coded)',
      input: 'input units of the network',
      hidden: 'hidden units',
      output: 'output units (classes)',
      samplesTrained: 'samples trained into the weights the device holds (host: 0)',
      seed: 'seed of the initial weights (host: the seed it asks for; device: the seed its weights grew from)',
      window: 'most sequenced frames in flight (host: what it will use; device: what it buffers)',
    },
    tail: 'board name, ASCII',
  },
  sample: {
    from: 'host',
    sequenced: true,
    about:
      'One sample. Answered by a result frame with the same seq once the device has learned (or inferred) it, in sequence order.',
    fields: { label: `class label, ${NO_LABEL} for none` },
    tail: 'the input: spike bits packed 8 per byte, least significant bit first (encoding 0); readings x0 y0 z0 x1 ... as i8 (encoding 1); spike runs, or the packed bits of encoding 0 when exactly as long (encoding 2)',
  },
  label: {
    from: 'host',
    sequenced: true,
    about: 'The true label of a sample sent without one, for the device\'s accuracy counter. Answered by an ack.',
    fields: { index: 'device sample index (as in its result frame)', label: 'class label' },
  },
  command: {
    from: 'host',
    sequenced: true,
    about: 'A request. Answered by one frame with the same seq (see the command table).',
    fields: { code: 'command code (see below)', arg: 'argument' },
  },
  result: {
    from: 'device',
    sequenced: false,
    about:
      'The outcome of the sample with the same seq; also acknowledges every frame before `ack`.',
    fields: {
      ack: 'next sequence number the device expects (all earlier ones are done)',
      index: 'device sample index (samples learned or inferred before this one)',
      label: 'the label it learned from (255 none)',
      predicted: 'the class the network chose (training: the lowest output that spiked while it learned; 255 none)',
      previous: `\`predicted\` of the sample with seq - 1 (so one lost result costs nothing), ${NO_PREVIOUS} when that frame was no sample`,
    },
  },
  counters: {
    from: 'device',
    sequenced: false,
    about: 'One device counter, answering a counters command (arg = index).',
    fields: {
      index: 'counter index',
      total: 'number of counters',
      hi: 'value div 2^32',
      lo: 'value mod 2^32',
    },
    tail: 'counter name, ASCII',
  },
  weights: {
    from: 'device',
    sequenced: false,
    about:
      'A chunk of the weight image (the firmware snapshot), answering a snapshot command (arg = offset). An offset at or past the end gives an empty chunk: a digest.',
    fields: {
      offset: 'byte offset of this chunk in the image',
      total: 'image length in bytes',
      crc: 'digest of the whole image: FNV-1a, 32-bit (an image ends with its own CRC-32, so no CRC of it can tell images apart)',
    },
    tail: `up to ${WEIGHTS_CHUNK_BYTES} image bytes`,
  },
  error: {
    from: 'both',
    sequenced: false,
    about: 'Names a problem with a received frame (see the error table). The session goes on.',
    fields: {
      code: 'error code',
      detail: 'a number that locates the problem (see the error table)',
      ack: 'next sequence number the sender expects',
    },
  },
  ack: {
    from: 'device',
    sequenced: false,
    about:
      'Acknowledges without a result: a label or mode command (seq = that frame), or a frame received out of order or twice (`got`). Also a selective acknowledgement: which frames after `ack` the device holds, so that the host resends exactly the missing ones at once.',
    fields: {
      ack: 'next sequence number the device expects',
      got: `the frame this answers, ${NO_SEQ} for none`,
      heldLo: 'bit k (least significant first) set: the device holds frame ack + 1 + k, k = 0..31, received ahead of `ack`',
      heldHi: 'the same for frames ack + 33 + k, k = 0..31',
    },
  },
};

/** Command codes (command.code). */
export const COMMANDS = {
  /** Reply: a weights frame holding the image bytes from `arg` on. */
  snapshot: 1,
  /** Reply: a counters frame for counter `arg`. */
  counters: 2,
  /** Reply: an ack. `arg` 0 train, 1 infer. */
  mode: 3,
} as const;
export type CommandName = keyof typeof COMMANDS;

/** Error codes (error.code), each with what `detail` holds. */
export const ERRORS = {
  crc: { code: 1, detail: 'the CRC computed over the frame' },
  truncated: { code: 2, detail: 'the frame length in bytes' },
  'unknown-type': { code: 3, detail: 'the type byte' },
  oversize: { code: 4, detail: 'bytes received before the frame was dropped' },
  version: { code: 5, detail: 'the version byte received' },
  stuffing: { code: 6, detail: 'the block length in bytes' },
  'no-session': { code: 7, detail: 'the seq received' },
  window: { code: 8, detail: 'the seq received' },
  payload: { code: 9, detail: 'the tail length in bytes' },
  command: { code: 10, detail: 'the command code' },
  mode: { code: 11, detail: 'the mode requested' },
} as const;
export type ErrorName = keyof typeof ERRORS;
export const ERROR_NAMES = Object.keys(ERRORS) as ErrorName[];

export function errorName(code: number): ErrorName | undefined {
  for (const n of ERROR_NAMES) if (ERRORS[n].code === code) return n;
  return undefined;
}

const IO = { endianness: 'little' } as const;
export const HEADER_BYTES = headerSchema.measure(bin.MaxValue).size;
export const CRC_BYTES = 4;

/** Bytes of a frame's fixed payload. */
export function payloadBytes(name: FrameName): number {
  return SCHEMAS[name].measure(bin.MaxValue).size;
}

/** Type code of a frame name (1-based, in the order of the schema table). */
export function frameCode(name: FrameName): number {
  return FRAME_NAMES.indexOf(name) + 1;
}

/** The decoded frame (header, payload, CRC) of `frame`. */
export function encodeFrameBody<K extends FrameName>(type: K, seq: number, body: FrameBody<K>, tail?: Uint8Array): Uint8Array {
  const schema = SCHEMAS[type] as unknown as { measure(v: unknown): bin.IMeasurer; write(w: bin.ISerialOutput, v: unknown): void };
  const fixed = schema.measure(body).size;
  const tailLength = tail === undefined ? 0 : tail.length;
  const n = HEADER_BYTES + fixed + tailLength + CRC_BYTES;
  if (n > MAX_FRAME_BYTES) throw new RangeError(`encodeFrame: a ${type} frame of ${n} bytes exceeds ${MAX_FRAME_BYTES}`);
  const out = new Uint8Array(n);
  const w = new bin.BufferWriter(out.buffer, IO);
  headerSchema.write(w, { version: PROTOCOL_VERSION, type: frameCode(type), seq: seq % SEQ_MODULUS });
  schema.write(w, body);
  if (tail !== undefined) out.set(tail, HEADER_BYTES + fixed);
  const at = n - CRC_BYTES;
  const c = crc32(out, 0, at);
  out[at] = c & 0xff;
  out[at + 1] = (c >>> 8) & 0xff;
  out[at + 2] = (c >>> 16) & 0xff;
  out[at + 3] = (c >>> 24) & 0xff;
  return out;
}

/** A frame as it goes on the wire: COBS-stuffed, ending with the 0x00 delimiter. */
export function encodeFrame<K extends FrameName>(type: K, seq: number, body: FrameBody<K>, tail?: Uint8Array): Uint8Array {
  const stuffed = cobsEncode(encodeFrameBody(type, seq, body, tail));
  const out = new Uint8Array(stuffed.length + 1);
  out.set(stuffed);
  out[stuffed.length] = FRAME_DELIMITER;
  return out;
}

/** A frame that could not be decoded: which error, and its detail number. */
export interface FrameFault {
  error: ErrorName;
  detail: number;
  /** One line naming the problem. */
  message: string;
}

function fault(error: ErrorName, detail: number, message: string): FrameFault {
  return { error, detail, message };
}

export function isFault(x: Frame | FrameFault): x is FrameFault {
  return (x as FrameFault).error !== undefined;
}

/** Decodes one decoded (un-stuffed) frame, checking its length, CRC, version and type. */
export function decodeFrameBody(bytes: Uint8Array): Frame | FrameFault {
  const n = bytes.length;
  if (n > MAX_FRAME_BYTES) return fault('oversize', n, `oversize frame: ${n} bytes, at most ${MAX_FRAME_BYTES}`);
  if (n < HEADER_BYTES + CRC_BYTES) {
    return fault('truncated', n, `truncated frame: ${n} bytes, a frame has at least ${HEADER_BYTES + CRC_BYTES}`);
  }
  const at = n - CRC_BYTES;
  const stored = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
  const computed = crc32(bytes, 0, at);
  if (stored !== computed) {
    return fault('crc', computed, `CRC mismatch in a ${n}-byte frame: stored ${hex32(stored)}, computed ${hex32(computed)}`);
  }
  const r = new bin.BufferReader(bytes.buffer, { byteOffset: bytes.byteOffset, endianness: 'little' });
  const header = headerSchema.read(r);
  if (header.version !== PROTOCOL_VERSION) {
    return fault('version', header.version, `protocol version ${header.version}, this side speaks version ${PROTOCOL_VERSION}`);
  }
  const name = FRAME_NAMES[header.type - 1];
  if (name === undefined) return fault('unknown-type', header.type, `unknown frame type ${header.type}`);
  const fixed = payloadBytes(name);
  if (n < HEADER_BYTES + fixed + CRC_BYTES) {
    return fault('truncated', n, `truncated ${name} frame: ${n} bytes, it needs at least ${HEADER_BYTES + fixed + CRC_BYTES}`);
  }
  const body = SCHEMAS[name].read(r);
  const tail = bytes.subarray(HEADER_BYTES + fixed, at);
  if (FRAME_DOCS[name].tail === undefined && tail.length !== 0) {
    return fault('payload', tail.length, `${name} frame has ${tail.length} unexpected bytes after its fields`);
  }
  return { type: name, seq: header.seq, body, tail } as Frame;
}

/** Decodes one block found between delimiters: un-stuffs it, then decodeFrameBody. */
export function decodeBlock(block: Uint8Array): Frame | FrameFault {
  if (block.length > 2 * MAX_FRAME_BYTES) {
    return fault('oversize', block.length, `oversize frame: ${block.length} bytes on the wire`);
  }
  const body = cobsDecode(block);
  if (body === null) return fault('stuffing', block.length, `bad COBS stuffing in a ${block.length}-byte block`);
  return decodeFrameBody(body);
}

/**
 * Splits a byte stream at the 0x00 delimiters and decodes each block. Keeps at most
 * 2 * MAX_FRAME_BYTES bytes of an unfinished block: past that the block is dropped (one
 * `oversize` fault) and bytes are skipped up to the next delimiter, so garbage cannot grow
 * the buffer. Empty blocks (two delimiters in a row) are ignored.
 */
export class FrameReader {
  private buf = new Uint8Array(2 * MAX_FRAME_BYTES);
  private len = 0;
  private skipping = false;
  private skipped = 0;

  /** Feeds received bytes; calls `emit` for every complete frame or fault, in order. */
  push(bytes: Uint8Array, emit: (x: Frame | FrameFault) => void): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === FRAME_DELIMITER) {
        if (this.skipping) {
          this.skipping = false;
          emit(fault('oversize', this.skipped, `oversize frame: more than ${2 * MAX_FRAME_BYTES} bytes before a delimiter (${this.skipped})`));
        } else if (this.len > 0) {
          const block = this.buf.slice(0, this.len);
          this.len = 0;
          emit(decodeBlock(block));
        }
        continue;
      }
      if (this.skipping) {
        this.skipped++;
      } else if (this.len === this.buf.length) {
        this.skipping = true;
        this.skipped = this.len + 1;
        this.len = 0;
      } else {
        this.buf[this.len++] = b;
      }
    }
  }
}

/** ASCII bytes of a name (characters above 0x7e become '?'). */
export function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[i] = c >= 0x20 && c <= 0x7e ? c : 0x3f;
  }
  return b;
}

export function asciiText(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] >= 0x20 && b[i] <= 0x7e ? b[i] : 0x3f);
  return s;
}

/** `a - b` in sequence-number space, in [-SEQ_MODULUS/2, SEQ_MODULUS/2). */
export function seqDiff(a: number, b: number): number {
  const d = (((a - b) % SEQ_MODULUS) + SEQ_MODULUS) % SEQ_MODULUS;
  return d >= SEQ_MODULUS / 2 ? d - SEQ_MODULUS : d;
}

function hex32(v: number): string {
  return '0x' + ('00000000' + (v >>> 0).toString(16)).slice(-8);
}

/**
 * The digest a weights frame carries: FNV-1a (32-bit) of the image. Not a CRC: an image ends
 * with its own CRC-32, and any CRC-32 (whatever its start value) of a block followed by its
 * CRC-32 is a constant, the same for every image. FNV-1a's multiply by 16777619 is done as
 * h * 403 + (h mod 2^8) * 2^24 modulo 2^32, exact in doubles (no Math.imul).
 */
export function imageDigest(image: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) {
    h = (h ^ image[i]) >>> 0;
    h = (h * 403 + (h & 0xff) * 16777216) % 4294967296;
  }
  return h;
}

/** Spike bits (one 0/1 per unit) packed 8 per byte, least significant bit first. */
export function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array((bits.length + 7) >> 3);
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

export function unpackBits(packed: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (packed[i >> 3] >> (i & 7)) & 1;
  return out;
}

/** Bytes on the wire (stuffed, with delimiter) of a frame whose decoded length is `n`, at most. */
export function wireBytes(n: number): number {
  return n + 1 + Math.floor(n / 254) + 1;
}

/** Decoded length of a frame of type `name` with a tail of `tailBytes`. */
export function frameBytes(name: FrameName, tailBytes = 0): number {
  return HEADER_BYTES + payloadBytes(name) + tailBytes + CRC_BYTES;
}

const KIND_NAMES: Array<[unknown, string]> = [
  [bin.u8, 'u8'],
  [bin.u16, 'u16'],
  [bin.u32, 'u32'],
  [bin.i8, 'i8'],
  [bin.i16, 'i16'],
  [bin.i32, 'i32'],
];

function kindOf(s: unknown): { name: string; bytes: number } {
  for (const [schema, name] of KIND_NAMES) {
    if (schema === s) return { name, bytes: (s as bin.AnySchema).measure(bin.MaxValue).size };
  }
  throw new Error('protocol: a field schema that the byte tables cannot name');
}

/** One row of a frame's byte table: offset, size, type, field, meaning. */
export interface ByteRow {
  offset: number;
  bytes: number | 'rest';
  kind: string;
  field: string;
  about: string;
}

/** The byte table of a frame type, from the header through the CRC, generated from the schemas. */
export function frameByteRows(name: FrameName): ByteRow[] {
  const rows: ByteRow[] = [];
  let at = 0;
  const headerAbout: Record<string, string> = {
    version: `protocol version (${PROTOCOL_VERSION})`,
    type: `frame type (${frameCode(name)} = ${name})`,
    seq: FRAME_DOCS[name].sequenced ? 'sequence number' : 'seq of the frame this answers (0 if none)',
  };
  for (const [field, s] of Object.entries(headerSchema.properties)) {
    const k = kindOf(s);
    rows.push({ offset: at, bytes: k.bytes, kind: k.name, field, about: headerAbout[field] });
    at += k.bytes;
  }
  const doc = FRAME_DOCS[name];
  for (const [field, s] of Object.entries(SCHEMAS[name].properties)) {
    const k = kindOf(s);
    const about = doc.fields[field];
    if (about === undefined) throw new Error(`protocol: field ${name}.${field} has no description`);
    rows.push({ offset: at, bytes: k.bytes, kind: k.name, field, about });
    at += k.bytes;
  }
  if (doc.tail !== undefined) rows.push({ offset: at, bytes: 'rest', kind: 'u8[]', field: 'tail', about: doc.tail });
  rows.push({ offset: doc.tail !== undefined ? -1 : at, bytes: CRC_BYTES, kind: 'u32', field: 'crc', about: 'CRC-32 of every byte before it' });
  return rows;
}

/** The field names of a frame's payload schema (for checks). */
export function payloadFields(name: FrameName): string[] {
  return Object.keys(SCHEMAS[name].properties);
}

/**
 * The generated part of docs/protocol.md: one byte table per frame type, then the command
 * and error tables. Markdown.
 */
export function protocolByteTables(): string {
  const out: string[] = [];
  for (const name of FRAME_NAMES) {
    const doc = FRAME_DOCS[name];
    out.push(`### ${frameCode(name)} \`${name}\` (from ${doc.from}${doc.sequenced ? ', sequenced' : ''})`);
    out.push('');
    out.push(doc.about);
    out.push('');
    out.push('| offset | bytes | type | field | meaning |');
    out.push('|---|---|---|---|---|');
    for (const r of frameByteRows(name)) {
      const off = r.offset < 0 ? 'end-4' : String(r.offset);
      out.push(`| ${off} | ${r.bytes} | ${r.kind} | ${r.field} | ${r.about} |`);
    }
    out.push('');
  }
  out.push('### Commands');
  out.push('');
  out.push('| code | command |');
  out.push('|---|---|');
  for (const n of Object.keys(COMMANDS) as CommandName[]) out.push(`| ${COMMANDS[n]} | ${n} |`);
  out.push('');
  out.push('### Errors');
  out.push('');
  out.push('| code | error | detail |');
  out.push('|---|---|---|');
  for (const n of ERROR_NAMES) out.push(`| ${ERRORS[n].code} | ${n} | ${ERRORS[n].detail} |`);
  return out.join('\n');
}
