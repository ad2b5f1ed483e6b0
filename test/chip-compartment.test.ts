/**
 * The compartment model (docs/chip-model.md, "Compartment update" and "Golden vectors"; docs/sbp-network.md, "Neuron types"): Lava's golden
 * vectors, the wrap/saturation rules and their counters, refractory semantics, the strict
 * threshold, bias scaling and resting compartments. Expected values come from those
 * documents or from the small reference computations written below.
 */
import { describe, expect, it } from 'vitest';
import { decay, effectiveBias, saturateV, thresholdUnits, weightScale, wrap24, wrapQ, wraps24 } from '../src/chip/arith';
import { Chip } from '../src/chip/chip';
import { Op } from '../src/chip/counters';
import type { ChipSpec, CompartmentPrototype } from '../src/chip/spec';
import { compileNetwork } from '../src/net/compile';
import type { ConnectionDesc, GroupDesc, NeuronType } from '../src/net/network';

const TWO_23 = 8388608;
const TWO_24 = 16777216;
const TWO_21 = 2097152;

/** Reference wrap: add or subtract 2^24 until the value lies in (-2^23, 2^23] (§A.4 step 4). */
function refWrap24(x: number): number {
  while (x > TWO_23) x -= TWO_24;
  while (x <= -TWO_23) x += TWO_24;
  return x;
}

/** Reference 21-bit-plus-sign two's complement wrap of the dendritic accumulator. */
function refWrapQ(x: number): number {
  while (x >= TWO_21) x -= 2 * TWO_21;
  while (x < -TWO_21) x += 2 * TWO_21;
  return x;
}

const neuron = (p: Partial<NeuronType>): NeuronType => ({
  name: 'n',
  vthMant: 1024,
  decayU: 4096,
  decayV: 4096,
  biasMant: 0,
  biasExp: 0,
  refractoryDelay: 1,
  ...p,
});

/** sBP layer neuron (docs/sbp-network.md, "Neuron types"): bias -4096 * 2^7, threshold 1024, memoryless. */
const LAYER = neuron({ name: 'layer', biasMant: -4096, biasExp: 7, refractoryDelay: 2 });
/** sBP gate neuron: bias 0. */
const GATE = neuron({ name: 'gate' });

/**
 * One compartment 'c' with the given neuron and one single-port generator per input weight
 * (weight units, one-to-one into c). Returns the chip and a driver: `feed(step, k)` makes
 * input k arrive at `step` (its generator fires at step - 1).
 */
function single(n: NeuronType, weights: number[]) {
  const groups: GroupDesc[] = [{ name: 'c', size: 1, neuron: n }];
  const connections: ConnectionDesc[] = [];
  weights.forEach((w, k) => {
    groups.push({ name: `in${k}`, size: 1, neuron: 'generator' });
    connections.push({ pre: `in${k}`, post: 'c', connectivity: 'one-to-one', weight: w });
  });
  const net = compileNetwork({ name: 'single', groups, connections });
  const chip = net.chip;
  const ports = weights.map((_, k) => net.groups[`in${k}`].start);
  return {
    chip,
    /**
     * Run steps up to `last`, delivering inputs[step] = list of input indices arriving then.
     * Pass the same map to successive calls: an input arriving at s is scheduled at s - 1.
     */
    run(inputs: Record<number, number[]>, last: number, each?: (t: number) => void) {
      while (chip.time < last) {
        const next = chip.time + 1;
        for (const k of inputs[next + 1] ?? []) chip.schedule(ports[k], next);
        chip.step();
        each?.(chip.time);
      }
    },
  };
}

/** A hand-written one-compartment ChipSpec driven by one generator port of mantissa `mant` (exp 0). */
function handChip(proto: CompartmentPrototype, mant: number): Chip {
  const spec: ChipSpec = {
    numCompartments: 1,
    prototypes: [proto],
    cxPrototype: new Uint16Array([0]),
    cxCore: new Uint16Array([0]),
    numGeneratorPorts: 1,
    genCore: new Uint16Array([0]),
    numCores: 1,
    mesh: { coresPerTile: 4, tilesX: 1, tilesY: 1 },
    coresPerChip: 1,
    synapseGroups: [
      {
        name: 'gen->cx',
        preStart: 1,
        preSize: 1,
        postStart: 0,
        postSize: 1,
        connectivity: { kind: 'sparse', offsets: new Uint32Array([0, 1]), targets: new Uint32Array([0]), weights: new Int16Array([mant]) },
        weightExp: 0,
        signMode: 'excitatory',
        numWeightBits: 8,
        delay: 0,
      },
    ],
    rewardChannels: [],
    ordering: 'route-then-learn',
    numBuckets: 1,
    seed: 1,
  };
  return new Chip(spec);
}

