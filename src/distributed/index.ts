// SPDX-License-Identifier: MIT
/** Data-parallel training on c10d: the launcher contract, the DataParallel helper, the local launcher. */
export { canonicalJson, checkSameConfig, configDifferences } from './config_check.js';
export { DataParallel, initDataParallel, type DataParallelOptions } from './data_parallel.js';
export { isMainProcess, readLaunchEnv, workerDevice, type LaunchEnv } from './env.js';
export { freePort, launchLocal, STOP_GRACE_MS, workerArgs, type LaunchOptions } from './launch.js';
