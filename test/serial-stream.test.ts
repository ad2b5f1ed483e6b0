/**
 * The rxjs boundary of the serial link (src/stream), in virtual time with rxjs's
 * TestScheduler: framing, the line model, and the host's sliding window against the real
 * device end (firmware-model/serial-device.ts) over a line that loses, duplicates and delays
 * frames, with retransmission after reported loss and after timeouts.
 */
import { delay, map, mergeMap, Observable, of, Subject, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Firmware } from '../firmware-model/firmware';
import { SerialDevice } from '../firmware-model/serial-device';
import { Prng } from '../src/chip/prng';
import { encodeFrame, FrameReader, isFault, packBits, type Frame } from '../src/io/protocol';
import { decodeFrames } from '../src/stream/frames';
import { emptyStats, runHost, type HostConfig, type HostEvent, type HostPort } from '../src/stream/host';
import { lineNoise, paceBytes } from '../src/stream/line';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const SIZES = { input: 16, hidden: 12, output: 4 };
const rng = new Prng(77);
const DATA = Array.from({ length: 12 }, () => {
  const input = new Uint8Array(SIZES.input);
  for (let i = 0; i < input.length; i++) input[i] = rng.nextFloat() < 0.4 ? 1 : 0;
  return { input, label: rng.nextInt(SIZES.output) };
});

function config(count: number, over: Partial<HostConfig> = {}): HostConfig {
  return {
    board: 'esp32s3-psram',
    mode: 'train',
    encoding: 0,
    sizes: SIZES,
    seed: 5,
    sample: (i) => ({ data: packBits(DATA[i].input), label: DATA[i].label }),
    count,
    window: 2,
    timeoutMs: 50,
    maxRetries: 3,
    maxReconnects: 0,
    reconnectDelayMs: 20,
    fetchCounters: false,
    fetchWeights: 'none',
    ...over,
  };
}

interface Line {
  /** Decides what happens to the k-th frame host → device (0-based): how many copies arrive. */
  up?: (frame: Frame, k: number) => number;
  down?: (frame: Frame, k: number) => number;
}

/**
 * A host port wired to a SerialDevice through a line of 5 ms each way that passes whole
 * frames, each 0, 1 or 2 times as `line` decides.
 */
function wiredPort(device: SerialDevice | (() => SerialDevice), line: Line = {}, toHost = new Subject<Uint8Array>()): HostPort {
  const dev = typeof device === 'function' ? device : () => device;
  const fromHost = new Subject<Uint8Array>();
  const perFrame = (decide: ((f: Frame, k: number) => number) | undefined): OperatorFunction<Uint8Array, Uint8Array> => {
    let k = 0;
    return mergeMap((bytes) => {
      const copies: Uint8Array[] = [];
      new FrameReader().push(bytes, (x) => {
        const n = decide && !isFault(x) ? decide(x, k) : 1;
        k++;
        for (let c = 0; c < n; c++) copies.push(bytes);
      });
      return of(...copies);
    });
  };
  fromHost.pipe(perFrame(line.up), delay(5)).subscribe((b) => {
    const reply = dev().feed(b);
    if (reply.length > 0) splitFrames(reply).forEach((r) => toHost.next(r));
  });
  const down = toHost.pipe(perFrame(line.down), delay(5));
  return { data$: down, write: (b) => fromHost.next(b), close: () => {} };
}

function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return out;
}

const device = () => new SerialDevice({ board: 'esp32s3-psram', makeFirmware: (c) => new Firmware(c) });

/** One letter per event: s session, r result, f fault, e device error, x restart. */
const letters: OperatorFunction<HostEvent, string> = map((e) =>
  e.kind === 'session' ? 's' : e.kind === 'result' ? 'r' : e.kind === 'fault' ? 'f' : e.kind === 'device-error' ? 'e' : e.kind === 'restart' ? 'x' : 'o',
);

describe('framing operator', () => {
  it('cuts frames out of arbitrary chunks and reports garbage as a value', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const a = encodeFrame('ack', 0, { ack: 1, got: 2, heldLo: 0, heldHi: 0 });
      const b = encodeFrame('ack', 0, { ack: 3, got: 4, heldLo: 0, heldHi: 0 });
      const chunks = {
        p: a.subarray(0, 4),
        q: Uint8Array.from([...a.subarray(4), ...b.subarray(0, 2)]),
        r: Uint8Array.from([...b.subarray(2), 9, 9, 9, 0]),
      };
      const frames$ = cold('-p-q-r---|', chunks).pipe(
        decodeFrames(),
        map((x) => (isFault(x) ? x.error : `${x.type}${(x as Extract<Frame, { type: 'ack' }>).body.ack}`)),
      );
      expectObservable(frames$).toBe('---a-(bc)|', { a: 'ack1', b: 'ack3', c: 'stuffing' });
    });
  });
});

