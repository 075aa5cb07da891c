// SPDX-License-Identifier: MIT
/** metrics.jsonl: one JSON object per line, appended and flushed as the run goes. */
import fs from 'node:fs';

export class MetricsLog {
  readonly path: string;
  #fd: number;

  constructor(path: string) {
    this.path = path;
    // A run killed mid-line leaves a partial last line; start on a fresh line.
    const tail = fs.existsSync(path) ? fs.readFileSync(path).subarray(-1).toString() : '\n';
    this.#fd = fs.openSync(path, 'a');
    if (tail !== '\n' && tail !== '') fs.writeSync(this.#fd, '\n');
  }

  write(record: Record<string, unknown>): void {
    fs.writeSync(this.#fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
