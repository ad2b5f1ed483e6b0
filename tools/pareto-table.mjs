#!/usr/bin/env node
// Accuracy against energy, latency and energy-delay product per training sample, one row per
// configuration, from `synfire train --json` results (one file per seed), for BENCHMARKS.md.
// A row is on the Pareto front when no other row has at least its mean argmax(spikes) and
// argmax(potential) and at most its EDP, one of the three strictly.
// Usage: node tools/pareto-table.mjs "LABEL=FILE[:EPOCH][,FILE[:EPOCH]...][@PROFILE]" ...
// FILE:EPOCH takes the run's evaluation after that epoch from its history (a run continues
// exactly where a shorter one with the same seed stops) instead of its final one.
// With @PROFILE (a `synfire profile --mode train --json` result), energy and latency come from
// the profile instead of the training runs' own estimate (for example a different placement).
import { readFileSync } from 'node:fs';

const rows = [];
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new Error(`expected LABEL=FILE[,FILE...], got ${arg}`);
  const label = arg.slice(0, eq);
  const [files, profile] = arg.slice(eq + 1).split('@');
  const runs = files.split(',').map((spec) => {
    const [f, at] = spec.split(':');
    const r = JSON.parse(readFileSync(f, 'utf8'));
    if (at === undefined) return r;
    const h = r.history.find((e) => e.epoch === Number(at));
    if (!h) throw new Error(`${f}: no evaluation after epoch ${at}`);
    // departures only accumulate: none at the end means none at any epoch before it
    return { ...r, epochs: Number(at), test: h.test, shadow: r.shadow && r.shadow.departures === 0 ? { departures: 0 } : null };
  });
  const p = profile ? JSON.parse(readFileSync(profile, 'utf8')).perSample : null;
  const est = p ? { energyMilliJoulePerSample: p.energyMilliJoule, latencyMsPerSample: p.latencyMs, edpMilliJouleMsPerSample: p.edpMilliJouleMs } : runs[0].chipEstimate;
  for (const r of runs) {
    if (!r.test) throw new Error(`${label}: a run without a final test evaluation`);
    if (!p && !r.chipEstimate) throw new Error(`${label}: a run without a cost estimate (no samples trained)`);
  }
  const mean = (k) => runs.reduce((a, r) => a + r.test[k], 0) / runs.length;
  const sd = (k) => {
    const m = mean(k);
    return runs.length > 1 ? Math.sqrt(runs.reduce((a, r) => a + (r.test[k] - m) ** 2, 0) / (runs.length - 1)) : 0;
  };
  const departures = runs.every((r) => r.shadow) ? runs.reduce((a, r) => a + r.shadow.departures, 0) : null;
  rows.push({
    label,
    network: runs[0].sizes.join('-'),
    epochs: runs[0].epochs,
    seeds: runs.map((r) => r.seed).join(', '),
    spikes: [mean('accArgmaxSpikes'), sd('accArgmaxSpikes')],
    potential: [mean('accArgmaxPotential'), sd('accArgmaxPotential')],
    energy: est.energyMilliJoulePerSample,
    latency: est.latencyMsPerSample,
    edp: est.edpMilliJouleMsPerSample,
    departures,
  });
}
// dominated: another row is at least as accurate by both metrics at no more EDP, and better in one of the three
const dominates = (o, r) =>
  o.potential[0] >= r.potential[0] && o.spikes[0] >= r.spikes[0] && o.edp <= r.edp && (o.potential[0] > r.potential[0] || o.spikes[0] > r.spikes[0] || o.edp < r.edp);
for (const r of rows) r.front = !rows.some((o) => o !== r && dominates(o, r));
rows.sort((a, b) => a.edp - b.edp);
const pct = ([m, s]) => `${(100 * m).toFixed(2)} ± ${(100 * s).toFixed(2)}`;
const out = [
  '| configuration | network | epochs | seeds | argmax(spikes) % | argmax(potential) % | energy mJ | latency ms | EDP mJ·ms | departures | Pareto |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  out.push(
    `| ${r.label} | ${r.network} | ${r.epochs} | ${r.seeds} | ${pct(r.spikes)} | ${pct(r.potential)} | ${r.energy.toFixed(3)} | ${r.latency.toFixed(3)} | ${r.edp.toFixed(3)} | ${r.departures === null ? '–' : r.departures} | ${r.front ? '**front**' : ''} |`,
  );
}
console.log(out.join('\n'));
