// Board profiles (boards/profiles.ts): every microcontroller profile carries its figures with
// sources, and the neuromorphic ones still serve `--board` on the chip commands.
import { describe, expect, it } from 'vitest';
import { BOARDS, boardNames, mcuBoardNames, type SourcedFigure } from '../boards/profiles';
import { ENGINES } from '../firmware-model/engines';
import { LOIHI1_LIMITS } from '../src/net/network';
import { parseArgs } from '../tools/args';
import { command as train } from '../tools/commands/train';

const MCU_BOARDS = ['esp32s3-psram', 'esp32', 'rp2040'];
const NEUROMORPHIC = ['loihi1', 'kapoho-bay', 'nahuku32', 'loihi1-small-core'];

function checkFigure(f: SourcedFigure): void {
  expect(Number.isFinite(f.value) && f.value > 0).toBe(true);
  expect(f.source.length).toBeGreaterThan(10);
  // an estimate says so, and how it was derived
  if (f.estimate) expect(f.source).toMatch(/^estimate: .{20,}/);
  else expect(f.source).not.toMatch(/^estimate/);
}

describe('board profiles', () => {
  it('lists the microcontroller boards and keeps the neuromorphic ones', () => {
    expect(mcuBoardNames().sort()).toEqual(MCU_BOARDS.slice().sort());
    for (const n of NEUROMORPHIC) {
      expect(boardNames()).toContain(n);
      expect(BOARDS[n].mcu).toBeUndefined();
    }
  });

  for (const name of MCU_BOARDS) {
    it(`${name}: clock, RAM, flash, heap, engines and serial settings, each with its source`, () => {
      const b = BOARDS[name];
      expect(b.name).toBe(name);
      const m = b.mcu!;
      expect(m.part.length).toBeGreaterThan(0);
      for (const f of [m.clockHz, m.ramBytes, m.flashBytes, m.heapBytes]) checkFigure(f);
      // the engine's heap is part of the RAM
      expect(m.heapBytes.value).toBeLessThan(m.ramBytes.value);
      expect(m.engines.length).toBeGreaterThan(0);
      for (const e of m.engines) expect(ENGINES[e]).toBeDefined();
      expect(Number.isInteger(m.serial.baud) && m.serial.baud > 0).toBe(true);
      expect(m.serial.framing).toMatch(/^[5-8][NEO][12]$/);
      expect(m.serial.source.length).toBeGreaterThan(10);
      // the emulated chip is one Loihi 1
      expect(b.chips).toBe(1);
      expect(b.limits).toEqual(LOIHI1_LIMITS);
    });
  }

  it('the datasheet figures of the issue: ESP32-S3 with 8 MiB PSRAM, ESP32 520 KiB, RP2040 264 KiB', () => {
    expect(BOARDS['esp32s3-psram'].mcu!.ramBytes.value).toBe(512 * 1024 + 8 * 1024 * 1024);
    expect(BOARDS.esp32.mcu!.ramBytes.value).toBe(520 * 1024);
    expect(BOARDS.rp2040.mcu!.ramBytes.value).toBe(264 * 1024);
  });

  it('every engine figure has a source', () => {
    for (const e of Object.values(ENGINES)) for (const f of [e.runtimeBytes, e.typedArrayBytes, e.objectBytes, e.propertyBytes, e.codePerSourceByte]) checkFigure(f);
  });

  it('--board on train still takes the neuromorphic boards', () => {
    for (const n of NEUROMORPHIC) expect(parseArgs(train.spec, ['--board', n]).board).toBe(n);
  });
});
