// The ready-made sBP networks: train a small 16-12-4 network on the chip with spiking
// backprop (a toy task on a 4 x 4 input grid: class c lights row c and column c), then run the 4-phase
// inference network with the learned weights, and save them as a weights file.
import { initialWeights, loadWeights, SbpInferenceChip, SbpTrainingChip, weightsFromJson, weightsToJson } from 'synfire';

const sizes = { input: 16, hidden: 12, output: 4 };
const samples = [0, 1, 2, 3].map((label) => ({ label, active: [...Array(16).keys()].filter((i) => i % 4 === label || i >> 2 === label) }));

const trainer = new SbpTrainingChip({ sizes });
loadWeights(trainer, initialWeights(sizes, 2));
const out = new Uint8Array(sizes.output);
for (let epoch = 1; epoch <= 60; epoch++) {
  let correct = 0;
  for (const s of samples) {
    trainer.trainSample(s.active, 0, s.active.length, s.label, undefined, out);
    if (out.every((v, c) => v === (c === s.label ? 1 : 0))) correct++;
  }
  if (epoch % 20 === 0) console.log(`epoch ${epoch}: ${correct} of 4 samples answered exactly during training`);
}

const infer = new SbpInferenceChip(sizes, trainer.matrix('w1'), trainer.matrix('w2'));
const potential = new Float64Array(sizes.output);
let right = 0;
for (const s of samples) {
  infer.inferSample(s.active, 0, s.active.length, out, potential);
  let best = 0;
  for (let c = 1; c < sizes.output; c++) if (potential[c] > potential[best]) best = c;
  if (best === s.label) right++;
}
console.log(`inference: ${right} of 4 right by output potential`);

const json = weightsToJson({ sizes: [16, 12, 4], w1: trainer.matrix('w1'), w2: trainer.matrix('w2'), w2tPos: trainer.matrix('w2tPos'), w2tNeg: trainer.matrix('w2tNeg') });
console.log(`weights file: ${json.length} bytes, sizes ${weightsFromJson(json, 'weights.json').sizes.join('-')}`);
