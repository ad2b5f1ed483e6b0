/**
 * CRC-32 as used by zlib, gzip, PNG and Ethernet (IEEE 802.3): reflected polynomial
 * 0xEDB88320, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF. The check value of the
 * ASCII string "123456789" is 0xCBF43926.
 *
 * Portable: 32-bit integer operations only (`>>>`, `^`, `&`), no Node APIs. The 256-entry
 * lookup table is built on first use.
 */

let table: Uint32Array | null = null;

/** The byte-at-a-time lookup table: entry n is the CRC of the single byte n. */
function getTable(): Uint32Array {
  if (table !== null) return table;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  table = t;
  return t;
}

/**
 * Continue a CRC-32 over bytes[start, end). `crc` is a finished CRC of the bytes seen so far
 * (0 for none), so `crc32Update(crc32(a), b)` equals the CRC of a followed by b.
 * Returns an unsigned 32-bit value.
 */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = getTable();
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of a whole byte array (or of bytes[start, end)); unsigned 32-bit. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Update(0, bytes, start, end);
}
