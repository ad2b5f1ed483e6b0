/** `synfire run --network` and `synfire profile --network` (built CLI) on the example files. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'synfire-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['bin/synfire.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

describe('synfire run --network', () => {
  it('prints spikes per group, counters and the limits used per core (synfire chain)', () => {
    const r = cli('run', '--network', 'examples/synfire-chain.json', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // spike times worked out in test/example-networks.test.ts: 3 L0 volleys, 2 of each other layer
    expect(j.spikes).toEqual({ L0: 6, L1: 4, L2: 4, L3: 4 });
    expect(j.inputs).toEqual({ start: 1 });
    expect(j.counts.synOps).toBe(38);
    expect(j.cores.reduce((a: number, c: { compartments: number }) => a + c.compartments, 0)).toBe(8);
    expect(j.limits.compartments).toBe(1024);
  });

  it('gives the same spikes and counters with every kernel (trace learning)', () => {
    const runs = ['wasm', 'js', 'naive'].map((k) => JSON.parse(cli('run', '--network', 'examples/trace-learning.json', '--kernel', k, '--json').stdout));
    for (const r of runs.slice(1)) {
      expect(r.spikeTrains).toEqual(runs[0].spikeTrains);
      expect(r.counts).toEqual(runs[0].counts);
    }
    expect(runs[0].counts.learnUpdates).toBe(12);
  });

  it('draws the raster and prints a text report', () => {
    const svg = join(dir, 'wta.svg');
    const r = cli('run', '--network', 'examples/winner-take-all.json', '--raster', svg);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Spikes per group:/);
    expect(r.stdout).toMatch(/Limits used per core:/);
    expect(readFileSync(svg, 'utf8').startsWith('<svg')).toBe(true);
  });

  it('refuses a network that does not fit before it runs, with the numbers', () => {
    const f = join(dir, 'big.json');
    writeFileSync(
      f,
      JSON.stringify({
        format: 'synfire-network/1',
        name: 'big',
        groups: [{ name: 'a', size: 140000, neuron: { vthMant: 10, decayU: 4096, decayV: 4096 } }],
        connections: [],
      }),
    );
    const r = cli('run', '--network', f);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not fit on 1 chip\(s\) \(128 cores\): group 'a'/);
    expect(r.stderr.trim().split('\n').length).toBe(1);
  });

  it('names the file and the field of a mistake, without a stack trace', () => {
    const f = join(dir, 'bad.json');
    const net = JSON.parse(readFileSync(join(root, 'examples/synfire-chain.json'), 'utf8'));
    net.connections[3].delay = 70;
    writeFileSync(f, JSON.stringify(net));
    const r = cli('run', '--network', f);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`synfire run: error: ${f}: connections[3].delay: 70 is above the chip's 62`);
  });
});

describe('synfire profile --network', () => {
  it('reports energy, latency and EDP by kind, by step and by core (synfire chain)', () => {
    const plot = join(dir, 'chain.svg');
    const r = cli('profile', '--network', 'examples/synfire-chain.json', '--plot', plot, '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.samples).toBe(1);
    expect(j.stepsPerSample).toBe(30);
    expect(j.perPhase.length).toBe(30);
    // Davies 2018 Table 2: 23.6 pJ per synaptic op; 38 synaptic ops in the run
    expect(j.breakdown.synOps.count).toBe(38);
    expect(j.breakdown.synOps.energyMilliJoule).toBeCloseTo((38 * 23.6) / 1e9, 15);
    expect(j.perSample.edpMilliJouleMs).toBeCloseTo(j.perSample.energyMilliJoule * j.perSample.latencyMs, 20);
    // by core: the synaptic ops of each core add up to the chip's count
    let syn = 0;
    for (const c of j.byCore) syn += c.synOps;
    expect(syn).toBe(38);
    let e = 0;
    for (const p of j.perPhase) e += p.energyMilliJoule;
    expect(e).toBeCloseTo(j.perSample.energyMilliJoule, 15);
    expect(existsSync(plot)).toBe(true);
  });

  it('counts learning visits per core for the learning example', () => {
    const r = cli('profile', '--network', 'examples/trace-learning.json', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.counts.learnVisits).toBe(24);
    expect(j.byCore.reduce((a: number, c: { learnVisits: number }) => a + c.learnVisits, 0)).toBe(24);
    expect(j.byCore.reduce((a: number, c: { synOps: number }) => a + c.synOps, 0)).toBe(17);
  });
});
