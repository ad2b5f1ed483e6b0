// Builds the bundles of every microcontroller board (boards/profiles.ts, the boards with an
// `mcu` profile). The firmware bundle, from firmware-model/board-entry.ts:
//   dist/boards/<board>/firmware.js      minified esbuild IIFE, ES2020 (QuickJS, quickjs-ng)
//   dist/boards/<board>/firmware.es5.js  the same lowered to ES5 (tools/engine-bundle.mjs) for Duktape
// and the serial bundle, from firmware-model/serial-entry.ts (the serial protocol's device end
// over the firmware, for `synfire device --engine quickjs`; global `synfireSerial`):
//   dist/boards/<board>/firmware-serial.js      minified ES2020, property names NOT shortened
//   dist/boards/<board>/firmware-serial.es5.js  the same lowered to ES5
// Each defines the global `synfireFirmware` (see board-entry.ts), with SYNFIRE_DEVICE true (code a
// device never runs is dropped, see src/chip/chip.ts), SYNFIRE_BOARD set to the
// board's name, SYNFIRE_HEAP_BYTES to its heap budget (the firmware refuses a network that
// cannot fit it) and SYNFIRE_BUNDLE_BYTES to the size of the bundle itself (the memory plan
// counts the code the engine holds), written into the finished bundle at a fixed width.
// In the firmware bundle, internal property names are shortened (SHORT_PROPS, esbuild
// mangleProps), after a check that none of them can be read by name (checkShortProps). The
// serial bundle has no size goal and reads many names as strings (frame types and fields), so
// its names are left alone.
// Prints (or returns) each file's raw and gzip size.
// Usage: node tools/build-boards.mjs [--json]   (or import { buildBoards } from this file)
import { build } from 'esbuild';
import ts from 'typescript';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleEntry, bundleEs5, bundleOptions } from './engine-bundle.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BOARD_GLOBAL = 'synfireFirmware';
export const BOARD_ENTRY = join(ROOT, 'firmware-model', 'board-entry.ts');
export const SERIAL_GLOBAL = 'synfireSerial';
export const SERIAL_ENTRY = join(ROOT, 'firmware-model', 'serial-entry.ts');
/** File names of a board's bundles in boardDir(board). */
export const BUNDLE_FILES = { es2020: 'firmware.js', es5: 'firmware.es5.js', serial: 'firmware-serial.js', serialEs5: 'firmware-serial.es5.js' };
/** The size goal of firmware.js (core + sBP + firmware loop, minified). */
export const BUNDLE_GOAL_BYTES = 64 * 1024;

export function boardDir(board) {
  return join(ROOT, 'dist', 'boards', board);
}

