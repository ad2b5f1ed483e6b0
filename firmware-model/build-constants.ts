/**
 * The facts tools/build-boards.mjs writes into a board bundle (esbuild `define`), with their
 * values when the firmware runs from source. Both bundle entries (board-entry.ts,
 * serial-entry.ts) export them. Portable: no Node APIs.
 */
declare const SYNFIRE_BOARD: string;
declare const SYNFIRE_BUNDLE_BYTES: number;
declare const SYNFIRE_HEAP_BYTES: number;

/** The board this bundle was built for ('' when run from source). */
export const board: string = typeof SYNFIRE_BOARD === 'string' ? SYNFIRE_BOARD : '';
/** This bundle's own size in bytes (0 when run from source: the memory plan then uses its default). */
export const bundleBytes: number = typeof SYNFIRE_BUNDLE_BYTES === 'number' ? SYNFIRE_BUNDLE_BYTES : 0;
/** The board's heap for the engine (its profile's budget; 0 when run from source), which each network built is checked against. */
export const heapBytes: number = typeof SYNFIRE_HEAP_BYTES === 'number' ? SYNFIRE_HEAP_BYTES : 0;
