/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): the byte framing of the
 * serial protocol (docs/protocol.md).
 *
 * COBS rewrites a block so that it contains no 0x00 byte; a 0x00 then ends every frame on the
 * wire, and a receiver that lost its place (a dropped, flipped or inserted byte) is back in
 * step at the next 0x00. The block is cut at each zero into groups; every group is sent as a
 * code byte (1 + the number of non-zero bytes that follow, at most 254 of them) and those bytes.
 * A code below 0xFF stands for its bytes followed by a zero (the last group's zero is implied);
 * 0xFF stands for 254 bytes with no zero after them. Overhead: one byte per 254 bytes, at
 * least one.
 *
 * Portable: no Node APIs.
 */

/** The byte that ends every frame on the wire. */
export const FRAME_DELIMITER = 0x00;

/** The most bytes `cobsEncode` can produce for `n` input bytes (without the delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + 1 + Math.floor(n / 254);
}

/** Encodes `data` (which may contain zeros) into a block without zeros. No delimiter is added. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length));
  let codeAt = 0; // where the current group's code byte goes
  let o = 1;
  let code = 1;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/**
 * Decodes one COBS block (without its delimiter). Returns null when the block is not valid
 * COBS: it holds a zero, or a code byte points past the end of the block.
 */
export function cobsDecode(block: Uint8Array): Uint8Array | null {
  const n = block.length;
  if (n === 0) return null;
  const out = new Uint8Array(n);
  let o = 0;
  let i = 0;
  while (i < n) {
    const code = block[i++];
    if (code === 0) return null;
    const end = i + code - 1;
    if (end > n) return null;
    for (; i < end; i++) {
      const b = block[i];
      if (b === 0) return null;
      out[o++] = b;
    }
    if (code !== 0xff && i < n) out[o++] = 0;
  }
  return out.subarray(0, o);
}