const count = (chip: Chip, op: number) => chip.counters.total(op);

describe('arith rules (unit)', () => {
  it('wrap24 keeps (-2^23, 2^23] and wraps everything else like the reference loop', () => {
    expect(wrap24(TWO_23)).toBe(TWO_23); // exactly 2^23 is kept (strict > test)
    expect(wrap24(TWO_23 + 1)).toBe(-TWO_23 + 1);
    expect(wrap24(-TWO_23)).toBe(TWO_23); // -2^23 becomes +2^23
    expect(wrap24(-TWO_23 + 1)).toBe(-TWO_23 + 1);
    expect(wrap24(3 * TWO_24 + 5)).toBe(5); // multi-wrap
    expect(wrap24(-TWO_23 - 2 * TWO_24)).toBe(TWO_23);
    const probes = [0, 1, -1, TWO_23 - 1, TWO_23, TWO_23 + 1, -TWO_23, -TWO_23 - 1, -TWO_23 + 1, TWO_24, -TWO_24, 5 * TWO_24 + 12345, -7 * TWO_24 - 99, 2 ** 35, -(2 ** 35) + 3];
    for (const x of probes) {
      expect(wrap24(x)).toBe(refWrap24(x));
      expect(wraps24(x)).toBe(refWrap24(x) !== x);
    }
  });

  it('wrapQ is 21-bit-plus-sign two’s complement', () => {
    expect(wrapQ(TWO_21 - 1)).toBe(TWO_21 - 1);
    expect(wrapQ(TWO_21)).toBe(-TWO_21);
    expect(wrapQ(-TWO_21)).toBe(-TWO_21);
    expect(wrapQ(-TWO_21 - 1)).toBe(TWO_21 - 1);
    for (const x of [0, 4177920, -4177920, 6266880, 3 * 2 * TWO_21 + 7, -5 * 2 * TWO_21 - 7]) expect(wrapQ(x)).toBe(refWrapQ(x));
  });

  it('decay is sign-magnitude and truncates toward zero; exact at 2^35', () => {
    expect(decay(8192, 2048)).toBe(4096);
    expect(decay(8192, 1)).toBe(8190); // 8192*4095/4096
    expect(decay(7, 2048)).toBe(3);
    expect(decay(-7, 2048)).toBe(-3); // toward zero, not floor (-4)
    expect(decay(-1, 1) + 0).toBe(0); // (-0 in a double; the Int32Array state stores 0)
    expect(decay(123, 0)).toBe(123);
    expect(decay(123, 4096)).toBe(0);
    // |u| * k reaching 2^35: (2^23 - 1) * 4095 / 4096, computed independently
    const x = TWO_23 - 1;
    expect(decay(x, 1)).toBe(Math.floor((x * 4095 - ((x * 4095) % 4096)) / 4096));
    expect(decay(-x, 1)).toBe(-decay(x, 1));
  });

  it('saturateV, effectiveBias, weightScale, thresholdUnits', () => {
    expect(saturateV(TWO_23)).toBe(TWO_23 - 1);
    expect(saturateV(-TWO_23)).toBe(-(TWO_23 - 1));
    expect(saturateV(42)).toBe(42);
    expect(effectiveBias(-4096, 7)).toBe(-524288); // sBP bias
    expect(effectiveBias(4095, 5)).toBe(131040); // Lava #329 regression value
    expect(effectiveBias(-5, -1)).toBe(-3); // arithmetic shift floors
    expect(weightScale(0)).toBe(64);
    expect(weightScale(6)).toBe(4096);
    expect(weightScale(-6)).toBe(1);
    expect(thresholdUnits(1024)).toBe(65536);
  });
});

