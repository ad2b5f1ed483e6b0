// Shared build steps for engine bundles (tools/build-portable.mjs, tools/build-boards.mjs):
// an esbuild IIFE of one entry for a target, and the ES5 lowering for Duktape (esbuild to
// ES2015, TypeScript 5.9 transpileModule to ES5 with downlevelIteration, behind a polyfill
// prelude), checked by parsing: ES2015+ syntax left in the output is an error.
import { build } from 'esbuild';
import ts from 'typescript';

/**
 * ES5 polyfills for what the bundled core (and typed-binary) call but Duktape 2.7 lacks:
 * Object.entries/values/getOwnPropertyDescriptors, Array.from, Array.prototype.fill/find/findIndex/includes/flatMap,
 * TypedArray.prototype.fill/slice, TypedArray.from/of, and Math.imul (absent in Espruino).
 * Each is installed only when missing, as a non-enumerable property, with the ES2015+
 * semantics the core relies on (array-likes; negative indices count from the end).
 */
export const ES5_PRELUDE = `/* synfire ES5 polyfill prelude */
(function () {
  function def(o, name, fn) {
    if (o && typeof o[name] !== 'function') Object.defineProperty(o, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  function toInt(v, dflt) { v = v === undefined ? dflt : Number(v); return v !== v ? 0 : v < 0 ? Math.ceil(v) : Math.floor(v); }
  function clampIndex(v, len, dflt) { var i = toInt(v, dflt); return i < 0 ? Math.max(len + i, 0) : Math.min(i, len); }
  function listOf(src) {
    if (src == null) throw new TypeError('Array.from: source is null or undefined');
    if (typeof Symbol === 'function' && Symbol.iterator && src.length === undefined && typeof src[Symbol.iterator] === 'function') {
      var it = src[Symbol.iterator](), r = [], s;
      while (!(s = it.next()).done) r.push(s.value);
      return r;
    }
    return src;
  }
  def(Object, 'entries', function (o) { var k = Object.keys(o), r = []; for (var i = 0; i < k.length; i++) r.push([k[i], o[k[i]]]); return r; });
  // esbuild lowers object spread with Object.getOwnPropertyDescriptors (ES2017)
  def(Object, 'getOwnPropertyDescriptors', function (o) {
    var k = Object.getOwnPropertyNames(o), r = {}, i;
    if (Object.getOwnPropertySymbols) k = k.concat(Object.getOwnPropertySymbols(o));
    for (i = 0; i < k.length; i++) Object.defineProperty(r, k[i], { value: Object.getOwnPropertyDescriptor(o, k[i]), writable: true, enumerable: true, configurable: true });
    return r;
  });
  def(Object, 'values', function (o) { var k = Object.keys(o), r = []; for (var i = 0; i < k.length; i++) r.push(o[k[i]]); return r; });
  def(Array, 'from', function (src, fn, self) {
    var a = listOf(src), n = toInt(a.length, 0), r = new Array(n);
    for (var i = 0; i < n; i++) r[i] = fn ? fn.call(self, a[i], i) : a[i];
    return r;
  });
  function fill(v, start, end) {
    var n = this.length, e = clampIndex(end, n, n);
    for (var i = clampIndex(start, n, 0); i < e; i++) this[i] = v;
    return this;
  }
  def(Array.prototype, 'fill', fill);
  def(Array.prototype, 'find', function (f, self) { for (var i = 0; i < this.length; i++) if (f.call(self, this[i], i, this)) return this[i]; return undefined; });
  def(Array.prototype, 'findIndex', function (f, self) { for (var i = 0; i < this.length; i++) if (f.call(self, this[i], i, this)) return i; return -1; });
  def(Array.prototype, 'includes', function (x, from) {
    for (var i = clampIndex(from, this.length, 0); i < this.length; i++) if (this[i] === x || (x !== x && this[i] !== this[i])) return true;
    return false;
  });
  def(Array.prototype, 'flatMap', function (f, self) {
    var r = [];
    for (var i = 0; i < this.length; i++) { var v = f.call(self, this[i], i, this); if (Array.isArray(v)) for (var k = 0; k < v.length; k++) r.push(v[k]); else r.push(v); }
    return r;
  });
  def(Math, 'imul', function (a, b) {
    var ah = (a >>> 16) & 0xffff, al = a & 0xffff, bh = (b >>> 16) & 0xffff, bl = b & 0xffff;
    return (al * bl + (((ah * bl + al * bh) << 16) >>> 0)) | 0;
  });
  var names = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array'];
  var g = typeof globalThis !== 'undefined' ? globalThis : Function('return this')();
  for (var t = 0; t < names.length; t++) {
    var C = g[names[t]];
    if (typeof C !== 'function') continue;
    def(C.prototype, 'fill', fill);
    def(C.prototype, 'slice', function (start, end) {
      var n = this.length, s = clampIndex(start, n, 0), e = clampIndex(end, n, n), r = new this.constructor(Math.max(e - s, 0));
      if (e > s) r.set(this.subarray(s, e));
      return r;
    });
    def(C, 'from', function (src, fn, self) {
      var a = listOf(src), n = toInt(a.length, 0), r = new this(n);
      for (var i = 0; i < n; i++) r[i] = fn ? fn.call(self, a[i], i) : a[i];
      return r;
    });
    def(C, 'of', function () { var r = new this(arguments.length); for (var i = 0; i < arguments.length; i++) r[i] = arguments[i]; return r; });
  }
})();
`;

