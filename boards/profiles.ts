/**
 * Board profiles: the targets `--board NAME` selects. Portable (no Node APIs), so board
 * bundles can include it. docs/device.md ("Boards") describes them.
 *
 * Two kinds share one shape:
 *  - neuromorphic boards (Loihi 1 systems): the chip limits, the number of chips and the
 *    energy constant set; `mcu` is undefined;
 *  - microcontroller boards, which run the chip model itself in a JavaScript engine
 *    (firmware-model/): `mcu` gives the clock, memory, the heap left to the engine, the
 *    engines and the serial settings. Their `chips`, `limits` and `constants` describe the
 *    one Loihi 1 chip the firmware emulates.
 */
import { LOIHI1_LIMITS, type CoreLimits } from '../src/net/network';

export type EngineName = 'quickjs' | 'quickjs-ng' | 'duktape';

/** One figure and where it comes from. `estimate` is true when it is derived, not quoted. */
export interface SourcedFigure {
  value: number;
  source: string;
  estimate: boolean;
}

/** UART settings of the board's serial link to the host. */
export interface SerialSettings {
  baud: number;
  /** Data bits, parity, stop bits, e.g. '8N1'. */
  framing: string;
  source: string;
}

export interface McuProfile {
  /** The microcontroller (and module, where the memory depends on it). */
  part: string;
  /** CPU clock, Hz. */
  clockHz: SourcedFigure;
  /** All RAM the program can address (internal SRAM plus any PSRAM), bytes. */
  ramBytes: SourcedFigure;
  /** Flash holding the firmware and the bundle, bytes. */
  flashBytes: SourcedFigure;
  /**
   * The heap the JavaScript engine's allocator gets after the RTOS, its stacks and drivers,
   * and the engine's static data: the budget of `synfire plan`. The engine's own run-time
   * structures (its built-in objects) are allocated from it and appear in the plan.
   */
  heapBytes: SourcedFigure;
  /** Engines the board is meant for, the preferred first. */
  engines: EngineName[];
  serial: SerialSettings;
}

export interface BoardProfile {
  name: string;
  description: string;
  source: string;
  chips: number;
  limits: CoreLimits;
  /** Name of the energy constant set (src/energy/constants.ts). */
  constants: string;
  /** Microcontroller boards only. */
  mcu?: McuProfile;
}

const KiB = 1024;
const MiB = 1024 * 1024;

