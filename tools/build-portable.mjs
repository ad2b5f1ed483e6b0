// Builds the portable-core check (firmware-model/portable-entry.ts) for embedded engines:
//   dist/portable.es2020.js  esbuild IIFE, --platform=neutral --target=es2020 (QuickJS, quickjs-ng)
//   dist/portable.es5.js     esbuild --target=es2015, then TypeScript 5.9 transpileModule to ES5
//                            (downlevelIteration) behind a small polyfill prelude (Duktape 2.7)
// Both define the global `synfirePortable` with `runPortableCheck(): string`; the host prints it.
// The ES5 output is parsed and rejected if it still holds arrow functions, classes, let/const
// or other ES2015+ syntax.
// Usage: node tools/build-portable.mjs   (or import { buildPortable } from this file)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, bundleEs5 } from './engine-bundle.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PORTABLE_GLOBAL = 'synfirePortable';
export const PORTABLE_ENTRY = join(ROOT, 'firmware-model', 'portable-entry.ts');
export const ES2020_BUNDLE = join(ROOT, 'dist', 'portable.es2020.js');
export const ES5_BUNDLE = join(ROOT, 'dist', 'portable.es5.js');

// (the ES5 prelude and lowering live in tools/engine-bundle.mjs)
export { ES5_PRELUDE, es5Violations } from './engine-bundle.mjs';

/** Build both bundles into dist/. Returns their paths and sizes in bytes. */
export async function buildPortable() {
  mkdirSync(dirname(ES2020_BUNDLE), { recursive: true });
  const es2020 = await bundleEntry(PORTABLE_ENTRY, PORTABLE_GLOBAL, 'es2020');
  writeFileSync(ES2020_BUNDLE, es2020);
  const es5 = await bundleEs5(PORTABLE_ENTRY, PORTABLE_GLOBAL, 'portable.es5.js');
  writeFileSync(ES5_BUNDLE, es5);
  return { es2020: ES2020_BUNDLE, es5: ES5_BUNDLE, es2020Bytes: Buffer.byteLength(es2020), es5Bytes: Buffer.byteLength(es5) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildPortable();
  console.log(`dist/portable.es2020.js ${r.es2020Bytes} bytes; dist/portable.es5.js ${r.es5Bytes} bytes`);
}
