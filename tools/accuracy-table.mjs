#!/usr/bin/env node
// Turns `synfire train --json` results (one file per seed, or one `--seeds` file) into the
// markdown tables of BENCHMARKS.md: test accuracy per evaluation, per seed, mean and spread.
// Usage: node tools/accuracy-table.mjs [--whole-epochs] TITLE COMMAND FILE...
// (--whole-epochs: one row per epoch, plus the first half epoch)
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const whole = argv[0] === '--whole-epochs';
if (whole) argv.shift();
const [title, command, ...files] = argv;
const runs = [];
for (const f of files) {
  const j = JSON.parse(readFileSync(f, 'utf8'));
  if (j.runs) for (const r of j.runs) runs.push(r);
  else runs.push(j);
}
const pct = (x) => (100 * x).toFixed(2);
const stat = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd, min: Math.min(...xs), max: Math.max(...xs) };
};
const keys = [
  ['accArgmaxSpikes', 'argmax of spikes'],
  ['accArgmaxPotential', 'argmax of potential'],
  ['accExact', 'exact match'],
];
const out = [];
out.push(`### ${title}`, '', `Command: \`${command}\``, '');
out.push(`Seeds: ${runs.map((r) => r.seed).join(', ')}; ${runs[0].sizes.join('-')}; ${runs[0].samplesTrained.toLocaleString('en-US')} samples trained per seed; order ${runs[0].order}; test set ${runs[0].test.samples.toLocaleString('en-US')} images.`, '');
out.push('| epoch | ' + keys.map(([, n]) => `${n}: mean ± sd (min–max) %`).join(' | ') + ' | MSE mean |');
out.push('|---|' + keys.map(() => '---|').join('') + '---|');
const n = Math.min(...runs.map((r) => r.history.length));
for (let e = 0; e < n; e++) {
  const ep = runs[0].history[e].epoch;
  if (whole && e > 0 && Math.abs(ep - Math.round(ep)) > 1e-9) continue;
  const cells = keys.map(([k]) => {
    const s = stat(runs.map((r) => r.history[e].test[k]));
    return `${pct(s.m)} ± ${pct(s.sd)} (${pct(s.min)}–${pct(s.max)})`;
  });
  const mse = stat(runs.map((r) => r.history[e].test.mse)).m.toFixed(4);
  out.push(`| ${runs[0].history[e].epoch.toFixed(1)} | ${cells.join(' | ')} | ${mse} |`);
}
out.push('');
out.push('Final, per seed: ' + runs.map((r) => `seed ${r.seed}: ${pct(r.test.accArgmaxSpikes)} / ${pct(r.test.accArgmaxPotential)} / ${pct(r.test.accExact)}`).join('; ') + ' (argmax spikes / argmax potential / exact, %).');
out.push(`Best evaluation, mean over seeds of each seed's best: argmax of spikes ${pct(stat(runs.map((r) => Math.max(...r.history.map((h) => h.test.accArgmaxSpikes)))).m)}%, argmax of potential ${pct(stat(runs.map((r) => Math.max(...r.history.map((h) => h.test.accArgmaxPotential)))).m)}%.`);
out.push(`Simulation speed during these runs: ${stat(runs.map((r) => r.msPerSample)).m.toFixed(3)} ms per training sample (wall ${runs.map((r) => r.wallSeconds.toFixed(0)).join(', ')} s).`);
console.log(out.join('\n'));