describe('golden vectors (docs/chip-model.md)', () => {
  it('no decay, bias-driven: spikes at step indices 4 and 9 of 10', () => {
    // du=0 -> effective decayU 1; dv=0 -> decayV 0; bias 2<<6 = 128; vth 8 -> 512
    const { chip, run } = single(neuron({ vthMant: 8, decayU: 1, decayV: 0, biasMant: 2, biasExp: 6 }), []);
    const spikes: number[] = [];
    const volts: number[] = [];
    run({}, 10, (t) => {
      if (chip.spikedCount > 0) spikes.push(t - 1);
      volts.push(chip.voltage(0));
    });
    expect(spikes).toEqual([4, 9]);
    // v climbs by 128 per step and resets once it exceeds 512
    expect(volts).toEqual([128, 256, 384, 512, 0, 128, 256, 384, 512, 0]);
  });

  it('current impulse: du=2047 halves u each step', () => {
    const { chip, run } = single(neuron({ vthMant: 256, decayU: 2048, decayV: 0 }), [128]);
    const u: number[] = [];
    // input 128 at t0 = step 2 (its generator fires at step 1)
    run({ 2: [0] }, 9, (t) => {
      if (t >= 2) u.push(chip.current(0));
      expect(chip.spikedCount).toBe(0);
    });
    expect(u).toEqual([8192, 4096, 2048, 1024, 512, 256, 128, 64]);
  });

  it('voltage impulse: dv=2048, u leaks 1/4096 per step through ds_offset', () => {
    const { chip, run } = single(neuron({ vthMant: 256, decayU: 1, decayV: 2048 }), [128]);
    const v: number[] = [];
    run({ 2: [0] }, 9, (t) => {
      if (t >= 2) v.push(chip.voltage(0));
    });
    expect(v).toEqual([8192, 12286, 14331, 15351, 15859, 16111, 16235, 16295]);
  });

  it('bias scaling regression (#329): 4095 << 5 = 131040 after one step', () => {
    const chip = handChip({ name: 'b', vthMant: 131072, decayU: 1, decayV: 0, biasMant: 4095, biasExp: 5, refractoryDelay: 1 }, 0);
    chip.step();
    expect(chip.voltage(0)).toBe(131040);
    expect(chip.spikedCount).toBe(0);
  });

  it('the same vectors from a hand-written ChipSpec (generator port, weight 128, exp 0)', () => {
    const chip = handChip({ name: 'i', vthMant: 256, decayU: 2048, decayV: 0, biasMant: 0, biasExp: 0, refractoryDelay: 1 }, 128);
    chip.schedule(0, 1);
    const u: number[] = [];
    for (let t = 1; t <= 9; t++) {
      chip.step();
      if (t >= 2) u.push(chip.current(0));
    }
    expect(u).toEqual([8192, 4096, 2048, 1024, 512, 256, 128, 64]);
  });
});

