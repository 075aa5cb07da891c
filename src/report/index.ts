// SPDX-License-Identifier: MIT
/** Looking at a training run: the HTML report, its parts, and TensorBoard event files. */
export { writeReport, renderReport, DEFAULT_MAX_SAMPLES, DEFAULT_SMOOTHING, type ReportOptions } from './html.js';
export {
  parseMetrics,
  readMetrics,
  supersedeRestarts,
  type EpochRecord,
  type IterationRecord,
  type NumberMap,
  type PretrainRecord,
  type RunMetrics,
} from './metrics.js';
export { compareMetricNames, ema, groupSeries, type ChartKind, type GroupSeriesOptions, type Point, type Series, type SeriesGroup } from './series.js';
export { summarize, type LossSummary, type RunSummary } from './summary.js';
export { CHART_COLORS, canUseLogScale, downsample, renderChart, type ChartOptions } from './chart.js';
export { listSampleGrids, readPngHeader, selectEvenly, type PngHeader, type SampleGrid, type SampleSidecar } from './samples.js';
export { PRETRAIN_SUBFOLDERS, assertRunFolder, readRunMetrics } from './run_folder.js';
export { escapeHtml, formatDuration, formatNumber } from './format.js';
export { writeFileAtomic } from '../util/atomic.js';
export { crc32c, maskCrc32c } from './crc32c.js';
export { encodeTFRecord } from './tfrecord.js';
export { encodeEvent, type EventFields, type ImageValue, type ScalarValue, type SummaryValue, type TextValue } from './event.js';
export {
  EVENT_FILE_VERSION,
  EXPORT_SUFFIX,
  TensorBoardWriter,
  exportTensorBoard,
  type ExportTensorBoardOptions,
  type TensorBoardWriterOptions,
} from './tensorboard.js';
