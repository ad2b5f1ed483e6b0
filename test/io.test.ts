import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Prng } from '../src/chip/prng';
import { decodeCheckpoint, encodeCheckpoint, MATRIX_NAMES, type Checkpoint, type MatrixName } from '../src/sbp/checkpoint';
import { crc32, crc32Update } from '../src/io/crc32';
import { utf8Decode, utf8Encode } from '../src/io/utf8';
import { UserError } from '../src/errors';
import { weightsFromJson, weightsToJson, type SbpWeights } from '../src/sbp/weights-file';
import { atomicWriteFile, readUserFile } from '../tools/fsutil';

// ---------------------------------------------------------------- helpers

/** Independent bit-at-a-time CRC-32 (reflected 0xEDB88320), no table. */
function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextInt(256);
  return b;
}

/** Random even weights in [-256, 254]. */
function randomWeights(rng: Prng, n: number): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * rng.nextInt(256) - 256;
  return a;
}

/** Random values over the whole Int16 range. */
function randomI16(rng: Prng, n: number): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.nextInt(65536) - 32768;
  return a;
}

function expectUserError(fn: () => unknown, ...parts: (string | RegExp)[]): UserError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UserError);
  const msg = (caught as Error).message;
  for (const p of parts) {
    if (typeof p === 'string') expect(msg).toContain(p);
    else expect(msg).toMatch(p);
  }
  return caught as UserError;
}

// ---------------------------------------------------------------- CRC-32

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('matches a bitwise implementation and zlib on random data', () => {
    const rng = new Prng(7);
    const hasZlib = typeof (zlib as { crc32?: unknown }).crc32 === 'function';
    for (const n of [1, 2, 3, 17, 255, 256, 1000, 4099]) {
      const b = randomBytes(rng, n);
      const c = crc32(b);
      expect(c).toBe(crc32Bitwise(b));
      if (hasZlib) expect(c).toBe(zlib.crc32(b));
    }
  });

  it('continues incrementally and honours start/end', () => {
    const rng = new Prng(8);
    const b = randomBytes(rng, 777);
    const whole = crc32Bitwise(b);
    for (const cut of [0, 1, 100, 776, 777]) {
      expect(crc32Update(crc32(b.subarray(0, cut)), b.subarray(cut))).toBe(whole);
      expect(crc32Update(crc32(b, 0, cut), b, cut, b.length)).toBe(whole);
    }
    expect(crc32(b, 10, 50)).toBe(crc32Bitwise(b.subarray(10, 50)));
  });
});

// ---------------------------------------------------------------- weights JSON

function makeWeights(seed: number, sizes: [number, number, number]): SbpWeights {
  const rng = new Prng(seed);
  const [nIn, nHid, nOut] = sizes;
  return {
    sizes,
    w1: randomWeights(rng, nHid * nIn),
    w2: randomWeights(rng, nOut * nHid),
    w2tPos: randomWeights(rng, nHid * nOut),
    w2tNeg: randomWeights(rng, nHid * nOut),
  };
}

/** The JSON document of makeWeights, built independently: post×pre arrays of rows. */
function weightsDoc(w: SbpWeights): Record<string, unknown> {
  const rows = (m: Int16Array, r: number, c: number) =>
    Array.from({ length: r }, (_, i) => Array.from(m.subarray(i * c, i * c + c)));
  const [nIn, nHid, nOut] = w.sizes;
  return {
    format: 'synfire-weights/1',
    sizes: [nIn, nHid, nOut],
    w1: rows(w.w1, nHid, nIn),
    w2: rows(w.w2, nOut, nHid),
    w2tPos: rows(w.w2tPos, nHid, nOut),
    w2tNeg: rows(w.w2tNeg, nHid, nOut),
  };
}

