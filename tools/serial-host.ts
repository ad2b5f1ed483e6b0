/**
 * The host side of a serial session, shared by `synfire host` and `synfire serial-demo`: the
 * sample sources (MNIST, Fashion-MNIST, the synthetic accelerometer), the run on a port
 * (src/stream/host.ts), progress with live accuracy, and the summary with the line limit.
 */
import { lastValueFrom, tap } from 'rxjs';
import { Firmware } from '../firmware-model/firmware';
import { ENCODING_ACCEL, ENCODING_RUNS } from '../firmware-model/serial-device';
import { ACCEL_AXES, ACCEL_CLASSES, ACCEL_RATE_HZ, ACCEL_WINDOW, AccelStream } from '../src/data/accel';
import { loadDataset } from '../src/data/datasets';
import { sampleBits } from '../src/data/preprocess';
import { ACCEL_ENCODER, EventEncoder } from '../src/data/event-encoder';
import { UserError } from '../src/errors';
import { encodeFrame, frameBytes, imageDigest, wireBytes } from '../src/io/protocol';
import { encodeSpikeRuns } from '../src/io/spike-runs';
import { emptyStats, LinkInterrupted, runHost, SessionRefused, type HostConfig, type HostEvent, type HostPort, type HostStats } from '../src/stream/host';
import { BITS_PER_BYTE_8N1 } from '../src/stream/line';
import type { CliIO } from './cli';
import { createProgress } from './progress';

export type SourceName = 'mnist' | 'fashion' | 'sensor';

/** Samples of a source, in the order they are streamed, plus what the device needs. */
export interface SampleSet {
  source: SourceName;
  encoding: number;
  sizes: { input: number; hidden: number; output: number };
  count: number;
  /** The sample frame's tail (spike runs or readings). */
  wire(i: number): Uint8Array;
  /** The 0/1 input the device's network sees (for the offline run). */
  bits(i: number): Uint8Array;
  label(i: number): number;
}

export const DEFAULT_HIDDEN: Record<SourceName, number> = { mnist: 100, fashion: 100, sensor: 100 };

export function loadSamples(source: SourceName, count: number, opts: { hidden?: number; seed: number; dataDir?: string; split?: 'train' | 'test' }): SampleSet {
  const hidden = opts.hidden ?? DEFAULT_HIDDEN[source];
  if (source === 'sensor') {
    const stream = new AccelStream(opts.seed);
    const windows = Array.from({ length: count }, () => stream.next());
    const enc = new EventEncoder(ACCEL_ENCODER);
    return {
      source,
      encoding: ENCODING_ACCEL,
      sizes: { input: enc.units, hidden, output: ACCEL_CLASSES.length },
      count,
      wire: (i) => new Uint8Array(windows[i].readings.buffer),
      bits: (i) => enc.encode(windows[i].readings),
      label: (i) => windows[i].label,
    };
  }
  const ds = loadDataset(source, opts.split ?? 'train', { limit: count, dataDir: opts.dataDir });
  const buf = new Uint8Array(ds.numInputs);
  return {
    source,
    encoding: ENCODING_RUNS,
    sizes: { input: ds.numInputs, hidden, output: 10 },
    count,
    wire: (i) => encodeSpikeRuns(sampleBits(ds, i, buf)),
    bits: (i) => sampleBits(ds, i, new Uint8Array(ds.numInputs)),
    label: (i) => ds.labels[i],
  };
}

/**
 * Bytes one sample costs on the wire, both directions (sample frame and result frame, COBS
 * and delimiter included). Spike runs vary in length from sample to sample: `sampleBytes` is
 * then the mean over the samples of the run of the exact first-copy frame (seq = index).
 */
export function wireCost(set: SampleSet): { sampleBytes: number; resultBytes: number } {
  const resultBytes = wireBytes(frameBytes('result'));
  if (set.encoding === ENCODING_ACCEL) return { sampleBytes: wireBytes(frameBytes('sample', ACCEL_AXES * ACCEL_WINDOW)), resultBytes };
  let total = 0;
  for (let i = 0; i < set.count; i++) total += encodeFrame('sample', i, { label: set.label(i) }, set.wire(i)).length;
  return { sampleBytes: set.count > 0 ? total / set.count : 0, resultBytes };
}

export interface HostRunOptions {
  board: string;
  mode: 'train' | 'infer';
  seed: number;
  baud: number;
  window: number;
  /** Fetch the whole weight image when it is at most this many bytes, else only its digest. */
  fetchImageUpTo: number;
  maxReconnects: number;
  /** Compare the device's final weights with the same samples trained offline. */
  offline: boolean;
}

