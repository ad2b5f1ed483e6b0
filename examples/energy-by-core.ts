// Profile a network file: energy, latency and EDP by kind, by step and by core, from the
// operations the chip counts.
import { readFileSync } from 'node:fs';
import { attachTimeModel, buildEnergyReport, CoreActivity, getConstants, parseNetworkFile, resetMeasurement, startNetwork } from 'synfire';

const net = parseNetworkFile(readFileSync(new URL('./synfire-chain.json', import.meta.url), 'utf8'), 'synfire-chain.json');
const constants = getConstants('loihi1-sanafe');
const sim = startNetwork(net, { stepsPerSample: net.steps });
const timing = attachTimeModel(sim.compiled, constants);
resetMeasurement(sim.chip);
const cores = new CoreActivity(sim.compiled);
sim.watch(cores);
sim.step(net.steps);

const r = buildEnergyReport({ compiled: sim.compiled, constants, samples: 1, phases: net.steps, tiles: timing.tiles, barrierNs: timing.barrierNs, includeStatic: false, cores });
console.log(`energy ${(r.perSample.energyMilliJoule * 1e6).toFixed(2)} nJ, latency ${(r.perSample.latencyMs * 1e3).toFixed(2)} us (${constants.name})`);
for (const kind of ['synOps', 'cxActive', 'cxIdle', 'msgLocal']) console.log(`  ${kind}: ${r.breakdown[kind].count} events, ${(r.breakdown[kind].share * 100).toFixed(1)}%`);
for (const c of r.byCore ?? []) console.log(`  core ${c.core}: ${c.compartments} compartments, ${c.synOps} synaptic ops, ${c.spikes} spikes`);
const busiest = r.perPhase.reduce((a, b) => (b.energyMilliJoule > a.energyMilliJoule ? b : a));
console.log(`costliest step: ${busiest.phase + 1}`);