describe('wrap and saturation through the chip, with their counters', () => {
  // 16384 wu = 128 * 2^7 -> 2^20 hardware units per spike; 8192 wu -> 2^19
  const P20 = 16384;
  const P19 = 8192;
  const MAXW = 32640; // 255 * 2^7 -> 2,088,960 hardware units

  it('u reaching exactly +2^23 is kept; the next input wraps it (uWrap counts once)', () => {
    // no current decay, v = u + bias (bias keeps v below threshold)
    const { chip, run } = single(neuron({ decayU: 0, biasMant: -4096, biasExp: 7, vthMant: 131071 }), [P20]);
    const inputs: Record<number, number[]> = {};
    for (let t = 2; t <= 10; t++) inputs[t] = [0];
    run(inputs, 9);
    expect(chip.current(0)).toBe(8 * 2 ** 20);
    expect(chip.current(0)).toBe(TWO_23);
    expect(count(chip, Op.uWrap)).toBe(0);
    run(inputs, 10);
    expect(chip.current(0)).toBe(9 * 2 ** 20 - TWO_24);
    expect(count(chip, Op.uWrap)).toBe(1);
    expect(count(chip, Op.uBiasWrap)).toBe(0);
    expect(count(chip, Op.vSatHigh) + count(chip, Op.vSatLow)).toBe(0);
  });

  it('u reaching exactly -2^23 becomes +2^23', () => {
    const { chip, run } = single(neuron({ decayU: 0, biasMant: -4096, biasExp: 7, vthMant: 131071 }), [-P20]);
    const inputs: Record<number, number[]> = {};
    for (let t = 2; t <= 9; t++) inputs[t] = [0];
    run(inputs, 8);
    expect(chip.current(0)).toBe(-7 * 2 ** 20);
    run(inputs, 9);
    expect(chip.current(0)).toBe(TWO_23);
    expect(count(chip, Op.uWrap)).toBe(1);
    expect(chip.spikedCount).toBe(0); // v = 2^23 - 524288 is below 131071 * 64
  });

  it('a steady input wraps u periodically; uWrap equals the reference count', () => {
    const { chip, run } = single(neuron({ decayU: 0, biasMant: -4096, biasExp: 7, vthMant: 131071 }), [P20]);
    const inputs: Record<number, number[]> = {};
    const steps = 41;
    for (let t = 2; t <= steps; t++) inputs[t] = [0];
    let u = 0;
    let wraps = 0;
    const us: number[] = [];
    for (let t = 2; t <= steps; t++) {
      const raw = u + 2 ** 20;
      u = refWrap24(raw);
      if (u !== raw) wraps++;
      us.push(u);
    }
    const got: number[] = [];
    run(inputs, steps, (t) => {
      if (t >= 2) got.push(chip.current(0));
    });
    expect(got).toEqual(us);
    expect(wraps).toBe(2);
    expect(count(chip, Op.uWrap)).toBe(wraps);
  });

  it('u + bias wrapping below -2^23 turns into a spike (uBiasWrap, vSatHigh)', () => {
    // u = -7*2^20 - 2^19 = -7,864,320; u + bias(-524,288) = -2^23 -> +2^23 -> v saturates -> spike
    const { chip, run } = single(neuron({ decayU: 0, biasMant: -4096, biasExp: 7, refractoryDelay: 1 }), [-P20, -P19]);
    const inputs: Record<number, number[]> = { 2: [0], 3: [0], 4: [0], 5: [0], 6: [0], 7: [0], 8: [0], 9: [1] };
    run(inputs, 8);
    expect(chip.current(0)).toBe(-7 * 2 ** 20);
    expect(chip.voltage(0)).toBe(-7 * 2 ** 20 - 524288);
    expect(count(chip, Op.uBiasWrap)).toBe(0);
    run(inputs, 9);
    expect(chip.current(0)).toBe(-7 * 2 ** 20 - 2 ** 19);
    expect(chip.spikedCount).toBe(1);
    expect(count(chip, Op.uBiasWrap)).toBe(1);
    expect(count(chip, Op.vSatHigh)).toBe(1);
    expect(count(chip, Op.uWrap)).toBe(0);
    // u is kept (no current decay), so the wrap and the spike repeat every step
    run(inputs, 12);
    expect(count(chip, Op.uBiasWrap)).toBe(4);
    expect(count(chip, Op.vSatHigh)).toBe(4);
    expect(count(chip, Op.spikes)).toBe(4);
  });

  it('u + bias wrapping above +2^23 gives a large negative voltage', () => {
    // u = 2^23 exactly (kept), bias 4095 * 2^7 = 524,160 -> u + bias wraps to 2^23 + 524160 - 2^24
    const { chip, run } = single(neuron({ decayU: 0, biasMant: 4095, biasExp: 7, vthMant: 131071 }), [P20]);
    const inputs: Record<number, number[]> = {};
    for (let t = 2; t <= 9; t++) inputs[t] = [0];
    run(inputs, 9);
    expect(chip.current(0)).toBe(TWO_23);
    expect(chip.voltage(0)).toBe(TWO_23 + 524160 - TWO_24);
    // u + bias first exceeds 2^23 when u = 8 * 2^20 (7 * 2^20 + 524160 < 2^23)
    expect(count(chip, Op.uBiasWrap)).toBe(1);
    expect(count(chip, Op.uWrap)).toBe(0);
  });

  it('v saturates at -(2^23 - 1) and vSatLow counts every clamped step', () => {
    // no voltage decay, u = q each step (full current decay); each input -2,088,960
    const { chip, run } = single(neuron({ decayV: 0, vthMant: 131071 }), [-MAXW]);
    const inputs: Record<number, number[]> = {};
    for (let t = 2; t <= 9; t++) inputs[t] = [0];
    let v = 0;
    let sats = 0;
    for (let k = 0; k < 8; k++) {
      v -= 2088960;
      if (v < -(TWO_23 - 1)) {
        v = -(TWO_23 - 1);
        sats++;
      }
    }
    run(inputs, 9);
    expect(chip.voltage(0)).toBe(-(TWO_23 - 1));
    expect(sats).toBe(4); // inputs 5..8 are clamped
    expect(count(chip, Op.vSatLow)).toBe(sats);
    expect(count(chip, Op.vSatHigh)).toBe(0);
  });

  it('v saturates at +(2^23 - 1); the saturated voltage then spikes', () => {
    // 4 inputs: 8,355,840 <= 131071*64 = 8,388,544; the 5th saturates and spikes; period 5
    const { chip, run } = single(neuron({ decayV: 0, vthMant: 131071 }), [MAXW]);
    const inputs: Record<number, number[]> = {};
    for (let t = 2; t <= 21; t++) inputs[t] = [0];
    const spikes: number[] = [];
    run(inputs, 21, (t) => {
      if (chip.spikedCount) spikes.push(t);
    });
    expect(spikes).toEqual([6, 11, 16, 21]);
    expect(count(chip, Op.vSatHigh)).toBe(4);
  });

  it('the dendritic accumulator wraps at 21 bits + sign (qWrap)', () => {
    const { chip, run } = single(neuron({ vthMant: 131071 }), [MAXW, MAXW, MAXW, -MAXW, -MAXW]);
    const inputs = { 2: [0, 1], 3: [0, 1, 2], 4: [3, 4], 5: [0, 3] };
    run(inputs, 2);
    expect(chip.current(0)).toBe(refWrapQ(2 * 2088960));
    expect(chip.current(0)).toBe(2 * 2088960 - 2 * TWO_21);
    expect(count(chip, Op.qWrap)).toBe(1);
    run(inputs, 3);
    expect(chip.current(0)).toBe(3 * 2088960 - 2 * TWO_21);
    expect(count(chip, Op.qWrap)).toBe(2);
    run(inputs, 4);
    expect(chip.current(0)).toBe(-2 * 2088960 + 2 * TWO_21);
    expect(count(chip, Op.qWrap)).toBe(3);
    run(inputs, 5); // +w - w = 0: no wrap
    expect(chip.current(0)).toBe(0);
    expect(count(chip, Op.qWrap)).toBe(3);
  });
});

