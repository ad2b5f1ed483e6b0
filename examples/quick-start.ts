// Describe a small network in code, compile it onto the cores of a Loihi 1 board, feed it
// spikes, step it, and read its spikes, its op counters and the energy they cost.
import { attachTimeModel, BOARDS, buildEnergyReport, getConstants, Simulation, type NetworkDesc, type NeuronType } from 'synfire';

// Memoryless neuron: fires when its input in one step exceeds 1000 weight units.
const neuron: NeuronType = { name: 'cell', vthMant: 1000, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 };

const net: NetworkDesc = {
  name: 'two-layers',
  groups: [
    { name: 'in', size: 4, neuron: 'generator' },
    { name: 'hidden', size: 3, neuron },
    { name: 'out', size: 1, neuron },
  ],
  connections: [
    // per-synapse weight mantissas, post x pre, times 2^3 (so 150 -> 1200 weight units)
    { pre: 'in', post: 'hidden', connectivity: 'all-to-all', weightExp: 3, signMode: 'mixed', weights: [150, 0, 0, 0, 0, 150, 0, 0, 0, 0, 70, 70] },
    // all three hidden cells are needed to fire out (3 x 400 > 1000, 2 x 400 is not)
    { pre: 'hidden', post: 'out', connectivity: 'all-to-all', weight: 400, delay: 2 },
  ],
};

const board = BOARDS.loihi1;
const sim = new Simulation(net, { limits: board.limits, chips: board.chips });
const timing = attachTimeModel(sim.compiled, getConstants(board.constants));

// in0, in1, in2 and in3 all spike at step 1: hidden fires at 2, out at 2 + 1 + 2 = 5
for (let i = 0; i < 4; i++) sim.inject('in', i, 1);
for (let t = 1; t <= 6; t++) {
  sim.step();
  const h = sim.spiked('hidden');
  const o = sim.spiked('out');
  if (h.length || o.length) console.log(`step ${t}: hidden ${JSON.stringify(h)} out ${JSON.stringify(o)}`);
}
console.log('spikes per group', JSON.stringify(sim.spikeCounts()));
const c = sim.counts();
console.log(`synaptic ops ${c.synOps}, compartment updates ${c.cxActive + c.cxIdle}`);

const report = buildEnergyReport({
  compiled: sim.compiled,
  constants: getConstants(board.constants),
  samples: 1,
  phases: 1,
  tiles: timing.tiles,
  barrierNs: timing.barrierNs,
  includeStatic: false,
});
console.log(`energy ${(report.perSample.energyMilliJoule * 1e6).toFixed(1)} nJ, latency ${(report.perSample.latencyMs * 1e3).toFixed(2)} us, EDP ${report.perSample.edpMilliJouleMs.toExponential(3)} mJ*ms`);
