/**
 * The sBP training network exported as a network file and run through the network-file path
 * (parse, compile, inject, step) gives exactly the spikes, counters and weights of
 * SbpTrainingChip on the same samples; and `synfire train --export-network` + `synfire run`
 * give the same counters as `synfire train`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/chip/prng';
import { networkFileToJson, parseNetworkFile } from '../src/net/network-file';
import { runStartup, startNetwork } from '../src/net/run-file';
import { SpikeRecorder } from '../src/net/simulation';
import { trainingNetworkFile, type TrainingSample } from '../src/sbp/export';
import { initialWeights } from '../src/sbp/init';
import { phaseStep, TRAIN_GATES } from '../src/sbp/params';
import { PLASTIC_CONNECTIONS, PLASTIC_NAMES, type RewardSource } from '../src/sbp/topology';
import { loadWeights, PhaseRecord, SbpTrainingChip } from '../src/sbp/training';
import type { Order } from '../src/sbp/oracle';

const SIZES = { input: 16, hidden: 12, output: 4 };

/** Synthetic samples: each input active with probability 1/2, labels cycling 0..3. */
function samples(n: number, seed: number): TrainingSample[] {
  const rng = new Prng(seed);
  const out: TrainingSample[] = [];
  for (let k = 0; k < n; k++) {
    const active: number[] = [];
    for (let i = 0; i < SIZES.input; i++) if (rng.nextFloat() < 0.5) active.push(i);
    out.push({ active, label: k % SIZES.output });
  }
  return out;
}

function compare(order: Order, reward: RewardSource): void {
  const weights = initialWeights(SIZES, 7);
  const data = samples(6, 11);

  // reference: the training chip, every phase's spikes as [step, compartment]
  const net = new SbpTrainingChip({ sizes: SIZES, order, reward });
  loadWeights(net, weights);
  net.chip.counters.reset();
  const rec = new PhaseRecord(net.chip.numCompartments, TRAIN_GATES);
  const expected: string[] = [];
  data.forEach((s, n) => {
    rec.clear();
    net.trainSample(s.active, 0, s.active.length, s.label, rec);
    for (let p = 0; p < TRAIN_GATES; p++)
      for (let cx = 0; cx < net.chip.numCompartments; cx++) if (rec.flags[p][cx]) expected.push(`${phaseStep(TRAIN_GATES, n, p)}:${cx}`);
  });

  // the exported file, written as text and parsed back
  const text = networkFileToJson(trainingNetworkFile({ weights, samples: data, order, reward }));
  const loaded = parseNetworkFile(text, 'sbp.json');
  const sim = startNetwork(loaded);
  const spikes = new SpikeRecorder(sim);
  runStartup(sim, loaded);
  sim.step(loaded.steps - loaded.startupSteps);
  const got: string[] = [];
  for (const g in spikes.spikes) {
    const layout = sim.compiled.groups[g];
    if (layout.kind !== 'compartments') continue;
    for (const [step, i] of spikes.spikes[g]) if (step > TRAIN_GATES) got.push(`${step}:${layout.start + i}`);
  }
  const byStep = (a: string, b: string) => {
    const [sa, ca] = a.split(':').map(Number);
    const [sb, cb] = b.split(':').map(Number);
    return sa - sb || ca - cb;
  };
  expect(expected.length).toBeGreaterThan(100);
  expect(got.sort(byStep)).toEqual(expected.sort(byStep));
  expect(sim.counts()).toEqual(net.chip.counters.totals());
  for (const name of PLASTIC_NAMES) expect(Array.from(sim.weights(PLASTIC_CONNECTIONS[name])), name).toEqual(Array.from(net.matrix(name)));
}

describe('the sBP training network as a network file (16-12-4, 6 samples)', () => {
  it('gives the spikes, counters and weights of the training chip (chip order, reward on the chip)', () => compare('chip', 'chip'));
  it('... and with the reference order and the host reward schedule', () => compare('reference', 'host'));
});

describe('synfire train --export-network, then synfire run (built CLI)', () => {
  it('gives the counters train reports for the same 3 MNIST samples (400-8-10)', () => {
    const root = join(__dirname, '..');
    const dir = mkdtempSync(join(tmpdir(), 'synfire-export-'));
    try {
      const file = join(dir, 'sbp.json');
      const t = spawnSync(process.execPath, ['bin/synfire.js', 'train', '--hidden', '8', '--train-limit', '3', '--test-limit', '10', '--export-network', file, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(t.status, t.stderr).toBe(0);
      const train = JSON.parse(t.stdout);
      const r = spawnSync(process.execPath, ['bin/synfire.js', 'run', '--network', file, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const run = JSON.parse(r.stdout);
      expect(run.steps).toBe(12 * 4);
      expect(run.startupSteps).toBe(12);
      expect(train.counts.steps).toBe(36);
      expect(train.counts.learnVisits).toBeGreaterThan(0);
      expect(run.counts).toEqual(train.counts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
