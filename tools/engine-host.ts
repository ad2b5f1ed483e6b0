/**
 * Host-side drivers of the embedded engines that run a board bundle: each loads the bundle
 * text, then evaluates expressions that return strings (the host link protocol of
 * firmware-model/host-link.ts), and reports the engine's peak heap.
 *
 *  - quickjs, quickjs-ng: quickjs-emscripten (WebAssembly builds of QuickJS 2025-09-13 and
 *    QuickJS-ng 0.12.1). These builds have no malloc_usable_size, so QuickJS's own memory
 *    limit counts 8 bytes per allocation instead of its size and does not bound the heap
 *    (a 1 MiB limit lets 2 MiB of typed arrays through). The driver therefore enforces the
 *    budget itself: it reads "memory used" (QuickJS's own walk of its heap, dumpMemoryUsage)
 *    at every interrupt poll of the interpreter (every 16th while samples run) and after every call, keeps the largest as the
 *    peak, and interrupts the engine as soon as it exceeds the budget. setMemoryLimit is set
 *    to the budget too.
 *  - duktape: Debian's `duk` command line in interactive mode, fed one line per call on
 *    stdin. Duktape cannot limit or report its heap from there: the peak is the process's
 *    peak resident set (VmHWM in /proc/PID/status, read while duk waits for its next line)
 *    minus the same figure of a duk that has loaded nothing.
 *  - node: the same bundle in a node:vm context (the reference run; no heap figure).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { UserError } from '../src/errors';

export type EngineName = 'quickjs' | 'quickjs-ng' | 'duktape' | 'node';
export const ENGINE_NAMES: EngineName[] = ['quickjs', 'quickjs-ng', 'duktape'];

export interface EngineSession {
  readonly engine: EngineName;
  /** How peakHeapBytes is measured. */
  readonly peakMethod: string;
  /** Evaluate a JavaScript expression whose value is a string. Engine errors throw (a UserError if the firmware threw one). */
  call(expr: string): Promise<string>;
  /** Peak heap so far, bytes (NaN when the engine gives none). */
  peakHeapBytes(): Promise<number>;
  close(): Promise<void>;
}

/** Thrown when the engine ran out of the board's budget (or of memory). */
export class EngineMemoryError extends UserError {}

function rethrow(engine: string, e: { name?: string; message?: string } | undefined, text: string): never {
  if (e && e.name === 'UserError') throw new UserError(String(e.message));
  throw new Error(`${engine}: ${e ? `${e.name}: ${e.message}` : text}`);
}

/** Install hints for engines that are missing. */
export const INSTALL_HINTS: Record<Exclude<EngineName, 'node'>, string> = {
  quickjs: 'npm install --save-dev quickjs-emscripten@0.32.0',
  'quickjs-ng': 'npm install --save-dev @jitl/quickjs-ng-wasmfile-release-sync@0.32.0',
  duktape: 'apt-get install duktape',
};

function missing(engine: Exclude<EngineName, 'node'>, detail: string): UserError {
  return new UserError(`engine ${engine} is not installed (${detail}): install it with \`${INSTALL_HINTS[engine]}\``);
}

