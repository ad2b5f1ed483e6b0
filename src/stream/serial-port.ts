/**
 * A serial port (npm `serialport`) as the byte boundary of the link: `data$` emits what
 * arrives and ends with LinkInterrupted when the port closes, fails to open or errors, so
 * the host's retry reconnects. Tests pass `SerialPortMock` (from 'serialport' itself: its
 * `SerialPortMock.binding` is the one registry the mock ports live in).
 */
import { createRequire } from 'node:module';
import { Observable, share } from 'rxjs';
import type { SerialPort } from 'serialport';
import { LinkInterrupted, type HostPort } from './host';

/** What we use of a SerialPort (SerialPort and SerialPortMock both have it). */
export interface SerialStream {
  on(event: 'data', f: (d: Buffer) => void): unknown;
  on(event: 'close' | 'error' | 'open', f: (e?: Error) => void): unknown;
  write(data: Uint8Array): boolean;
  close(cb?: (e: Error | null) => void): void;
  readonly isOpen: boolean;
}

export type SerialStreamFactory = (opts: { path: string; baudRate: number }) => SerialStream;

/**
 * A real port. `serialport` (and its native binding) is loaded on first use, so commands that
 * never open a port, and the CLI bundle itself, start without it.
 */
export const realSerialPort: SerialStreamFactory = (opts) => {
  const { SerialPort: Port } = createRequire(import.meta.url)('serialport') as { SerialPort: typeof SerialPort };
  return new Port({ ...opts, autoOpen: true }) as unknown as SerialStream;
};

/** Opens `path` and wraps it as a HostPort (also the device's byte boundary). */
export function openSerialLink(path: string, baudRate: number, make: SerialStreamFactory = realSerialPort): HostPort {
  const port = make({ path, baudRate });
  let closed = false;
  const data$ = new Observable<Uint8Array>((sub) => {
    port.on('data', (d: Buffer) => sub.next(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    port.on('close', () => sub.error(new LinkInterrupted(`${path}: the port closed`)));
    port.on('error', (e?: Error) => sub.error(new LinkInterrupted(`${path}: ${e ? e.message : 'port error'}`)));
  }).pipe(share());
  return {
    data$,
    write(bytes) {
      if (!closed) port.write(bytes);
    },
    close() {
      if (closed) return;
      closed = true;
      if (port.isOpen) port.close(() => {});
    },
  };
}
