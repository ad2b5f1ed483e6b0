/**
 * PLACEHOLDER until the `plan` branch's memory planner merges (it replaces this file whole):
 * the planner's interface, with no board data. Every network "fits" a budget of 0 bytes
 * meaning "unknown"; the firmware's fit check is wired to it and becomes real at the merge.
 */
import { UserError } from '../src/errors';

export interface MemoryPlanItem {
  name: string;
  bytes: number;
}

export interface MemoryPlan {
  board: string;
  mode: 'train' | 'infer';
  totalBytes: number;
  budgetBytes: number;
  fits: boolean;
  largest: MemoryPlanItem | null;
  items: MemoryPlanItem[];
}

export function planMemory(opts: {
  board: string;
  mode: 'train' | 'infer';
  sizes: { input: number; hidden: number; output: number };
  bundleBytes?: number;
  kernel?: 'js' | 'naive';
}): MemoryPlan {
  return { board: opts.board, mode: opts.mode, totalBytes: 0, budgetBytes: 0, fits: true, largest: null, items: [] };
}

export function requireFits(plan: MemoryPlan): void {
  if (!plan.fits) throw new UserError(`${plan.board}: the ${plan.mode} network needs ${plan.totalBytes} bytes, the board has ${plan.budgetBytes}`);
}
