// SPDX-License-Identifier: MIT
/** CRC-32C (Castagnoli), table-driven, and the masked form TFRecord files store. */

const POLY = 0x82f63b78; // 0x1EDC6F41 bit-reversed

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32C of `bytes` as an unsigned 32-bit integer. Pass a previous result as `crc` to continue
 * over more data (`crc32c(b, crc32c(a))` equals the CRC of `a` followed by `b`). Default 0.
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** TFRecord's masked CRC: `((crc >>> 15) | (crc << 17)) + 0xa282ead8`, as an unsigned 32-bit integer. */
export function maskCrc32c(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
