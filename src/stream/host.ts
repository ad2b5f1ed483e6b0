/**
 * The host end of the serial protocol (docs/protocol.md) as rxjs: serial bytes → frames →
 * results. It opens a session (hello), streams samples through a sliding window, and fetches
 * counters and the weight image at the end.
 *
 * Every time rule is an operator:
 *  - the sliding window is `mergeMap`'s concurrency: at most `window` sequenced frames are
 *    unanswered, and the next sample leaves the moment one is answered (backpressure: the
 *    sample source is pulled, never pushed);
 *  - a frame is sent again (`timeout` + `retry`, at most `maxRetries` times) when the device
 *    has been silent for `timeoutMs` while it waits, or after 8 * `timeoutMs` in any case;
 *  - a frame the device reports missing is sent again at once (selective repeat, an error
 *    that `retry` catches): an ack for a frame held ahead of a gap carries the held bits of
 *    every frame the device keeps, so each frame of the gap sent before the acked one is
 *    resent, once per such report, while new frames keep the line busy;
 *  - a device that restarts (an unsolicited hello, or a `no-session` error) or a port that
 *    goes away ends the session with an error that an outer `retry` answers by reconnecting
 *    after `reconnectDelayMs`; the new session resumes from the last sample the device holds.
 *
 * Nothing here keeps a timer of its own; time comes from the rxjs scheduler, so the marble
 * tests run all of it in virtual time.
 */
import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  finalize,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  Observable,
  of,
  range,
  retry,
  share,
  switchMap,
  take,
  takeUntil,
  tap,
  throwError,
  timeout,
  timer,
  toArray,
  Subject,
  type Subscription,
} from 'rxjs';
import {
  ackMissing,
  asciiText,
  COMMANDS,
  encodeFrame,
  errorName,
  imageDigest,
  isFault,
  NO_LABEL,
  NO_PREVIOUS,
  seqDiff,
  SEQ_MODULUS,
  WEIGHTS_CHUNK_BYTES,
  type Frame,
  type FrameFault,
} from '../io/protocol';
import { decodeFrames } from './frames';

/** A serial port as the host sees it. `data$` completes or errors when the port goes away. */
export interface HostPort {
  data$: Observable<Uint8Array>;
  write(bytes: Uint8Array): void;
  close(): void;
}

/** One sample as it goes on the wire: the sample frame's tail (packed bits or readings) and its label. */
export interface WireSample {
  data: Uint8Array;
  label: number;
}

export interface HostConfig {
  board: string;
  mode: 'train' | 'infer';
  /** 0 spike bits, 1 accelerometer readings. */
  encoding: number;
  sizes: { input: number; hidden: number; output: number };
  seed: number;
  /** The samples, by index (pulled as the window lets them go). */
  sample(i: number): WireSample;
  count: number;
  window: number;
  timeoutMs: number;
  /** Baud rate of the line, for the transmit queue (absent: frames go to the port at once). */
  lineBaud?: number;
  /** With lineBaud: how many ms of bytes the host keeps ahead of the line. */
  aheadMs?: number;
  /** The least time in which an answer to a frame can come back (a garbled-frame error sooner than this is not about it). */
  answerMs?: number;
  maxRetries: number;
  /** Reconnect attempts after a lost port or a device restart before giving up. */
  maxReconnects: number;
  reconnectDelayMs: number;
  /** After the samples: fetch the device's counters. */
  fetchCounters: boolean;
  /** After the samples: 'digest' fetches the image's length and CRC, 'bytes' the whole image. */
  fetchWeights: 'none' | 'digest' | 'bytes';
  /** Session number of the first session (later ones count up from it). */
  session?: number;
}

