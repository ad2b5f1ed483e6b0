/**
 * Serial bytes to frames, as an rxjs operator: the portable FrameReader (src/io/protocol.ts)
 * behind an Observable boundary. Faults (CRC, stuffing, length, version, type) are values in
 * the stream, not errors: a bad frame must never end a session.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { FrameReader, type Frame, type FrameFault } from '../io/protocol';

export function decodeFrames(): OperatorFunction<Uint8Array, Frame | FrameFault> {
  return (bytes$) =>
    new Observable<Frame | FrameFault>((sub) => {
      const reader = new FrameReader();
      const emit = (x: Frame | FrameFault) => sub.next(x);
      return bytes$.subscribe({
        next: (b) => reader.push(b, emit),
        error: (e) => sub.error(e),
        complete: () => sub.complete(),
      });
    });
}
