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
import { board, heapBytes } from './build-constants';

export { board, bundleBytes, heapBytes } from './build-constants';
/** The serial protocol's device end over this firmware: bytes in and out as hex. */
export function serialDevice(boardName: string): SerialDeviceHex {
  return new SerialDeviceHex(boardName || board, heapBytes, (c) => new Firmware(c));
}