export interface HostStats {
  /** Sample frames sent for the first time. */
  sent: number;
  /** Samples whose result (or a cumulative acknowledgement) came back. */
  acknowledged: number;
  /** Frames of any kind sent again. */
  retransmitted: number;
  fastRetransmits: number;
  timeouts: number;
  /** Samples given up on (never acknowledged). */
  lost: number;
  /** Replies that arrived for a frame already answered. */
  duplicateReplies: number;
  /** Samples acknowledged by a cumulative ack whose own result never arrived. */
  resultsLost: number;
  /** Samples sent again after a restart because the device no longer held them. */
  relearned: number;
  /** Samples acknowledged, then learned again by the device (must stay 0). */
  learnedTwice: number;
  correct: number;
  /** Undecodable frames received by the host, by error name. */
  faults: Record<string, number>;
  /** Error frames received from the device, by error name. */
  deviceErrors: Record<string, number>;
  restarts: number;
  /** The device's samplesTrained when the run began (train mode; -1 before the first session). */
  baseTrained: number;
  /** Bytes written and received by the host. */
  bytesOut: number;
  bytesIn: number;
}

export interface DeviceHello {
  board: string;
  mode: number;
  encoding: number;
  sizes: { input: number; hidden: number; output: number };
  samplesTrained: number;
  seed: number;
  window: number;
}

export type HostEvent =
  | { kind: 'session'; session: number; device: DeviceHello; resumeFrom: number }
  | { kind: 'result'; sample: number; label: number; predicted: number; correct: boolean; deviceIndex: number }
  | { kind: 'fault'; message: string }
  | { kind: 'device-error'; error: string; detail: number }
  | { kind: 'restart'; reason: string }
  | { kind: 'counters'; names: string[]; values: number[] }
  | { kind: 'weights'; total: number; crc: number; bytes: Uint8Array | null };

/** The session ended because the device restarted or the port went away; the host reconnects. */
export class LinkInterrupted extends Error {
  constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, LinkInterrupted.prototype);
    this.name = 'LinkInterrupted';
  }
}

/** The device answered the hello with something this host cannot use (sizes, board, mode). */
export class SessionRefused extends Error {
  constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, SessionRefused.prototype);
    this.name = 'SessionRefused';
  }
}

class Resend extends Error {
  constructor(readonly fast: boolean) {
    super(fast ? 'reported missing' : 'timeout');
  }
}

export function emptyStats(): HostStats {
  return {
    sent: 0,
    acknowledged: 0,
    retransmitted: 0,
    fastRetransmits: 0,
    timeouts: 0,
    lost: 0,
    duplicateReplies: 0,
    resultsLost: 0,
    relearned: 0,
    learnedTwice: 0,
    correct: 0,
    faults: {},
    deviceErrors: {},
    restarts: 0,
    baseTrained: -1,
    bytesOut: 0,
    bytesIn: 0,
  };
}

function ackOf(f: Frame): number | null {
  if (f.type === 'result' || f.type === 'ack' || f.type === 'error') return f.body.ack;
  return null;
}

/**
 * Runs a host: sessions on ports from `connect` until every sample is acknowledged and the
 * counters and weights asked for are fetched. Emits events as they happen; `stats` is filled
 * in as it goes (read it after completion).
 */