describe('line model', () => {
  it('delivers no faster than the baud rate, in slices, in order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // 10,000 baud at 10 bits a byte: 1 ms per byte
      const bytes = new Uint8Array(20).map((_, i) => i);
      const out$ = cold('a 4ms b|', { a: bytes, b: Uint8Array.from([99]) }).pipe(
        paceBytes(10000, { slice: 10 }),
        map((b) => String(b[0])),
      );
      // slice 0..9 leaves at 10 ms, 10..19 at 20 ms; the byte sent at 5 ms waits for the line: 21 ms
      expectObservable(out$).toBe('10ms a 9ms b (c|)', { a: '0', b: '10', c: '99' });
    });
  });

  it('flips, drops and inserts bytes at the given rate, reproducibly', () => {
    const run = (seed: number) => {
      const counts = { flipped: 0, dropped: 0, inserted: 0 };
      let out: Uint8Array = new Uint8Array(0);
      of(new Uint8Array(20000).fill(0x41)).pipe(lineNoise(0.05, seed, counts)).subscribe((b) => (out = b));
      return { counts, out };
    };
    const a = run(1);
    const b = run(1);
    expect(a.counts).toEqual(b.counts);
    expect(Array.from(a.out)).toEqual(Array.from(b.out));
    const total = a.counts.flipped + a.counts.dropped + a.counts.inserted;
    expect(total).toBeGreaterThan(20000 * 0.05 * 0.8);
    expect(total).toBeLessThan(20000 * 0.05 * 1.2);
    expect(a.out.length).toBe(20000 - a.counts.dropped + a.counts.inserted);
  });
});

