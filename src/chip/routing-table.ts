/**
 * The spike router's tables: per source (compartment, then generator port), the synapse
 * groups it feeds and its local pre index in each, the signatures that let the fast kernel
 * route runs of spikes group by group, and each source's message costs per spike.
 */
import type { ChipSpec } from './spec';
import { NO_FLOAT64, type SynapseGroup } from './synapse-group';

/** srcMsgPacked's field width: 2^26. */
export const MSG_PACK = 67108864;

/**
 * Number the distinct lists of a compressed table (list q is entries[start[q] .. start[q + 1])):
 * sig[q] is the signature of list q, and the entries of signature k are
 * sigEntries[sigStart[k] .. sigStart[k + 1]). Neighbouring sources mostly share a list (they
 * are one population), so each list is first compared with the previous one; only a change
 * builds a key (this keeps the construction's garbage, and the heap it grows, small).
 */
export function signatures(start: Uint32Array, entries: ArrayLike<number>): { sig: Int32Array; start: Uint32Array; entries: Uint32Array } {
  const n = start.length - 1;
  // (a plain object, not a Map: the portable core runs on ES5 engines)
  const ids: Record<string, number> = Object.create(null);
  const firstOf: number[] = [];
  const sig = new Int32Array(n);
  let total = 0;
  for (let q = 0; q < n; q++) {
    const a = start[q];
    const len = start[q + 1] - a;
    if (q > 0 && start[q] - start[q - 1] === len) {
      const p = start[q - 1];
      let same = true;
      for (let k = 0; same && k < len; k++) if (entries[p + k] !== entries[a + k]) same = false;
      if (same) {
        sig[q] = sig[q - 1];
        continue;
      }
    }
    let key = '';
    for (let k = 0; k < len; k++) key += entries[a + k] + ',';
    let id = ids[key];
    if (id === undefined) {
      id = firstOf.length;
      ids[key] = id;
      firstOf.push(q);
      total += len;
    }
    sig[q] = id;
  }
  const sigStart = new Uint32Array(firstOf.length + 1);
  const sigEntries = new Uint32Array(total);
  for (let k = 0; k < firstOf.length; k++) {
    const q = firstOf[k];
    const len = start[q + 1] - start[q];
    for (let e = 0; e < len; e++) sigEntries[sigStart[k] + e] = entries[start[q] + e];
    sigStart[k + 1] = sigStart[k] + len;
  }
  return { sig, start: sigStart, entries: sigEntries };
}

export class RoutingTable {
  readonly numSources: number;
  /** Per source s, its (group, local pre index) pairs: outGroup[k], outPre[k] for k in outStart[s] .. outStart[s + 1]. */
  readonly outStart: Uint32Array;
  readonly outGroup: Uint16Array;
  readonly outPre: Uint32Array;
  /**
   * Sources with the same list of synapse groups share a signature; the groups of signature
   * k are sigGroup[sigStart[k] .. sigStart[k + 1]). The fast kernel routes spikes in runs of
   * consecutive spikes with one signature, group by group.
   */
  readonly srcSig: Int32Array;
  readonly sigStart: Uint32Array;
  readonly sigGroup: Uint16Array;
  /** The core each source sends from. */
  readonly srcCore: Uint16Array;
  /** Per source s, its messages per spike: srcMsg[4s .. 4s + 3] = msgLocal, msgRemote, hopsEW, hopsNS. */
  srcMsg: Float64Array;
  /**
   * The same, two numbers to a source: srcMsgPacked[2s] = msgLocal + msgRemote * 2^26 and
   * srcMsgPacked[2s + 1] = hopsEW + hopsNS * 2^26, or null. Exact only while every field
   * summed over all sources stays below 2^26 (one step routes each source at most once), so
   * it is built only for chips where it does.
   */
  srcMsgPacked: Float64Array | null = null;
  private readonly groups: SynapseGroup[];