/** Syntax kinds that must not survive the ES5 lowering. */
const ES2015_SYNTAX = new Map([
  [ts.SyntaxKind.ArrowFunction, 'arrow function (=>)'],
  [ts.SyntaxKind.ClassDeclaration, 'class'],
  [ts.SyntaxKind.ClassExpression, 'class'],
  [ts.SyntaxKind.TemplateExpression, 'template literal'],
  [ts.SyntaxKind.NoSubstitutionTemplateLiteral, 'template literal'],
  [ts.SyntaxKind.TaggedTemplateExpression, 'tagged template'],
  [ts.SyntaxKind.ForOfStatement, 'for-of'],
  [ts.SyntaxKind.SpreadElement, 'spread'],
  [ts.SyntaxKind.SpreadAssignment, 'object spread'],
  [ts.SyntaxKind.ObjectBindingPattern, 'destructuring'],
  [ts.SyntaxKind.ArrayBindingPattern, 'destructuring'],
  [ts.SyntaxKind.ComputedPropertyName, 'computed property name'],
  [ts.SyntaxKind.ShorthandPropertyAssignment, 'shorthand property'],
  [ts.SyntaxKind.YieldExpression, 'yield'],
  [ts.SyntaxKind.AwaitExpression, 'await'],
  [ts.SyntaxKind.BigIntLiteral, 'BigInt literal'],
]);

/**
 * ES2015+ constructs left in `code`, as "kind at line:col" strings (empty when it is ES5):
 * the AST is checked for arrows, classes, let/const declarations and the kinds above.
 */
export function es5Violations(code, fileName = 'portable.es5.js') {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found = [];
  const at = (node) => {
    const p = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return `${p.line + 1}:${p.character + 1}`;
  };
  const visit = (node) => {
    const what = ES2015_SYNTAX.get(node.kind);
    if (what) found.push(`${what} at ${at(node)}`);
    if (ts.isVariableDeclarationList(node) && node.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) {
      found.push(`${node.flags & ts.NodeFlags.Const ? 'const' : 'let'} at ${at(node)}`);
    }
    if (ts.isMethodDeclaration(node) && ts.isObjectLiteralExpression(node.parent)) {
      found.push(`method shorthand at ${at(node)}`);
    }
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken) found.push(`generator at ${at(node)}`);
    if (ts.isParameter(node) && (node.initializer || node.dotDotDotToken)) found.push(`default/rest parameter at ${at(node)}`);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (sf.parseDiagnostics && sf.parseDiagnostics.length > 0) {
    for (const d of sf.parseDiagnostics) found.push(`parse error: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return found;
}

/**
 * esbuild IIFE of `entry` defining the global `globalName`, for `target` ('es2020',
 * 'es2015'). `minify` and `define` are passed to esbuild.
 */
export async function bundleEntry(entry, globalName, target, { minify = false, define } = {}) {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName,
    platform: 'neutral',
    // typed-binary's package.json has "main"/"module" but no "browser": let neutral find them
    mainFields: ['module', 'main'],
    target,
    charset: 'ascii',
    legalComments: 'none',
    supported: { bigint: false },
    minify,
    define,
    write: false,
    logLevel: 'warning',
  });
  return r.outputFiles[0].text;
}

/**
 * ES5 script of `entry` for Duktape: the ES2015 bundle lowered by TypeScript, the prelude
 * after its "use strict" directive. Throws if the result still holds ES2015+ syntax.
 */
export async function bundleEs5(entry, globalName, outName, { minify = false, define } = {}) {
  const es2015 = await bundleEntry(entry, globalName, 'es2015', { minify, define });
  const lowered = ts.transpileModule(es2015, {
    fileName: outName.replace(/\.js$/, '.es2015.js'),
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES5,
      module: ts.ModuleKind.CommonJS,
      downlevelIteration: true,
      allowJs: true,
      removeComments: true,
      importHelpers: false,
      noEmitHelpers: false,
      lib: ['lib.es2015.d.ts'],
    },
  });
  const diags = (lowered.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diags.length > 0) throw new Error('ES5 transpile failed: ' + diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; '));
  // the prelude goes after the bundle's "use strict" directive so the bundle stays strict code
  const strict = /^"use strict";\r?\n/.exec(lowered.outputText);
  const es5 = strict ? strict[0] + ES5_PRELUDE + lowered.outputText.slice(strict[0].length) : ES5_PRELUDE + lowered.outputText;
  const bad = es5Violations(es5, outName);
  if (bad.length > 0) throw new Error(`${outName} is not ES5: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ` (+${bad.length - 10} more)` : ''}`);
  return es5;
}
