/** The sBP profile's chart: the energy chart by phase of the gating chain, beside the paper's measurement. */
import type { ProfileReport } from '../sbp/profile';
import { energyChartSvg } from './energy-chart';

export function profileChartSvg(report: ProfileReport): string {
  return energyChartSvg(report, {
    sampleName: (report.mode === 'train' ? 'training' : 'inference') + ' sample',
    phaseAxis: 'phase of the gating chain',
    reference: {
      label: 'paper',
      energyMilliJoule: report.paper.energyMilliJoule,
      latencyMs: report.paper.latencyMs,
      stepsPerSample: report.paper.stepsPerSample,
      perStepUs: report.paper.perStepUs,
      ratio: report.ratio,
    },
  });
}