export interface HostSummary {
  source: SourceName;
  board: string;
  mode: 'train' | 'infer';
  sizes: { input: number; hidden: number; output: number };
  samples: number;
  sent: number;
  acknowledged: number;
  retransmitted: number;
  fastRetransmits: number;
  timeouts: number;
  lost: number;
  duplicates: number;
  crcErrors: number;
  hostCrcErrors: number;
  deviceCrcErrors: number;
  hostFaults: Record<string, number>;
  deviceErrors: Record<string, number>;
  restarts: number;
  relearned: number;
  resultsLost: number;
  accuracy: number;
  /** Accuracy of each block of `blockSize` samples, in order (how fast it learns). */
  accuracyByBlock: number[];
  blockSize: number;
  seconds: number;
  samplesPerSecond: number;
  baud: number;
  sampleWireBytes: number;
  resultWireBytes: number;
  lineLimitSamplesPerSecond: number;
  oneWayLimitSamplesPerSecond: number;
  fractionOfLineLimit: number;
  bytesOut: number;
  bytesIn: number;
  weightsCompared: 'bytes' | 'digest' | 'none';
  imageBytes: number;
  imageCrc: number;
  identicalToOffline: boolean | null;
  deviceCounters: Record<string, number>;
  image: Uint8Array | null;
}

/** Flash image length for these sizes (firmware-model/flash-image.ts: 12 + 40 + matrices + 4). */
function imageLength(s: { input: number; hidden: number; output: number }, mode: 'train' | 'infer'): number {
  const m = s.hidden * s.input + s.output * s.hidden + (mode === 'train' ? 2 * s.hidden * s.output : 0);
  return 12 + 40 + 2 * m + 4;
}

export async function runHostSession(connect: () => HostPort, set: SampleSet, o: HostRunOptions, io: CliIO): Promise<HostSummary> {
  const { sampleBytes, resultBytes } = wireCost(set);
  const msPerSample = ((sampleBytes + resultBytes) * BITS_PER_BYTE_8N1 * 1000) / o.baud;
  const fetchWeights = imageLength(set.sizes, o.mode) <= o.fetchImageUpTo ? 'bytes' : 'digest';
  const cfg: HostConfig = {
    board: o.board,
    mode: o.mode,
    encoding: set.encoding,
    sizes: set.sizes,
    seed: o.seed,
    sample: (i) => ({ data: set.wire(i), label: set.label(i) }),
    count: set.count,
    window: o.window,
    // a sample's answer takes a window of frames on the line each way plus the device's work
    // the device answers every frame it receives, so a silence of a few sample times means
    // nothing is in flight any more (the timer restarts at every frame from the device)
    timeoutMs: Math.max(20, Math.ceil(3 * msPerSample)),
    answerMs: msPerSample,
    lineBaud: o.baud,
    aheadMs: (2 * sampleBytes * BITS_PER_BYTE_8N1 * 1000) / o.baud,
    maxRetries: 40,
    maxReconnects: o.maxReconnects,
    reconnectDelayMs: 250,
    fetchCounters: true,
    fetchWeights,
  };
  const stats: HostStats = emptyStats();
  const progress = createProgress({ total: set.count, label: `host ${set.source} ${o.mode}`, io, everySeconds: 5 });
  const blockSize = Math.max(10, Math.min(100, Math.floor(set.count / 10)));
  const correctByBlock: number[] = new Array(Math.ceil(set.count / blockSize)).fill(0);
  let counters: Record<string, number> = {};
  let weights: { total: number; crc: number; bytes: Uint8Array | null } | null = null;
  let started = 0;
  let finished = 0;
  let recent: boolean[] = [];
  const onEvent = (e: HostEvent) => {
    if (e.kind === 'session') {
      if (started === 0) started = Date.now();
      io.err(`host: session ${e.session} with ${e.device.board} (${e.device.sizes.input}-${e.device.sizes.hidden}-${e.device.sizes.output}, ${e.device.samplesTrained} samples trained), from sample ${e.resumeFrom}`);
    } else if (e.kind === 'result') {
      if (e.correct) correctByBlock[Math.floor(e.sample / blockSize)]++;
      recent.push(e.correct);
      if (recent.length > 100) recent = recent.slice(-100);
      if (stats.acknowledged === set.count) finished = Date.now();
      const acc = recent.filter(Boolean).length / recent.length;
      progress.update(stats.acknowledged, { 'acc(last 100)': `${(100 * acc).toFixed(1)}%`, retx: String(stats.retransmitted) });
    } else if (e.kind === 'restart') {
      io.err(`host: link interrupted (${e.reason}); reconnecting and resuming from the last acknowledged sample`);
    } else if (e.kind === 'counters') {
      counters = Object.fromEntries(e.names.map((n, k) => [n, e.values[k]]));
    } else if (e.kind === 'weights') {
      weights = { total: e.total, crc: e.crc, bytes: e.bytes };
    }
  };
  try {
    await lastValueFrom(runHost(connect, cfg, stats).pipe(tap(onEvent)), { defaultValue: null });
  } catch (e) {
    if (e instanceof LinkInterrupted || e instanceof SessionRefused) throw new UserError(`${e.message} (${stats.acknowledged} of ${set.count} samples acknowledged)`);
    throw e;
  }
  if (finished === 0) finished = Date.now();
  const seconds = Math.max(1e-3, (finished - started) / 1000);
  progress.finish(`${stats.acknowledged} acknowledged, ${stats.retransmitted} retransmitted`);

  const hostCrc = stats.faults.crc ?? 0;
  const deviceCrc = counters['error.crc'] ?? 0;
  let identical: boolean | null = null;
  const w = weights as { total: number; crc: number; bytes: Uint8Array | null } | null;
  if (o.offline && o.mode === 'train' && w !== null) {
    const fw = new Firmware({ board: o.board, mode: 'train', sizes: set.sizes, seed: o.seed });
    for (let i = 0; i < set.count; i++) fw.train(set.bits(i), set.label(i));
    const img = fw.snapshot();
    if (w.bytes !== null) identical = img.length === w.bytes.length && img.every((b, k) => b === w.bytes![k]);
    else identical = img.length === w.total && imageDigest(img) === w.crc;
  }
  // samples the device trained beyond one each (its count at the end against where the run began)
  const trainedEnd = counters['fw.samplesTrained'];
  const extra = o.mode === 'train' && trainedEnd !== undefined && stats.baseTrained >= 0 ? Math.max(0, trainedEnd - stats.baseTrained - set.count) : 0;
  const line = o.baud / ((sampleBytes + resultBytes) * BITS_PER_BYTE_8N1);
  const sps = stats.acknowledged / seconds;
  return {
    source: set.source,
    board: o.board,
    mode: o.mode,
    sizes: set.sizes,
    samples: set.count,
    sent: stats.sent,
    acknowledged: stats.acknowledged,
    retransmitted: stats.retransmitted,
    fastRetransmits: stats.fastRetransmits,
    timeouts: stats.timeouts,
    lost: stats.lost,
    duplicates: stats.learnedTwice + extra,
    crcErrors: hostCrc + deviceCrc,
    hostCrcErrors: hostCrc,
    deviceCrcErrors: deviceCrc,
    hostFaults: stats.faults,
    deviceErrors: Object.fromEntries(Object.entries(counters).filter(([k, v]) => k.startsWith('error.') && v > 0).map(([k, v]) => [k.slice(6), v])),
    restarts: stats.restarts,
    relearned: stats.relearned,
    resultsLost: stats.resultsLost,
    accuracy: stats.acknowledged > 0 ? stats.correct / (stats.acknowledged - stats.resultsLost || 1) : 0,
    accuracyByBlock: correctByBlock.map((c, k) => c / Math.min(blockSize, set.count - k * blockSize)),
    blockSize,
    seconds,
    samplesPerSecond: sps,
    baud: o.baud,
    sampleWireBytes: sampleBytes,
    resultWireBytes: resultBytes,
    lineLimitSamplesPerSecond: line,
    oneWayLimitSamplesPerSecond: o.baud / (sampleBytes * BITS_PER_BYTE_8N1),
    fractionOfLineLimit: sps / line,
    bytesOut: stats.bytesOut,
    bytesIn: stats.bytesIn,
    weightsCompared: w === null ? 'none' : w.bytes !== null ? 'bytes' : 'digest',
    imageBytes: w === null ? 0 : w.total,
    imageCrc: w === null ? 0 : w.crc,
    identicalToOffline: identical,
    deviceCounters: counters,
    image: w === null ? null : w.bytes,
  };
}

