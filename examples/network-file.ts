// Load a network file, run it, and save a snapshot with the weights it learned: the
// snapshot, loaded again, starts from those weights.
import { readFileSync } from 'node:fs';
import { networkFileFrom, networkFileToJson, parseNetworkFile, runStartup, startNetwork, SpikeRecorder, Simulation } from 'synfire';

const file = new URL('./trace-learning.json', import.meta.url);
const net = parseNetworkFile(readFileSync(file, 'utf8'), 'trace-learning.json');
const sim = startNetwork(net);
const spikes = new SpikeRecorder(sim);
runStartup(sim, net);
sim.step(net.steps - net.startupSteps);
console.log('post fired at steps', spikes.spikes.post.map(([step]) => step).join(', '));
console.log('weights after the run', Array.from(sim.weights('plastic')).join(', '));
console.log('learning visits', sim.counts().learnVisits, 'weight updates', sim.counts().learnUpdates);

// a snapshot is a network file with the current weights (here without the inputs)
const text = networkFileToJson(networkFileFrom(sim.snapshot(), { steps: 2 }));
const again = new Simulation(parseNetworkFile(text, 'snapshot.json').desc);
console.log('weights loaded from the snapshot', Array.from(again.weights('plastic')).join(', '));