export const BOARDS: Record<string, BoardProfile> = {
  loihi1: {
    name: 'loihi1',
    description: 'one Loihi 1 chip: 128 cores of 1,024 compartments, 128 KB synapse memory, 4,096 input and output axons each',
    source: 'Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning", IEEE Micro 38(1), 2018 (docs/chip-model.md)',
    chips: 1,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
  },
  'kapoho-bay': {
    name: 'kapoho-bay',
    description: "Intel's USB form-factor board with 2 Loihi 1 chips (the authors' default target)",
    source: "Renner et al. 2024 name the board (docs/sbp-network.md); its two chips are from Intel's product description",
    chips: 2,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
  },
  nahuku32: {
    name: 'nahuku32',
    description: 'a Nahuku board with 32 Loihi 1 chips (the authors used its partition under SLURM)',
    source: 'Renner et al. 2024 (docs/sbp-network.md)',
    chips: 32,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
  },
  'loihi1-small-core': {
    name: 'loihi1-small-core',
    description: 'Loihi 1 with a quarter of the synapse memory per core: for checking placement under tighter limits',
    source: 'synthetic profile (not a product)',
    chips: 1,
    limits: { ...LOIHI1_LIMITS, synapseBits: LOIHI1_LIMITS.synapseBits / 4 },
    constants: 'loihi1-davies2018',
  },
  'esp32s3-psram': {
    name: 'esp32s3-psram',
    description: 'ESP32-S3 module with 8 MiB octal PSRAM (e.g. ESP32-S3-WROOM-1-N8R8): the chip model runs in QuickJS on the device',
    source: 'Espressif, ESP32-S3 Series Datasheet; ESP32-S3-WROOM-1 / WROOM-1U Datasheet',
    chips: 1,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
    mcu: {
      part: 'ESP32-S3 (Xtensa LX7 dual core) in an N8R8 module: 8 MiB quad-SPI flash, 8 MiB octal PSRAM',
      clockHz: { value: 240e6, source: 'ESP32-S3 Series Datasheet: CPU clock up to 240 MHz', estimate: false },
      ramBytes: { value: 512 * KiB + 8 * MiB, source: 'ESP32-S3 Series Datasheet: 512 KB internal SRAM; module datasheet: 8 MB PSRAM (N8R8)', estimate: false },
      flashBytes: { value: 8 * MiB, source: 'ESP32-S3-WROOM-1 Datasheet: 8 MB flash (N8R8)', estimate: false },
      heapBytes: {
        value: 7 * MiB,
        source:
          'estimate: the 8 MiB PSRAM added to the heap by ESP-IDF (CONFIG_SPIRAM_USE_MALLOC, ESP-IDF "Support for External RAM") and handed to the engine, less 1 MiB kept back ' +
          'for PSRAM allocations of ESP-IDF itself, the serial and flash drivers and heap fragmentation; internal SRAM (512 KB) stays for the RTOS, stacks and the engine\'s static data',
        estimate: true,
      },
      engines: ['quickjs', 'quickjs-ng'],
      serial: { baud: 115200, framing: '8N1', source: 'ESP-IDF default console UART (CONFIG_ESP_CONSOLE_UART_BAUDRATE 115200, 8 data bits, no parity, 1 stop bit)' },
    },
  },
  esp32: {
    name: 'esp32',
    description: 'classic ESP32 (e.g. ESP32-WROOM-32E, no PSRAM): 520 KiB internal SRAM; the chip model runs in Duktape or QuickJS on the device',
    source: 'Espressif, ESP32 Series Datasheet; ESP32-WROOM-32E Datasheet',
    chips: 1,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
    mcu: {
      part: 'ESP32-D0WD (Xtensa LX6 dual core) in an ESP32-WROOM-32E module with 4 MiB flash',
      clockHz: { value: 240e6, source: 'ESP32 Series Datasheet: CPU clock up to 240 MHz', estimate: false },
      ramBytes: { value: 520 * KiB, source: 'ESP32 Series Datasheet: 520 KB SRAM', estimate: false },
      flashBytes: { value: 4 * MiB, source: 'ESP32-WROOM-32E Datasheet: 4 MB flash (the common variant)', estimate: false },
      heapBytes: {
        value: 240 * KiB,
        source:
          'estimate: of the 520 KiB, 192 KiB (SRAM0) is instruction RAM in ESP-IDF\'s default layout, leaving 328 KiB data RAM (ESP32 Technical Reference Manual, memory map); ' +
          'less about 88 KiB for ESP-IDF\'s static data, the FreeRTOS task stacks (main task with the engine, idle, timer) and the UART driver buffers, no Wi-Fi started',
        estimate: true,
      },
      engines: ['duktape', 'quickjs'],
      serial: { baud: 115200, framing: '8N1', source: 'ESP-IDF default console UART (CONFIG_ESP_CONSOLE_UART_BAUDRATE 115200, 8N1)' },
    },
  },
  rp2040: {
    name: 'rp2040',
    description: 'Raspberry Pi RP2040 (e.g. Raspberry Pi Pico): 264 KiB SRAM, 2 MiB flash; the chip model runs in Duktape on the device',
    source: 'Raspberry Pi Ltd, RP2040 Datasheet; Raspberry Pi Pico Datasheet',
    chips: 1,
    limits: LOIHI1_LIMITS,
    constants: 'loihi1-davies2018',
    mcu: {
      part: 'RP2040 (dual Arm Cortex-M0+) on a Raspberry Pi Pico with 2 MiB QSPI flash',
      clockHz: { value: 133e6, source: 'RP2040 Datasheet: dual Cortex-M0+ up to 133 MHz', estimate: false },
      ramBytes: { value: 264 * KiB, source: 'RP2040 Datasheet: 264 kB on-chip SRAM in six banks', estimate: false },
      flashBytes: { value: 2 * MiB, source: 'Raspberry Pi Pico Datasheet: 2 MB QSPI flash', estimate: false },
      heapBytes: {
        value: 200 * KiB,
        source:
          'estimate: 264 KiB SRAM less the two core stacks of the Pico SDK\'s default memory map (4 KiB each, SCRATCH_X/SCRATCH_Y), ' +
          'the SDK\'s and the engine\'s static data and the USB/UART buffers, about 56 KiB in all; bare metal, no RTOS',
        estimate: true,
      },
      engines: ['duktape', 'quickjs-ng'],
      serial: { baud: 115200, framing: '8N1', source: 'Pico SDK default UART (PICO_DEFAULT_UART_BAUD_RATE 115200, 8N1)' },
    },
  },
};

export function boardNames(): string[] {
  return Object.keys(BOARDS);
}

/** Boards that run the chip model in a JavaScript engine (those with an `mcu` profile). */
export function mcuBoardNames(): string[] {
  return Object.keys(BOARDS).filter((n) => BOARDS[n].mcu !== undefined);
}
