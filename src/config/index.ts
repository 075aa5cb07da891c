// SPDX-License-Identifier: MIT
export { resolveConfig, type ResolveOptions } from './load.js';
export { coerce, defaults, FIELDS, getField, openMojiOptionsOf, PRESETS, sampleCaptionsOf, setField, validate, type DatasetName, type MirrorGANConfig } from './schema.js';
export {
  captionDecoderOptions, captionEncoderOptions, damsmGammas, discriminatorOptions, generatorOptions, textEncoderOptions,
} from './module_options.js';
