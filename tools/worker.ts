/**
 * A worker thread that runs one `synfire` command line and sends back its exit code and
 * output. `synfire train --seeds 1,2,3 --workers 2` runs its seeds in a pool of these.
 */
import { parentPort } from 'node:worker_threads';
import { main } from './cli';

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
  port.on('message', (job: WorkerJob) => {
    let stdout = '';
    let stderr = '';
    main(job.argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), isTTY: false }).then(
      (code) => port.postMessage({ code, stdout, stderr } satisfies WorkerResult),
      (e: unknown) => port.postMessage({ code: 1, stdout, stderr: stderr + String(e) } satisfies WorkerResult),
    );
  });
}
