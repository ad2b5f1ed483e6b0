/**
 * The serial link at its Node boundary: the serialport adapter on serialport's mock binding
 * (SerialPortMock from 'serialport' itself, so the mock ports live in the one registry the
 * library reads), and ONE end-to-end run of `synfire serial-demo` over real socat
 * pseudo-terminals with line noise (a device child process, SIGINT and the atomic save).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { SerialPortMock } from 'serialport';
import { describe, expect, it } from 'vitest';
import { Firmware } from '../firmware-model/firmware';
import { SerialDevice } from '../firmware-model/serial-device';
import { encodeFrame, FrameReader, isFault, type Frame } from '../src/io/protocol';
import { openSerialLink, type SerialStream } from '../src/stream/serial-port';

let lastMock: SerialPortMock | null = null;
const mockPort = (opts: { path: string; baudRate: number }) => (lastMock = new SerialPortMock(opts)) as unknown as SerialStream;

describe('serialport adapter (mock binding)', () => {
  it('carries bytes both ways and reports a vanished port as an interruption', async () => {
    const path = '/dev/SYNFIRE0';
    SerialPortMock.binding.createPort(path, { echo: false, record: true });
    const link = openSerialLink(path, 115200, mockPort);
    const got = firstValueFrom(link.data$.pipe(take(1), toArray()));
    // the host's hello goes out; the device's answer comes in
    const hello = encodeFrame('hello', 0, { session: 1, role: 0, mode: 0, encoding: 0, input: 16, hidden: 12, output: 4, samplesTrained: 0, seed: 5, window: 4 });
    link.write(hello);
    const dev = new SerialDevice({ board: 'esp32s3-psram', makeFirmware: (c) => new Firmware(c) });
    const answer = dev.feed(hello);
    // (the mock port opens asynchronously; then the recording holds what was written)
    await new Promise((r) => setTimeout(r, 50));
    const raw = lastMock!.port!;
    expect(Array.from(raw.recording)).toEqual(Array.from(hello));
    raw.emitData(Buffer.from(answer));
    const chunks = await got;
    const frames: Frame[] = [];
    new FrameReader().push(chunks[0], (x) => !isFault(x) && frames.push(x));
    expect(frames[0]).toMatchObject({ type: 'hello', body: { session: 1, role: 1, input: 16 } });
    // the port goes away: the stream ends with a LinkInterrupted naming the port
    const ended = firstValueFrom(link.data$).catch((e: Error) => e);
    link.close();
    const e = (await ended) as Error;
    expect(e.name).toBe('LinkInterrupted');
    expect(e.message).toContain(path);
    SerialPortMock.binding.reset();
  });
});

describe('serial-demo over socat ptys', () => {
  it('1% noise: nothing lost or learned twice, the device weights equal offline training, saved on SIGINT', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'synfire.js'), 'serial-demo', '--samples', '120', '--noise', '0.01', '--source', 'sensor', '--json'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.acknowledged).toBe(120);
    expect(s.lost).toBe(0);
    expect(s.duplicates).toBe(0);
    expect(s.identicalToOffline).toBe(true);
    expect(s.savedImageIdenticalToOffline).toBe(true);
    expect(s.weightsCompared).toBe('bytes');
    // the noise really hit the line, and the device answered garbled frames with errors
    expect(s.noiseUp.flipped + s.noiseUp.dropped + s.noiseUp.inserted).toBeGreaterThan(20);
    expect(s.crcErrors).toBeGreaterThan(0);
    expect(s.retransmitted).toBeGreaterThan(0);
    expect(s.deviceExitCode).toBe(0);
  });
});
