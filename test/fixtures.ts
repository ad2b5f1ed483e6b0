/**
 * Fixtures several test files share: the repository root, running the built CLI, scratch
 * directories, and the paper's network size.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
