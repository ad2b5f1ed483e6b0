/**
 * `synfire serial-demo`: host and device on the two ends of a real serial line made of
 * pseudo-terminals, with a line model in between.
 *
 *   host (this process) ─ pty pair 1 (socat) ─ line model ─ pty pair 2 (socat) ─ `synfire device` (child process)
 *
 * The line model (src/stream/line.ts) carries each direction at no more than the baud rate
 * (a pty has none of its own) and, with --noise, flips, drops and inserts bytes at that rate
 * per byte. After the run the device is stopped with SIGINT and saves its weights
 * (--save-on-exit, atomically); those and the weights fetched over the line are compared
 * with the same samples trained offline in the same order.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Subscription } from 'rxjs';
import { Firmware } from '../../firmware-model/firmware';
import { UserError } from '../../src/errors';
import { lineNoise, paceBytes, type NoiseCounts } from '../../src/stream/line';
import { openSerialLink } from '../../src/stream/serial-port';
import type { CliIO, Command } from '../cli';
import { checkSource, jsonSummary, loadSamples, runHostSession, summaryLines } from '../serial-host';
import { MAX_HIDDEN } from './options';

export const command: Command = {
  spec: {
    name: 'serial-demo',
    summary: 'Host and device over real pseudo-terminals (socat) with a line model of baud rate and noise between them; prints the link and learning summary.',
    usage: '[--samples N] [--noise RATE] [--baud B] [--engine node|quickjs] [--source mnist|fashion|sensor] [options]',
    options: [
      { name: 'samples', type: 'int', default: 300, min: 1, max: 60000, metavar: 'N', help: 'samples to stream' },
      { name: 'noise', type: 'number', default: 0, min: 0, max: 0.2, metavar: 'RATE', help: 'per byte, the chance of a flipped bit, a dropped byte or an inserted byte (one of the three)' },
      { name: 'baud', type: 'int', default: 115200, min: 1200, max: 4000000, metavar: 'B', help: 'line rate the model enforces in each direction (8N1: 10 bits a byte)' },
      { name: 'engine', type: 'choice', choices: ['node', 'quickjs'], default: 'node', help: 'where the device runs the firmware' },
      { name: 'source', type: 'choice', choices: ['mnist', 'fashion', 'sensor'], default: 'mnist', help: 'what the host streams' },
      { name: 'board', type: 'string', default: 'esp32s3-psram', metavar: 'B', help: 'board profile of the device' },
      { name: 'hidden', type: 'int', min: 1, max: MAX_HIDDEN, metavar: 'H', help: 'hidden units (default 100)' },
      { name: 'seed', type: 'int', default: 1, min: 0, max: 4294967295, metavar: 'S', help: 'seed of the initial weights, the sensor stream and the noise' },
      { name: 'window', type: 'int', default: 64, min: 1, max: 64, metavar: 'W', help: 'sequenced frames in flight' },
      { name: 'eval-samples', type: 'int', default: 500, min: 0, max: 10000, metavar: 'N', help: 'held-out samples (test split; sensor: another seed) on which the final weights are evaluated, on the host' },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory with the IDX files' },
    ],
    examples: ['synfire serial-demo --samples 300 --noise 0.01 --json', 'synfire serial-demo --source sensor --samples 1000', 'synfire serial-demo --engine quickjs --samples 100'],
  },
  run(o, io) {
    return runDemo(o, io);
  },
};

function cliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [resolve(here, '..', 'bin', 'synfire.js'), resolve(here, '..', '..', 'bin', 'synfire.js')]) if (existsSync(c)) return c;
  throw new Error('bin/synfire.js not found next to the bundle');
}

/** A socat pty pair with links a and b; resolves when both links exist. */
async function ptyPair(a: string, b: string): Promise<ChildProcess> {
  const p = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let failed: string | null = null;
  p.on('error', (e) => (failed = e.message));
  p.on('exit', (code) => (failed ??= `socat exited (${code})`));
  for (let t = 0; t < 250; t++) {
    if (existsSync(a) && existsSync(b)) return p;
    if (failed !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  p.kill();
  throw new UserError(`could not make a pty pair with socat: ${failed ?? 'timed out'}`);
}

function waitExit(p: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((res) => {
    if (p.exitCode !== null) return res(p.exitCode);
    const t = setTimeout(() => res(null), ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      res(code);
    });
  });
}

async function runDemo(o: Record<string, unknown>, io: CliIO): Promise<number> {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) throw new UserError('socat is not installed (apt-get install socat)');
  const source = checkSource(o.source as string);
  const seed = o.seed as number;
  const baud = o.baud as number;
  const noise = o.noise as number;
  const board = o.board as string;
  const set = loadSamples(source, o.samples as number, { hidden: o.hidden as number | undefined, seed, dataDir: o.dataDir as string | undefined });

  const dir = mkdtempSync(join(tmpdir(), 'synfire-serial-'));
  const socats: ChildProcess[] = [];
  let device: ChildProcess | null = null;
  const subs: Subscription[] = [];
  const ports: Array<ReturnType<typeof openSerialLink>> = [];
  const up: NoiseCounts = { flipped: 0, dropped: 0, inserted: 0 };
  const down: NoiseCounts = { flipped: 0, dropped: 0, inserted: 0 };
  try {
    socats.push(await ptyPair(join(dir, 'host'), join(dir, 'line-host')));
    socats.push(await ptyPair(join(dir, 'line-device'), join(dir, 'device')));

    // the line model: each direction paced to the baud rate, with noise
    const lineHost = openSerialLink(join(dir, 'line-host'), baud);
    const lineDevice = openSerialLink(join(dir, 'line-device'), baud);
    ports.push(lineHost, lineDevice);
    const quiet = { error: () => {} };
    subs.push(lineHost.data$.pipe(lineNoise(noise, seed * 2 + 1, up), paceBytes(baud)).subscribe({ next: (b) => lineDevice.write(b), ...quiet }));
    subs.push(lineDevice.data$.pipe(lineNoise(noise, seed * 2 + 2, down), paceBytes(baud)).subscribe({ next: (b) => lineHost.write(b), ...quiet }));

    const weightsFile = join(dir, 'device.sffw');
    const args = [cliPath(), 'device', '--port', join(dir, 'device'), '--board', board, '--engine', o.engine as string, '--baud', String(baud), '--save-on-exit', weightsFile];
    const dev = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    device = dev;
    let deviceLog = '';
    dev.stderr!.setEncoding('utf8');
    dev.stderr!.on('data', (d: string) => (deviceLog += d));
    for (let t = 0; t < 1500 && !/listening on/.test(deviceLog); t++) {
      if (dev.exitCode !== null) throw new UserError(`the device exited: ${deviceLog.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    io.err(`serial-demo: ${set.count} ${source} samples at ${baud} baud, noise ${noise}, device on ${o.engine}`);

    const summary = await runHostSession(() => openSerialLink(join(dir, 'host'), baud), set, {
      board,
      mode: 'train',
      seed,
      baud,
      window: o.window as number,
      fetchImageUpTo: 16 * 1024,
      maxReconnects: 5,
      offline: true,
    }, io);

    // stop the device: it saves its weights atomically on SIGINT
    dev.kill('SIGINT');
    const code = await waitExit(dev, 30000);
    let savedIdentical: boolean | null = null;
    const fw = new Firmware({ board, mode: 'train', sizes: set.sizes, seed });
    for (let i = 0; i < set.count; i++) fw.train(set.bits(i), set.label(i));
    if (existsSync(weightsFile)) {
      const saved = new Uint8Array(readFileSync(weightsFile));
      const img = fw.snapshot();
      savedIdentical = saved.length === img.length && saved.every((b, k) => b === img[k]);
    }
    // inference accuracy of the final weights (equal to the device's when identicalToOffline)
    // on held-out samples: the test split, or a sensor stream of another seed; computed here
    const evalN = o.evalSamples as number;
    let heldOutAccuracy: number | null = null;
    if (evalN > 0) {
      const held = loadSamples(source, evalN, { hidden: set.sizes.hidden, seed: seed + 1000003, dataDir: o.dataDir as string | undefined, split: 'test' });
      let correct = 0;
      for (let i = 0; i < held.count; i++) if (fw.infer(held.bits(i), held.label(i)).correct) correct++;
      heldOutAccuracy = correct / held.count;
    }
    const identical = summary.identicalToOffline === true && savedIdentical === true;
    const result = {
      ...jsonSummary(summary),
      identicalToOffline: identical,
      identicalOverTheLine: summary.identicalToOffline,
      savedImageIdenticalToOffline: savedIdentical,
      engine: o.engine,
      noise,
      noiseUp: up,
      noiseDown: down,
      deviceExitCode: code,
      heldOutSamples: evalN,
      heldOutAccuracy,
    };
    if (io.json) io.out(JSON.stringify(result));
    else {
      for (const line of summaryLines(summary)) io.out(line);
      io.out(`  line noise: host->device ${up.flipped} flipped, ${up.dropped} dropped, ${up.inserted} inserted; device->host ${down.flipped}, ${down.dropped}, ${down.inserted}`);
      io.out(`  device saved its weights on SIGINT (exit ${code}); saved image identical to offline training: ${savedIdentical}`);
      if (heldOutAccuracy !== null) io.out(`  final weights on ${evalN} held-out samples (inference, computed on the host): ${(100 * heldOutAccuracy).toFixed(1)}%`);
    }
    return summary.lost === 0 && identical ? 0 : 1;
  } finally {
    for (const s of subs) s.unsubscribe();
    for (const p of ports) p.close();
    if (device !== null && device.exitCode === null) {
      device.kill('SIGKILL');
      await waitExit(device, 2000);
    }
    for (const s of socats) {
      s.kill();
      await waitExit(s, 2000);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
