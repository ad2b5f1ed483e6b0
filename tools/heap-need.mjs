// The heap a board bundle needs in each engine, stage by stage (BENCHMARKS.md, "On-device
// runs"): the firmware loaded, the training network built, then `samples` samples trained
// (pseudo-random inputs, 1 in 5 active: the heap does not depend on the data).
//   QuickJS (quickjs-emscripten, 32-bit): QuickJS's "memory used" after each stage.
//   Duktape (Debian's duk): the smallest fixed heap in which the stage completes, found by
//   bisection of SYNFIRE_MALLOC_LIMIT (tools/malloc-peak.c: an allocation past the limit fails,
//   and Duktape collects its garbage and retries, as on a device).
// Usage: node tools/heap-need.mjs [--hidden H] [--samples N] [--board B]   (after npm run build:boards)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getQuickJS } from 'quickjs-emscripten';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const hidden = Number(arg('--hidden', '100'));
const samples = Number(arg('--samples', '30'));
const board = arg('--board', 'esp32s3-psram');
const dir = join(ROOT, 'dist', 'boards', board);
if (!existsSync(join(dir, 'firmware.js'))) throw new Error(`${dir}: build the board bundles first (npm run build:boards)`);

/** A host-link chunk of `n` training samples over 100 inputs (labels 0..9 in turn). */
function chunk(n) {
  let s = 7;
  let out = '';
  const hex = (v) => v.toString(16).padStart(2, '0');
  for (let k = 0; k < n; k++) {
    out += hex(k % 10);
    for (let b = 0; b < 13; b++) {
      let v = 0;
      for (let i = 0; i < 8 && 8 * b + i < 100; i++) {
        s = (s * 1103515245 + 12345) % 2147483648;
        if (s % 5 === 0) v |= 1 << i;
      }
      out += hex(v);
    }
  }
  return out;
}
const boot = `synfireFirmware.link.boot(JSON.stringify({board:${JSON.stringify(board)},mode:"train",sizes:{input:100,hidden:${hidden},output:10},seed:1}))`;
const feed = `synfireFirmware.link.feed(${JSON.stringify(chunk(samples))},"train")`;

// ---- QuickJS
const QJS = await getQuickJS();
const rt = QJS.newRuntime();
const ctx = rt.newContext();
const used = () => Number(/memory used\s+\d+\s+(\d+)/.exec(rt.dumpMemoryUsage())[1]);
const ev = (code) => {
  const r = ctx.evalCode(code);
  if (r.error) {
    const e = ctx.dump(r.error);
    r.error.dispose();
    throw new Error(JSON.stringify(e));
  }
  r.value.dispose();
};
const q = { empty: used() };
ev(readFileSync(join(dir, 'firmware.js'), 'utf8'));
q.loaded = used();
ev(boot);
q.booted = used();
ev(feed);
q.trained = used();
ctx.dispose();
rt.dispose();
console.log(`quickjs, 100-${hidden}-10 training on ${board}'s bundle ("memory used", B): empty ${q.empty}, bundle loaded ${q.loaded}, network built ${q.booted}, ${samples} samples trained ${q.trained}`);

// ---- Duktape
const tmp = mkdtempSync(join(tmpdir(), 'synfire-heap-need-'));
try {
  const lib = join(tmp, 'malloc-peak.so');
  const cc = spawnSync(process.env.CC || 'cc', ['-shared', '-fPIC', '-O2', '-o', lib, join(ROOT, 'tools', 'malloc-peak.c'), '-ldl'], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error('no C compiler for tools/malloc-peak.c');
  const es5 = readFileSync(join(dir, 'firmware.es5.js'), 'utf8');
  const script = (name, body) => {
    const f = join(tmp, name);
    writeFileSync(f, `${body}\nprint("stage done");\n`);
    return f;
  };
  const stages = [
    ['empty duk', script('empty.js', '')],
    ['bundle loaded', script('loaded.js', es5)],
    ['network built', script('booted.js', `${es5}\n${boot};`)],
    [`${samples} samples trained`, script('trained.js', `${es5}\n${boot};\n${feed};`)],
  ];
  const fits = (file, limit) => {
    const r = spawnSync('duk', [file], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: lib, SYNFIRE_MALLOC_LIMIT: String(limit) } });
    return /stage done/.test(r.stdout);
  };
  const out = [];
  for (const [name, file] of stages) {
    let lo = 0;
    let hi = 64 * 1024 * 1024;
    if (!fits(file, hi)) throw new Error(`duk: ${name} does not complete in ${hi} B`);
    while (hi - lo > 4096) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(file, mid)) hi = mid;
      else lo = mid;
    }
    out.push(`${name} ${hi}`);
  }
  console.log(`duktape, 100-${hidden}-10 training on ${board}'s ES5 bundle (smallest fixed heap, B, within 4 KiB): ${out.join(', ')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
