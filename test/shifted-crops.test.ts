/**
 * Shifted crops (`synfire train --shift R`; docs/sbp-network.md, "Data"): each
 * training sample is binarized through a crop window moved by (dy, dx). The crop is checked
 * against an independent construction (move the whole 28x28 image, fill with 0, then apply
 * the fixed crop of `preprocess`); the CLI runs stay equal to the oracle, resume exactly and
 * keep the shift as part of the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/chip/prng';
import { cropActive, MAX_SHIFT, type Preprocessing, preprocess, shiftedCrops, shiftVariants } from '../src/data/preprocess';
import { UserError } from '../src/errors';
import { runCli, tempDir } from './fixtures';

/** count random 28x28 images: each pixel 0, 128, 129 or 255, so the threshold's edge is exercised. */
function randomImages(count: number, seed: number): { dims: number[]; data: Uint8Array } {
  const rng = new Prng(seed);
  const levels = [0, 128, 129, 255];
  const data = new Uint8Array(count * 784);
  for (let i = 0; i < data.length; i++) data[i] = levels[rng.nextInt(4)];
  return { dims: [count, 28, 28], data };
}

/** The images moved by (dy, dx): out[y][x] = in[y + dy][x + dx], 0 where that pixel is outside. */
function moved(images: { dims: number[]; data: Uint8Array }, dy: number, dx: number): { dims: number[]; data: Uint8Array } {
  const out = new Uint8Array(images.data.length);
  for (let k = 0; k < images.dims[0]; k++)
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const sy = y + dy;
        const sx = x + dx;
        if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) out[k * 784 + y * 28 + x] = images.data[k * 784 + sy * 28 + sx];
      }
  return { dims: images.dims, data: out };
}

describe('shifted crops', () => {
  const images = randomImages(6, 11);
  const labels = new Uint8Array([0, 1, 2, 3, 4, 9]);

  for (const kind of ['mnist20', 'fashion28'] as Preprocessing[]) {
    for (const radius of [1, 2]) {
      it(`${kind}, radius ${radius}: every crop position equals the fixed crop of the moved image`, () => {
        const sc = shiftedCrops(images, labels, kind, 'test', { radius });
        const span = 2 * radius + 1;
        expect(shiftVariants(radius)).toBe(span * span);
        const out = new Uint16Array(sc.numInputs);
        const seen = new Set<string>();
        for (let v = 0; v < span * span; v++) {
          // variant v: row offset floor(v / span) - radius, column offset v mod span - radius
          const dy = Math.floor(v / span) - radius;
          const dx = (v % span) - radius;
          seen.add(`${dy},${dx}`);
          const expected = preprocess(moved(images, dy, dx), labels, kind, 'moved');
          for (let k = 0; k < labels.length; k++) {
            const n = cropActive(sc, k, v, out);
            expect(Array.from(out.subarray(0, n)), `v ${v} sample ${k}`).toEqual(Array.from(expected.indices.subarray(expected.offsets[k], expected.offsets[k + 1])));
          }
        }
        expect(seen.size).toBe(span * span);
      });
    }
  }

  it('the centre position is the fixed crop', () => {
    const sc = shiftedCrops(images, labels, 'mnist20', 'test', { radius: 3 });
    const fixed = preprocess(images, labels, 'mnist20', 'fixed');
    const out = new Uint16Array(400);
    const centre = (shiftVariants(3) - 1) / 2;
    for (let k = 0; k < labels.length; k++) {
      const n = cropActive(sc, k, centre, out);
      expect(Array.from(out.subarray(0, n))).toEqual(Array.from(fixed.indices.subarray(fixed.offsets[k], fixed.offsets[k + 1])));
    }
  });

  it('refuses a radius beyond the 4-pixel margin, mnist10, and bad labels, naming the data', () => {
    expect(MAX_SHIFT).toBe(4);
    expect(() => shiftedCrops(images, labels, 'mnist20', 'train-x', { radius: 5 })).toThrow(/train-x: shift radius must be an integer 0\.\.4, got 5/);
    expect(() => shiftedCrops(images, labels, 'mnist10', 'train-x', { radius: 1 })).toThrow(UserError);
    expect(() => shiftedCrops(images, new Uint8Array([0, 1, 2, 3, 4, 10]), 'mnist20', 'train-x', { radius: 1 })).toThrow(/label 10 of sample 5/);
  });
});

describe('synfire train --shift', () => {
  const common = ['train', '--hidden', '16', '--train-limit', '300', '--test-limit', '50', '--json', '--quiet'];

  it('trains exactly (0 departures), changes the training inputs, and resumes exactly', () => {
    const dir = tempDir('shift');
    const whole = runCli([...common, '--epochs', '2', '--shift', '1', '--shadow', '--save-weights', join(dir, 'whole.json')]);
    expect(whole.status, whole.stderr).toBe(0);
    const w = JSON.parse(whole.stdout);
    expect(w.shift).toBe(1);
    expect(w.shadow).toMatchObject({ samples: 600, departures: 0, spuriousSpikes: 0 });
    const fixed = runCli([...common, '--epochs', '2', '--save-weights', join(dir, 'fixed.json')]);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout).shift).toBe(0);
    expect(readFileSync(join(dir, 'fixed.json'), 'utf8')).not.toBe(readFileSync(join(dir, 'whole.json'), 'utf8'));

    // stop after one epoch (the checkpoint holds the data generator's state before the second
    // epoch's permutation and crop positions), then continue without repeating --shift
    const part = runCli([...common, '--epochs', '1', '--shift', '1', '--checkpoint', join(dir, 'one.ckpt')]);
    expect(part.status, part.stderr).toBe(0);
    const resumed = runCli(['train', '--resume', join(dir, 'one.ckpt'), '--epochs', '2', '--shadow', '--test-limit', '50', '--json', '--quiet', '--save-weights', join(dir, 'resumed.json')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    const r = JSON.parse(resumed.stdout);
    expect(r.shift).toBe(1);
    expect(r.shadow).toMatchObject({ samples: 300, departures: 0 });
    expect(readFileSync(join(dir, 'resumed.json'), 'utf8')).toBe(readFileSync(join(dir, 'whole.json'), 'utf8'));

    // the shift is part of the run: another radius is refused and nothing is written
    const before = readFileSync(join(dir, 'one.ckpt'));
    const other = runCli(['train', '--resume', join(dir, 'one.ckpt'), '--epochs', '2', '--shift', '2', '--quiet', '--save-weights', join(dir, 'no.json')]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/option shift = 2 differs from the checkpoint's 1/);
    expect(other.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(dir, 'one.ckpt'))).toEqual(before);
    expect(existsSync(join(dir, 'no.json'))).toBe(false);
  });

  it('bad radii and unsupported combinations are usage errors that say what is wrong', () => {
    const big = runCli([...common, '--shift', '5']);
    expect(big.status).toBe(2);
    expect(big.stderr).toMatch(/--shift/);
    const deep = runCli(['train', '--hidden', '16,8', '--train-limit', '10', '--shift', '1', '--quiet']);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/--shift: shifted crops train one hidden layer/);
  });
});
