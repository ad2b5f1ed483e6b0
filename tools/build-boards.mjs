// Builds the firmware bundle of every microcontroller board (boards/profiles.ts, the boards
// with an `mcu` profile) from firmware-model/board-entry.ts:
//   dist/boards/<board>/firmware.js      minified esbuild IIFE, ES2020 (QuickJS, quickjs-ng)
//   dist/boards/<board>/firmware.es5.js  the same lowered to ES5 (tools/engine-bundle.mjs) for Duktape
// Each defines the global `synfireFirmware` (see board-entry.ts), with SYNFIRE_BOARD set to the
// board's name and SYNFIRE_BUNDLE_BYTES to the size of the bundle itself (the memory plan
// counts the code the engine holds), found by rebuilding until the number is stable.
// Prints (or returns) each file's raw and gzip size.
// Usage: node tools/build-boards.mjs [--json]   (or import { buildBoards } from this file)
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleEntry, bundleEs5 } from './engine-bundle.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BOARD_GLOBAL = 'synfireFirmware';
export const BOARD_ENTRY = join(ROOT, 'firmware-model', 'board-entry.ts');
/** The size goal of firmware.js (core + sBP + firmware loop, minified). */
export const BUNDLE_GOAL_BYTES = 64 * 1024;

export function boardDir(board) {
  return join(ROOT, 'dist', 'boards', board);
}

/** Names of the microcontroller boards, read from boards/profiles.ts. */
export async function mcuBoards() {
  const r = await build({ entryPoints: [join(ROOT, 'boards', 'profiles.ts')], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning' });
  const mod = await import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64'));
  return mod.mcuBoardNames();
}

/** Build until SYNFIRE_BUNDLE_BYTES equals the output's own length. */
async function selfSized(make, board) {
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const code = await make({ SYNFIRE_BOARD: JSON.stringify(board), SYNFIRE_BUNDLE_BYTES: String(bytes) });
    const n = Buffer.byteLength(code);
    if (n === bytes) return code;
    bytes = n;
  }
  throw new Error(`${board}: bundle size did not settle`);
}

function sizes(code) {
  return { bytes: Buffer.byteLength(code), gzipBytes: gzipSync(Buffer.from(code), { level: 9 }).length };
}

/** Build every board's two bundles. Returns [{ board, es2020: {path, bytes, gzipBytes}, es5: {...} }]. */
export async function buildBoards() {
  const out = [];
  for (const board of await mcuBoards()) {
    const dir = boardDir(board);
    mkdirSync(dir, { recursive: true });
    const es2020 = await selfSized((define) => bundleEntry(BOARD_ENTRY, BOARD_GLOBAL, 'es2020', { minify: true, define }), board);
    const es5 = await selfSized((define) => bundleEs5(BOARD_ENTRY, BOARD_GLOBAL, 'firmware.es5.js', { minify: true, define }), board);
    const p2020 = join(dir, 'firmware.js');
    const p5 = join(dir, 'firmware.es5.js');
    writeFileSync(p2020, es2020);
    writeFileSync(p5, es5);
    out.push({ board, es2020: { path: p2020, ...sizes(es2020) }, es5: { path: p5, ...sizes(es5) } });
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildBoards();
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else
    for (const b of r)
      console.log(`${b.board}: firmware.js ${b.es2020.bytes} B (gzip ${b.es2020.gzipBytes} B); firmware.es5.js ${b.es5.bytes} B (gzip ${b.es5.gzipBytes} B)`);
}
