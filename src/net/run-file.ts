/**
 * A network file, compiled and ready to run: the Simulation with the file's placement,
 * step order, seed and counter buckets, and every input spike of the file injected.
 *
 * Portable: no Node APIs.
 */
import type { LoadedNetwork } from './network-file';
import type { CoreLimits, CompileOptions } from './network';
import { Simulation } from './simulation';

export interface StartOptions {
  limits?: CoreLimits;
  chips?: number;
  kernel?: CompileOptions['kernel'];
  rowSum?: CompileOptions['rowSum'];
  /** Counter buckets when the file gives no stepsPerSample (default 1). */
  stepsPerSample?: number;
}

/**
 * Compile the file's network and inject its input spikes. Run the file's startupSteps with
 * runStartup before measuring.
 */
export function startNetwork(net: LoadedNetwork, opts: StartOptions = {}): Simulation {
  const sim = new Simulation(net.desc, {
    limits: opts.limits,
    chips: opts.chips,
    kernel: opts.kernel,
    rowSum: opts.rowSum,
    placement: net.placement,
    ordering: net.ordering,
    seed: net.seed,
    stepsPerSample: net.stepsPerSample ?? opts.stepsPerSample ?? 1,
  });
  for (const s of net.inputs) sim.inject(s.group, s.index, s.step);
  return sim;
}

/** Run the file's startup steps, then clear the counters (the measured run starts after them). */
export function runStartup(sim: Simulation, net: LoadedNetwork): void {
  sim.step(net.startupSteps);
  sim.resetCounts();
}