describe('refractory (docs/chip-model.md)', () => {
  const drive = (r: number) => {
    const { chip, run } = single(neuron({ refractoryDelay: r }), [9280]);
    const inputs: Record<number, number[]> = {};
    for (let t = 2; t <= 11; t++) inputs[t] = [0];
    const spikes: number[] = [];
    const held: number[] = [];
    run(inputs, 11, (t) => {
      if (chip.spikedCount) spikes.push(t);
      // input arrived (u = q) but v is held at 0 and no spike: a blocked step
      else if (chip.current(0) === 9280 * 64 && chip.voltage(0) === 0) held.push(t);
    });
    return { chip, spikes, held };
  };

  it('refractoryDelay 1 allows firing on consecutive steps', () => {
    const { chip, spikes, held } = drive(1);
    expect(spikes).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(held).toEqual([]);
    expect(count(chip, Op.refractoryHeld)).toBe(0);
  });

  it('refractoryDelay 2 blocks exactly one step, with v held at 0', () => {
    const { chip, spikes, held } = drive(2);
    expect(spikes).toEqual([2, 4, 6, 8, 10]);
    expect(held).toEqual([3, 5, 7, 9, 11]);
    expect(count(chip, Op.refractoryHeld)).toBe(5);
  });

  it('refractoryDelay 3 blocks two steps', () => {
    const { chip, spikes, held } = drive(3);
    expect(spikes).toEqual([2, 5, 8, 11]);
    expect(held).toEqual([3, 4, 6, 7, 9, 10]);
    expect(count(chip, Op.refractoryHeld)).toBe(6);
  });

  it('the counter runs down on steps without input', () => {
    const { chip, run } = single(neuron({ refractoryDelay: 3 }), [9280]);
    const spikes: number[] = [];
    // spike at 2; no input at 3; input at 4 is still blocked (held), 5 fires
    run({ 2: [0], 4: [0], 5: [0] }, 6, (t) => {
      if (chip.spikedCount) spikes.push(t);
    });
    expect(spikes).toEqual([2, 5]);
    expect(count(chip, Op.refractoryHeld)).toBe(1);
  });
});

