/**
 * UTF-8 without TextEncoder/TextDecoder (absent in the embedded engines the portable core
 * runs in). Portable: no Node APIs.
 */
/**
 * UTF-8 encoding of a JS string. Surrogate pairs become one 4-byte sequence; a lone
 * surrogate (which JSON.stringify never emits) becomes U+FFFD.
 */
export function utf8Encode(s: string): Uint8Array {
  // Worst case 3 bytes per UTF-16 code unit (a pair: 4 bytes for 2 units).
  const buf = new Uint8Array(s.length * 3);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x80) {
      buf[o++] = cp;
    } else if (cp < 0x800) {
      buf[o++] = 0xc0 | (cp >> 6);
      buf[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      buf[o++] = 0xe0 | (cp >> 12);
      buf[o++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[o++] = 0x80 | (cp & 0x3f);
    } else {
      buf[o++] = 0xf0 | (cp >> 18);
      buf[o++] = 0x80 | ((cp >> 12) & 0x3f);
      buf[o++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[o++] = 0x80 | (cp & 0x3f);
    }
  }
  // subarray + set rather than slice: Duktape's typed arrays have no slice().
  const out = new Uint8Array(o);
  out.set(buf.subarray(0, o));
  return out;
}

/**
 * Strict UTF-8 decoding: throws Error (naming the byte offset) on truncated sequences,
 * stray continuation bytes, overlong forms, surrogates and code points above U+10FFFF.
 */
export function utf8Decode(bytes: Uint8Array): string {
  const chunks: string[] = [];
  const units: number[] = [];
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const b0 = bytes[i++];
    let cp: number;
    let need: number;
    let min: number;
    if (b0 < 0x80) {
      cp = b0;
      need = 0;
      min = 0;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f;
      need = 1;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f;
      need = 2;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      throw new Error(`invalid lead byte ${hexByte(b0)} at byte ${start}`);
    }
    if (i + need > n) throw new Error(`truncated sequence at byte ${start}`);
    for (let k = 0; k < need; k++) {
      const b = bytes[i++];
      if ((b & 0xc0) !== 0x80) throw new Error(`invalid continuation byte ${hexByte(b)} at byte ${i - 1}`);
      cp = cp * 64 + (b & 0x3f);
    }
    if (cp < min) throw new Error(`overlong encoding at byte ${start}`);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new Error(`invalid code point U+${cp.toString(16).toUpperCase()} at byte ${start}`);
    }
    if (cp < 0x10000) {
      units.push(cp);
    } else {
      const v = cp - 0x10000;
      units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    }
    if (units.length >= 4096) {
      chunks.push(String.fromCharCode.apply(null, units));
      units.length = 0;
    }
  }
  chunks.push(String.fromCharCode.apply(null, units));
  return chunks.join('');
}

function hexByte(b: number): string {
  return '0x' + (b < 16 ? '0' : '') + b.toString(16);
}
