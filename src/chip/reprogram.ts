/**
 * What the host changes on a configured chip between runs, beyond weights: a plastic group's
 * learning rule (as it would reprogram the learning engine), and the state of the groups' own
 * rounding streams (saved and restored with checkpoints). Kept out of the Chip class so that
 * bundles which never reprogram (the board firmware) leave it out.
 *
 * Portable: no Node APIs.
 */
import type { Chip } from './chip';
import { parseLearningRule, RULE_VARIABLES, ruleUses } from './learning-rule';
import { UserError } from '../errors';

/**
 * Replace the learning rule of plastic group `group` (an index into chip.groups) with `rule`,
 * in the sum-of-products form (learning-rule.ts). The new rule must read the same variables
 * and have the same support as the old one, so the group's traces and the learning engine's
 * path stay valid. Copies that shared storage under an exact rule stop sharing at the next
 * step if the new rule rounds and they have no common rounding stream (./copies).
 */
export function setLearningRule(chip: Chip, group: number, rule: string): void {
  const g = chip.groups[group];
  if (g === undefined) throw new UserError(`no synapse group ${group} (the chip has ${chip.groups.length})`);
  const l = g.learning;
  if (l === null) throw new UserError(`synapse group '${g.name}' is not plastic`);
  const r = parseLearningRule(rule, `synapse group '${g.name}'`);
  for (const v of RULE_VARIABLES)
    if (ruleUses(r, v) !== ruleUses(l.rule, v)) throw new UserError(`synapse group '${g.name}': the rule "${rule}" must read the same variables as "${l.rule.text}" (${v} differs)`);
  if (r.support !== l.rule.support) throw new UserError(`synapse group '${g.name}': the rule "${rule}" has ${r.support} support, the old one ${l.rule.support}`);
  g.learning = { ...l, rule: r };
  chip.weightsChanged();
}

/** The state of every group's own rounding stream, by group name (for checkpoints). */
export function saveRounding(chip: Chip): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const g of chip.groups) if (g.roundRng) out[g.name] = g.roundRng.saveState();
  return out;
}

/** Restore what saveRounding returned (groups not named keep their state); the copies are derived again. */
export function restoreRounding(chip: Chip, states: Record<string, number[]>): void {
  for (const g of chip.groups) {
    if (!g.ownRng) continue;
    // a copy that followed its leader draws from its own generator again until derived
    g.ownRounding();
    if (states[g.name]) g.ownRng.restoreState(states[g.name]);
  }
  chip.weightsChanged();
}