/** A TypeScript module of the repository, bundled and imported. */
async function importTs(file) {
  const r = await build({ entryPoints: [file], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning' });
  return import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64'));
}

function profiles() {
  return importTs(join(ROOT, 'boards', 'profiles.ts'));
}

/**
 * Property names the board bundles shorten (esbuild mangleProps with exactly these names):
 * fields and methods internal to the chip model, the compiler, sBP and the firmware, each
 * only ever written as `.name` or `name:` in the code. Not listed, and refused by
 * checkShortProps: the Firmware API, the host link and the JSON crossing it (PUBLIC_PROPS);
 * properties of built-in objects; the operation counters' keys (their names are the
 * counters' names, Object.keys); any name that appears as a string in the bundle (a key
 * looked up by name, e.g. the plastic matrices 'w1', 'w2'). A name left off the list is
 * merely not shortened. Saves about 13.7 KB of firmware.js (BENCHMARKS.md "Firmware bundles").
 */
export const SHORT_PROPS = `
absBound acc active advance allWrites allocFloat64 allocInt16 allocInt32 allocUint16 allocUint8
allocateLast alwaysList anyReleased applyRule argPotential argSpikes axons barrierNs
beforeLearning beginStep biasExp biasMant bits bucket buildMessageCosts byName byteAt cap check
checkLabel checkPostMajor checkWrites chips collect collectRuns compiled connections
connectivity constant copies coreActive coreCx coreOps corePosts coreRange coreSynapses
coresPerChip coresPerTile costs count countVisits current cx cxCore cxProto cxPrototype d data
decayU decayV delay dendrites denseRouted denseRoutedCount derive endStep epochId evaluateRange
exact factors fanout firmware flush flushAll flushCount flushList flushMark followsLeader
fullRows fusedMark fusedScale fusedSrc gateUnits gather genCore generators group groups h
hasSpareNormal identity imageAt impulse indices inferSample inferer inputAxons inputPort
integralInputs kernel kernelState kind labelPort labels lastSpike lastUpdate latencyNs layout
leader lean learn learnVisitsEveryStep learning lengths limits listUpdate listUpdateAlt lsb
mant mark memoCount memoDelta memoDirty memoId memoStamp memoSum mesh n nRef nSpiked
nVisit net neuron neverRounds roundsAlike ownRng ownRounding roundRng roundingStream nextFloat nextInt nextNormal nextU32 noteChange nout numBuckets
numCompartments numCores numGeneratorPorts numPorts numSources numSynapses numWeightBits oStart
offsets order ordering outAxons outGroup outPre outStart outputAxons own pBias pDecayU pDecayV
pMemoryless pQHi pQLo pQuiet pRef pRestV pVth pairFast payloadLength pending pendingCount
pendingSums perPost plSig plSigEntry plSigStart placement plastic plasticIndex plasticSynapses
pos postCount postList postMajor postMemoryless postSize postStamp postStart potential preCount
preList preSize preStamp preStart prng prototypes rangeClean rangeCount rangeDue rangeGroups
rangeId rangeMark rangeOffset rangeUpdate rangeUpdateAlt ref refCount refIn refOut
refractoryDelay release released res reseed reshare rewardChannel rewardChannels rewardPort
rewards route routeRun routeRuns routeSpike routes rowSum rowsDelivered rowsTouched
rowsTouchedCount rule ruleSteps sameCopy sample samples samplesTrainedHi samplesTrainedLo scale
schedule scheduleMany scratch separateDiverged setBucket setMatrix setPostMajor setWeights
settle sharing sig sigGroup sigStart signMode singleCount singleMark singles slotMask slots
snap sourceFlag sourceStart sources spareNormal spec spiked spikedCount spikedCx spikedGen
spikedGenCount sqErr srcCore srcMsg srcMsgPacked srcSig start startup state stats step stepPre
stepPreCount stepSpikes stochasticRound store stride sumDenseRows sumRows support synapseBits
synapseGroups synapses tEpoch targets tau terms text tile tilesX tilesY time timeModel total
trainSample trainer u uniformIdentity uniformRow unshare update updateCompartments updateEach
updateEachInRange updateList updateListed updateMemoryless updateOne updateRange
updateRangeByKernel updateTrace updatedWeight usedAxons usedBits usedCx v variable vars version
voltage vthMant wMax wMin weight weightExp weights writesSeen y zeroSums
`
  .trim()
  .split(/\s+/);

/** Names a program or the host reads from the bundle: never shortened (docs/device.md "Firmware program"). */
const PUBLIC_PROPS = new Set(
  (
    'link Firmware runLoop ChunkSource HostLink board bundleBytes heapBytes ' + // the bundle's exports
    'mode sizes input hidden output seed image gating plannedBytes ' + // FirmwareConfig
    'need bytes planned samplesSeen samplesTrained chip train infer snapshot restore counters ' + // Firmware
    'index label predicted correct next result names values ' + // SampleResult, SampleSource, ResultSink, counters()
    'fw imageBegin imagePart boot feed snapshotHex dropSnapshot budgetBytes inputs reset ' + // HostLink, ChunkSource
    'name message exitCode' // errors
  ).split(' '),
);

/** Properties of the built-in objects the bundles use, and of the protocols engines call (iterators, property descriptors). */
function builtinProps() {
  const names = new Set(['next', 'done', 'value', 'return', 'throw', 'get', 'set', 'writable', 'enumerable', 'configurable', 'prototype', 'constructor', 'length', 'stack', 'toJSON', 'then', '__proto__', 'default']);
  const ta = Object.getPrototypeOf(Uint8Array);
  const iter = Object.getPrototypeOf([][Symbol.iterator]());
  for (const o of [globalThis, Object, Object.prototype, Array, Array.prototype, Math, JSON, String, String.prototype, Number, Number.prototype, Boolean.prototype, Function.prototype, Error, Error.prototype, Symbol, Symbol.prototype, RegExp.prototype, Date.prototype, DataView.prototype, ArrayBuffer, ArrayBuffer.prototype, Uint8Array, Uint8Array.prototype, ta, ta.prototype, iter, Object.getPrototypeOf(iter), Reflect])
    for (const k of Object.getOwnPropertyNames(o)) names.add(k);
  return names;
}

/**
 * Throw if a SHORT_PROPS name could be read by name in `code` (the bundle built without
 * shortening): it is public, a built-in's property, a counter's key, or a string in the code.
 */
async function checkShortProps(code) {
  const strings = new Set();
  const sf = ts.createSourceFile('firmware.js', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const visit = (n) => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) strings.add(n.text);
    else if (ts.isTemplateExpression(n)) {
      strings.add(n.head.text);
      for (const span of n.templateSpans) strings.add(span.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const counters = await importTs(join(ROOT, 'src', 'chip', 'counters.ts'));
  const keyed = new Set([...Object.keys(counters.Op), ...Object.keys(counters.CoreOp)]);
  const builtin = builtinProps();
  const bad = [];
  for (const p of SHORT_PROPS) {
    if (PUBLIC_PROPS.has(p)) bad.push(`${p} (public)`);
    else if (builtin.has(p)) bad.push(`${p} (a built-in's property)`);
    else if (keyed.has(p)) bad.push(`${p} (an operation counter's key)`);
    else if (strings.has(p)) bad.push(`${p} (a string in the bundle)`);
  }
  if (bad.length > 0) throw new Error(`SHORT_PROPS lists names that may be read by name: ${bad.join(', ')}`);
}

/** SHORT_PROPS as esbuild's mangleProps pattern. */
const SHORT_PATTERN = new RegExp(`^(?:${SHORT_PROPS.join('|')})$`);

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
  const code = await make({ SYNFIRE_DEVICE: 'true', SYNFIRE_BOARD: JSON.stringify(board), SYNFIRE_BUNDLE_BYTES: SIZE_MARK, SYNFIRE_HEAP_BYTES: String(await heapOf(board)) });
  const n = Buffer.byteLength(code);
  if (code.split(SIZE_MARK).length < 2) throw new Error(`${board}: the bundle does not use SYNFIRE_BUNDLE_BYTES`);
  return code.split(SIZE_MARK).join(String(n).padEnd(SIZE_MARK.length, ' '));
}

function sizes(code) {
  return { bytes: Buffer.byteLength(code), gzipBytes: gzipSync(Buffer.from(code), { level: 9 }).length };
}

/**
 * Build every board's bundles (or those of the boards named in `only`). Returns
 * [{ board, es2020, es5, serial, serialEs5 }], each {path, bytes, gzipBytes}.
 */
export async function buildBoards(only) {
  const out = [];
  for (const board of only ?? (await mcuBoards())) {
    const dir = boardDir(board);
    mkdirSync(dir, { recursive: true });
    await checkShortProps(await selfSized((define) => bundleEntry(BOARD_ENTRY, BOARD_GLOBAL, 'es2020', { minify: true, define }), board));
    const code = {
      es2020: await selfSized((define) => bundleEntry(BOARD_ENTRY, BOARD_GLOBAL, 'es2020', { minify: true, define, mangleProps: SHORT_PATTERN }), board),
      es5: await selfSized((define) => bundleEs5(BOARD_ENTRY, BOARD_GLOBAL, BUNDLE_FILES.es5, { minify: true, define, mangleProps: SHORT_PATTERN }), board),
      serial: await selfSized((define) => bundleEntry(SERIAL_ENTRY, SERIAL_GLOBAL, 'es2020', { minify: true, define }), board),
      serialEs5: await selfSized((define) => bundleEs5(SERIAL_ENTRY, SERIAL_GLOBAL, BUNDLE_FILES.serialEs5, { minify: true, define }), board),
    };
    const r = { board };
    for (const [k, c] of Object.entries(code)) {
      const path = join(dir, BUNDLE_FILES[k]);
      writeFileSync(path, c);
      r[k] = { path, ...sizes(c) };
    }
    out.push(r);
  }
  return out;
}

/**
 * Bytes of the minified ES2020 bundle by part, from esbuild's metafile: 'core' (src/: chip,
 * net, sbp, io, errors), 'firmware' (the firmware loop, firmware.ts), 'flashImage'
 * (flash-image.ts), 'hostLink' (host-link.ts, board-entry.ts, build-constants.ts), 'planner' (memory-plan.ts,
 * engines.ts, boards/), 'typedBinary' (the typed-binary package), 'other'.
 */
export async function bundleParts(board) {
  const define = { SYNFIRE_DEVICE: 'true', SYNFIRE_BOARD: JSON.stringify(board), SYNFIRE_BUNDLE_BYTES: SIZE_MARK, SYNFIRE_HEAP_BYTES: String(await heapOf(board)) };
  const r = await build({ ...bundleOptions(BOARD_ENTRY, BOARD_GLOBAL, 'es2020', { minify: true, define, mangleProps: SHORT_PATTERN }), metafile: true });
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
          : /^firmware-model\/(host-link|board-entry|build-constants)\.ts$/.test(f)
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
      console.log(`  serial: firmware-serial.js ${b.serial.bytes} B (gzip ${b.serial.gzipBytes} B); firmware-serial.es5.js ${b.serialEs5.bytes} B (gzip ${b.serialEs5.gzipBytes} B)`);
      console.log(`  firmware.js by part: ${Object.entries(b.parts).map(([k, v]) => `${k} ${v} B`).join(', ')} (esbuild metafile; the rest is the IIFE wrapper)`);
    }
}
