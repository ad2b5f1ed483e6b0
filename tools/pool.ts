/** Runs command lines in a pool of worker threads (tools/worker.ts), at most `workers` at once. */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { WorkerResult } from './worker';

export async function runInWorkers(jobs: string[][], workers: number, onDone?: (i: number, r: WorkerResult) => void): Promise<WorkerResult[]> {
  // dist/cli.js and dist/worker.js sit side by side
  const script = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');
  const results: WorkerResult[] = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    const w = new Worker(script);
    try {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await new Promise<WorkerResult>((resolve, reject) => {
          const onMsg = (r: WorkerResult) => {
            w.off('error', onErr);
            resolve(r);
          };
          const onErr = (e: Error) => {
            w.off('message', onMsg);
            reject(e);
          };
          w.once('message', onMsg);
          w.once('error', onErr);
          w.postMessage({ argv: jobs[i] });
        });
        onDone?.(i, results[i]);
      }
    } finally {
      await w.terminate();
    }
  };
  const lanes: Promise<void>[] = [];
  for (let k = 0; k < Math.max(1, Math.min(workers, jobs.length)); k++) lanes.push(lane());
  await Promise.all(lanes);
  return results;
}
