/**
 * A model of a serial line, as rxjs operators: a byte rate no faster than the baud rate
 * (`paceBytes`) and noise that flips, drops and inserts bytes (`lineNoise`). The serial demo
 * puts one of each, per direction, between host and device (pseudo-terminals pass bytes
 * instantly and ignore the baud rate, so the pace has to come from here).
 *
 * Time comes from the rxjs scheduler, so marble tests run the line in virtual time.
 */
import { asyncScheduler, concatMap, defer, from, map, mergeMap, timer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { Prng } from '../chip/prng';

/** Bits a byte occupies on an 8N1 line: start bit, 8 data bits, stop bit. */
export const BITS_PER_BYTE_8N1 = 10;

export interface NoiseCounts {
  flipped: number;
  dropped: number;
  inserted: number;
}

/**
 * Noise at `rate` per byte: each byte, with probability `rate`, is hit by one of three
 * equally likely faults: one bit flipped, the byte dropped, or a random byte inserted
 * before it. Seeded and deterministic for a given sequence of chunks.
 */
export function lineNoise(rate: number, seed: number, counts: NoiseCounts): OperatorFunction<Uint8Array, Uint8Array> {
  const rng = new Prng(seed);
  return map((chunk) => {
    if (rate <= 0) return chunk;
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (rng.nextFloat() >= rate) {
        out.push(b);
        continue;
      }
      const kind = rng.nextInt(3);
      if (kind === 0) {
        counts.flipped++;
        out.push(b ^ (1 << rng.nextInt(8)));
      } else if (kind === 1) {
        counts.dropped++;
      } else {
        counts.inserted++;
        out.push(rng.nextInt(256), b);
      }
    }
    return Uint8Array.from(out);
  });
}

/**
 * Delivers bytes no faster than `baud` bits per second at `bitsPerByte` each: every byte
 * leaves when the line has finished the bytes before it. Chunks are cut into slices of at
 * most `slice` bytes, each delivered when its last byte has crossed the line.
 */
export function paceBytes(
  baud: number,
  opts: { bitsPerByte?: number; slice?: number; scheduler?: SchedulerLike } = {},
): OperatorFunction<Uint8Array, Uint8Array> {
  const bitsPerByte = opts.bitsPerByte ?? BITS_PER_BYTE_8N1;
  const slice = opts.slice ?? 16;
  const scheduler = opts.scheduler ?? asyncScheduler;
  const msPerByte = (1000 * bitsPerByte) / baud;
  return (bytes$) =>
    defer(() => {
      let lineFreeAt = -Infinity;
      return bytes$.pipe(
        // when each slice will have crossed the line, decided as its chunk arrives
        mergeMap((chunk) => {
          let t = Math.max(scheduler.now(), lineFreeAt);
          const parts: Array<{ at: number; bytes: Uint8Array }> = [];
          for (let i = 0; i < chunk.length; i += slice) {
            const bytes = chunk.subarray(i, Math.min(i + slice, chunk.length));
            t += bytes.length * msPerByte;
            parts.push({ at: t, bytes });
          }
          lineFreeAt = t;
          return from(parts);
        }),
        // one slice after the other (a line never reorders bytes)
        concatMap((p) => timer(Math.max(0, p.at - scheduler.now()), scheduler).pipe(map(() => p.bytes))),
      );
    });
}