/** Resolve a package the way this program would import it, or null. */
function resolvable(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** The `duk` executable (SYNFIRE_DUK overrides, for tests), or a UserError saying how to install it. */
export function dukPath(): string {
  const p = process.env.SYNFIRE_DUK || 'duk';
  const r = spawnSync(p, ['-e', 'print(1)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw missing('duktape', `cannot run '${p}'`);
  return p;
}

/** Check that an engine can be started, without starting it. */
export function requireEngine(engine: EngineName): void {
  if (engine === 'quickjs' && !resolvable('quickjs-emscripten')) throw missing('quickjs', 'npm package quickjs-emscripten not found');
  if (engine === 'quickjs-ng' && !(resolvable('@jitl/quickjs-ng-wasmfile-release-sync') && resolvable('quickjs-emscripten-core')))
    throw missing('quickjs-ng', 'npm package @jitl/quickjs-ng-wasmfile-release-sync not found');
  if (engine === 'duktape') dukPath();
}

// ---------------------------------------------------------------------------------------------

const MEMORY_USED = /^memory used\s+\d+\s+(\d+)/m;

async function quickjsSession(engine: 'quickjs' | 'quickjs-ng', code: string, budgetBytes: number): Promise<EngineSession> {
  requireEngine(engine);
  const core = await import('quickjs-emscripten-core');
  const variant =
    engine === 'quickjs'
      ? (await import('@jitl/quickjs-wasmfile-release-sync')).default
      : (await import('@jitl/quickjs-ng-wasmfile-release-sync')).default;
  // a module of its own, so nothing else shares its heap
  const mod = await core.newQuickJSWASMModuleFromVariant(variant);
  const rt = mod.newRuntime();
  rt.setMemoryLimit(budgetBytes);
  rt.setMaxStackSize(256 * 1024);
  let peak = 0;
  let over = false;
  const sample = (): number => {
    const m = MEMORY_USED.exec(rt.dumpMemoryUsage());
    const used = m ? Number(m[1]) : NaN;
    if (used > peak) peak = used;
    if (used > budgetBytes) over = true;
    return used;
  };
  // every interrupt poll while booting and snapshotting (where the heap grows); every 16th
  // while samples run (the firmware allocates nothing per sample; this keeps the sampling's
  // cost out of the speed figure)
  let every = 1;
  let polls = 0;
  rt.setInterruptHandler(() => {
    if (++polls % every === 0) sample();
    return over;
  });
  const ctx = rt.newContext();
  const run = (expr: string, file: string): string => {
    over = false;
    every = /^synfireFirmware\.link\.feed\(/.test(expr) ? 16 : 1;
    const r = ctx.evalCode(expr, file);
    const used = sample();
    if (r.error) {
      const e = ctx.dump(r.error) as { name?: string; message?: string };
      r.error.dispose();
      if (over || (e && /out of memory|interrupted/i.test(String(e.message)))) {
        throw new EngineMemoryError(`${engine}: the firmware needs more than the board's heap budget of ${budgetBytes} bytes (heap reached ${Math.max(used, peak)} bytes: ${e ? e.message : ''})`);
      }
      rethrow(engine, e, 'error');
    }
    const v = ctx.dump(r.value);
    r.value.dispose();
    if (over) throw new EngineMemoryError(`${engine}: the firmware needs more than the board's heap budget of ${budgetBytes} bytes (heap reached ${peak} bytes)`);
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  run(code + '\n;"loaded"', 'firmware.js');
  return {
    engine,
    peakMethod: "the largest 'memory used' of QuickJS's heap (dumpMemoryUsage), read at every interrupt poll of the interpreter (every 16th while samples run) and after every call; the budget is enforced the same way",
    async call(expr) {
      return run(expr, 'call.js');
    },
    async peakHeapBytes() {
      return peak;
    },
    async close() {
      ctx.dispose();
      rt.dispose();
    },
  };
}

// ---------------------------------------------------------------------------------------------

const MARK = '\u0001R';
const MARK_ERR = '\u0001E';

/** A duk REPL fed line by line; answers come back as marked lines. */
class DukRepl {
  private buf = '';
  private waiting: { resolve: (s: string) => void; reject: (e: Error) => void } | null = null;
  private exited: string | null = null;
  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.setEncoding('latin1');
    proc.stdout.on('data', (d: string) => {
      this.buf += d;
      this.drain();
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', () => {});
    proc.on('exit', (code, sig) => {
      this.exited = `duk exited (${sig ?? code})`;
      if (this.waiting) this.waiting.reject(new Error(this.exited));
      this.waiting = null;
    });
  }
  private drain(): void {
    if (!this.waiting) return;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) return;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const r = line.indexOf(MARK);
      const e = line.indexOf(MARK_ERR);
      if (r >= 0 || e >= 0) {
        const w = this.waiting;
        this.waiting = null;
        if (r >= 0) w.resolve(line.slice(r + MARK.length));
        else {
          const parsed = JSON.parse(line.slice(e + MARK_ERR.length)) as { name: string; message: string };
          if (parsed.name === 'UserError') w.reject(new UserError(parsed.message));
          else if (/alloc|memory/i.test(parsed.message)) w.reject(new EngineMemoryError(`duktape: ${parsed.name}: ${parsed.message}`));
          else w.reject(new Error(`duktape: ${parsed.name}: ${parsed.message}`));
        }
        return;
      }
    }
  }
  /** Evaluate one line (no newlines inside). */
  eval(expr: string): Promise<string> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      const line = `try{print(${JSON.stringify(MARK)}+(${expr}))}catch(e){print(${JSON.stringify(MARK_ERR)}+JSON.stringify({name:String(e&&e.name),message:String(e&&e.message)}))}\n`;
      this.proc.stdin.write(line);
      this.drain();
    });
  }
  /** Peak resident set of the process so far, bytes. */
  hwm(): number {
    const s = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(s);
    if (!m) throw new Error('duktape: no VmHWM in /proc status');
    return Number(m[1]) * 1024;
  }
  async close(): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.stdin.end();
    });
  }
}

async function startDuk(file: string | null): Promise<DukRepl> {
  const duk = dukPath();
  const proc = spawn(duk, file ? ['-i', file] : ['-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const repl = new DukRepl(proc);
  await repl.eval('"up"');
  return repl;
}

let dukBaseline: number | null = null;

async function duktapeSession(file: string): Promise<EngineSession> {
  if (dukBaseline === null) {
    const empty = await startDuk(null);
    dukBaseline = empty.hwm();
    await empty.close();
  }
  const base = dukBaseline;
  const repl = await startDuk(file);
  return {
    engine: 'duktape',
    peakMethod: "peak resident set of the duk process (VmHWM) minus that of a duk that loaded nothing (" + base + ' bytes)',
    call: (expr) => repl.eval(expr),
    async peakHeapBytes() {
      return repl.hwm() - base;
    },
    close: () => repl.close(),
  };
}

// ---------------------------------------------------------------------------------------------

function nodeSession(code: string): EngineSession {
  const context = vm.createContext({});
  vm.runInContext(code, context, { filename: 'firmware.js' });
  return {
    engine: 'node',
    peakMethod: 'none (the Node reference run)',
    async call(expr) {
      try {
        return String(vm.runInContext(expr, context));
      } catch (e) {
        const err = e as Error;
        rethrow('node', { name: err.name, message: err.message }, String(e));
      }
    },
    async peakHeapBytes() {
      return NaN;
    },
    async close() {},
  };
}

/**
 * Start an engine with a board bundle: `es2020File` for QuickJS, quickjs-ng and Node,
 * `es5File` for Duktape. `budgetBytes` is enforced where the engine allows.
 */
export async function startEngine(engine: EngineName, files: { es2020: string; es5: string }, budgetBytes: number): Promise<EngineSession> {
  if (engine === 'duktape') return duktapeSession(files.es5);
  const code = readFileSync(files.es2020, 'utf8');
  if (engine === 'node') return nodeSession(code);
  return quickjsSession(engine, code, budgetBytes);
}
