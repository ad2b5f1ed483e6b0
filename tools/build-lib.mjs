// Builds the library entry (lib/index.ts) into dist/lib: one ESM bundle (esbuild, no Node APIs,
// dependencies inlined) and its type declarations (tsc --emitDeclarationOnly), whose relative
// imports get the '.js' extension Node's ESM resolution expects. Runs in `npm run build`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

rmSync('dist/lib', { recursive: true, force: true });
await build({
  entryPoints: ['lib/index.ts'],
  outfile: 'dist/lib/index.js',
  bundle: true,
  platform: 'neutral',
  format: 'esm',
  target: 'es2020',
  sourcemap: true,
  logLevel: 'warning',
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.lib.json'], { stdio: 'inherit' });

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.d.ts')) {
      const text = readFileSync(p, 'utf8').replace(/(from\s+|import\()(['"])(\.\.?\/[^'"]+?)\2/g, (m, head, q, spec) => (spec.endsWith('.js') ? m : `${head}${q}${spec}.js${q}`));
      writeFileSync(p, text);
    }
  }
}
walk('dist/lib/types');
