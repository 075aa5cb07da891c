// SPDX-License-Identifier: MIT
/** mirrorgan-native: MirrorGAN text-to-image generation on LibTorch. */
export * from '../lib/index.js';
export * from './data/index.js';