describe('host over a line (virtual time)', () => {
  it('no loss: the window of 2 keeps two samples in flight; results every 10 ms', () => {
    scheduler().run(({ expectObservable }) => {
      const dev = device();
      const stats = emptyStats();
      const events$ = runHost(() => wiredPort(dev), config(6), stats).pipe(letters);
      // hello out at 0, answer at 10; samples 0,1 out at 10, results at 20; 2,3 at 30; 4,5 at 40
      expectObservable(events$).toBe('10ms s 9ms (rr) 6ms (rr) 6ms (rr|)');
    });
  });

  it('a lost sample is sent again as soon as the device reports the gap (no timeout)', () => {
    const stats = emptyStats();
    const dev = device();
    scheduler().run(({ expectObservable }) => {
      // the first copy of sample 1 (frame 2: hello is frame 0) is lost
      const port = () => wiredPort(dev, { up: (f) => (f.type === 'sample' && f.seq === 1 && !lostOnce.done ? ((lostOnce.done = true), 0) : 1) });
      const lostOnce = { done: false };
      const events$ = runHost(port, config(4), stats).pipe(letters);
      // 10: s0,s1 out (s1 lost); 20: r0, s2 out; 25: device keeps s2, acks "expect 1";
      // 30: host resends s1; 35: device does 1 and 2; 40: r1 r2, s3 out; 50: r3
      expectObservable(events$).toBe('10ms s 9ms r 19ms (rr) 6ms (r|)');
    });
    expect(stats.fastRetransmits).toBe(1);
    expect(stats.timeouts).toBe(0);
    expect(stats.retransmitted).toBe(1);
    expect(stats.acknowledged).toBe(4);
    expect(dev.link.samples).toBe(4);
  });

  it('selective repeat: two lost samples, one behind the other, are both sent again at the first selective ack', () => {
    const stats = emptyStats();
    const dev = device();
    scheduler().run(({ expectObservable }) => {
      // the first copies of samples 1 and 2 are lost; 2 is not the frame the device expects,
      // so only the held bits of the ack for sample 3 (3 held, 2 not) report it missing
      const lost = new Set<number>();
      const port = () =>
        wiredPort(dev, { up: (f) => (f.type === 'sample' && (f.seq === 1 || f.seq === 2) && !lost.has(f.seq) ? (lost.add(f.seq), 0) : 1) });
      const events$ = runHost(port, config(5, { window: 4 }), stats).pipe(letters);
      // 10: s0..s3 out (s1, s2 lost); 15: device does 0, keeps 3 and acks "expect 1, hold 3";
      // 20: r0 (s4 out), the ack: s1 and s2 sent again at once; 25: device does 1..4; 30: r1..r4
      expectObservable(events$).toBe('10ms s 9ms r 9ms (rrrr|)');
    });
    expect(stats.fastRetransmits).toBe(2);
    expect(stats.timeouts).toBe(0);
    expect(stats.retransmitted).toBe(2);
    expect(dev.link.samples).toBe(5);
    expect(dev.link.duplicates).toBe(0);
  });

  it('a lost last sample (nothing after it to reveal the gap) is sent again after the timeout', () => {
    const stats = emptyStats();
    const dev = device();
    scheduler().run(({ expectObservable }) => {
      const lost = { done: false };
      const port = () => wiredPort(dev, { up: (f) => (f.type === 'sample' && f.seq === 2 && !lost.done ? ((lost.done = true), 0) : 1) });
      const events$ = runHost(port, config(3), stats).pipe(letters);
      // 10: s0,s1 out; 20: r0 r1, s2 out (lost); 70: timeout, s2 again; 80: r2
      expectObservable(events$).toBe('10ms s 9ms (rr) 56ms (r|)');
    });
    expect(stats.timeouts).toBe(1);
    expect(stats.retransmitted).toBe(1);
    expect(dev.link.samples).toBe(3);
  });

  it('duplicated frames in both directions: each sample learned once, each result reported once', () => {
    const stats = emptyStats();
    const dev = device();
    scheduler().run(({ expectObservable }) => {
      const port = () => wiredPort(dev, { up: () => 2, down: () => 2 });
      const events$ = runHost(port, config(4), stats).pipe(letters);
      expectObservable(events$).toBe('10ms s 9ms (rr) 6ms (rr|)');
    });
    expect(dev.link.samples).toBe(4);
    expect(dev.link.duplicates).toBeGreaterThanOrEqual(4);
    expect(stats.acknowledged).toBe(4);
    expect(stats.learnedTwice).toBe(0);
  });

  it('a lost result is recovered from the next one; results lost back to back are fetched from the device cache', () => {
    const stats = emptyStats();
    const dev = device();
    scheduler().run(({ expectObservable }) => {
      const lost = new Set<number>();
      // the first results of samples 0 and 1 are lost
      const port = () => wiredPort(dev, { down: (f) => (f.type === 'result' && f.seq <= 1 && !lost.has(f.seq) ? (lost.add(f.seq), 0) : 1) });
      const events$ = runHost(port, config(3), stats).pipe(letters);
      // 10: samples 0, 1 out; 20: both results lost, nothing else in flight; 60: 50 ms of
      // silence since the hello's answer, sample 0 (the oldest) again; 70: its cached result,
      // sample 2 out; 80: result 2, which also carries sample 1's prediction
      expectObservable(events$).toBe('10ms s 59ms r 9ms (rr|)');
    });
    expect(stats.timeouts).toBe(1);
    expect(stats.retransmitted).toBe(1);
    expect(dev.link.samples).toBe(3);
    expect(dev.link.duplicates).toBe(1);
  });

  it('a silent device: hello timeouts, then the host gives up with a named error', () => {
    scheduler().run(({ expectObservable }) => {
      const silent: HostPort = { data$: new Observable<Uint8Array>(() => {}), write: () => {}, close: () => {} };
      const events$ = runHost(() => silent, config(2, { maxRetries: 2, maxReconnects: 1 })).pipe(letters);
      // 3 hellos 200 ms apart (4 timeouts: the device may be building its network), no answer
      // at 600: restart note, reconnect after 20 ms, 3 more: error at 1220
      expectObservable(events$).toBe('600ms x 619ms #', undefined, expect.objectContaining({ name: 'LinkInterrupted' }));
    });
  });

  it('a device that restarts mid-run: the host resumes from what the device holds', () => {
    const stats = emptyStats();
    let dev = device();
    const toHost = new Subject<Uint8Array>();
    const events: HostEvent[] = [];
    scheduler().run(({ flush }) => {
      let restarted = false;
      runHost(() => wiredPort(() => dev, {}, toHost), config(8, { maxReconnects: 3 }), stats).subscribe((e) => {
        events.push(e);
        // after the 4th result the device restarts from a saved image of what it had learned,
        // while samples 4 and 5 are on their way to the old one
        if (e.kind === 'result' && e.sample === 3 && !restarted) {
          restarted = true;
          const image = dev.firmware!.snapshot();
          dev = new SerialDevice({ board: 'esp32s3-psram', makeFirmware: (c) => new Firmware(c), image });
          toHost.next(dev.announce());
        }
      });
      flush();
    });
    expect(events.filter((e) => e.kind === 'restart').length).toBe(1);
    const sessions = events.filter((e): e is Extract<HostEvent, { kind: 'session' }> => e.kind === 'session');
    expect(sessions.map((s) => s.resumeFrom)).toEqual([0, 4]);
    expect(stats.learnedTwice).toBe(0);
    expect(stats.lost).toBe(0);
    expect(dev.firmware!.samplesTrained).toBe(8);
    const offline = new Firmware({ board: 'esp32s3-psram', mode: 'train', sizes: SIZES, seed: 5 });
    for (let i = 0; i < 8; i++) offline.train(DATA[i].input, DATA[i].label);
    expect(Array.from(dev.firmware!.snapshot())).toEqual(Array.from(offline.snapshot()));
  });
});
