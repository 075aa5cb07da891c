// SPDX-License-Identifier: MIT
/**
 * Hand-encoded protobuf for TensorBoard's `Event` message (tensorflow/core/util/event.proto),
 * limited to what a training log needs:
 *
 *     Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *     Summary { repeated Value value = 1; }
 *     Value   { string tag = 1; float simple_value = 2; Image image = 4; TensorProto tensor = 8;
 *               SummaryMetadata metadata = 9; }
 *     Image   { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 *
 * Text values use the text plugin's form: a string `TensorProto` (dtype = 1 → DT_STRING = 7,
 * tensor_shape = 2, string_val = 8) with `SummaryMetadata.plugin_data.plugin_name = "text"`.
 */

/** A scalar: drawn by TensorBoard's Scalars tab. */
export interface ScalarValue {
  tag: string;
  simpleValue: number;
}

/** An encoded image (PNG): shown by the Images tab. */
export interface ImageValue {
  tag: string;
  image: {
    height: number;
    width: number;
    /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
    colorspace: number;
    encodedImageString: Uint8Array;
  };
}

/** A Markdown text: shown by the Text tab. */
export interface TextValue {
  tag: string;
  text: string;
}

/** One entry of a Summary. */
export type SummaryValue = ScalarValue | ImageValue | TextValue;

/** The fields of an Event this encoder writes. */
export interface EventFields {
  /** Unix time in seconds (fractional). */
  wallTime: number;
  /** The global step; omitted from the encoding when 0 (proto3 default). */
  step?: number;
  /** `brain.Event:2` in the first record of a file. */
  fileVersion?: string;
  summary?: SummaryValue[];
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const DT_STRING = 7;

/** Appends protobuf fields to a growing list of byte chunks. */
class ProtoWriter {
  readonly #chunks: Buffer[] = [];

  #varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.#chunks.push(Buffer.from(bytes));
  }

  #key(field: number, wire: number): void {
    this.#varint(BigInt((field << 3) | wire));
  }

  /** int32/int64 field (negative values take ten bytes, as protobuf specifies). */
  int(field: number, value: number): this {
    this.#key(field, WIRE_VARINT);
    this.#varint(BigInt(value));
    return this;
  }

  double(field: number, value: number): this {
    this.#key(field, WIRE_I64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.#chunks.push(b);
    return this;
  }

  float(field: number, value: number): this {
    this.#key(field, WIRE_I32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.#chunks.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#key(field, WIRE_LEN);
    this.#varint(BigInt(value.length));
    this.#chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

function encodeValue(v: SummaryValue): Buffer {
  const w = new ProtoWriter().string(1, v.tag);
  if ('simpleValue' in v) {
    w.float(2, v.simpleValue);
  } else if ('image' in v) {
    const img = new ProtoWriter()
      .int(1, v.image.height)
      .int(2, v.image.width)
      .int(3, v.image.colorspace)
      .bytes(4, v.image.encodedImageString)
      .finish();
    w.bytes(4, img);
  } else {
    const tensor = new ProtoWriter()
      .int(1, DT_STRING)
      .bytes(2, new Uint8Array(0)) // scalar shape
      .bytes(8, Buffer.from(v.text, 'utf8'))
      .finish();
    const pluginData = new ProtoWriter().string(1, 'text').finish();
    w.bytes(8, tensor).bytes(9, new ProtoWriter().bytes(1, pluginData).finish());
  }
  return w.finish();
}

/** Encodes an `Event` message (the payload of one TFRecord). */
export function encodeEvent(event: EventFields): Buffer {
  const w = new ProtoWriter().double(1, event.wallTime);
  if (event.step) w.int(2, event.step);
  if (event.fileVersion !== undefined) w.string(3, event.fileVersion);
  if (event.summary) {
    const summary = new ProtoWriter();
    for (const v of event.summary) summary.bytes(1, encodeValue(v));
    w.bytes(5, summary.finish());
  }
  return w.finish();
}
