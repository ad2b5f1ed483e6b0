/**
 * Evaluation in worker threads: the test set is split into contiguous shards, one per worker,
 * each evaluated with the same weights; the shards' integer tallies add up to exactly what
 * one thread computes (test/eval-shards.test.ts; the CLI's `--workers 3` in test/train.test.ts). The workers live for the whole run and get
 * the test set once; each evaluation sends them only the two weight matrices.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { SpikeDataset } from '../src/data/preprocess';
import { MetricsAccumulator, type MetricsSums, type TestMetrics } from '../src/sbp/inference';
import type { SbpSizes } from '../src/sbp/topology';
import type { Gating } from '../src/sbp/gating';

/** What a worker needs to evaluate like the main thread (functions cannot cross threads). */
export interface EvalWorkerSetup {
  sizes: SbpSizes;
  evalOn: 'chip' | 'dense';
  placement?: 'paper' | 'pack';
  chips?: number;
  gating?: Gating;
  /** Use the WebAssembly kernel (as --kernel wasm does in the main thread). */
  wasm: boolean;
}

export type EvalMessage =
  | { kind: 'eval-init'; setup: EvalWorkerSetup; test: SpikeDataset }
  | { kind: 'eval'; w1: Int16Array; w2: Int16Array; first: number; end: number };
export type EvalReply = { kind: 'eval-result'; sums: MetricsSums } | { kind: 'eval-error'; message: string };

export class EvalPool {
  private constructor(private readonly workers: Worker[], private readonly nout: number) {}

  /** Start `n` workers holding the test set. */
  static start(n: number, setup: EvalWorkerSetup, test: SpikeDataset): EvalPool {
    // dist/cli.js and dist/worker.js sit side by side
    const script = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');
    const workers: Worker[] = [];
    for (let k = 0; k < n; k++) {
      const w = new Worker(script);
      w.postMessage({ kind: 'eval-init', setup, test } satisfies EvalMessage);
      workers.push(w);
    }
    return new EvalPool(workers, setup.sizes.output);
  }

  /** Metrics of weights w1, w2 (post x pre) over the first `count` test samples. */
  async evaluate(w1: Int16Array, w2: Int16Array, count: number): Promise<TestMetrics> {
    const n = this.workers.length;
    const shards = this.workers.map((w, k) => {
      const first = Math.floor((count * k) / n);
      const end = Math.floor((count * (k + 1)) / n);
      return new Promise<MetricsSums>((resolve, reject) => {
        const onMsg = (r: EvalReply) => {
          w.off('error', onErr);
          if (r.kind === 'eval-result') resolve(r.sums);
          else reject(new Error(`evaluation worker ${k}: ${r.message}`));
        };
        const onErr = (e: Error) => {
          w.off('message', onMsg);
          reject(e);
        };
        w.once('message', onMsg);
        w.once('error', onErr);
        w.postMessage({ kind: 'eval', w1, w2, first, end } satisfies EvalMessage);
      });
    });
    const acc = new MetricsAccumulator(this.nout);
    for (const s of await Promise.all(shards)) acc.addSums(s);
    return acc.result();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
