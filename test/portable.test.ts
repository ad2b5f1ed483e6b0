/**
 * The portable core (src/chip, src/net, src/sbp, src/energy, src/io) runs unchanged inside
 * embedded JavaScript engines and computes bit for bit what it computes in Node:
 * firmware-model/portable-entry.ts's transcript (Lava golden vectors, an sBP training run on
 * the chip next to the oracle, with the paper's gating and again with the robust gating, a
 * wider error window and a target margin, the verifier, a resumed training session, energy report,
 * weights-JSON and checkpoint round trips, error messages) must be byte-identical in
 *  - Node (the source, imported directly),
 *  - QuickJS (quickjs-emscripten, WASM) running dist/portable.es2020.js under a memory and a
 *    stack limit, with only an injected `print`,
 *  - Duktape 2.7 (`duk`) running dist/portable.es5.js (ES5 lowering + polyfill prelude).
 *  - QuickJS-ng (@jitl/quickjs-ng-wasmfile-release-sync) running dist/portable.es2020.js.
 * The bundles are built by tools/build-portable.mjs in beforeAll.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getQuickJS } from 'quickjs-emscripten';
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import quickjsNg from '@jitl/quickjs-ng-wasmfile-release-sync';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortableCheck } from '../firmware-model/portable-entry';

const ROOT = join(__dirname, '..');
const ES2020 = join(ROOT, 'dist', 'portable.es2020.js');
const ES5 = join(ROOT, 'dist', 'portable.es5.js');
const CALL = 'print(synfirePortable.runPortableCheck());\n';
/** QuickJS limits for the run: about 2x the measured minimum (480 KiB heap, 6 KiB stack). */
const QJS_MEMORY_LIMIT = 1024 * 1024;
const QJS_STACK_LIMIT = 64 * 1024;

let nodeText = '';
let tmp = '';

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'tools', 'build-portable.mjs')], { cwd: ROOT, stdio: 'pipe' });
  tmp = mkdtempSync(join(tmpdir(), 'synfire-portable-'));
  nodeText = runPortableCheck();
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Run `code` in a fresh QuickJS runtime with a host `print`; returns what it printed or the error. */
async function runQuickJS(code: string, memoryLimit: number, stackLimit: number, engine?: QuickJSWASMModule): Promise<{ out: string; error?: string }> {
  const QuickJS = engine ?? (await getQuickJS());
  const rt = QuickJS.newRuntime();
  rt.setMemoryLimit(memoryLimit);
  rt.setMaxStackSize(stackLimit);
  const ctx = rt.newContext();
  let out = '';
  const print = ctx.newFunction('print', (...args) => {
    out += args.map((h) => ctx.getString(h)).join(' ') + '\n';
  });
  ctx.setProp(ctx.global, 'print', print);
  print.dispose();
  const r = ctx.evalCode(code, 'portable.es2020.js');
  let error: string | undefined;
  if (r.error) {
    error = JSON.stringify(ctx.dump(r.error));
    r.error.dispose();
  } else r.value.dispose();
  ctx.dispose();
  rt.dispose();
  return { out, error };
}

