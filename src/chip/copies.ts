/**
 * The fast kernel's copies. A dense group is a copy of an earlier one (its leader) when both
 * have the same pre range, shape, delay, scale and identical weights and, if plastic, the
 * same rule, epoch and reward channel (sBP's W1 and W2 each drive three such groups). A copy
 * adds no rows: it reads its leader's row sums. A plastic copy also learns through its leader
 * (it "follows" it): the leader's learning engine writes every weight update into the copy's
 * own array as well (the leader's mirrors) and counts it for both.
 *
 * Every group owns its weight array; no two groups share storage. So a write from outside
 * (setPostMajor, or a direct write followed by Chip.weightsChanged) changes the group written
 * and nothing else; the chip then re-derives the copies from the weights as they are (derive).
 * A plastic copy whose epoch differs from its leader's (other post spikes) stops following it
 * (separateDiverged).
 */
import { evaluateRule, VAR_INDEX } from './learning-rule';
import { ACC_FRAC, ACC_MAX, type RewardChannel } from './learning-engine';
import type { SynapseGroup } from './synapse-group';

export class Copies {
  private readonly groups: SynapseGroup[];
  private readonly plastic: SynapseGroup[];
  private readonly plasticIndex: number[];
  private readonly rewards: RewardChannel[];
  private readonly slots: number;

  constructor(groups: SynapseGroup[], plastic: SynapseGroup[], plasticIndex: number[], rewards: RewardChannel[], slots: number) {
    this.groups = groups;
    this.plastic = plastic;
    this.plasticIndex = plasticIndex;
    this.rewards = rewards;
    this.slots = slots;
    for (let gi = 0; gi < groups.length; gi++) groups[gi].leader = gi;
  }

  /**
   * Find every dense group's leader from the weights as they are now (each group is its own
   * leader unless an earlier leader is an exact copy of it), and the mirrors of plastic
   * leaders. Every memo of row sums is dropped. (The caller first moves the pending sums
   * into the accumulators.)
   */
  derive(): void {
    const gs = this.groups;
    for (const g of gs) {
      g.followsLeader = false;
      g.copies = 1;
      g.mirrors = [];
    }
    for (let b = 0; b < gs.length; b++) {
      gs[b].leader = b;
      gs[b].memoCount = -1;
      if (!gs[b].dense) continue;
      for (let a = 0; a < b; a++) {
        if (gs[a].leader === a && this.sameCopy(gs[a], gs[b])) {
          gs[b].leader = a;
          if (gs[b].learning) {
            gs[b].followsLeader = true;
            gs[a].copies++;
            gs[a].mirrors.push(gs[b].weights);
          }
          break;
        }
      }
    }
  }

  /**
   * At step t, before learning: a copy stays a copy only while every learning epoch updates
   * it exactly like its leader: no pre spike (nothing changes), or the same post spikes (the
   * pre population is shared). Otherwise it stops reading the leader's sums, taking over the
   * sums already pending (routed with identical weights), and stops following it.
   */
  separateDiverged(t: number): void {
    for (let p = 0; p < this.plastic.length; p++) {
      const g = this.plastic[p];
      const gi = this.plasticIndex[p];
      if (g.leader === gi || t % g.learning!.tEpoch !== 0) continue;
      const L = this.groups[g.leader];
      // no pre spike in the epoch: neither group changes
      if (g.preCount === 0) continue;
      let same = g.postCount === L.postCount;
      for (let k = 0; same && k < g.postCount; k++) if (L.postStamp[g.postList[k]] !== L.epochId) same = false;
      if (same) continue;
      if (g.delay > 0) for (let s = 0; s < this.slots; s++) g.scratch![s].set(L.scratch![s]);
      else g.memoSum.set(L.memoSum);
      g.leader = gi;
      g.memoCount = -1;
      if (g.followsLeader) {
        g.followsLeader = false;
        L.copies--;
        const m = L.mirrors;
        const k = m.indexOf(g.weights);
        m[k] = m[m.length - 1];
        m.length--;
      }
    }
  }

  /** Can group b read group a's row sums (a copy with identical weights and learning)? */
  private sameCopy(a: SynapseGroup, b: SynapseGroup): boolean {
    if (!a.dense || !b.dense || a.preStart !== b.preStart || a.preSize !== b.preSize || a.postSize !== b.postSize) return false;
    if (a.delay !== b.delay || a.scale !== b.scale) return false;
    const la = a.learning;
    const lb = b.learning;
    if ((la === null) !== (lb === null)) return false;
    if (la && lb) {
      if (la.rule.text !== lb.rule.text || la.tEpoch !== lb.tEpoch || la.rewardChannel !== lb.rewardChannel) return false;
      if (!a.pairFast || !b.pairFast || !this.neverRounds(a)) return false;
    }
    const wa = a.weights;
    const wb = b.weights;
    for (let k = 0; k < wa.length; k++) if (wa[k] !== wb[k]) return false;
    return true;
  }

  /**
   * Copies may follow their leader only if learning never draws from the PRNG for them: a
   * reward channel without decay (r1 is 0 or its impulse) and a dw that is always a multiple
   * of the weight LSB. Then following cannot change the PRNG stream.
   */
  private neverRounds(g: SynapseGroup): boolean {
    const l = g.learning!;
    const ch = this.rewards[l.rewardChannel];
    if (ch && ch.tau > 0) return false;
    const v = new Float64Array(10);
    v[VAR_INDEX.x0] = 1;
    v[VAR_INDEX.y0] = 1;
    for (const r0 of [0, 1])
      for (const r1 of [0, ch ? ch.impulse : 0]) {
        v[VAR_INDEX.r0] = r0;
        v[VAR_INDEX.r1] = r1;
        const dw = evaluateRule(l.rule, v);
        if (Math.floor(dw / g.lsb) * g.lsb !== dw || Math.abs(dw * ACC_FRAC) > ACC_MAX) return false;
      }
    return true;
  }
}
