/**
 * `synfire device`: the firmware program on a serial port. Bytes that arrive go to the
 * protocol's device end (firmware-model/serial-device.ts), its answers go back. With
 * `--engine quickjs` the firmware and the protocol run inside QuickJS from the board's serial
 * bundle (dist/boards/<board>/firmware-serial.js, global `synfireSerial`) and Node only
 * carries the bytes, as hex, in and out.
 *
 * The device keeps its weights when the port goes away (it reopens the port and waits), and
 * with --save-on-exit writes them atomically on SIGINT or SIGTERM before it exits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BOARDS, mcuBoardNames } from '../../boards/profiles';
import { Firmware } from '../../firmware-model/firmware';
import { SerialDevice } from '../../firmware-model/serial-device';
import { UserError } from '../../src/errors';
import { openSerialLink } from '../../src/stream/serial-port';
import type { CliIO, Command } from '../cli';
import { startEngine, type EngineSession } from '../engine-host';
import { atomicWriteFile, readUserFile } from '../fsutil';
import { defaultBundleDir } from './embedded';

export const command: Command = {
  spec: {
    name: 'device',
    summary: 'Run the firmware program on a serial port: learn on the device from samples a host streams (docs/protocol.md).',
    usage: '--port PATH [--board B] [--engine node|quickjs] [--save-on-exit F] [options]',
    options: [
      { name: 'port', type: 'string', metavar: 'PATH', help: 'serial port (a tty, or a pty from socat)' },
      { name: 'board', type: 'choice', choices: mcuBoardNames(), default: 'esp32s3-psram', metavar: 'B', help: 'microcontroller board profile: memory plan, bundle, serial settings' },
      { name: 'engine', type: 'choice', choices: ['node', 'quickjs'], default: 'node', help: "run the firmware on Node, or inside QuickJS from the board's serial bundle (Node then only carries bytes)" },
      { name: 'baud', type: 'int', min: 300, max: 16000000, help: "baud rate (default: the board's)" },
      { name: 'load', type: 'string', metavar: 'F', help: 'start from a weight image (SFFW, as --save-on-exit writes)' },
      { name: 'save-on-exit', type: 'string', metavar: 'F', help: 'on SIGINT or SIGTERM, write the weight image to F (atomically) before exiting' },
      { name: 'bundle-dir', type: 'string', metavar: 'DIR', help: 'directory holding <board>/firmware-serial.js (default dist/boards)' },
    ],
    examples: [
      'synfire device --port /dev/ttyUSB0 --board esp32s3-psram --save-on-exit weights.sffw',
      'synfire device --port /tmp/link/ttyB --engine quickjs',
    ],
  },
  run(o, io) {
    return runDevice(o, io);
  },
};

/** The device end, wherever it runs: bytes in, bytes out. */
interface DeviceEnd {
  announce(): Promise<Uint8Array>;
  feed(bytes: Uint8Array): Promise<Uint8Array>;
  snapshot(): Promise<Uint8Array | null>;
  samples(): Promise<number>;
  close(): Promise<void>;
}

function nodeEnd(board: string, image: Uint8Array | undefined): DeviceEnd {
  const dev = new SerialDevice({ board, makeFirmware: (c) => new Firmware(c), image });
  return {
    announce: async () => dev.announce(),
    feed: async (b) => dev.feed(b),
    snapshot: async () => (dev.firmware ? dev.firmware.snapshot() : null),
    samples: async () => dev.link.samples,
    close: async () => {},
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

async function quickjsEnd(board: string, image: Uint8Array | undefined, bundleDir: string): Promise<DeviceEnd> {
  const es2020 = join(bundleDir, board, 'firmware-serial.js');
  if (!existsSync(es2020)) throw new UserError(`${es2020} not found: build the board bundles with \`npm run build:boards\``);
  const budget = BOARDS[board].mcu!.heapBytes.value;
  const engine: EngineSession = await startEngine('quickjs', { es2020, es5: join(bundleDir, board, 'firmware-serial.es5.js') }, budget);
  await engine.call(`(globalThis.serialDevice = synfireSerial.serialDevice(${JSON.stringify(board)}), 'ok')`);
  if (image) {
    for (let a = 0; a < image.length; a += 4096) await engine.call(`(serialDevice.imagePart('${hex(image.subarray(a, a + 4096))}'), 'ok')`);
  }
  return {
    announce: async () => unhex(await engine.call('serialDevice.announceHex()')),
    feed: async (b) => unhex(await engine.call(`serialDevice.feedHex('${hex(b)}')`)),
    snapshot: async () => {
      const h = await engine.call('serialDevice.snapshotHex()');
      return h.length > 0 ? unhex(h) : null;
    },
    samples: async () => Number(await engine.call('String(serialDevice.samples())')),
    close: () => engine.close(),
  };
}

async function runDevice(o: Record<string, unknown>, io: CliIO): Promise<number> {
  const path = o.port as string | undefined;
  if (path === undefined) throw new UserError('--port is required', 2);
  const board = o.board as string;
  const baud = (o.baud as number | undefined) ?? BOARDS[board].mcu!.serial.baud;
  const image = o.load !== undefined ? readUserFile(o.load as string, 'weight image') : undefined;
  const saveTo = o.saveOnExit as string | undefined;
  const end = o.engine === 'quickjs' ? await quickjsEnd(board, image, (o.bundleDir as string | undefined) ?? defaultBundleDir()) : nodeEnd(board, image);

  return new Promise<number>((resolve) => {
    let port: ReturnType<typeof openSerialLink> | null = null;
    let stopping = false;
    // bytes are handled one chunk after the other, in arrival order
    let queue: Promise<unknown> = Promise.resolve();
    let internalErrors = 0;

    const open = () => {
      if (stopping) return;
      const p = openSerialLink(path, baud);
      port = p;
      const sub = p.data$.subscribe({
        next: (bytes) => {
          queue = queue.then(async () => {
            try {
              // frame by frame, each answer out as soon as it is ready (the host's timeouts
              // count the device's silence)
              let start = 0;
              for (let i = 0; i < bytes.length; i++) {
                if (bytes[i] !== 0 && i !== bytes.length - 1) continue;
                const out = await end.feed(bytes.subarray(start, i + 1));
                if (out.length > 0) p.write(out);
                start = i + 1;
              }
            } catch (e) {
              // the device end answers bad frames itself; anything thrown here is a bug, and the
              // device goes on with the weights it has
              internalErrors++;
              io.err(`device: internal error on received bytes (${(e as Error).message}); going on`);
            }
          });
        },
        error: (e: Error) => {
          sub.unsubscribe();
          p.close();
          if (stopping) return;
          io.err(`device: ${e.message}; the weights are kept, reopening`);
          setTimeout(open, 250);
        },
      });
      void end.announce().then((b) => p.write(b));
      io.err(`device: ${board} (${o.engine}) listening on ${path} at ${baud} baud`);
    };

    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      void queue.then(async () => {
        let code = 0;
        try {
          if (saveTo !== undefined) {
            const img = await end.snapshot();
            if (img !== null) {
              atomicWriteFile(saveTo, img);
              io.err(`device: ${signal}: weights saved to ${saveTo} (${img.length} bytes)`);
            } else io.err(`device: ${signal}: no network built yet, nothing to save`);
          }
          io.err(`device: ${signal}: ${await end.samples()} samples handled, ${internalErrors} internal errors`);
        } catch (e) {
          io.err(`device: could not save the weights: ${(e as Error).message}`);
          code = 1;
        }
        port?.close();
        await end.close();
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve(code);
      });
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    open();
  });
}