/** The ES2015+ syntax left in a script, found by parsing it (not by searching the text). */
function es2015Syntax(code: string): string[] {
  const sf = ts.createSourceFile('x.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isArrowFunction(n)) found.push('=>');
    else if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) found.push('class');
    else if (ts.isVariableDeclarationList(n) && n.flags & ts.NodeFlags.Const) found.push('const');
    else if (ts.isVariableDeclarationList(n) && n.flags & ts.NodeFlags.Let) found.push('let');
    else if (ts.isTemplateExpression(n) || ts.isNoSubstitutionTemplateLiteral(n)) found.push('template');
    else if (ts.isForOfStatement(n)) found.push('for-of');
    else if (ts.isSpreadElement(n) || ts.isSpreadAssignment(n)) found.push('spread');
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('portable transcript in Node', () => {
  const line = (prefix: string) => nodeText.split('\n').filter((l) => l.startsWith(prefix));

  it('reproduces the Lava golden vectors (docs/chip-model.md)', () => {
    expect(line('golden bias-driven')).toEqual(['golden bias-driven spikes=4,9 v=128,256,384,512,0,128,256,384,512,0']);
    expect(line('golden current-impulse')).toEqual(['golden current-impulse u=8192,4096,2048,1024,512,256,128,64']);
    expect(line('golden voltage-impulse')).toEqual(['golden voltage-impulse v=8192,12286,14331,15351,15859,16111,16235,16295']);
    // 4095 << 5 = 131040, below vth 2^17 * 2^6: no spike
    expect(line('golden bias-scaling')).toEqual([`golden bias-scaling v=${4095 * 32} spikes=0`]);
  });

  it('trains on the chip exactly as the oracle does, and its self-checks hold', () => {
    const hashes = line('weights after ');
    expect(hashes.length).toBe(6); // every 10 of 60 samples
    const seen = new Set<string>();
    for (const h of hashes) {
      const m = /^weights after (\d+) chip=([0-9a-f]{8}) oracle=([0-9a-f]{8})$/.exec(h);
      expect(m, h).not.toBeNull();
      expect(m![2]).toBe(m![3]);
      seen.add(m![2]);
    }
    expect(seen.size).toBe(6); // the weights changed between snapshots
    const samples = line('sample ');
    expect(samples.length).toBe(60);
    for (const s of samples) {
      const m = / o=([01]{4}) oracle-o=([01]{4}) /.exec(s);
      expect(m![1]).toBe(m![2]);
    }
    expect(line('verify ')[0]).toMatch(/ samples=60 mismatches=0 invariantViolations=0 copiesEqual=true /);
    expect(line('infer ')[0]).toMatch(/^infer agree=60\/60 /);
    const session = /weights=([0-9a-f]{8}) resumed=([0-9a-f]{8})/.exec(line('session ')[0]);
    expect(session![1]).toBe(session![2]);
    expect(line('weights-json ')[0]).toMatch(/ roundtrip=same$/);
    // the checkpoint's CRC (over all bytes before its trailer) is the one the decoder reports as stored
    const cp = /^checkpoint bytes=\d+ crc=([0-9a-f]{8}) roundtrip=same /.exec(line('checkpoint ')[0]);
    expect(cp).not.toBeNull();
    expect(line('error checkpoint ')[0]).toContain(`expected 0x${cp![1]} (stored in the file)`);
    expect(Number(/totalPJ=([0-9.e+]+)/.exec(line('energy constants=')[0])![1])).toBeGreaterThan(0);
  });

  it('trains the robust gating with the wider window and the margin exactly as the extended oracle does, and both changes fire', () => {
    const hashes = line('robust-window weights after ');
    expect(hashes.length).toBe(6);
    const paper = new Set(line('weights after ').map((h) => /chip=([0-9a-f]{8})/.exec(h)![1]));
    for (const h of hashes) {
      const m = /^robust-window weights after (\d+) chip=([0-9a-f]{8}) oracle=([0-9a-f]{8})$/.exec(h);
      expect(m, h).not.toBeNull();
      expect(m![2]).toBe(m![3]);
      expect(paper.has(m![2])).toBe(false); // another trajectory than the paper's error
    }
    const m = /^robust-window samples=360 window=1024 top=1024 outputs-agree=(\d+) dPos-in-window=(\d+) dPos-in-margin=(\d+) /.exec(line('robust-window samples=')[0]);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(360); // six passes over the 60 samples: the chip's outputs equal the oracle's in every one
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(Number(m![3])).toBeGreaterThan(0);
  });

  it('is plain ASCII (engines print non-ASCII text differently)', () => {
    expect(/^[\x20-\x7e\n]*$/.test(nodeText)).toBe(true);
    expect(nodeText.length).toBeGreaterThan(5000);
  });
});

describe('the same transcript in embedded engines', () => {
  it(`QuickJS (quickjs-emscripten), es2020 bundle, ${QJS_MEMORY_LIMIT / 1024} KiB heap, ${QJS_STACK_LIMIT / 1024} KiB stack`, async () => {
    const code = readFileSync(ES2020, 'utf8');
    const r = await runQuickJS(code + '\n' + CALL, QJS_MEMORY_LIMIT, QJS_STACK_LIMIT);
    expect(r.error).toBeUndefined();
    expect(r.out).toBe(nodeText + '\n');
  });

  it('QuickJS-ng, es2020 bundle', async () => {
    const code = readFileSync(ES2020, 'utf8');
    const r = await runQuickJS(code + '\n' + CALL, QJS_MEMORY_LIMIT, QJS_STACK_LIMIT, await newQuickJSWASMModuleFromVariant(quickjsNg));
    expect(r.error).toBeUndefined();
    expect(r.out).toBe(nodeText + '\n');
  });

  it('QuickJS enforces the memory limit (the run above really was limited)', async () => {
    const code = readFileSync(ES2020, 'utf8');
    const r = await runQuickJS(code + '\n' + CALL, 128 * 1024, QJS_STACK_LIMIT);
    expect(r.error).toContain('out of memory');
    expect(r.out).toBe('');
  });

  it('Duktape (duk), ES5 bundle with the polyfill prelude', () => {
    const runner = join(tmp, 'run-portable.js');
    writeFileSync(runner, readFileSync(ES5, 'utf8') + '\n' + CALL);
    const out = execFileSync('duk', [runner], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    expect(out).toBe(nodeText + '\n');
  });

  it('the ES5 bundle holds no ES2015+ syntax; the checker finds it where it is', () => {
    expect(es2015Syntax(readFileSync(ES5, 'utf8'))).toEqual([]);
    expect(es2015Syntax('const f = (x) => `${x}`; let y = [...[1]]; class A {} for (var z of []) {}').sort()).toEqual(
      ['=>', 'class', 'const', 'for-of', 'let', 'spread', 'template'].sort(),
    );
    // the es2020 bundle is the unlowered one
    expect(es2015Syntax(readFileSync(ES2020, 'utf8'))).toContain('=>');
  });
});
