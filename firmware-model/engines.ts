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

export const ENGINES: Record<EngineName, EngineProfile> = {
  quickjs: {
    name: 'quickjs',
    runtimeBytes: {
      value: 96 * 1024,
      source:
        'estimate: JS_ComputeMemoryUsage of a new runtime with a full context (all intrinsics), as quickjs-emscripten (a 32-bit WebAssembly build) reports it, rounded up; see docs/device.md',
      estimate: true,
    },
    typedArrayBytes: {
      value: 120,
      source:
        'estimate from the QuickJS sources on a 32-bit target: the typed array object (JSObject, about 32 B) with its JSTypedArray record (about 24 B), the ArrayBuffer object with its JSArrayBuffer record (about 56 B), and an 8 B allocator header on each of the allocations',
      estimate: true,
    },
    objectBytes: { value: 48, source: 'estimate: JSObject (about 32 B on 32 bits) plus its share of a shape and an allocator header', estimate: true },
    propertyBytes: { value: 16, source: 'estimate: one JSProperty (8 B JSValue) plus one shape entry (8 B) per property', estimate: true },
    codePerSourceByte: {
      value: 1,
      source: 'estimate: bytecode, constant pools, atoms and debug line tables of a minified bundle come to about its source size; the source text itself is freed after compiling',
      estimate: true,
    },
  },
  'quickjs-ng': {
    name: 'quickjs-ng',
    runtimeBytes: {
      value: 96 * 1024,
      source: 'estimate: as quickjs (quickjs-ng keeps the runtime and object layout of QuickJS)',
      estimate: true,
    },
    typedArrayBytes: { value: 120, source: 'estimate: as quickjs', estimate: true },
    objectBytes: { value: 48, source: 'estimate: as quickjs', estimate: true },
    propertyBytes: { value: 16, source: 'estimate: as quickjs', estimate: true },
    codePerSourceByte: { value: 1, source: 'estimate: as quickjs', estimate: true },
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
      source: 'estimate from the Duktape sources on a 32-bit target: the buffer object (duk_hbufobj, about 56 B), its plain buffer (duk_hbuffer, about 24 B) and allocator headers',
      estimate: true,
    },
    objectBytes: { value: 40, source: 'estimate: duk_hobject (about 32 B with refcount and heap links) plus an allocator header', estimate: true },
    propertyBytes: { value: 14, source: 'estimate: key pointer (4 B), value (8 B) and flags (1 B) of an entry part slot, plus hash part share', estimate: true },
    codePerSourceByte: {
      value: 1.5,
      source: 'estimate: Duktape compiles functions to 4-byte instructions with constant tables and keeps function templates; the ES5-lowered bundle is larger than the ES2017 one',
      estimate: true,
    },
  },
};
