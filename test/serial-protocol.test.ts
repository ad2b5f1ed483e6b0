/**
 * The serial wire protocol (src/io/cobs.ts, src/io/protocol.ts), the device end
 * (firmware-model/serial-device.ts) and the sensor source (src/data/accel.ts,
 * src/data/event-encoder.ts), without timers: COBS against the published examples, every
 * frame type round trip, every fault named, docs/protocol.md generated from the schemas,
 * and a device that learns exactly what the firmware learns offline, whatever the line does
 * to the frames.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Firmware } from '../firmware-model/firmware';
import { ENCODING_ACCEL, ENCODING_BITS, ENCODING_RUNS, SerialDevice } from '../firmware-model/serial-device';
import { Prng } from '../src/chip/prng';
import { ACCEL_AXES, ACCEL_CLASSES, ACCEL_WINDOW, AccelStream } from '../src/data/accel';
import { ACCEL_ENCODER, EventEncoder } from '../src/data/event-encoder';
import { cobsDecode, cobsEncode } from '../src/io/cobs';
import { crc32 } from '../src/io/crc32';
import {
  COMMANDS,
  decodeBlock,
  decodeFrameBody,
  encodeFrame,
  encodeFrameBody,
  FRAME_DOCS,
  FRAME_NAMES,
  FrameReader,
  frameByteRows,
  imageDigest,
  isFault,
  MAX_FRAME_BYTES,
  MAX_WINDOW,
  ackMissing,
  packBits,
  payloadFields,
  protocolByteTables,
  PROTOCOL_VERSION,
  unpackBits,
  type Frame,
  type FrameFault,
} from '../src/io/protocol';
import { decodeSpikeRuns, encodeSpikeRuns } from '../src/io/spike-runs';

const hex = (s: string) => Uint8Array.from(s.split(' ').filter(Boolean).map((h) => parseInt(h, 16)));

describe('COBS', () => {
  it('encodes the examples of the COBS literature', () => {
    // Cheshire & Baker's scheme, examples as tabulated for it (delimiter not included)
    const cases: Array<[string, string]> = [
      ['00', '01 01'],
      ['00 00', '01 01 01'],
      ['00 11 00', '01 02 11 01'],
      ['11 22 00 33', '03 11 22 02 33'],
      ['11 22 33 44', '05 11 22 33 44'],
      ['11 00 00 00', '02 11 01 01 01'],
    ];
    for (const [raw, enc] of cases) {
      expect(Array.from(cobsEncode(hex(raw)))).toEqual(Array.from(hex(enc)));
      expect(Array.from(cobsDecode(hex(enc))!)).toEqual(Array.from(hex(raw)));
    }
  });

  it('round-trips random blocks, including runs of 254 and more non-zero bytes, with no zero inside', () => {
    const rng = new Prng(3);
    for (const n of [1, 253, 254, 255, 256, 508, 600]) {
      for (const zeros of [0, 0.01, 0.3]) {
        const data = new Uint8Array(n);
        for (let i = 0; i < n; i++) data[i] = rng.nextFloat() < zeros ? 0 : 1 + rng.nextInt(255);
        const enc = cobsEncode(data);
        expect(enc.includes(0)).toBe(false);
        expect(enc.length).toBeLessThanOrEqual(n + 1 + Math.floor(n / 254));
        expect(Array.from(cobsDecode(enc)!)).toEqual(Array.from(data));
      }
    }
  });

  it('rejects a block with a zero or a code that runs past its end', () => {
    expect(cobsDecode(hex('03 11 00'))).toBeNull();
    expect(cobsDecode(hex('05 11 22'))).toBeNull();
    expect(cobsDecode(new Uint8Array(0))).toBeNull();
  });
});

function decodeWire(bytes: Uint8Array): Array<Frame | FrameFault> {
  const out: Array<Frame | FrameFault> = [];
  new FrameReader().push(bytes, (x) => out.push(x));
  return out;
}

describe('frames', () => {
  it('round-trips every frame type with its fields and tail', () => {
    const wire = [
      encodeFrame('hello', 0, { session: 7, role: 0, mode: 0, encoding: 1, input: 48, hidden: 40, output: 5, samplesTrained: 123456, seed: 9, window: 8 }, hex('65 73 70')),
      encodeFrame('sample', 65535, { label: 3 }, hex('00 ff 00 01')),
      encodeFrame('label', 2, { index: 4000000000, label: 9 }),
      encodeFrame('command', 3, { code: COMMANDS.snapshot, arg: 96 }),
      encodeFrame('result', 4, { ack: 5, index: 77, label: 1, predicted: 255, previous: 3 }),
      encodeFrame('counters', 5, { index: 2, total: 30, hi: 1, lo: 4294967295 }, hex('61 62')),
      encodeFrame('weights', 6, { offset: 48, total: 1000, crc: 0xdeadbeef }, new Uint8Array(48).fill(0)),
      encodeFrame('error', 0, { code: 1, detail: 0x12345678, ack: 9 }),
      encodeFrame('ack', 0, { ack: 10, got: 12, heldLo: 0, heldHi: 0 }),
    ];
    const frames = decodeWire(Uint8Array.from(wire.flatMap((w) => Array.from(w))));
    expect(frames.map((f) => (isFault(f) ? f.error : f.type))).toEqual(FRAME_NAMES);
    const f0 = frames[0] as Extract<Frame, { type: 'hello' }>;
    expect(f0.body).toEqual({ session: 7, role: 0, mode: 0, encoding: 1, input: 48, hidden: 40, output: 5, samplesTrained: 123456, seed: 9, window: 8 });
    expect(Array.from(f0.tail)).toEqual([0x65, 0x73, 0x70]);
    const f1 = frames[1] as Extract<Frame, { type: 'sample' }>;
    expect(f1.seq).toBe(65535);
    expect(Array.from(f1.tail)).toEqual([0, 255, 0, 1]);
    expect((frames[2] as Extract<Frame, { type: 'label' }>).body.index).toBe(4000000000);
    expect((frames[6] as Extract<Frame, { type: 'weights' }>).body.crc).toBe(0xdeadbeef);
    // every wire frame ends with the delimiter and holds no other zero
    for (const w of wire) {
      expect(w[w.length - 1]).toBe(0);
      expect(w.subarray(0, w.length - 1).includes(0)).toBe(false);
    }
  });

  it('lays out a sample frame as docs/protocol.md says: version, type, seq, label, bits, CRC', () => {
    const body = encodeFrameBody('sample', 0x0102, { label: 7 }, hex('aa bb'));
    expect(Array.from(body.subarray(0, 7))).toEqual([PROTOCOL_VERSION, 2, 0x02, 0x01, 7, 0xaa, 0xbb]);
    const c = crc32(body, 0, 7);
    expect(Array.from(body.subarray(7))).toEqual([c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24]);
  });

  it('names every fault: CRC, truncated, unknown type, oversize, version, stuffing, stray bytes', () => {
    const good = encodeFrameBody('ack', 0, { ack: 1, got: 2, heldLo: 0, heldHi: 0 });
    const flipped = good.slice();
    flipped[5] ^= 4;
    const crcFault = decodeFrameBody(flipped) as FrameFault;
    expect(crcFault.error).toBe('crc');
    expect(crcFault.message).toMatch(/CRC mismatch/);

    expect((decodeFrameBody(good.subarray(0, 7)) as FrameFault).error).toBe('truncated');

    const reCrc = (b: Uint8Array) => {
      const c = crc32(b, 0, b.length - 4);
      b[b.length - 4] = c & 0xff;
      b[b.length - 3] = (c >>> 8) & 0xff;
      b[b.length - 2] = (c >>> 16) & 0xff;
      b[b.length - 1] = c >>> 24;
      return b;
    };
    const unknown = good.slice();
    unknown[1] = 42;
    expect(decodeFrameBody(reCrc(unknown))).toMatchObject({ error: 'unknown-type', detail: 42 });
    const version = good.slice();
    version[0] = 9;
    expect(decodeFrameBody(reCrc(version))).toMatchObject({ error: 'version', detail: 9 });
    expect((decodeFrameBody(reCrc(version)) as FrameFault).message).toMatch(/protocol version 9/);
    // a fixed-size frame with bytes after its fields
    const longer = new Uint8Array(good.length + 1);
    longer.set(good.subarray(0, 8));
    expect(decodeFrameBody(reCrc(longer))).toMatchObject({ error: 'payload', detail: 1 });
    // a truncated frame of a known type: fields missing
    const short = reCrc(Uint8Array.from([PROTOCOL_VERSION, 9, 0, 0, 1, 0, 0, 0]));
    expect(decodeFrameBody(short)).toMatchObject({ error: 'truncated' });

    expect(decodeFrameBody(new Uint8Array(MAX_FRAME_BYTES + 1))).toMatchObject({ error: 'oversize' });
    expect(decodeBlock(hex('05 11'))).toMatchObject({ error: 'stuffing' });

    // an oversize block on the wire is dropped at the next delimiter; the frame after it decodes
    const junk = new Uint8Array(3 * MAX_FRAME_BYTES).fill(0x55);
    const wire = Uint8Array.from([...junk, 0, ...encodeFrame('ack', 0, { ack: 3, got: 4, heldLo: 0, heldHi: 0 })]);
    const got = decodeWire(wire);
    expect(got.map((x) => (isFault(x) ? x.error : x.type))).toEqual(['oversize', 'ack']);
  });

  it('finds its place again after dropped, flipped and inserted bytes', () => {
    const frames = [0, 1, 2, 3, 4].map((k) => encodeFrame('sample', k, { label: k }, new Uint8Array(50).fill(k + 1)));
    const wire = frames.map((f) => Array.from(f));
    wire[1].splice(10, 1); // dropped
    wire[2][5] ^= 0x10; // flipped
    wire[3].splice(3, 0, 0x77); // inserted
    const got = decodeWire(Uint8Array.from(wire.flat()));
    const ok = got.filter((x): x is Frame => !isFault(x)).map((f) => f.seq);
    expect(ok).toEqual([0, 4]);
    expect(got.filter(isFault).length).toBe(3);
  });

  it('packs spike bits eight per byte, least significant first', () => {
    const bits = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(packBits(bits))).toEqual([0x81, 0x03]);
    expect(Array.from(unpackBits(packBits(bits), 10))).toEqual(Array.from(bits));
  });
});

describe('spike runs (encoding 2)', () => {
  const bitsOf = (s: string) => Uint8Array.from(s.split('').map(Number));
  it('codes run lengths as Elias gamma of length + 1, most significant bit first', () => {
    // 32 units: runs 3 zeros, 2 ones, 27 zeros -> gamma(4) 00100, gamma(3) 011, gamma(28) 000011100, then 7 pad bits
    const bits = bitsOf('00011' + '0'.repeat(27));
    expect(Array.from(encodeSpikeRuns(bits))).toEqual([0x23, 0x0e, 0x00]);
    // a first unit that spikes: an empty run of zeros (gamma(1) = 1), 1 one (gamma(2) = 010), 31 zeros (gamma(32) = 00000100000)
    expect(Array.from(encodeSpikeRuns(bitsOf('1' + '0'.repeat(31))))).toEqual([0b10100000, 0b01000000]);
  });
  it('sends the packed bits when runs would be no shorter, and round-trips either form', () => {
    const rng = new Prng(21);
    for (let t = 0; t < 200; t++) {
      const n = 1 + rng.nextInt(400);
      const p = [0.02, 0.2, 0.5][t % 3];
      const bits = new Uint8Array(n);
      // runs of random length, so that both forms occur
      for (let i = 0, v = 0; i < n; v = 1 - v) for (let len = 1 + rng.nextInt(t % 2 === 0 ? 2 : 40); len > 0 && i < n; len--) bits[i++] = rng.nextFloat() < p ? 1 - v : v;
      const tail = encodeSpikeRuns(bits);
      expect(tail.length).toBeLessThanOrEqual((n + 7) >> 3);
      if (tail.length === (n + 7) >> 3) expect(Array.from(tail)).toEqual(Array.from(packBits(bits)));
      const out = new Uint8Array(n);
      expect(decodeSpikeRuns(tail, out)).toBe(true);
      expect(Array.from(out)).toEqual(Array.from(bits));
    }
  });
  it('rejects malformed runs: overshoot, too few units, non-zero padding, spare bytes, too long', () => {
    const out = new Uint8Array(32);
    expect(decodeSpikeRuns(Uint8Array.from([0x23, 0x0e, 0x00]), out)).toBe(true);
    expect(decodeSpikeRuns(Uint8Array.from([0x23, 0x0e, 0x01]), out)).toBe(false); // padding bit set
    expect(decodeSpikeRuns(Uint8Array.from([0x23, 0x0e]), out)).toBe(false); // the last code cut short
    expect(decodeSpikeRuns(Uint8Array.from([0x23, 0x0f, 0x00]), out)).toBe(false); // 31 zeros: 36 units
    expect(decodeSpikeRuns(Uint8Array.from([0x23, 0x0d, 0x80]), out)).toBe(false); // 26 zeros: one unit short
    expect(decodeSpikeRuns(Uint8Array.from([0x00, 0x00, 0x00]), out)).toBe(false); // 24 leading zeros
    expect(decodeSpikeRuns(new Uint8Array(5), out)).toBe(false); // longer than the packed bits
  });
});

describe('docs/protocol.md', () => {
  it('holds the byte tables generated from the schemas', () => {
    const doc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
    const begin = '<!-- byte tables: generated from src/io/protocol.ts by protocolByteTables() -->';
    const end = '<!-- end of generated byte tables -->';
    expect(doc).toContain(begin);
    const inDoc = doc.slice(doc.indexOf(begin) + begin.length, doc.indexOf(end)).trim();
    expect(inDoc).toBe(protocolByteTables().trim());
  });

  it('describes every field of every schema, and the rows add up to the encoded sizes', () => {
    for (const name of FRAME_NAMES) {
      expect(Object.keys(FRAME_DOCS[name].fields).sort()).toEqual(payloadFields(name).sort());
      const rows = frameByteRows(name);
      const fixed = rows.filter((r) => r.bytes !== 'rest').reduce((a, r) => a + (r.bytes as number), 0);
      const hasTail = rows.some((r) => r.bytes === 'rest');
      const body = { ...Object.fromEntries(payloadFields(name).map((f) => [f, 1])) } as never;
      const encoded = encodeFrameBody(name, 1, body, hasTail ? new Uint8Array(3) : undefined);
      expect(encoded.length).toBe(fixed + (hasTail ? 3 : 0));
    }
  });
});

const SIZES = { input: 16, hidden: 12, output: 4 };

function makeDevice(image?: Uint8Array) {
  return new SerialDevice({ board: 'esp32s3-psram', makeFirmware: (c) => new Firmware(c), image });
}

function hello(session: number, encoding = ENCODING_BITS, sizes = SIZES) {
  return encodeFrame('hello', 0, { session, role: 0, mode: 0, encoding, input: sizes.input, hidden: sizes.hidden, output: sizes.output, samplesTrained: 0, seed: 5, window: 8 });
}

function randomSamples(seed: number, n: number) {
  const rng = new Prng(seed);
  return Array.from({ length: n }, () => {
    const input = new Uint8Array(SIZES.input);
    for (let i = 0; i < input.length; i++) input[i] = rng.nextFloat() < 0.4 ? 1 : 0;
    return { input, label: rng.nextInt(SIZES.output) };
  });
}

describe('SerialDevice', () => {
  it('learns each sample once, in sequence order, though frames arrive reordered, twice and damaged', () => {
    const data = randomSamples(11, 24);
    const dev = makeDevice();
    const replies: Array<Frame | FrameFault> = [];
    const reader = new FrameReader();
    const feed = (b: Uint8Array) => reader.push(dev.feed(b), (x) => replies.push(x));
    feed(hello(3));
    expect(replies[0]).toMatchObject({ type: 'hello', body: { session: 3, role: 1, input: 16, hidden: 12, output: 4, samplesTrained: 0, seed: 5 } });
    const frame = (k: number) => encodeFrame('sample', k, { label: data[k].label }, packBits(data[k].input));
    // an order a noisy line with retransmissions might produce
    const order = [0, 2, 3, 1, 1, 4, 5, 5, 2, 6, 8, 7, 9, 10, 11, 13, 12, 14, 15, 16, 17, 18, 20, 19, 21, 22, 23, 23];
    for (const k of order) {
      feed(frame(k));
      if (k === 5) {
        const damaged = frame(6).slice();
        damaged[9] ^= 0x01;
        feed(damaged);
      }
    }
    feed(hello(3)); // a retransmitted hello of the same session changes nothing
    const offline = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    const expected = data.map((d) => ({ ...offline.train(d.input, d.label) }));
    const results = replies.filter((x): x is Extract<Frame, { type: 'result' }> => !isFault(x) && x.type === 'result');
    // one result per sample the first time, the cached one again for each duplicate
    const firstTime = new Map<number, Extract<Frame, { type: 'result' }>>();
    for (const r of results) if (!firstTime.has(r.seq)) firstTime.set(r.seq, r);
    expect([...firstTime.keys()]).toEqual(data.map((_, k) => k));
    for (const [k, r] of firstTime) {
      expect(r.body.index).toBe(k);
      expect(r.body.predicted).toBe(expected[k].predicted < 0 ? 255 : expected[k].predicted);
    }
    expect(dev.link.samples).toBe(24);
    expect(dev.firmware!.samplesTrained).toBe(24);
    expect(Array.from(dev.firmware!.snapshot())).toEqual(Array.from(offline.snapshot()));
    // the damaged frame is one fault or, if the flip made a 0x00, two; each gets an error frame
    const faults = Object.values(dev.faults).reduce((a, b) => a + b, 0);
    expect(faults).toBeGreaterThanOrEqual(1);
    const errors = replies.filter((x) => !isFault(x) && x.type === 'error');
    expect(errors.length).toBe(faults);
    expect(dev.link.duplicates).toBeGreaterThanOrEqual(4);
  });

  it('learns spike runs (encoding 2) as it learns packed bits, and refuses a malformed tail', () => {
    const sizes = { input: 64, hidden: 12, output: 4 };
    const viaRuns = makeDevice();
    const viaBits = makeDevice();
    const replies: Frame[] = [];
    const reader = new FrameReader();
    const feedRuns = (b: Uint8Array) => reader.push(viaRuns.feed(b), (x) => !isFault(x) && replies.push(x));
    feedRuns(hello(1, ENCODING_RUNS, sizes));
    viaBits.feed(hello(1, ENCODING_BITS, sizes));
    // a stroke (a block of spiking inputs) at a random place, plus random dots in half of them
    const rng = new Prng(13);
    let shorter = 0;
    for (let k = 0; k < 12; k++) {
      const input = new Uint8Array(sizes.input);
      const at = rng.nextInt(48);
      for (let i = at; i < at + 4 + rng.nextInt(12); i++) input[i] = 1;
      if (k % 2 === 1) for (let i = 0; i < sizes.input; i++) if (rng.nextFloat() < 0.3) input[i] = 1;
      const label = rng.nextInt(sizes.output);
      const tail = encodeSpikeRuns(input);
      if (tail.length < 8) shorter++;
      feedRuns(encodeFrame('sample', k, { label }, tail));
      viaBits.feed(encodeFrame('sample', k, { label }, packBits(input)));
    }
    expect(shorter).toBeGreaterThanOrEqual(6);
    expect(viaRuns.link.samples).toBe(12);
    expect(Array.from(viaRuns.firmware!.snapshot())).toEqual(Array.from(viaBits.firmware!.snapshot()));
    const before = viaRuns.firmware!.snapshot();
    feedRuns(encodeFrame('sample', 12, { label: 1 }, Uint8Array.from([0x00]))); // 8 leading zeros, then nothing
    expect(replies[replies.length - 1]).toMatchObject({ type: 'error', seq: 12, body: { code: 9 } });
    expect(viaRuns.link.samples).toBe(12);
    expect(Array.from(viaRuns.firmware!.snapshot())).toEqual(Array.from(before));
  });

  it('acks a frame ahead of a gap with the held bits of every frame it keeps (selective acknowledgement)', () => {
    const data = randomSamples(12, MAX_WINDOW);
    const dev = makeDevice();
    const replies: Frame[] = [];
    const reader = new FrameReader();
    const feed = (b: Uint8Array) => reader.push(dev.feed(b), (x) => !isFault(x) && replies.push(x));
    feed(hello(4));
    const frame = (k: number) => encodeFrame('sample', k, { label: data[k % data.length].label }, packBits(data[k % data.length].input));
    feed(frame(0));
    // frames 1, 4, 5 and 40 lost; 2, 3, 6..39 and 41..(MAX_WINDOW) arrive
    const lostSet = new Set([1, 4, 5, 40]);
    const sent: number[] = [];
    for (let k = 2; k <= MAX_WINDOW; k++) if (!lostSet.has(k)) sent.push(k);
    for (const k of sent) feed(frame(k));
    const last = replies[replies.length - 1] as Extract<Frame, { type: 'ack' }>;
    expect(last.type).toBe('ack');
    expect(last.body.ack).toBe(1);
    expect(last.body.got).toBe(MAX_WINDOW);
    // bit k of heldLo/heldHi: frame 2 + k; listed here from the frames fed
    let lo = 0;
    let hi = 0;
    for (const k of sent) {
      const bit = k - 2;
      if (bit < 32) lo += 2 ** bit;
      else hi += 2 ** (bit - 32);
    }
    expect(last.body.heldLo).toBe(lo);
    expect(last.body.heldHi).toBe(hi);
    const missing = Array.from({ length: MAX_WINDOW + 4 }, (_, k) => k).filter((k) => ackMissing(last.body, k));
    expect(missing).toEqual([1, 4, 5, 40]); // 0 is done, MAX_WINDOW is held, beyond the window: not reported
    expect(dev.link.samples).toBe(1);
    // the gaps filled: everything is carried out once, in order
    for (const k of [4, 1, 40, 5]) feed(frame(k));
    expect(dev.link.samples).toBe(MAX_WINDOW + 1);
  });

  it('answers bad frames with an error frame naming the problem, and keeps its weights', () => {
    const dev = makeDevice();
    const replies: Array<Frame | FrameFault> = [];
    const reader = new FrameReader();
    const feed = (b: Uint8Array) => reader.push(dev.feed(b), (x) => replies.push(x));
    // before any hello: a sample has no session
    feed(encodeFrame('sample', 0, { label: 1 }, new Uint8Array(2)));
    feed(hello(1));
    const data = randomSamples(2, 3);
    for (let k = 0; k < 3; k++) feed(encodeFrame('sample', k, { label: data[k].label }, packBits(data[k].input)));
    const before = dev.firmware!.snapshot();
    const body = encodeFrameBody('ack', 0, { ack: 0, got: 0, heldLo: 0, heldHi: 0 });
    const wrongVersion = body.slice();
    wrongVersion[0] = PROTOCOL_VERSION + 1;
    const garbage = [
      hex('05 11 22 00'), // stuffing that runs past the block
      Uint8Array.from([...cobsEncode(body.subarray(0, 6)), 0]), // truncated
      Uint8Array.from([...cobsEncode(wrongVersion), 0]), // CRC then fails first: the CRC covers the version
      new Uint8Array(2 * MAX_FRAME_BYTES + 10).fill(7), // oversize, no delimiter yet
      Uint8Array.from([0]),
      encodeFrame('sample', 3, { label: 1 }, new Uint8Array(5)), // wrong input length
      encodeFrame('sample', 4 + MAX_WINDOW, { label: 1 }, new Uint8Array(2)), // beyond the window (the device expects 4)
      encodeFrame('command', 5, { code: 99, arg: 0 }), // out of order: kept, not yet carried out
      encodeFrame('result', 0, { ack: 0, index: 0, label: 0, predicted: 0, previous: 0 }), // a device frame sent to a device
      encodeFrame('command', 4, { code: COMMANDS.mode, arg: 7 }), // unknown mode; then 5 runs: unknown command
    ];
    for (const g of garbage) feed(g);
    const errs = replies
      .filter((x): x is Extract<Frame, { type: 'error' }> => !isFault(x) && x.type === 'error')
      .map((e) => e.body.code);
    // no-session, stuffing, truncated, crc, oversize, payload, window, unknown-type, mode, command
    expect(errs).toEqual([7, 6, 2, 1, 4, 9, 8, 3, 11, 10]);
    expect(Array.from(dev.firmware!.snapshot())).toEqual(Array.from(before));
    expect(dev.link.samples).toBe(3);
    // the session goes on: the next sample is learned
    feed(encodeFrame('sample', 6, { label: data[0].label }, packBits(data[0].input)));
    expect(dev.link.samples).toBe(4);
  });

  it('serves the weight image in chunks and the counters one by one', () => {
    const dev = makeDevice();
    const replies: Frame[] = [];
    const reader = new FrameReader();
    const feed = (b: Uint8Array) => reader.push(dev.feed(b), (x) => !isFault(x) && replies.push(x));
    feed(hello(1));
    const data = randomSamples(4, 5);
    data.forEach((d, k) => feed(encodeFrame('sample', k, { label: d.label }, packBits(d.input))));
    const image = dev.firmware!.snapshot();
    let seq = 5;
    const parts: number[] = [];
    for (let off = 0; off < image.length; off += 48) {
      feed(encodeFrame('command', seq++, { code: COMMANDS.snapshot, arg: off }));
      const w = replies[replies.length - 1] as Extract<Frame, { type: 'weights' }>;
      expect(w.body).toEqual({ offset: off, total: image.length, crc: imageDigest(image) });
      parts.push(...w.tail);
    }
    expect(parts).toEqual(Array.from(image));
    feed(encodeFrame('command', seq++, { code: COMMANDS.counters, arg: 0 }));
    const c0 = replies[replies.length - 1] as Extract<Frame, { type: 'counters' }>;
    const list = dev.counterList();
    expect(c0.body.total).toBe(list.names.length);
    const k = list.names.indexOf('link.samples');
    feed(encodeFrame('command', seq++, { code: COMMANDS.counters, arg: k }));
    const ck = replies[replies.length - 1] as Extract<Frame, { type: 'counters' }>;
    expect(String.fromCharCode(...ck.tail)).toBe('link.samples');
    expect(ck.body.hi * 2 ** 32 + ck.body.lo).toBe(5);
  });

  it('infers unlabelled samples and scores the labels sent after them', () => {
    const dev = makeDevice();
    const replies: Frame[] = [];
    const reader = new FrameReader();
    const feed = (b: Uint8Array) => reader.push(dev.feed(b), (x) => !isFault(x) && replies.push(x));
    feed(hello(1));
    const data = randomSamples(6, 2);
    feed(encodeFrame('sample', 0, { label: 255 }, packBits(data[0].input)));
    const r = replies[replies.length - 1] as Extract<Frame, { type: 'result' }>;
    expect(r.body.label).toBe(255);
    expect(dev.firmware!.samplesTrained).toBe(0); // inferred, not learned
    feed(encodeFrame('label', 1, { index: r.body.index, label: r.body.predicted }));
    feed(encodeFrame('label', 2, { index: r.body.index, label: (r.body.predicted + 1) % 4 }));
    expect(replies[replies.length - 1]).toMatchObject({ type: 'ack', seq: 2, body: { ack: 3, got: 2 } });
    expect(dev.link.labelled).toBe(2);
    expect(dev.link.labelledCorrect).toBe(1);
  });

  it('digests images so that different weights differ (their plain CRC-32 is one constant)', () => {
    const a = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 }).snapshot();
    const b = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 6 }).snapshot();
    expect(crc32(a)).toBe(0x2144df1c); // the CRC-32 residue: every block followed by its own CRC-32
    expect(crc32(b)).toBe(0x2144df1c);
    expect(imageDigest(a)).not.toBe(imageDigest(b));
    // FNV-1a 32-bit check values of the published test vectors
    expect(imageDigest(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(imageDigest(Uint8Array.from([0x61]))).toBe(0xe40c292c);
    expect(imageDigest(Uint8Array.from('foobar', (c) => c.charCodeAt(0)))).toBe(0xbf9cf968);
  });

  it('starts from a saved image: the hello reports the samples it holds', () => {
    const fw = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    for (const d of randomSamples(8, 7)) fw.train(d.input, d.label);
    const dev = makeDevice(fw.snapshot());
    const replies: Frame[] = [];
    new FrameReader().push(dev.feed(hello(2)), (x) => !isFault(x) && replies.push(x));
    expect(replies[0]).toMatchObject({ type: 'hello', body: { samplesTrained: 7 } });
  });
});

describe('sensor source', () => {
  it('is deterministic per seed and covers every gesture', () => {
    const a = new AccelStream(42);
    const b = new AccelStream(42);
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const x = a.next();
      const y = b.next();
      expect(Array.from(x.readings)).toEqual(Array.from(y.readings));
      expect(x.readings.length).toBe(ACCEL_WINDOW * ACCEL_AXES);
      seen.add(x.label);
    }
    expect(seen.size).toBe(ACCEL_CLASSES.length);
  });

  it('delta modulation: a ramp makes events in proportion to its rise, a constant none', () => {
    const enc = new EventEncoder({ axes: 1, window: 8, bins: 2, threshold: 4 });
    // units: UP bin 0, UP bin 1, DOWN bin 0, DOWN bin 1 (bins of 4 readings: t 0..3, 4..7).
    // 0 -> 15 over t 1..3: 3 UP events in bin 0 (reference 4, 8, 12); 20 at t 4: 2 UP in bin 1
    // (reference 16, 20); 16 and 12 at t 6, 7: 2 DOWN in bin 1. 7 events, 4 merged.
    const bits = enc.encode([0, 5, 10, 15, 20, 20, 16, 12]);
    expect(Array.from(bits)).toEqual([1, 1, 0, 1]);
    expect(enc.counters.events).toBe(7);
    expect(enc.counters.merged).toBe(4);
    const flat = enc.encode([9, 9, 9, 9, 9, 9, 9, 9]);
    expect(Array.from(flat)).toEqual([0, 0, 0, 0]);
  });

  it('feeds the device: accelerometer windows are encoded and learned there', () => {
    const dev = makeDevice();
    const sizes = { input: new EventEncoder(ACCEL_ENCODER).units, hidden: 12, output: ACCEL_CLASSES.length };
    const replies: Frame[] = [];
    const reader = new FrameReader();
    const feed = (b: Uint8Array) => reader.push(dev.feed(b), (x) => !isFault(x) && replies.push(x));
    feed(hello(1, ENCODING_ACCEL, sizes));
    const s = new AccelStream(1);
    const offline = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes, seed: 5 });
    const enc = new EventEncoder(ACCEL_ENCODER);
    for (let k = 0; k < 10; k++) {
      const w = s.next();
      feed(encodeFrame('sample', k, { label: w.label }, new Uint8Array(w.readings.buffer)));
      offline.train(enc.encode(w.readings), w.label);
    }
    expect(replies.filter((f) => f.type === 'result').length).toBe(10);
    expect(Array.from(dev.firmware!.snapshot())).toEqual(Array.from(offline.snapshot()));
  });
});
