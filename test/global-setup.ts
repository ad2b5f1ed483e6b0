// Builds the command-line bundle (dist/) once, before any test file runs, so the end-to-end
// tests all run the code of this tree and never rebuild it concurrently.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: join(__dirname, '..'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}
