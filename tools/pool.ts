/**
 * Worker threads (tools/worker.ts) for the CLI: PoolWorker sends one request at a time and
 * waits for its reply, and fails instead of hanging when the thread dies (an uncaught error,
 * or an exit without a reply: process.exit, out of memory). runInWorkers runs command lines
 * in a pool of them, at most `workers` at once.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { UserError } from '../src/errors';
import type { WorkerResult } from './worker';

/** dist/worker.js, which sits beside dist/cli.js. */
export function workerScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'worker.js');
}

export class PoolWorker {
  private readonly worker: Worker;
  /** Set once the thread has ended; later requests fail at once. */
  private ended: string | null = null;
  private pending: ((reason: Error) => void) | null = null;

  /** `name` names the thread in error messages, e.g. "evaluation worker 2". */
  constructor(script: string, readonly name: string) {
    this.worker = new Worker(script);
    // both listeners stay for the thread's life: an 'error' with nobody listening would crash
    // the process, and an exit while idle must fail the next request
    this.worker.on('error', (e: Error) => this.end(`${this.name} failed: ${e.message}`, e));
    this.worker.on('exit', (code: number) => this.end(`${this.name} exited (code ${code}) before it sent its result`));
  }

  private end(message: string, cause?: Error): void {
    if (this.ended === null) this.ended = message;
    const reject = this.pending;
    this.pending = null;
    if (reject) reject(cause ?? new UserError(message));
  }

  /** Post `msg` without waiting for a reply. */
  post(msg: unknown): void {
    this.worker.postMessage(msg);
  }

  /** Post `msg` and wait for the thread's one reply. */
  request<R>(msg: unknown): Promise<R> {
    if (this.ended !== null) return Promise.reject(new UserError(this.ended));
    if (this.pending !== null) return Promise.reject(new Error(`${this.name}: a request is already waiting`));
    return new Promise<R>((resolve, reject) => {
      const onMsg = (r: R) => {
        this.pending = null;
        resolve(r);
      };
      this.pending = (e) => {
        this.worker.off('message', onMsg);
        reject(e);
      };
      this.worker.once('message', onMsg);
      this.worker.postMessage(msg);
    });
  }

  async terminate(): Promise<void> {
    if (this.ended === null) this.ended = `${this.name} was stopped`;
    await this.worker.terminate();
  }
}

/** Run each command line of `jobs` in a worker thread, `workers` threads at most. */
export async function runInWorkers(
  jobs: string[][],
  workers: number,
  onDone?: (i: number, r: WorkerResult) => void,
  script: string = workerScript(),
): Promise<WorkerResult[]> {
  const results: WorkerResult[] = new Array(jobs.length);
  let next = 0;
  const lane = async (k: number) => {
    const w = new PoolWorker(script, `worker thread ${k + 1}`);
    try {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await w.request<WorkerResult>({ argv: jobs[i] });
        onDone?.(i, results[i]);
      }
    } finally {
      await w.terminate();
    }
  };
  const lanes: Promise<void>[] = [];
  for (let k = 0; k < Math.max(1, Math.min(workers, jobs.length)); k++) lanes.push(lane(k));
  await Promise.all(lanes);
  return results;
}
