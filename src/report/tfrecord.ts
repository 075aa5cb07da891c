// SPDX-License-Identifier: MIT
/**
 * TFRecord framing, the container of TensorBoard event files. Each record is
 * `u64 LE length | u32 LE masked CRC-32C of the 8 length bytes | payload | u32 LE masked CRC-32C
 * of the payload`.
 */
import { crc32c, maskCrc32c } from './crc32c.js';

/** Frames one payload as a TFRecord. */
export function encodeTFRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskCrc32c(crc32c(out.subarray(0, 8))), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskCrc32c(crc32c(payload)), 12 + payload.length);
  return out;
}
