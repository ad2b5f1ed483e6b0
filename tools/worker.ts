/**
 * A worker thread that runs one `synfire` command line and sends back its exit code and
 * output (`synfire train --seeds 1,2,3 --workers 2` runs its seeds in a pool of these), or
 * evaluates shards of a test set (tools/eval-pool.ts).
 */
import { parentPort } from 'node:worker_threads';
import { main } from './cli';
import type { SpikeDataset } from '../src/data/preprocess';
import { Evaluator } from '../src/sbp/inference';
import type { EvalMessage, EvalReply } from './eval-pool';
import { createWasmRowSumKernel } from './wasm-row-sum';

export interface WorkerJob {
  argv: string[];
}
export interface WorkerResult {
  code: number;
  stdout: string;
  stderr: string;
}

if (parentPort) {
  const port = parentPort;
  let evalState: { evaluator: Evaluator; test: SpikeDataset } | null = null;
  port.on('message', (job: WorkerJob | EvalMessage) => {
    if ('kind' in job) {
      // a shard of an evaluation (tools/eval-pool.ts)
      if (job.kind === 'eval-init') {
        const { wasm, ...rest } = job.setup;
        evalState = { evaluator: new Evaluator({ ...rest, rowSum: wasm ? createWasmRowSumKernel : undefined }), test: job.test };
        return;
      }
      try {
        if (!evalState) throw new Error('eval before eval-init');
        const sums = evalState.evaluator.evaluate(job.w1, job.w2, evalState.test, job.first, job.end).sums();
        port.postMessage({ kind: 'eval-result', sums } satisfies EvalReply);
      } catch (e) {
        port.postMessage({ kind: 'eval-error', message: String(e) } satisfies EvalReply);
      }
      return;
    }
    let stdout = '';
    let stderr = '';
    main(job.argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), isTTY: false }).then(
      (code) => port.postMessage({ code, stdout, stderr } satisfies WorkerResult),
      (e: unknown) => port.postMessage({ code: 1, stdout, stderr: stderr + String(e) } satisfies WorkerResult),
    );
  });
}