describe('weights JSON', () => {
  const sizes: [number, number, number] = [7, 5, 3];

  it('writes valid JSON with post×pre rows, one row per line, and reads it back', () => {
    const w = makeWeights(1, sizes);
    const text = weightsToJson(w);
    expect(JSON.parse(text)).toEqual(weightsDoc(w));
    // 5 + 3 + 5 + 5 matrix rows, each on its own line.
    const rowLines = text.split('\n').filter((l) => /^\[-?\d/.test(l));
    expect(rowLines.length).toBe(5 + 3 + 5 + 5);
    const back = weightsFromJson(text, 'w.json');
    expect(back.sizes).toEqual(sizes);
    for (const k of ['w1', 'w2', 'w2tPos', 'w2tNeg'] as const) {
      expect(back[k]).toBeInstanceOf(Int16Array);
      expect(Array.from(back[k])).toEqual(Array.from(w[k]));
    }
  });

  it('accepts the extreme weights -256 and 254 and a compact document', () => {
    const w = makeWeights(2, [2, 1, 1]);
    const doc = weightsDoc(w) as { w1: number[][] };
    doc.w1[0][0] = -256;
    doc.w1[0][1] = 254;
    const back = weightsFromJson(JSON.stringify(doc), 'x.json');
    expect(Array.from(back.w1)).toEqual([-256, 254]);
  });

  it('reports invalid JSON with the file name and the parser message', () => {
    const text = '{"format": "synfire-weights/1", ';
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    expectUserError(() => weightsFromJson(text, 'bad.json'), 'bad.json', 'not valid JSON', parserMessage);
  });

  it('reports a missing or wrong format', () => {
    const doc = weightsDoc(makeWeights(3, sizes));
    delete doc.format;
    expectUserError(() => weightsFromJson(JSON.stringify(doc), 'f.json'), 'f.json', 'missing "format"');
    doc.format = 'synfire-weights/2';
    expectUserError(() => weightsFromJson(JSON.stringify(doc), 'f.json'), 'f.json', '"format"', 'synfire-weights/2');
    expectUserError(() => weightsFromJson('[1,2]', 'arr.json'), 'arr.json', 'JSON object');
  });

  it('reports bad sizes', () => {
    const doc = weightsDoc(makeWeights(4, sizes));
    for (const bad of [undefined, [7, 5], [7, 5, 0], [7, -5, 3], [7, 5.5, 3], 'abc', [7, 5, 3, 1]]) {
      const d = { ...doc, sizes: bad };
      if (bad === undefined) delete d.sizes;
      expectUserError(() => weightsFromJson(JSON.stringify(d), 's.json'), 's.json', '"sizes"', 'three positive integers');
    }
  });

  it('reports a missing matrix, a wrong row count and a wrong row length', () => {
    const base = weightsDoc(makeWeights(5, sizes));
    const missing = { ...base };
    delete missing.w2tPos;
    expectUserError(() => weightsFromJson(JSON.stringify(missing), 'm.json'), 'm.json', 'missing matrix "w2tPos"');

    const fewRows = { ...base, w2: (base.w2 as number[][]).slice(0, 2) };
    expectUserError(() => weightsFromJson(JSON.stringify(fewRows), 'm.json'), 'm.json', '"w2" has 2 rows, expected 3');

    const w1 = (base.w1 as number[][]).map((r) => r.slice());
    w1[4] = w1[4].slice(0, 6);
    expectUserError(
      () => weightsFromJson(JSON.stringify({ ...base, w1 }), 'm.json'),
      'm.json',
      '"w1" row 4 has 6 values, expected 7',
    );

    const notArray = { ...base, w2tNeg: 5 };
    expectUserError(() => weightsFromJson(JSON.stringify(notArray), 'm.json'), 'm.json', '"w2tNeg" must be an array');
  });

  it('reports non-integer, out-of-range, odd and non-numeric values with their position', () => {
    const base = weightsDoc(makeWeights(6, sizes));
    const cases: [unknown, string][] = [
      [2.5, 'not an integer'],
      [256, 'outside the weight range [-256, 254]'],
      [-258, 'outside the weight range [-256, 254]'],
      [3, 'odd'],
      ['4', 'not a number'],
      [null, 'not a number'],
    ];
    for (const [value, why] of cases) {
      const w2tNeg = (base.w2tNeg as number[][]).map((r) => r.slice()) as unknown[][];
      w2tNeg[3][1] = value;
      expectUserError(
        () => weightsFromJson(JSON.stringify({ ...base, w2tNeg }), 'v.json'),
        'v.json',
        `w2tNeg[3][1] = ${JSON.stringify(value)}`,
        why,
      );
    }
  });
});

// ---------------------------------------------------------------- checkpoint

function shapeOf(name: MatrixName, [nIn, nHid, nOut]: [number, number, number]): [number, number] {
  if (name.startsWith('w1')) return [nHid, nIn];
  if (name.startsWith('w2t')) return [nHid, nOut];
  return [nOut, nHid];
}

function makeCheckpoint(seed: number, sizes: [number, number, number], meta: unknown): Checkpoint {
  const rng = new Prng(seed);
  const matrices = {} as Record<MatrixName, Int16Array>;
  for (const name of MATRIX_NAMES) {
    const [r, c] = shapeOf(name, sizes);
    matrices[name] = randomI16(rng, r * c);
  }
  for (let i = 0; i < 10; i++) rng.nextU32();
  return {
    sizes,
    matrices,
    epoch: 3,
    sampleInEpoch: 29999,
    samplesTrained: 5 * 4294967296 + 123456789,
    seed,
    rngState: rng.saveState(),
    meta,
  };
}

interface RawFields {
  magic?: string;
  version?: number;
  sizes: number[];
  epoch: number;
  sampleInEpoch: number;
  samplesTrained: number;
  seed: number;
  rngState: number[];
  matrices: Int16Array[];
  matrixLengths?: number[];
  metaBytes: Uint8Array;
  payloadLength?: number;
}

/**
 * Independent writer of the documented checkpoint layout (DataView, little-endian), used to
 * check the encoder's bytes and to build files that pass the CRC but are inconsistent.
 */
function buildRaw(f: RawFields): Uint8Array {
  const lengths = f.matrixLengths ?? f.matrices.map((m) => m.length);
  const matrixBytes = f.matrices.reduce((s, m) => s + 2 * m.length, 0);
  const realPayload = 4 * (3 + 2 + 2 + 1 + 4 + 8 + 1) + matrixBytes + f.metaBytes.length;
  const payloadLength = f.payloadLength ?? realPayload;
  const out = new Uint8Array(12 + realPayload + 4);
  const dv = new DataView(out.buffer);
  let o = 0;
  const u32 = (v: number) => {
    dv.setUint32(o, v, true);
    o += 4;
  };
  out.set(ascii(f.magic ?? 'SFCK'), 0);
  o = 4;
  u32(f.version ?? 1);
  u32(payloadLength);
  f.sizes.forEach(u32);
  u32(f.epoch);
  u32(f.sampleInEpoch);
  u32(Math.floor(f.samplesTrained / 2 ** 32));
  u32(f.samplesTrained % 2 ** 32);
  u32(f.seed);
  f.rngState.forEach(u32);
  lengths.forEach(u32);
  u32(f.metaBytes.length);
  for (const m of f.matrices) {
    for (const v of m) {
      dv.setInt16(o, v, true);
      o += 2;
    }
  }
  out.set(f.metaBytes, o);
  o += f.metaBytes.length;
  dv.setUint32(o, crc32Bitwise(out.subarray(0, o)), true);
  return out;
}

function rawFrom(c: Checkpoint): RawFields {
  return {
    sizes: c.sizes,
    epoch: c.epoch,
    sampleInEpoch: c.sampleInEpoch,
    samplesTrained: c.samplesTrained,
    seed: c.seed,
    rngState: c.rngState,
    matrices: MATRIX_NAMES.map((n) => c.matrices[n]),
    metaBytes: new TextEncoder().encode(JSON.stringify(c.meta)),
  };
}

/** Recompute the trailing CRC after editing a checkpoint's bytes. */
function fixCrc(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32Bitwise(b.subarray(0, b.length - 4)), true);
  return b;
}

