/**
 * Entry of a board's serial bundle (tools/build-boards.mjs builds one per board next to the
 * firmware bundle, with SYNFIRE_BOARD defined as the board's name): the serial protocol's
 * device end (firmware-model/serial-device.ts, docs/protocol.md) over the firmware program,
 * for `synfire device --engine quickjs`. The bundle defines the global `synfireSerial`:
 * `serialDevice(board)`, and `board`, `bundleBytes`, `heapBytes` as in board-entry.ts. It is
 * a bundle of its own because the protocol (typed-binary schemas, COBS, CRC-32, the sensor
 * encoder) would take the firmware bundle far past its 64 KiB goal.
 */
import { Firmware } from './firmware';
import { SerialDeviceHex } from './serial-device';

declare const SYNFIRE_BOARD: string;
declare const SYNFIRE_BUNDLE_BYTES: number;
declare const SYNFIRE_HEAP_BYTES: number;

/** The board this bundle was built for ('' when run from source). */
export const board: string = typeof SYNFIRE_BOARD === 'string' ? SYNFIRE_BOARD : '';
/** This bundle's own size in bytes (0 when run from source). */
export const bundleBytes: number = typeof SYNFIRE_BUNDLE_BYTES === 'number' ? SYNFIRE_BUNDLE_BYTES : 0;
/** The board's heap for the engine (its profile's budget; 0 when run from source), which each network built is checked against. */
export const heapBytes: number = typeof SYNFIRE_HEAP_BYTES === 'number' ? SYNFIRE_HEAP_BYTES : 0;
/** The serial protocol's device end over this firmware: bytes in and out as hex. */
export function serialDevice(boardName: string): SerialDeviceHex {
  return new SerialDeviceHex(boardName || board, heapBytes, (c) => new Firmware(c));
}
