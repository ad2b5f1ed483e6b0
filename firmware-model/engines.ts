/**
 * What a JavaScript engine costs besides the typed arrays of the chip model: its run-time
 * structures (built-in objects, atoms, the context), the header of each typed array, the
 * JS objects and their properties, and the compiled bundle. The memory plan
 * (memory-plan.ts) adds these to the typed-array bytes. Portable (no Node APIs).
 *
 * All figures are for a 32-bit target (the ESP32 and RP2040 are 32-bit). Each says where it
 * comes from; the estimates are checked against the heap peaks `synfire embedded` measures
 * (docs/device.md, "Memory plan").
 */
import type { EngineName, SourcedFigure } from '../boards/profiles';

export interface EngineProfile {
  name: EngineName;
  /** Heap the engine takes before any program runs: runtime, context, built-ins. */
  runtimeBytes: SourcedFigure;
  /** Heap per typed array besides its elements: the view object, its ArrayBuffer, allocator headers. */
  typedArrayBytes: SourcedFigure;
  /** Heap per plain object or array besides its properties (header, shape, allocator header). */
  objectBytes: SourcedFigure;
  /** Heap per named property or array element of a plain object or array. */
  propertyBytes: SourcedFigure;
  /** Heap of the compiled program (bytecode, constants, atoms) per byte of bundle source. */
  codePerSourceByte: SourcedFigure;
}

/** quickjs-emscripten (QuickJS compiled to 32-bit WebAssembly): measured with JS_ComputeMemoryUsage (docs/device.md). */
const QUICKJS_MEASURED = 'measured: quickjs-emscripten 0.32.0 (QuickJS built for 32-bit WebAssembly), memory_used_size of JS_ComputeMemoryUsage';

/** quickjs-ng is a fork of QuickJS with the same runtime, object and typed-array layout. */
const NG_AS_QUICKJS = 'estimate: the quickjs figure (quickjs-ng, a QuickJS fork, keeps its runtime, object and typed-array layout)';

export const ENGINES: Record<EngineName, EngineProfile> = {
  quickjs: {
    name: 'quickjs',
    runtimeBytes: { value: 86214, source: `${QUICKJS_MEASURED} after JS_NewRuntime and JS_NewContext (all intrinsics)`, estimate: false },
    typedArrayBytes: { value: 168, source: `${QUICKJS_MEASURED}: 160 B per Int32Array(0) (the view and its ArrayBuffer), plus 8 B allocator header of the element block`, estimate: false },
    objectBytes: { value: 64, source: `${QUICKJS_MEASURED}: 64 B per empty object`, estimate: false },
    propertyBytes: { value: 8, source: `${QUICKJS_MEASURED}: 8 B per property of instances sharing a shape (60-property class, 1,000 instances)`, estimate: false },
    codePerSourceByte: {
      value: 4,
      source: `${QUICKJS_MEASURED}: evaluating a minified ES2020 bundle of the chip model (57,750 B) took 227,858 B (bytecode, atoms, function and prototype objects): 3.95 B per source byte`,
      estimate: false,
    },
  },
  'quickjs-ng': {
    name: 'quickjs-ng',
    runtimeBytes: { value: 86214, source: NG_AS_QUICKJS, estimate: true },
    typedArrayBytes: { value: 168, source: NG_AS_QUICKJS, estimate: true },
    objectBytes: { value: 64, source: NG_AS_QUICKJS, estimate: true },
    propertyBytes: { value: 8, source: NG_AS_QUICKJS, estimate: true },
    codePerSourceByte: { value: 4, source: NG_AS_QUICKJS, estimate: true },
  },
  duktape: {
    name: 'duktape',
    runtimeBytes: {
      value: 45 * 1024,
      source: 'Duktape documentation (doc/low-memory.rst and the low-memory work it describes): a new heap with the built-ins takes about 45 kB on x86 with default options (about 23 kB with the low-memory options)',
      estimate: false,
    },
    typedArrayBytes: {
      value: 96,
      source: 'estimate: from the Duktape 2.x sources on a 32-bit target, the buffer object (duk_hbufobj, about 56 B), its plain buffer header (duk_hbuffer, about 16 B) and two 8 B allocator headers; the ArrayBuffer object is made only when .buffer is read',
      estimate: true,
    },
    objectBytes: { value: 40, source: 'estimate: duk_hobject (about 32 B with refcount and heap links) plus an allocator header', estimate: true },
    propertyBytes: { value: 16, source: 'estimate: key pointer (4 B), packed value (8 B) and flags (1 B) of an entry-part slot, plus the hash part of larger objects', estimate: true },
    codePerSourceByte: {
      value: 4,
      source:
        "estimate: Debian's duk (Duktape 2.x, 64-bit) holds about 1,148 KiB more after evaluating the 184,304 B minified ES5 firmware bundle (max RSS after a GC and a larger allocation, against the same script without the bundle): 6.4 B per source byte; " +
        'a 32-bit build (4 B pointers, 8 B packed values) needs about 60% of that, so 4 B per source byte (duk -c dumps the same bundle to 272,455 B of bytecode, 1.5 B per source byte, before the function objects)',
      estimate: true,
    },
  },
};