describe('threshold, bias and resting compartments', () => {
  it('the threshold is strict: v = vth * 64 does not spike, one more unit does', () => {
    // gate: bias 0, threshold 1024 wu; 1024 wu = 128 * 2^3 -> exactly 65,536
    const at = single(GATE, [1024]);
    at.run({ 2: [0] }, 2);
    expect(at.chip.voltage(0)).toBe(65536);
    expect(at.chip.spikedCount).toBe(0);
    // bias of one hardware unit: v = 65,537
    const plus = single(neuron({ biasMant: 1 }), [1024]);
    plus.run({ 2: [0] }, 2);
    expect(plus.chip.spikedCount).toBe(1);
    // sBP layer: fires iff the input exceeds 9216 wu (docs/sbp-network.md, "Neuron types")
    const layerAt = single(LAYER, [9216, 64]);
    const inputs = { 2: [0], 3: [0, 1] };
    layerAt.run(inputs, 2);
    expect(layerAt.chip.voltage(0)).toBe(9216 * 64 - 524288);
    expect(layerAt.chip.spikedCount).toBe(0);
    layerAt.run(inputs, 3);
    expect(layerAt.chip.spikedCount).toBe(1);
  });

  it('bias exponent 7: the sBP bias is -4096 * 2^7 = -524,288 and is the rest voltage', () => {
    const { chip, run } = single(LAYER, [4000]);
    run({}, 1);
    expect(chip.voltage(0)).toBe(-524288);
    run({ 3: [0] }, 3);
    expect(chip.current(0)).toBe(4000 * 64);
    expect(chip.voltage(0)).toBe(4000 * 64 - 524288);
    run({}, 4);
    // memoryless (both decays 4096): back at rest the next step
    expect(chip.current(0)).toBe(0);
    expect(chip.voltage(0)).toBe(-524288);
  });

  it('an always-firing compartment fires on bias alone; quiet ones stay silent at rest', () => {
    const always1 = neuron({ name: 'always1', biasMant: 4095, biasExp: 7 }); // 524,160 > 65,536
    const always3 = neuron({ name: 'always3', biasMant: 4095, biasExp: 7, refractoryDelay: 3 });
    const net = compileNetwork({
      name: 'bias',
      groups: [
        { name: 'a1', size: 1, neuron: always1 },
        { name: 'a3', size: 1, neuron: always3 },
        { name: 'layer', size: 3, neuron: LAYER },
        { name: 'gate', size: 2, neuron: GATE },
      ],
      connections: [],
    });
    const chip = net.chip;
    const fired: Record<string, number[]> = { a1: [], a3: [], layer: [], gate: [] };
    const steps = 9;
    for (let t = 1; t <= steps; t++) {
      chip.step();
      for (let k = 0; k < chip.spikedCount; k++) {
        const cx = chip.spikedCx[k];
        for (const g of Object.keys(fired)) {
          const l = net.groups[g];
          if (cx >= l.start && cx < l.start + l.size) fired[g].push(t);
        }
      }
      for (let i = 0; i < 3; i++) expect(chip.voltage(net.groups.layer.start + i)).toBe(-524288);
      for (let i = 0; i < 2; i++) expect(chip.voltage(net.groups.gate.start + i)).toBe(0);
    }
    expect(fired.a1).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(fired.a3).toEqual([1, 4, 7]);
    expect(fired.layer).toEqual([]);
    expect(fired.gate).toEqual([]);
    // only the two always-on compartments are updated; the five quiet ones are idle
    expect(count(chip, Op.cxActive)).toBe(2 * steps);
    expect(count(chip, Op.cxIdle)).toBe(5 * steps);
    expect(count(chip, Op.spikes)).toBe(9 + 3);
  });
});
