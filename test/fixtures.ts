/**
 * Fixtures several test files share: the repository root, running the built CLI, scratch
 * directories, the paper's network size, and random data and weights for small sBP networks.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '../src/chip/prng';
import type { SbpSizes } from '../src/sbp/matrices';

/** The repository's root directory. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The paper's MNIST network, 400-400-10. */
export const MNIST_SIZES: SbpSizes = { input: 400, hidden: 400, output: 10 };

/**
 * Run `synfire ARGS...` (bin/synfire.js, the built bundle) from the repository root and
 * return its exit status and output.
 */
export function runCli(args: string[], timeoutMs?: number): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'synfire.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
}

/** A new empty directory under the system's temp directory, e.g. tempDir('train'). */
export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `synfire-${name}-`));
}

/** n random binary samples (each input on with probability 0.4) with random labels. */
export function randomData(nin: number, nout: number, n: number, seed: number) {
  const rng = new Prng(seed);
  const offsets = [0];
  const indices: number[] = [];
  const labels: number[] = [];
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nin; i++) if (rng.nextFloat() < 0.4) indices.push(i);
    offsets.push(indices.length);
    labels.push(rng.nextInt(nout));
  }
  return { numInputs: nin, offsets: Uint32Array.from(offsets), indices: Uint16Array.from(indices), labels: Uint8Array.from(labels) };
}

/** Even weights drawn uniformly from [lo, hi): biased positive so that every layer is active. */
export function randomWeights(sizes: number[], seed: number, lo: number, hi: number): Int16Array[] {
  const rng = new Prng(seed);
  const w = [new Int16Array(0)];
  for (let l = 1; l < sizes.length; l++) {
    const m = new Int16Array(sizes[l] * sizes[l - 1]);
    for (let k = 0; k < m.length; k++) m[k] = 2 * Math.floor((lo + rng.nextFloat() * (hi - lo)) / 2);
    w.push(m);
  }
  return w;
}

/** 0, 1, ..., n-1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