export function summaryLines(s: HostSummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `${s.source} ${s.mode} on ${s.board} (${s.sizes.input}-${s.sizes.hidden}-${s.sizes.output}): ${s.acknowledged}/${s.samples} samples acknowledged, accuracy ${pct(s.accuracy)}`,
    `  by block of ${s.blockSize}: ${s.accuracyByBlock.map(pct).join(' ')}`,
    `  sent ${s.sent}, retransmitted ${s.retransmitted} (${s.fastRetransmits} on reported loss, ${s.timeouts} on timeout), lost ${s.lost}, duplicates ${s.duplicates}, CRC errors ${s.crcErrors} (host ${s.hostCrcErrors}, device ${s.deviceCrcErrors}), restarts ${s.restarts}`,
    `  ${s.samplesPerSecond.toFixed(1)} samples/s in ${s.seconds.toFixed(2)} s; line limit at ${s.baud} baud ${s.lineLimitSamplesPerSecond.toFixed(1)} samples/s (${+s.sampleWireBytes.toFixed(2)} + ${s.resultWireBytes} bytes a sample): ${pct(s.fractionOfLineLimit)}`,
    `  weights ${s.weightsCompared === 'none' ? 'not fetched' : `${s.imageBytes} bytes, digest 0x${(s.imageCrc >>> 0).toString(16).padStart(8, '0')}`}; identical to offline training: ${s.identicalToOffline === null ? 'not checked' : s.identicalToOffline ? 'yes' : 'NO'}`,
  ];
}

export function jsonSummary(s: HostSummary): Record<string, unknown> {
  const { image: _image, ...rest } = s;
  return rest;
}

export function sourceInfo(): string {
  return `sensor: ${ACCEL_CLASSES.length} gestures, windows of ${ACCEL_WINDOW} readings at ${ACCEL_RATE_HZ} Hz`;
}

export function checkSource(s: string): SourceName {
  if (s === 'mnist' || s === 'fashion' || s === 'sensor') return s;
  throw new UserError(`unknown source '${s}'`, 2);
}
