/**
 * The fast kernel's copies, and the one owner of shared weight storage. A dense group is a
 * copy of an earlier one (its leader) when both have the same pre range, shape, delay, scale
 * and identical weights and, if plastic, the same rule, epoch and reward channel (sBP's W1
 * and W2 each drive three such groups). A copy adds no rows: it reads its leader's row sums.
 * A plastic copy also follows its leader: its store is the leader's array, so the leader's
 * learning is its learning (counted for both), at no extra cost. Under a rule that rounds,
 * a copy follows only if it shares the leader's rounding stream in the same state; it then
 * draws from the leader's generator too (roundRng), and takes its state along when it stops
 * following.
 *
 * While groups share storage, this module is the only way to their weights from outside:
 * SynapseGroup.weights and setPostMajor call release() first, which gives every member of
 * the set its own array again, holding the current values; only then is anything written.
 * So a write from outside, to a leader or a copy, changes that group alone. A write is
 * announced (setPostMajor, Chip.weightsChanged): the chip then derives the copies again from
 * the weights as they are (derive, at the next step). A set released for a read only (no
 * write announced) shares its storage again at the next step (reshare). A plastic copy whose
 * epoch differs from its leader's (other post spikes) stops following it (separateDiverged).
 */
import { evaluateRule, VAR_INDEX } from './learning-rule';
import { ACC_FRAC, ACC_MAX, type RewardChannel } from './learning-engine';
import type { SynapseGroup, WeightSharing } from './synapse-group';

export class Copies implements WeightSharing {
  private readonly groups: SynapseGroup[];
  private readonly plastic: SynapseGroup[];
  private readonly plasticIndex: number[];
  private readonly rewards: RewardChannel[];
  private readonly slots: number;
  /** Groups released from following by release() since the last step (their leaders are their .leader). */
  private readonly released: SynapseGroup[] = [];

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
   * leader unless an earlier leader is an exact copy of it); plastic copies share their
   * leader's storage. Every memo of row sums is dropped. (The caller first moves the pending
   * sums into the accumulators.)
   */
  derive(): void {
    const gs = this.groups;
    this.released.length = 0;
    // (a set still sharing here has seen learning only since it formed: its storage holds
    // every member's weights)
    for (const g of gs) this.unshare(g);
    for (let b = 0; b < gs.length; b++) {
      gs[b].leader = b;
      gs[b].memoCount = -1;
      if (!gs[b].dense) continue;
      for (let a = 0; a < b; a++) {
        if (gs[a].leader === a && this.sameCopy(gs[a], gs[b])) {
          gs[b].leader = a;
          if (gs[b].learning) {
            gs[b].followsLeader = true;
            gs[b].store = gs[a].store;
            gs[b].roundRng = gs[a].roundRng;
            gs[b].sharing = this;
            gs[a].sharing = this;
            gs[a].copies++;
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
        this.unshare(g);
        L.copies--;
        if (L.copies === 1) L.sharing = null;
      }
    }
  }

  /**
   * Access from outside to g's weights: the set g shares storage with (g's leader and every
   * group following it) stops sharing, each member with its own array holding the current
   * values. Without a write announced before the next step, reshare() restores the set then.
   */
  release(g: SynapseGroup): void {
    const li = g.followsLeader ? g.leader : this.groups.indexOf(g);
    const L = this.groups[li];
    for (let p = 0; p < this.plastic.length; p++) {
      const h = this.plastic[p];
      if (h.followsLeader && h.leader === li) {
        this.unshare(h);
        this.released.push(h);
      }
    }
    L.sharing = null;
    L.copies = 1;
  }

  /**
   * Start of a step with no write announced since the last: the sets released for reading
   * share their storage again (their members still hold equal weights: nothing was written).
   */
  reshare(): void {
    const r = this.released;
    for (let k = 0; k < r.length; k++) {
      const h = r[k];
      const L = this.groups[h.leader];
      h.followsLeader = true;
      h.store = L.store;
      h.roundRng = L.roundRng;
      h.sharing = this;
      L.sharing = this;
      L.copies++;
    }
    r.length = 0;
  }

  /** Whether sets were released since the last step. */
  get anyReleased(): boolean {
    return this.released.length > 0;
  }

  /** g stops following: its own array gets the shared values and becomes its store again. */
  private unshare(g: SynapseGroup): void {
    if (g.followsLeader) {
      g.own.set(g.store);
      g.store = g.own;
      g.ownRounding();
    }
    g.followsLeader = false;
    g.sharing = null;
    g.copies = 1;
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
      if (!a.pairFast || !b.pairFast || !this.roundsAlike(a, b)) return false;
    }
    const wa = a.store;
    const wb = b.store;
    for (let k = 0; k < wa.length; k++) if (wa[k] !== wb[k]) return false;
    return true;
  }

  /**
   * Copies may follow their leader only if following changes no random draw: a reward channel
   * without decay (r1 is 0 or its impulse: nothing drawn for it), and either a dw that is
   * always a multiple of the weight LSB (nothing drawn for the weights) or the same rounding
   * stream of their own in the same state (the leader's draws are the copy's: it follows the
   * leader's generator as it follows its storage).
   */
  private roundsAlike(a: SynapseGroup, b: SynapseGroup): boolean {
    const ch = this.rewards[a.learning!.rewardChannel];
    if (ch && ch.tau > 0) return false;
    if (this.neverRounds(a)) return true;
    const ra = a.roundRng;
    const rb = b.roundRng;
    if (ra === null || rb === null || a.learning!.roundingStream !== b.learning!.roundingStream) return false;
    for (let k = 0; k < 4; k++) if (ra.state[k] !== rb.state[k]) return false;
    return true;
  }

  /** A dw that is always a multiple of the weight LSB (for the reward values the channel can give). */
  private neverRounds(g: SynapseGroup): boolean {
    const l = g.learning!;
    const ch = this.rewards[l.rewardChannel];
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
