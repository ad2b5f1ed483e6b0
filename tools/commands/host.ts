/**
 * `synfire host`: stream samples over a serial port to a device running `synfire device`
 * (or a board running the firmware), with progress and live accuracy, then a summary.
 */
import { BOARDS, mcuBoardNames } from '../../boards/profiles';
import { UserError } from '../../src/errors';
import { openSerialLink } from '../../src/stream/serial-port';
import type { CliIO, Command } from '../cli';
import { atomicWriteFile } from '../fsutil';
import { checkSource, jsonSummary, loadSamples, runHostSession, summaryLines } from '../serial-host';
import { MAX_HIDDEN } from './options';

export const command: Command = {
  spec: {
    name: 'host',
    summary: 'Stream samples over a serial port to a device that learns on the device; progress, live accuracy and a summary (docs/protocol.md).',
    usage: '--port PATH --source mnist|fashion|sensor --mode train|infer --samples N [options]',
    options: [
      { name: 'port', type: 'string', metavar: 'PATH', help: 'serial port of the device' },
      { name: 'source', type: 'choice', choices: ['mnist', 'fashion', 'sensor'], default: 'mnist', help: 'MNIST 20x20, Fashion-MNIST 28x28 (training split, file order), or the synthetic 3-axis accelerometer (docs/sensor.md)' },
      { name: 'mode', type: 'choice', choices: ['train', 'infer'], default: 'train', help: 'the device learns from the samples, or only infers' },
      { name: 'samples', type: 'int', default: 300, min: 1, max: 60000, metavar: 'N', help: 'samples to stream' },
      { name: 'board', type: 'choice', choices: mcuBoardNames(), default: 'esp32s3-psram', help: 'board the device runs (its serial settings give the default baud rate)' },
      { name: 'baud', type: 'int', min: 300, max: 16000000, help: "baud rate (default: the board's)" },
      { name: 'hidden', type: 'int', min: 1, max: MAX_HIDDEN, metavar: 'H', help: 'hidden units (default 100)' },
      { name: 'seed', type: 'int', default: 1, min: 0, max: 4294967295, metavar: 'S', help: 'seed of the initial weights (and of the sensor stream)' },
      { name: 'window', type: 'int', default: 64, min: 1, max: 64, metavar: 'W', help: 'sequenced frames in flight' },
      { name: 'check-offline', type: 'flag', help: 'train the same samples offline and compare the weights with the device' },
      { name: 'save-weights', type: 'string', metavar: 'F', help: "write the device's weight image to F (fetched over the line)" },
      { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory with the IDX files' },
    ],
    examples: ['synfire host --port /dev/ttyUSB0 --source sensor --mode train --samples 500', 'synfire host --port /tmp/link/ttyA --source mnist --samples 300 --json'],
  },
  async run(o, io) {
    return runHostCommand(o, io);
  },
};

async function runHostCommand(o: Record<string, unknown>, io: CliIO): Promise<number> {
  const path = o.port as string | undefined;
  if (path === undefined) throw new UserError('--port is required', 2);
  const board = o.board as string;
  const baud = (o.baud as number | undefined) ?? BOARDS[board].mcu!.serial.baud;
  const set = loadSamples(checkSource(o.source as string), o.samples as number, { hidden: o.hidden as number | undefined, seed: o.seed as number, dataDir: o.dataDir as string | undefined });
  const saveTo = o.saveWeights as string | undefined;
  const s = await runHostSession(() => openSerialLink(path, baud), set, {
    board,
    mode: o.mode as 'train' | 'infer',
    seed: o.seed as number,
    baud,
    window: o.window as number,
    fetchImageUpTo: saveTo !== undefined ? Infinity : 16 * 1024,
    maxReconnects: 40,
    offline: o.checkOffline === true,
  }, io);
  if (saveTo !== undefined && s.image !== null) atomicWriteFile(saveTo, s.image);
  if (io.json) io.out(JSON.stringify(jsonSummary(s)));
  else for (const line of summaryLines(s)) io.out(line);
  return s.lost === 0 ? 0 : 1;
}