export function runHost(connect: () => HostPort, cfg: HostConfig, stats: HostStats = emptyStats()): Observable<HostEvent> {
  // what survives a session: which samples are done, and where the device's count began
  const done = new Uint8Array(cfg.count);
  const results: Array<{ deviceIndex: number } | null> = new Array(cfg.count).fill(null);
  let base = -1; // device samplesTrained at the first session (train mode)
  let session = (cfg.session ?? 1) % SEQ_MODULUS || 1;

  const contiguousDone = () => {
    let k = 0;
    while (k < cfg.count && done[k] === 1) k++;
    return k;
  };

  const oneSession = defer(() => {
    const port = connect();
    const thisSession = session;
    session = (session % (SEQ_MODULUS - 1)) + 1;
    const stop = new Subject<void>();
    const incoming$ = concat(
      port.data$.pipe(tap((b) => (stats.bytesIn += b.length))),
      throwError(() => new LinkInterrupted('the port closed')),
    ).pipe(decodeFrames(), takeUntil(stop), share());
    /**
     * The transmit queue. Without `lineBaud` every frame goes to the port at once. With it,
     * the host keeps no more than `aheadMs` of bytes ahead of the line and sends frames sent
     * again before new ones, so a retransmission does not wait behind a window of new frames
     * in the line's buffer. (One scheduler action, rescheduled while frames wait.)
     */
    const urgent: Uint8Array[] = [];
    const normal: Uint8Array[] = [];
    let lineFreeAt = 0;
    let pumping: Subscription | null = null;
    const msPerByte = cfg.lineBaud ? (1000 * 10) / cfg.lineBaud : 0;
    const aheadMs = cfg.aheadMs ?? 0;
    const pump = () => {
      pumping = null;
      for (;;) {
        const now = asyncScheduler.now();
        const next = urgent.length > 0 ? urgent.shift()! : normal.shift();
        if (next === undefined) return;
        stats.bytesOut += next.length;
        port.write(next);
        lineFreeAt = Math.max(now, lineFreeAt) + next.length * msPerByte;
        if (urgent.length + normal.length > 0 && lineFreeAt - now > aheadMs) {
          pumping = asyncScheduler.schedule(pump, lineFreeAt - aheadMs - now);
          return;
        }
      }
    };
    const write = (bytes: Uint8Array, again = false) => {
      if (msPerByte === 0) {
        stats.bytesOut += bytes.length;
        port.write(bytes);
        return;
      }
      (again ? urgent : normal).push(bytes);
      if (pumping === null) pump();
    };
    const frames$ = incoming$.pipe(
      filter((x): x is Frame => !isFault(x)),
      tap((f) => {
        const a = ackOf(f);
        // (only forward: a late duplicate of an old answer says nothing new)
        if (a !== null && seqDiff(a, deviceExpected) > 0) deviceExpected = a;
      }),
      share(),
    );

    // faults and device errors are reported as events; a restart ends the session
    const watch$ = incoming$.pipe(
      mergeMap((x): Observable<HostEvent> => {
        if (isFault(x)) {
          stats.faults[x.error] = (stats.faults[x.error] ?? 0) + 1;
          return of({ kind: 'fault', message: x.message });
        }
        if (x.type === 'error') {
          const name = errorName(x.body.code) ?? `code-${x.body.code}`;
          stats.deviceErrors[name] = (stats.deviceErrors[name] ?? 0) + 1;
          if (name === 'no-session') return throwError(() => new LinkInterrupted('the device has no session (it restarted)'));
          return of({ kind: 'device-error', error: name, detail: x.body.detail });
        }
        // a device announces itself with session 0 when it starts; once this session is open,
        // that means it restarted. (Answers to earlier sessions' hellos are stale: ignored.)
        if (x.type === 'hello' && x.body.role === 1 && x.body.session === 0 && established) {
          return throwError(() => new LinkInterrupted('the device restarted (it said hello)'));
        }
        return EMPTY;
      }),
    );

    let established = false;
    /** The next seq the device expects, as its latest frame said. */
    let deviceExpected = 0;
    let seq = 0;
    let txCount = 0;
    const txOrder = new Map<number, number>();

    /**
     * Sends sequenced frame `bytesOf(seq)` until its reply arrives: `null` when the device
     * says it is done but its reply is gone.
     */
    /**
     * Sends sequenced frame `bytesOf(seq)` until its reply arrives: `null` when the device
     * says it is done but its reply is gone. When it is sent again:
     *  - at once, when the device reports it missing (an ack naming a frame sent after this
     *    one's latest copy, whose held bits lack this one), or reports it done while its
     *    reply never came (a later result, sent after this one's latest copy);
     *  - at once, when the device expects this frame, nothing was sent after it, and the
     *    device answers a garbled frame that arrived after this one's copy could have;
     *  - when the device has been silent for timeoutMs and expects this frame (frames ahead of
     *    it wait: the device carries them out in order and reports their gaps itself).
     */
    const reliable = (bytesOf: (seq: number) => Uint8Array, isReply: (f: Frame, s: number) => boolean, recoverable = false): Observable<Frame | null> =>
      defer(() => {
        const s = seq;
        seq = (seq + 1) % SEQ_MODULUS;
        const bytes = bytesOf(s);
        let attempts = 0;
        let lastTx = 0;
        let lastTxAt = 0;
        const sentAfterUs = (other: number) => (txOrder.get(other) ?? -1) > lastTx;
        const send = () => {
          if (attempts > 0) stats.retransmitted++;
          attempts++;
          lastTx = txCount++;
          lastTxAt = asyncScheduler.now();
          txOrder.set(s, lastTx);
          write(bytes, attempts > 1);
        };
        const classify = (f: Frame): Frame | null | 'progress' => {
          if (isReply(f, s)) return f;
          const a = ackOf(f);
          if (a === null) return 'progress';
          if (f.type === 'ack' && f.body.got === s && seqDiff(a, s) > 0) return null; // done, reply not cached
          // the next sample's result repeats this one's prediction
          if (recoverable && f.type === 'result' && f.seq === (s + 1) % SEQ_MODULUS && f.body.previous !== NO_PREVIOUS) {
            const b = f.body;
            return { type: 'result', seq: s, body: { ack: b.ack, index: b.index - 1, label: NO_LABEL, predicted: b.previous, previous: NO_PREVIOUS }, tail: f.tail } as Frame;
          }
          // selective repeat: an ack for a frame held ahead of `ack`, sent after this one's
          // latest copy, whose held bits lack this frame (the line keeps order: the copy was lost)
          if (f.type === 'ack' && f.body.got !== s && seqDiff(f.body.got, a) > 0 && sentAfterUs(f.body.got) && ackMissing(f.body, s)) throw new Resend(true);
          if (f.type === 'result' && seqDiff(a, s) > 0 && sentAfterUs(f.seq)) throw new Resend(true);
          // a garbled frame while the device expects this one and nothing was sent after it
          // (no later frame's ack will name the gap)
          if (f.type === 'error' && a === s && lastTx === txCount - 1 && asyncScheduler.now() - lastTxAt >= (cfg.answerMs ?? 0)) throw new Resend(true);
          return 'progress';
        };
        // waits for the reply; on silence, sends again only if the device expects this frame
        let silences = 0;
        const oldestInFlight = () => {
          for (const other of txOrder.keys()) if (seqDiff(other, s) < 0) return false;
          return true;
        };
        const wait = (): Observable<Frame | null> =>
          frames$.pipe(
            map(classify),
            timeout({
              each: cfg.timeoutMs,
              with: () => {
                silences++;
                const due = seqDiff(s, deviceExpected) <= 0 || oldestInFlight() || silences % 8 === 0;
                return due ? throwError(() => new Resend(false)) : wait();
              },
            }),
            filter((v): v is Frame | null => v !== 'progress'),
            take(1),
          );
        return defer(() => {
          send();
          return wait();
        }).pipe(
          retry({
            count: cfg.maxRetries,
            delay: (e: unknown) => {
              if (!(e instanceof Resend)) return throwError(() => e);
              if (e.fast) stats.fastRetransmits++;
              else stats.timeouts++;
              return of(0);
            },
          }),
          finalize(() => txOrder.delete(s)),
        );
      }).pipe(
        // a frame that never gets through ends the session: the port or the device is gone
        catchError((e: unknown) =>
          throwError(() => (e instanceof Resend ? new LinkInterrupted(`no answer after ${cfg.maxRetries + 1} attempts`) : e)),
        ),
      );

    const hello$ = defer(() => {
      const bytes = encodeFrame('hello', 0, {
        session: thisSession,
        role: 0,
        mode: cfg.mode === 'train' ? 0 : 1,
        encoding: cfg.encoding,
        input: cfg.sizes.input,
        hidden: cfg.sizes.hidden,
        output: cfg.sizes.output,
        samplesTrained: 0,
        seed: cfg.seed,
        window: cfg.window,
      }, Uint8Array.from(cfg.board, (c) => c.charCodeAt(0) & 0x7f));
      let attempts = 0;
      return defer(() => {
        if (attempts++ > 0) stats.retransmitted++;
        write(bytes);
        return frames$.pipe(
          filter((f) => f.type === 'hello' && f.body.role === 1 && f.body.session === thisSession),
          take(1),
          // the device may build its network before it answers the first hello
          timeout({ first: 4 * cfg.timeoutMs, with: () => throwError(() => new Resend(false)) }),
        );
      }).pipe(
        retry({ count: cfg.maxRetries, delay: () => of(0) }),
        catchError(() => throwError(() => new LinkInterrupted(`no hello from the device after ${cfg.maxRetries + 1} attempts`))),
        map((f) => {
          const b = (f as Extract<Frame, { type: 'hello' }>).body;
          established = true;
          const device: DeviceHello = {
            board: asciiText(f.tail),
            mode: b.mode,
            encoding: b.encoding,
            sizes: { input: b.input, hidden: b.hidden, output: b.output },
            samplesTrained: b.samplesTrained,
            seed: b.seed,
            window: b.window,
          };
          return device;
        }),
      );
    });

    const body$ = hello$.pipe(
      switchMap((device): Observable<HostEvent> => {
        const s = cfg.sizes;
        if (device.sizes.input !== s.input || device.sizes.hidden !== s.hidden || device.sizes.output !== s.output) {
          return throwError(
            () =>
              new SessionRefused(
                `the device runs a ${device.sizes.input}-${device.sizes.hidden}-${device.sizes.output} network, the host streams for ${s.input}-${s.hidden}-${s.output}`,
              ),
          );
        }
        if (device.encoding !== cfg.encoding || device.mode !== (cfg.mode === 'train' ? 0 : 1)) {
          return throwError(() => new SessionRefused(`the device refused mode ${cfg.mode} with encoding ${cfg.encoding}`));
        }
        const window = Math.max(1, Math.min(cfg.window, device.window));
        // where to resume: the device holds samples [0, held) of this run
        let resume = contiguousDone();
        if (cfg.mode === 'train') {
          if (base < 0) base = stats.baseTrained = device.samplesTrained;
          const held = device.samplesTrained - base;
          if (held < 0 || held > cfg.count) {
            return throwError(() => new SessionRefused(`the device holds ${device.samplesTrained} trained samples, this run began at ${base}`));
          }
          for (let i = held; i < cfg.count; i++) {
            if (done[i] === 1) {
              done[i] = 0;
              stats.relearned++;
              stats.acknowledged--;
            }
          }
          for (let i = 0; i < held; i++) {
            if (done[i] === 0) {
              done[i] = 1;
              stats.acknowledged++;
              stats.resultsLost++;
            }
          }
          resume = held;
        }
        const sessionEvent: HostEvent = { kind: 'session', session: thisSession, device, resumeFrom: resume };

        const samples$ = range(resume, cfg.count - resume).pipe(
          mergeMap((i) => {
            const ws = cfg.sample(i);
            let first = true;
            return reliable(
              (sq) => {
                if (first) stats.sent++;
                first = false;
                return encodeFrame('sample', sq, { label: ws.label }, ws.data);
              },
              (f, sq) => f.type === 'result' && f.seq === sq,
              true,
            ).pipe(
              map((f): HostEvent | null => {
                if (done[i] === 1) {
                  stats.duplicateReplies++;
                  return null;
                }
                done[i] = 1;
                stats.acknowledged++;
                if (f === null) {
                  stats.resultsLost++;
                  return null;
                }
                const r = (f as Extract<Frame, { type: 'result' }>).body;
                const prev = results[i];
                if (prev !== null && cfg.mode === 'train') stats.learnedTwice++;
                results[i] = { deviceIndex: r.index };
                const predicted = r.predicted === NO_LABEL ? -1 : r.predicted;
                const correct = ws.label !== NO_LABEL && predicted === ws.label;
                if (correct) stats.correct++;
                return { kind: 'result', sample: i, label: ws.label, predicted, correct, deviceIndex: r.index };
              }),
              filter((e): e is HostEvent => e !== null),
            );
          }, window),
        );

        const command = (code: number, arg: number) =>
          reliable(
            (sq) => encodeFrame('command', sq, { code, arg }),
            (f, sq) => (f.type === 'weights' || f.type === 'counters' || f.type === 'error' || f.type === 'ack') && f.seq === sq,
          );

        const counters$: Observable<HostEvent> = !cfg.fetchCounters
          ? EMPTY
          : command(COMMANDS.counters, 0).pipe(
              switchMap((f0) => {
                if (f0 === null || f0.type !== 'counters') return of<Frame[]>([]);
                const total = f0.body.total;
                return concat(
                  of(f0),
                  range(1, total - 1).pipe(mergeMap((k) => command(COMMANDS.counters, k), window)),
                ).pipe(
                  filter((f): f is Frame => f !== null),
                  toArray(),
                );
              }),
              map((list) => {
                const sorted = list.filter((f) => f.type === 'counters').sort((a, b) => (a.body as { index: number }).index - (b.body as { index: number }).index);
                return {
                  kind: 'counters' as const,
                  names: sorted.map((f) => asciiText(f.tail)),
                  values: sorted.map((f) => {
                    const b = f.body as { hi: number; lo: number };
                    return b.hi * 4294967296 + b.lo;
                  }),
                };
              }),
            );

        const weights$: Observable<HostEvent> =
          cfg.fetchWeights === 'none'
            ? EMPTY
            : command(COMMANDS.snapshot, 0xffffffff).pipe(
                switchMap((d) => {
                  if (d === null || d.type !== 'weights') return throwError(() => new LinkInterrupted('no weight digest'));
                  const { total, crc } = d.body;
                  if (cfg.fetchWeights === 'digest') return of<HostEvent>({ kind: 'weights', total, crc, bytes: null });
                  const image = new Uint8Array(total);
                  const chunks = Math.ceil(total / WEIGHTS_CHUNK_BYTES);
                  const have = new Uint8Array(chunks);
                  // asks for every chunk not yet received (a reply the device no longer holds
                  // is asked for again, with a new command), until the image is whole
                  const pass = (): Observable<HostEvent> =>
                    defer(() => {
                      const missing: number[] = [];
                      for (let k = 0; k < chunks; k++) if (have[k] === 0) missing.push(k);
                      if (missing.length === 0) {
                        if (imageDigest(image) !== crc) return throwError(() => new LinkInterrupted('the weight image does not match its digest'));
                        return of<HostEvent>({ kind: 'weights', total, crc, bytes: image });
                      }
                      return from(missing).pipe(
                        mergeMap((k) => command(COMMANDS.snapshot, k * WEIGHTS_CHUNK_BYTES), window),
                        tap((f) => {
                          if (f === null || f.type !== 'weights' || f.body.total !== total) return;
                          image.set(f.tail, f.body.offset);
                          have[Math.floor(f.body.offset / WEIGHTS_CHUNK_BYTES)] = 1;
                        }),
                        ignoreElements(),
                        (src) => concat(src, pass()),
                      );
                    });
                  return pass();
                }),
              );

        return concat(of(sessionEvent), samples$, counters$, weights$);
      }),
    );

    // the session ends when its work is done; the watcher ends with it
    const workDone = new Subject<void>();
    return merge(body$.pipe(tap({ complete: () => workDone.next() })), watch$.pipe(takeUntil(workDone))).pipe(
      finalize(() => {
        stop.next();
        if (pumping !== null) (pumping as Subscription).unsubscribe();
        port.close();
      }),
    );
  });

  return defer(() => {
    const restartNotes = new Subject<HostEvent>();
    const finish = () => {
      stats.lost = cfg.count - contiguousDone();
      restartNotes.complete();
    };
    const sessions$ = oneSession.pipe(
      retry({
        count: cfg.maxReconnects,
        resetOnSuccess: true,
        delay: (e: unknown) => {
          if (!(e instanceof LinkInterrupted)) return throwError(() => e);
          stats.restarts++;
          restartNotes.next({ kind: 'restart', reason: e.message });
          return timer(cfg.reconnectDelayMs);
        },
      }),
      tap({ complete: finish, error: finish }),
    );
    return merge(restartNotes, sessions$);
  });
}