  /** With `packedOnly`, srcMsg is dropped (left empty) once srcMsgPacked holds the same exactly. */
  constructor(spec: ChipSpec, groups: SynapseGroup[], packedOnly = false) {
    this.groups = groups;
    const n = spec.numCompartments;
    const ns = n + spec.numGeneratorPorts;
    this.numSources = ns;
    const counts = new Uint32Array(ns + 1);
    for (const g of groups) for (let i = 0; i < g.preSize; i++) counts[g.preStart + i + 1]++;
    for (let s = 0; s < ns; s++) counts[s + 1] += counts[s];
    this.outStart = counts;
    const total = counts[ns];
    this.outGroup = new Uint16Array(total);
    this.outPre = new Uint32Array(total);
    const fill = counts.slice(0, ns);
    groups.forEach((g, gi) => {
      for (let i = 0; i < g.preSize; i++) {
        const k = fill[g.preStart + i]++;
        this.outGroup[k] = gi;
        this.outPre[k] = i;
      }
    });
    const t = signatures(counts, this.outGroup);
    this.srcSig = t.sig;
    this.sigStart = t.start;
    this.sigGroup = Uint16Array.from(t.entries);
    this.srcCore = new Uint16Array(ns);
    for (let i = 0; i < n; i++) this.srcCore[i] = spec.cxCore[i];
    for (let p = 0; p < spec.numGeneratorPorts; p++) this.srcCore[n + p] = spec.genCore[p];
    this.srcMsg = new Float64Array(4 * ns);
    this.buildMessageCosts(spec);
    if (packedOnly && this.srcMsgPacked !== null) this.srcMsg = NO_FLOAT64;
  }

  /**
   * Counting rule for spike messages (msgLocal, msgRemote, hopsEW, hopsNS), fixed per source
   * at construction: a spike is sent once to each distinct core that holds at least one of
   * its targets, over all the source's synapse groups (Loihi's output axons are per source
   * and destination core; the destination core fans the spike out to its synapses itself).
   * A destination in the sender's tile (its own core included) is one msgLocal; any other is
   * one msgRemote plus |dx| east-west and |dy| north-south mesh hops between the two tiles
   * (dimension-order routing; chips sit side by side in x). Host generator spikes are sent
   * from their entry core (spec.genCore, core 0 from the compiler).
   */
  private buildMessageCosts(spec: ChipSpec): void {
    const seen = new Int32Array(spec.numCores).fill(-1);
    const mesh = spec.mesh;
    const coord = (core: number) => {
      const chip = Math.floor(core / spec.coresPerChip);
      const tile = Math.floor((core % spec.coresPerChip) / mesh.coresPerTile);
      return { tile: chip * mesh.tilesX * mesh.tilesY + tile, x: chip * mesh.tilesX + (tile % mesh.tilesX), y: Math.floor(tile / mesh.tilesX) };
    };
    for (let s = 0; s < this.numSources; s++) {
      const from = coord(this.srcCore[s]);
      for (let k = this.outStart[s]; k < this.outStart[s + 1]; k++) {
        const g = this.groups[this.outGroup[k]];
        const i = this.outPre[k];
        const visit = (cx: number) => {
          const core = spec.cxCore[cx];
          if (seen[core] === s) return;
          seen[core] = s;
          const to = coord(core);
          const m = this.srcMsg;
          if (to.tile === from.tile) m[4 * s]++;
          else {
            m[4 * s + 1]++;
            m[4 * s + 2] += Math.abs(to.x - from.x);
            m[4 * s + 3] += Math.abs(to.y - from.y);
          }
        };
        if (g.dense) for (let j = 0; j < g.postSize; j++) visit(g.postStart + j);
        else for (let q = g.offsets![i]; q < g.offsets![i + 1]; q++) visit(g.postStart + g.targets![q]);
      }
    }
    const total = [0, 0, 0, 0];
    for (let s = 0; s < this.numSources; s++) for (let f = 0; f < 4; f++) total[f] += this.srcMsg[4 * s + f];
    if (total.every((x) => x < MSG_PACK)) {
      const p = new Float64Array(2 * this.numSources);
      const m = this.srcMsg;
      for (let s = 0; s < this.numSources; s++) {
        p[2 * s] = m[4 * s] + m[4 * s + 1] * MSG_PACK;
        p[2 * s + 1] = m[4 * s + 2] + m[4 * s + 3] * MSG_PACK;
      }
      this.srcMsgPacked = p;
    }
  }
}
