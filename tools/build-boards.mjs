// Builds the firmware bundle of every microcontroller board (boards/profiles.ts, the boards
// with an `mcu` profile) from firmware-model/board-entry.ts:
//   dist/boards/<board>/firmware.js      minified esbuild IIFE, ES2020 (QuickJS, quickjs-ng)
//   dist/boards/<board>/firmware.es5.js  the same lowered to ES5 (tools/engine-bundle.mjs) for Duktape
// Each defines the global `synfireFirmware` (see board-entry.ts), with SYNFIRE_BOARD set to the
// board's name, SYNFIRE_HEAP_BYTES to its heap budget (the firmware refuses a network that
// cannot fit it) and SYNFIRE_BUNDLE_BYTES to the size of the bundle itself (the memory plan
// counts the code the engine holds), written into the finished bundle at a fixed width.
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

async function profiles() {
  const r = await build({ entryPoints: [join(ROOT, 'boards', 'profiles.ts')], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning' });
  return import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64'));
}

/** Names of the microcontroller boards, read from boards/profiles.ts. */
export async function mcuBoards() {
  return (await profiles()).mcuBoardNames();
}

/** The heap a board leaves the engine (its profile's budget), which the bundle's firmware checks networks against. */
async function heapOf(board) {
  const b = (await profiles()).BOARDS[board];
  if (!b || !b.mcu) throw new Error(`${board}: not a microcontroller board`);
  return b.mcu.heapBytes.value;
}

/** A number that stands for the bundle's size while it is built (nine digits: room for any size). */
const SIZE_MARK = '987654321';

/**
 * Build with SYNFIRE_BUNDLE_BYTES set to SIZE_MARK, then write the real size over every
 * occurrence of the mark, padded with spaces to the mark's width: the length does not change,
 * so the number is exact.
 */
async function selfSized(make, board) {
  const code = await make({ SYNFIRE_BOARD: JSON.stringify(board), SYNFIRE_BUNDLE_BYTES: SIZE_MARK, SYNFIRE_HEAP_BYTES: String(await heapOf(board)) });
  const n = Buffer.byteLength(code);
  if (code.split(SIZE_MARK).length < 2) throw new Error(`${board}: the bundle does not use SYNFIRE_BUNDLE_BYTES`);
  return code.split(SIZE_MARK).join(String(n).padEnd(SIZE_MARK.length, ' '));
}

function sizes(code) {
  return { bytes: Buffer.byteLength(code), gzipBytes: gzipSync(Buffer.from(code), { level: 9 }).length };
}

/** Build every board's two bundles (or those of the boards named in `only`). Returns [{ board, es2020: {path, bytes, gzipBytes}, es5: {...} }]. */
export async function buildBoards(only) {
  const out = [];
  for (const board of only ?? (await mcuBoards())) {
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

/**
 * Bytes of the minified ES2020 bundle by part, from esbuild's metafile: 'core' (src/: chip,
 * net, sbp, io, errors), 'firmware' (the firmware loop, firmware.ts), 'flashImage'
 * (flash-image.ts), 'hostLink' (host-link.ts, board-entry.ts), 'planner' (memory-plan.ts,
 * engines.ts, boards/), 'typedBinary' (the typed-binary package), 'other'.
 */
export async function bundleParts(board) {
  const r = await build({
    entryPoints: [BOARD_ENTRY],
    bundle: true,
    format: 'iife',
    globalName: BOARD_GLOBAL,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2020',
    charset: 'ascii',
    legalComments: 'none',
    supported: { bigint: false },
    minify: true,
    define: { SYNFIRE_BOARD: JSON.stringify(board), SYNFIRE_BUNDLE_BYTES: SIZE_MARK, SYNFIRE_HEAP_BYTES: String(await heapOf(board)) },
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const parts = { core: 0, firmware: 0, flashImage: 0, hostLink: 0, planner: 0, typedBinary: 0, other: 0 };
  const inputs = Object.values(r.metafile.outputs)[0].inputs;
  for (const [file, v] of Object.entries(inputs)) {
    const f = file.replace(/\\/g, '/');
    const part = f.startsWith('src/')
      ? 'core'
      : f === 'firmware-model/firmware.ts'
        ? 'firmware'
        : f === 'firmware-model/flash-image.ts'
          ? 'flashImage'
          : /^firmware-model\/(host-link|board-entry)\.ts$/.test(f)
            ? 'hostLink'
            : /^firmware-model\/(memory-plan|engines)\.ts$/.test(f) || f.startsWith('boards/')
              ? 'planner'
              : f.includes('node_modules/typed-binary/')
                ? 'typedBinary'
                : 'other';
    parts[part] += v.bytesInOutput;
  }
  return parts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildBoards();
  for (const b of r) b.parts = await bundleParts(b.board);
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else
    for (const b of r) {
      console.log(`${b.board}: firmware.js ${b.es2020.bytes} B (gzip ${b.es2020.gzipBytes} B); firmware.es5.js ${b.es5.bytes} B (gzip ${b.es5.gzipBytes} B)`);
      console.log(`  firmware.js by part: ${Object.entries(b.parts).map(([k, v]) => `${k} ${v} B`).join(', ')} (esbuild metafile; the rest is the IIFE wrapper)`);
    }
}
