/**
 * Evaluation in worker threads: the test set is split into contiguous shards, one per worker,
 * each evaluated with the same weights; the shards' integer tallies add up to exactly what
 * one thread computes (test/eval-shards.test.ts; the CLI's `--workers 3` in test/train.test.ts). The workers live for the whole run and get
 * the test set once; each evaluation sends them only the two weight matrices.
 */
import type { SpikeDataset } from '../src/data/preprocess';
import { MetricsAccumulator, type MetricsSums, type TestMetrics } from '../src/sbp/inference';
import type { SbpSizes } from '../src/sbp/matrices';
import { PoolWorker, workerScript } from './pool';
import type { Gating } from '../src/sbp/gating';
import type { Placement } from '../src/sbp/training';

/** What a worker needs to evaluate like the main thread (functions cannot cross threads). */
export interface EvalWorkerSetup {
  sizes: SbpSizes;
  evalOn: 'chip' | 'dense';
  placement?: Placement;
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
  /** The first failure of any shard: the pool is unusable after it (another thread may still be busy with its shard). */
  private broken: Error | null = null;

  private constructor(private readonly workers: PoolWorker[], private readonly nout: number) {}

  /** Start `n` workers holding the test set. */
  static start(n: number, setup: EvalWorkerSetup, test: SpikeDataset, script: string = workerScript()): EvalPool {
    const workers: PoolWorker[] = [];
    for (let k = 0; k < n; k++) {
      const w = new PoolWorker(script, `evaluation worker ${k + 1}`);
      w.post({ kind: 'eval-init', setup, test } satisfies EvalMessage);
      workers.push(w);
    }
    return new EvalPool(workers, setup.sizes.output);
  }

  /** Metrics of weights w1, w2 (post x pre) over the first `count` test samples. */
  async evaluate(w1: Int16Array, w2: Int16Array, count: number): Promise<TestMetrics> {
    if (this.broken !== null) throw this.broken;
    const n = this.workers.length;
    const shards = this.workers.map(async (w, k) => {
      const first = Math.floor((count * k) / n);
      const end = Math.floor((count * (k + 1)) / n);
      const r = await w.request<EvalReply>({ kind: 'eval', w1, w2, first, end } satisfies EvalMessage);
      if (r.kind !== 'eval-result') throw new Error(`${w.name}: ${r.message}`);
      return r.sums;
    });
    const acc = new MetricsAccumulator(this.nout);
    let sums: MetricsSums[];
    try {
      sums = await Promise.all(shards);
    } catch (e) {
      this.broken = e as Error;
      throw e;
    }
    for (const s of sums) acc.addSums(s);
    return acc.result();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
