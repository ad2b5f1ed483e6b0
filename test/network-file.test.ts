/** Network files (synfire-network/1): mapping onto the description types, errors that name the field, writing back. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors';
import { networkFileFrom, networkFileToJson, networkFromJson, parseNetworkFile, NETWORK_FORMAT } from '../src/net/network-file';

function base(): Record<string, unknown> {
  return {
    format: NETWORK_FORMAT,
    name: 'small',
    neurons: { gate: { vthMant: 1024, decayU: 4096, decayV: 4096 } },
    groups: [
      { name: 'in', size: 2, neuron: 'generator' },
      { name: 'a', size: 2, neuron: 'gate' },
      { name: 'b', size: 1, neuron: { vthMant: 10, decayU: 0, decayV: 100, biasMant: -3, biasExp: 2, refractoryDelay: 4 } },
    ],
    connections: [
      { pre: 'in', post: 'a', connectivity: 'one-to-one', weight: 2000 },
      { pre: 'a', post: 'b', connectivity: 'all-to-all', weights: [[10, 20]], signMode: 'mixed', weightExp: 1 },
      { pre: 'a', post: 'a', connectivity: { sparse: [[0, 1, -4]] }, signMode: 'inhibitory', delay: 3 },
      { pre: 'a', post: 'b', connectivity: 'all-to-all', weight: 100, learning: { rule: 'dw = 2*x0*y0', tEpoch: 2 } },
    ],
    inputs: [{ group: 'in', spikes: [[5, 1], [2, 0]] }],
  };
}

function errorOf(mutate: (j: any) => void): string {
  const j: any = base();
  mutate(j);
  try {
    networkFromJson(j, 'net.json');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parsing a network file', () => {
  it('maps onto GroupDesc / ConnectionDesc, sorts the inputs by step and defaults the run length', () => {
    const n = networkFromJson(base(), 'net.json');
    expect(n.desc.groups[1]).toEqual({ name: 'a', size: 2, neuron: { name: 'gate', vthMant: 1024, decayU: 4096, decayV: 4096, biasMant: 0, biasExp: 0, refractoryDelay: 1 } });
    expect(n.desc.groups[2].neuron).toEqual({ name: 'b', vthMant: 10, decayU: 0, decayV: 100, biasMant: -3, biasExp: 2, refractoryDelay: 4 });
    expect(n.desc.connections[1].weights).toEqual([10, 20]);
    expect(n.desc.connections[2].connectivity).toEqual({ sparse: [[0, 1, -4]] });
    expect(n.desc.connections[3].learning).toEqual({ rule: 'dw = 2*x0*y0', tEpoch: 2 });
    expect(n.inputs).toEqual([{ step: 2, group: 'in', index: 0 }, { step: 5, group: 'in', index: 1 }]);
    expect(n.steps).toBe(15);
    expect(n.placement).toBe('hint');
    expect(n.ordering).toBe('route-then-learn');
  });

  it('names the field and the limit in every error', () => {
    expect(errorOf((j) => (j.connections[2].delay = 70))).toBe("net.json: connections[2].delay: 70 is above the chip's 62");
    expect(errorOf((j) => (j.format = 'synfire-network/9'))).toMatch(/^net\.json: format: expected "synfire-network\/1"/);
    expect(errorOf((j) => (j.groups[1].size = 0))).toBe('net.json: groups[1].size: 0 is below 1');
    expect(errorOf((j) => (j.groups[1].neuron = 'nope'))).toMatch(/^net\.json: groups\[1\]\.neuron: no neuron type is named 'nope'/);
    expect(errorOf((j) => (j.neurons.gate.decayU = 5000))).toBe("net.json: neurons.gate.decayU: 5000 is above the chip's 4096");
    expect(errorOf((j) => (j.connections[0].post = 'in'))).toMatch(/connections\[0\]\.post: group 'in' is a spike generator/);
    expect(errorOf((j) => (j.connections[0].pre = 'zz'))).toBe("net.json: connections[0].pre: no group is named 'zz'");
    expect(errorOf((j) => (j.connections[1].weights = [[1, 2, 3]]))).toMatch(/connections\[1\]\.weights\[0\]: expected 2 weights/);
    expect(errorOf((j) => (j.connections[1].weightExp = 9))).toBe("net.json: connections[1].weightExp: 9 is above the chip's 7");
    expect(errorOf((j) => (j.connections[2].connectivity.sparse[0][1] = 2))).toBe("net.json: connections[2].connectivity.sparse[0][1]: 2 is not a member of group 'a' (0..1)");
    expect(errorOf((j) => (j.connections[3].learning.rule = 'dw = q0'))).toMatch(/^net\.json: connections\[3\]\.learning\.rule: /);
    expect(errorOf((j) => (j.connections[3].learning.tEpoch = 64))).toBe("net.json: connections[3].learning.tEpoch: 64 is above the chip's 63");
    expect(errorOf((j) => (j.connections[0].dealy = 1))).toMatch(/^net\.json: connections\[0\]\.dealy: unknown field/);
    expect(errorOf((j) => (j.inputs[0].spikes[0] = [0, 1]))).toMatch(/inputs\[0\]\.spikes\[0\]\[0\]: 0 is below the first step's 1/);
    expect(errorOf((j) => (j.inputs[0].group = 'a'))).toMatch(/inputs\[0\]\.group: group 'a' is not a spike generator/);
    expect(errorOf((j) => delete j.connections[0].weight)).toMatch(/connections\[0\]: needs "weight"/);
  });

  it('rejects text that is not JSON with the file name', () => {
    expect(() => parseNetworkFile('{"format": ', 'x.json')).toThrow(/^x\.json: not JSON/);
  });

  it('writes a description back as a file that parses to the same description', () => {
    const n = networkFromJson(base(), 'net.json');
    const text = networkFileToJson(networkFileFrom(n.desc, { inputs: n.inputs, steps: 9, seed: 3 }));
    const again = parseNetworkFile(text, 'again.json');
    expect(again.desc).toEqual(n.desc);
    expect(again.inputs).toEqual(n.inputs);
    expect(again.steps).toBe(9);
    expect(again.seed).toBe(3);
  });
});
