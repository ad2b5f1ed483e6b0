// Worker pools fail, instead of hanging, when a worker thread ends without answering: it exits
// (process.exit, as an out-of-memory kill would) or throws. The workers here are tiny scripts
// written for the test; a well-behaved one shows the pool still returns what workers send.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors';
import { EvalPool } from '../tools/eval-pool';
import { runInWorkers } from '../tools/pool';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synfire-pool-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, onMessage: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (job) => { ${onMessage} });\n`);
  return file;
}

const echo = script('echo.mjs', "parentPort.postMessage({ code: 0, stdout: job.argv.join(' '), stderr: '' });");
const exits3 = script('exit3.mjs', 'process.exit(3);');
const exits0 = script('exit0.mjs', 'process.exit(0);');
const throws = script('throws.mjs', "throw new Error('boom in the worker');");
// answers the first job, then exits quietly on the second
const once = script('once.mjs', "if (globalThis.done) process.exit(0); globalThis.done = true; parentPort.postMessage({ code: 0, stdout: 'first', stderr: '' });");

const jobs = [['a', '1'], ['b', '2'], ['c', '3']];
const setup = { sizes: { input: 4, hidden: 3, output: 2 }, evalOn: 'dense' as const, wasm: false };
const test = { name: 'tiny', count: 0, numInputs: 4 } as never;

describe('runInWorkers', () => {
  it('returns every job result from well-behaved workers', async () => {
    const r = await runInWorkers(jobs, 2, undefined, echo);
    expect(r.map((x) => x.stdout)).toEqual(['a 1', 'b 2', 'c 3']);
  });

  for (const [what, file, code] of [['exits with code 3', exits3, 3], ['exits with code 0', exits0, 0]] as const) {
    it(`fails with a clear message when a worker ${what} without answering`, async () => {
      const run = runInWorkers(jobs, 2, undefined, file);
      await expect(run).rejects.toBeInstanceOf(UserError);
      await expect(run).rejects.toThrow(new RegExp(`worker thread \\d exited \\(code ${code}\\) before it sent its result`));
    });
  }

  it('fails with the worker\'s error when it throws', async () => {
    await expect(runInWorkers(jobs, 1, undefined, throws)).rejects.toThrow(/boom in the worker/);
  });

  it('fails when a worker that answered once exits on its next job', async () => {
    await expect(runInWorkers(jobs, 1, undefined, once)).rejects.toThrow(/worker thread 1 exited \(code 0\)/);
  });
});

describe('EvalPool', () => {
  it('fails the evaluation, naming the worker, when one exits', async () => {
    const pool = EvalPool.start(2, setup, test, exits3);
    try {
      await expect(pool.evaluate(new Int16Array(12), new Int16Array(6), 10)).rejects.toThrow(/evaluation worker \d exited \(code 3\) before it sent its result/);
      // and a later evaluation fails at once rather than waiting on the dead threads
      await expect(pool.evaluate(new Int16Array(12), new Int16Array(6), 10)).rejects.toThrow(/exited \(code 3\)/);
    } finally {
      await pool.close();
    }
  });
});
