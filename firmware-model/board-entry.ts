/**
 * Entry of a board bundle (tools/build-boards.mjs builds one per board, with SYNFIRE_BOARD
 * defined as the board's name). The bundle defines the global `synfireFirmware`:
 * `link` (a HostLink for the board, what a host drives), and the Firmware API itself
 * (`Firmware`, `runLoop`, `ChunkSource`, `HostLink`) for programs built on it. The memory
 * planner is not in the bundle: the host plans (synfire plan) and may pass its total to boot.
 */
import { HostLink } from './host-link';
import { board, heapBytes } from './build-constants';

export { board, bundleBytes, heapBytes } from './build-constants';
export const link = new HostLink(board, heapBytes);
export { Firmware, runLoop } from './firmware';
export { ChunkSource, HostLink } from './host-link';
