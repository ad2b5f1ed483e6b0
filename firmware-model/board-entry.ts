/**
 * Entry of a board bundle (tools/build-boards.mjs builds one per board, with SYNFIRE_BOARD
 * defined as the board's name). The bundle defines the global `synfireFirmware`:
 * `link` (a HostLink for the board, what a host drives), and the Firmware API itself
 * (`Firmware`, `runLoop`, `ChunkSource`, `HostLink`) for programs built on it. The memory
 * planner is not in the bundle: the host plans (synfire plan) and may pass its total to boot.
 */
import { HostLink } from './host-link';

declare const SYNFIRE_BOARD: string;
declare const SYNFIRE_BUNDLE_BYTES: number;
declare const SYNFIRE_HEAP_BYTES: number;

/** The board this bundle was built for ('' when run from source). */
export const board: string = typeof SYNFIRE_BOARD === 'string' ? SYNFIRE_BOARD : '';
/** This bundle's own size in bytes (0 when run from source: the memory plan then uses its default). */
export const bundleBytes: number = typeof SYNFIRE_BUNDLE_BYTES === 'number' ? SYNFIRE_BUNDLE_BYTES : 0;
/** The board's heap for the engine (its profile's budget; 0 when run from source). */
export const heapBytes: number = typeof SYNFIRE_HEAP_BYTES === 'number' ? SYNFIRE_HEAP_BYTES : 0;
export const link = new HostLink(board, heapBytes);
export { Firmware, runLoop } from './firmware';
export { ChunkSource, HostLink } from './host-link';