describe('checkpoint', () => {
  const sizes: [number, number, number] = [9, 6, 4];
  const meta = {
    options: { lr: 2, dataset: 'mnist', note: 'Zürich ✓ 😀 "quoted" \\ back' },
    history: [
      { epoch: 0, accuracy: 0.9123 },
      { epoch: 1, accuracy: 0.9456 },
    ],
  };

  it('round-trips every field', () => {
    const c = makeCheckpoint(11, sizes, meta);
    const back = decodeCheckpoint(encodeCheckpoint(c), 'run.ckpt');
    expect(back.sizes).toEqual(sizes);
    for (const name of MATRIX_NAMES) {
      expect(back.matrices[name]).toBeInstanceOf(Int16Array);
      expect(Array.from(back.matrices[name])).toEqual(Array.from(c.matrices[name]));
    }
    expect(back.epoch).toBe(3);
    expect(back.sampleInEpoch).toBe(29999);
    expect(back.samplesTrained).toBe(5 * 4294967296 + 123456789);
    expect(back.seed).toBe(11);
    expect(back.rngState).toEqual(c.rngState);
    expect(back.meta).toEqual(meta);
  });

  it('restores the PRNG so it continues the same sequence', () => {
    const rng = new Prng(99);
    for (let i = 0; i < 37; i++) rng.nextU32();
    const c = { ...makeCheckpoint(99, [2, 2, 2], null), rngState: rng.saveState() };
    const expected = Array.from({ length: 20 }, () => rng.nextU32());
    const restored = new Prng(0);
    restored.restoreState(decodeCheckpoint(encodeCheckpoint(c), 'p.ckpt').rngState);
    expect(Array.from({ length: 20 }, () => restored.nextU32())).toEqual(expected);
  });

  it('writes exactly the documented little-endian layout', () => {
    const c = makeCheckpoint(12, sizes, meta);
    const bytes = encodeCheckpoint(c);
    expect(Array.from(bytes)).toEqual(Array.from(buildRaw(rawFrom(c))));
    expect(Array.from(bytes.subarray(0, 4))).toEqual(Array.from(ascii('SFCK')));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(dv.getUint32(4, true)).toBe(1);
    expect(dv.getUint32(8, true)).toBe(bytes.length - 16);
    expect(dv.getUint32(bytes.length - 4, true)).toBe(zlib.crc32 ? zlib.crc32(bytes.subarray(0, bytes.length - 4)) : crc32Bitwise(bytes.subarray(0, bytes.length - 4)));
  });

  it('decodes from a view into a larger buffer', () => {
    const c = makeCheckpoint(13, sizes, meta);
    const enc = encodeCheckpoint(c);
    const big = new Uint8Array(enc.length + 10);
    big.set(enc, 3);
    const back = decodeCheckpoint(big.subarray(3, 3 + enc.length), 'view.ckpt');
    expect(Array.from(back.matrices.w2tNeg)).toEqual(Array.from(c.matrices.w2tNeg));
    expect(back.meta).toEqual(meta);
  });

  it('stores undefined meta as null', () => {
    const c = makeCheckpoint(14, [1, 1, 1], undefined);
    expect(decodeCheckpoint(encodeCheckpoint(c), 'u.ckpt').meta).toBeNull();
  });

  it('reports a flipped byte anywhere as a CRC mismatch', () => {
    const good = encodeCheckpoint(makeCheckpoint(15, sizes, meta));
    for (const pos of [12, 40, 100, good.length - 20, good.length - 1]) {
      const bad = good.slice();
      bad[pos] ^= 0x10;
      const stored = new DataView(bad.buffer).getUint32(bad.length - 4, true);
      const computed = crc32Bitwise(bad.subarray(0, bad.length - 4));
      const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');
      expectUserError(
        () => decodeCheckpoint(bad, 'flip.ckpt'),
        'flip.ckpt',
        'corrupted: CRC',
        `expected ${hex(stored)}`,
        `got ${hex(computed)}`,
      );
    }
  });

  it('reports truncation with expected and actual length', () => {
    const good = encodeCheckpoint(makeCheckpoint(16, sizes, meta));
    expectUserError(() => decodeCheckpoint(good.slice(0, good.length - 1), 't.ckpt'), 't.ckpt', 'truncated', `expected ${good.length}`, `got ${good.length - 1}`);
    expectUserError(() => decodeCheckpoint(good.slice(0, 100), 't.ckpt'), 't.ckpt', 'truncated', `expected ${good.length}`, 'got 100');
    expectUserError(() => decodeCheckpoint(good.slice(0, 10), 't.ckpt'), 't.ckpt', 'truncated', '10 bytes');
    expectUserError(() => decodeCheckpoint(good.slice(0, 2), 't.ckpt'), 't.ckpt', 'too short', '2 bytes');
    expectUserError(() => decodeCheckpoint(new Uint8Array(0), 't.ckpt'), 't.ckpt', 'too short');
  });

  it('reports trailing garbage', () => {
    const good = encodeCheckpoint(makeCheckpoint(17, sizes, meta));
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expectUserError(() => decodeCheckpoint(longer, 'l.ckpt'), 'l.ckpt', '3 unexpected bytes');
  });

  it('reports a wrong magic as not a checkpoint', () => {
    const bad = encodeCheckpoint(makeCheckpoint(18, sizes, meta));
    bad[0] = 'X'.charCodeAt(0);
    expectUserError(() => decodeCheckpoint(bad, 'm.ckpt'), 'm.ckpt', 'not a synfire checkpoint');
    expectUserError(() => decodeCheckpoint(ascii('{"format":"synfire-weights/1"}'), 'w.json'), 'w.json', 'not a synfire checkpoint');
  });

  it('reports an unsupported version', () => {
    const raw = rawFrom(makeCheckpoint(19, sizes, meta));
    expectUserError(() => decodeCheckpoint(buildRaw({ ...raw, version: 2 }), 'v.ckpt'), 'v.ckpt', 'unsupported checkpoint version 2');
    // Editing the version in an encoded file (with the CRC fixed) gives the same message.
    const enc = encodeCheckpoint(makeCheckpoint(19, sizes, meta));
    enc[4] = 7;
    expectUserError(() => decodeCheckpoint(fixCrc(enc), 'v.ckpt'), 'v.ckpt', 'unsupported checkpoint version 7');
  });

  it('reports matrix lengths inconsistent with sizes even when the CRC is right', () => {
    const c = makeCheckpoint(20, sizes, meta);
    // sizes say hidden = 5, but the matrices were made for hidden = 6: w1 has 54 values, 5×9 = 45 needed.
    const raw = { ...rawFrom(c), sizes: [9, 5, 4] };
    expectUserError(() => decodeCheckpoint(buildRaw(raw), 'i.ckpt'), 'i.ckpt', 'matrix w1 has 54 values', '5×9 = 45');
    // A shortened w2c2 with its length field agreeing but sizes not.
    const matrices = rawFrom(c).matrices.slice();
    matrices[5] = matrices[5].slice(0, 23);
    expectUserError(
      () => decodeCheckpoint(buildRaw({ ...rawFrom(c), matrices }), 'i.ckpt'),
      'i.ckpt',
      'matrix w2c2 has 23 values',
      '4×6 = 24',
    );
    // A length field (and the data behind it) that sizes do not allow.
    const lying = buildRaw({ ...rawFrom(c), matrixLengths: [54, 54, 54, 24, 24, 24, 24, 25] });
    expectUserError(() => decodeCheckpoint(lying, 'i.ckpt'), 'i.ckpt', 'matrix w2tNeg has 25 values');
    const zeroSize = buildRaw({ ...rawFrom(c), sizes: [9, 0, 4] });
    expectUserError(() => decodeCheckpoint(zeroSize, 'i.ckpt'), 'i.ckpt', 'sizes [9, 0, 4]');
  });

  it('reports a payload length that disagrees with the contents', () => {
    const c = makeCheckpoint(21, sizes, meta);
    // Header payload length too small by 2 and file cut to match: CRC sits where the header says.
    const raw = rawFrom(c);
    const full = buildRaw(raw);
    const shortPayload = full.length - 16 - 2;
    const b = new Uint8Array(12 + shortPayload + 4);
    b.set(full.subarray(0, 12 + shortPayload));
    new DataView(b.buffer).setUint32(8, shortPayload, true);
    expectUserError(() => decodeCheckpoint(fixCrc(b), 'p.ckpt'), 'p.ckpt', 'inconsistent', `header says ${shortPayload}`);
  });

  it('reports meta that is not JSON or not UTF-8', () => {
    const raw = rawFrom(makeCheckpoint(22, sizes, meta));
    const notJson = buildRaw({ ...raw, metaBytes: ascii('{"a":') });
    let parserMessage = '';
    try {
      JSON.parse('{"a":');
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    expectUserError(() => decodeCheckpoint(notJson, 'j.ckpt'), 'j.ckpt', 'meta is not valid JSON', parserMessage);
    const notUtf8 = buildRaw({ ...raw, metaBytes: Uint8Array.from([0x22, 0xc3, 0x28, 0x22]) });
    expectUserError(() => decodeCheckpoint(notUtf8, 'j.ckpt'), 'j.ckpt', 'meta is not valid UTF-8');
  });

  it('refuses to encode inconsistent input', () => {
    const c = makeCheckpoint(23, sizes, null);
    expect(() => encodeCheckpoint({ ...c, matrices: { ...c.matrices, w2tPos: new Int16Array(3) } })).toThrow(/w2tPos/);
    expect(() => encodeCheckpoint({ ...c, rngState: [1, 2, 3] })).toThrow(/rngState/);
    expect(() => encodeCheckpoint({ ...c, samplesTrained: -1 })).toThrow(/samplesTrained/);
  });
});

describe('UTF-8 helpers', () => {
  const samples = ['', 'plain ascii', 'é ß ü', '€ 中文 ☃', '😀 𝄞 pairs', '\u0000\u007f\u0080\u07ff\u0800\uffff', '\ud800\udc00\udbff\udfff'];

  it('encode like TextEncoder and decode like TextDecoder', () => {
    const te = new TextEncoder();
    const td = new TextDecoder('utf-8', { fatal: true });
    for (const s of samples) {
      const enc = utf8Encode(s);
      expect(Array.from(enc)).toEqual(Array.from(te.encode(s)));
      expect(utf8Decode(enc)).toBe(s);
      expect(utf8Decode(te.encode(s))).toBe(td.decode(te.encode(s)));
    }
    const long = '😀é'.repeat(5000);
    expect(utf8Decode(utf8Encode(long))).toBe(long);
  });

  it('encodes a lone surrogate as U+FFFD like TextEncoder', () => {
    expect(Array.from(utf8Encode('a\ud800b'))).toEqual(Array.from(new TextEncoder().encode('a\ud800b')));
  });

  it('rejects malformed sequences', () => {
    for (const bad of [[0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff]]) {
      expect(() => utf8Decode(Uint8Array.from(bad))).toThrow(/byte/);
    }
  });
});

// ---------------------------------------------------------------- fsutil

describe('atomicWriteFile and readUserFile', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synfire-io-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

  it('creates and replaces a file, leaving no temp files', () => {
    const target = path.join(dir, 'a.bin');
    atomicWriteFile(target, Uint8Array.from([1, 2, 3]));
    expect(Array.from(fs.readFileSync(target))).toEqual([1, 2, 3]);
    atomicWriteFile(target, 'Grüße\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('Grüße\n');
    expect(fs.readdirSync(dir)).toEqual(['a.bin']);
  });

  it('round-trips a checkpoint through the file system', () => {
    const target = path.join(dir, 'run.ckpt');
    const c = makeCheckpoint(31, [5, 4, 3], { note: 'disk' });
    atomicWriteFile(target, encodeCheckpoint(c));
    const back = decodeCheckpoint(readUserFile(target, 'checkpoint'), target);
    expect(Array.from(back.matrices.w1c2)).toEqual(Array.from(c.matrices.w1c2));
    expect(back.meta).toEqual({ note: 'disk' });
  });

  it('writes a large buffer completely', () => {
    const target = path.join(dir, 'big.bin');
    const data = randomBytes(new Prng(5), 3 << 20);
    atomicWriteFile(target, data);
    expect(crc32Bitwise(new Uint8Array(fs.readFileSync(target)))).toBe(crc32Bitwise(data));
  });

  it('keeps the permission bits of an existing target', () => {
    const target = path.join(dir, 'p.txt');
    fs.writeFileSync(target, 'old');
    fs.chmodSync(target, 0o600);
    atomicWriteFile(target, 'new');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  });

  it('names a missing directory', () => {
    const missing = path.join(dir, 'nope');
    expectUserError(() => atomicWriteFile(path.join(missing, 'x.bin'), 'data'), `directory '${missing}' does not exist`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses to replace a directory', () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    expectUserError(() => atomicWriteFile(path.join(dir, 'sub'), 'data'), 'is a directory');
    expect(fs.readdirSync(dir)).toEqual(['sub']);
  });

  it('leaves the old file intact and no temp file when the write fails', () => {
    const target = path.join(dir, 'ck.bin');
    fs.writeFileSync(target, 'old contents');
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw errno('ENOSPC');
    });
    expectUserError(() => atomicWriteFile(target, 'new contents'), `cannot write '${target}'`, 'no space left');
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(fs.readFileSync(target, 'utf8')).toBe('old contents');
    expect(fs.readdirSync(dir)).toEqual(['ck.bin']);
  });

  it('cleans up after a failing fsync or rename and rethrows non-user errors unchanged', () => {
    const target = path.join(dir, 'ck.bin');
    fs.writeFileSync(target, 'old');
    const boom = new Error('disk on fire');
    vi.spyOn(fs, 'fsyncSync').mockImplementationOnce(() => {
      throw boom;
    });
    let caught: unknown;
    try {
      atomicWriteFile(target, 'new');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['ck.bin']);

    vi.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw errno('EACCES');
    });
    expectUserError(() => atomicWriteFile(target, 'new'), 'permission denied');
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['ck.bin']);
  });

  it('readUserFile returns the bytes and explains missing, directory and forbidden paths', () => {
    const file = path.join(dir, 'w.json');
    fs.writeFileSync(file, Uint8Array.from([7, 8, 9]));
    const got = readUserFile(file, 'weight file');
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Array.from(got)).toEqual([7, 8, 9]);

    const missing = path.join(dir, 'none.json');
    expectUserError(() => readUserFile(missing, 'weight file'), `cannot read weight file '${missing}': no such file or directory`);
    expectUserError(() => readUserFile(dir, 'checkpoint'), `cannot read checkpoint '${dir}': is a directory`);
    vi.spyOn(fs, 'readFileSync').mockImplementationOnce(() => {
      throw errno('EACCES');
    });
    expectUserError(() => readUserFile(file, 'checkpoint'), `cannot read checkpoint '${file}': permission denied`);
  });
});
