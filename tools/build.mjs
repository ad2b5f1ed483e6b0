// Bundles the Node entry points into dist/ with esbuild. Runs on `npm ci` (prepare) and before tests.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = ['tools/cli.ts', 'tools/bench.ts', 'tools/worker.ts'].filter((p) => existsSync(p));
await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // the engines load their WebAssembly files relative to their own packages; serialport
  // loads its native binding relative to its own package
  external: ['quickjs-emscripten', 'quickjs-emscripten-core', '@jitl/*', 'serialport', '@serialport/*'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
