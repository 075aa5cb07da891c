// SPDX-License-Identifier: MIT
export { Discriminator, type DiscriminatorLoss, type DiscriminatorOptions } from './discriminator.js';
export { Generator, type GeneratorInputs, type GeneratorOptions, type GeneratorOutputs } from './generator.js';
