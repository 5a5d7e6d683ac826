/**
 * The clients' watches, recorded for watch-delivery.ts:
 * - anchors: prefix watches over c/ from revision 1 that live the whole run (their events are the
 *   complete history the read checker replays); each is a chain of watches, a new one resuming
 *   where the lost one stopped;
 * - roaming: key or prefix watches from past revisions (some below the compaction: refused, or
 *   canceled as compacted), each living a while;
 * A watch whose member crashes, restarts or ends it with an error other than COMPACTED is
 * re-created on another member from `reached + 1`, as an SDK resumes.
 */
import { ErrorCode } from '../../../client/protocol/error-codes.js';
import type * as P from '../../../client/protocol/index.js';
import type { ClientBackend, WatchHandle } from '../../../server/api/index.js';
import { exponential } from '../options.js';
import { CLIENT_PREFIX } from './client-options.js';
import type { ClientContext } from './client-context.js';
import { pairKey, randomRange } from './key-choice.js';
import { prefixEnd, type WatchRecord } from './record.js';
import { codeOf, compactRevisionOf, seenKv, watchReq } from './requests.js';

/** An anchor watch and its resumptions: the next revision the chain needs. */
interface AnchorChain {
  next: number;
}

interface LiveWatch {
  readonly record: WatchRecord;
  /** For an anchor watch: its chain (the watch and the ones resuming it). */
  readonly chain: AnchorChain | undefined;
  readonly backend: ClientBackend;
  handle?: WatchHandle;
  /** Superseded (lost and resumed elsewhere, canceled, ended): its sink ignores what follows. */
  done: boolean;
  expiresAtMs: number;
}

export class Watches {
  private readonly live = new Set<LiveWatch>();
  private readonly anchors: AnchorChain[] = [];
  private nextWatchId = 1;

  constructor(
    private readonly cx: ClientContext,
    /** The highest revision compacted so far (roaming watches start around it). */
    private readonly compacted: () => number,
  ) {}

  startAnchors(): void {
    for (let i = 0; i < this.cx.o.anchorWatches; i++) {
      const chain: AnchorChain = { next: 1 };
      this.anchors.push(chain);
      this.start(CLIENT_PREFIX, prefixEnd(CLIENT_PREFIX), 1, chain);
    }
  }

  /** The lowest revision an anchor chain still needs (compaction must stay below it). */
  anchorsNeed(): number {
    return Math.min(...this.anchors.map((c) => c.next));
  }

  /** Resumes watches of crashed members, ends expired roaming ones, and maybe starts one. */
  sweep(): void {
    const cx = this.cx;
    for (const w of [...this.live]) {
      if (w.done) {
        this.live.delete(w);
        continue;
      }
      if (cx.host.backend(w.record.member) !== w.backend) this.lose(w, 'member crashed or restarted');
      else if (w.chain === undefined && cx.nowMs >= w.expiresAtMs) this.cancel(w);
    }
    if (cx.running && this.live.size < cx.o.anchorWatches + cx.o.roamingWatches && cx.random.chance(0.2))
      this.startRoaming();
  }

  /**
   * A prefix watch over everything on `member` from `startRevision`, far behind: it catches up from
   * the history while a compaction (compaction.ts) is on its way.
   */
  startBehind(member: number, startRevision: number): void {
    this.start(CLIENT_PREFIX, prefixEnd(CLIENT_PREFIX), startRevision, undefined, member);
  }

  private startRoaming(): void {
    const cx = this.cx;
    const member = cx.pickMember();
    if (member === undefined) return;
    const current = cx.revisionAt(member) ?? 1;
    const lo = Math.max(1, this.compacted() - 3);
    const start = lo + cx.random.int(Math.max(1, current + 2 - lo));
    const [key, end] = cx.random.chance(0.5) ? randomRange(cx) : [pairKey(cx), ''];
    this.start(key, end, start, undefined, member);
  }

  private start(
    key: string,
    rangeEnd: string,
    startRevision: number,
    chain: AnchorChain | undefined,
    member = this.cx.pickMember(),
    resumes?: number,
  ): void {
    const cx = this.cx;
    if (member === undefined) {
      // Nobody is up: try again a little later (an anchor must not be lost).
      if (chain !== undefined || resumes !== undefined)
        cx.later(cx.o.sweepMs, 'client-watch', () =>
          this.start(key, rangeEnd, startRevision, chain, undefined, resumes),
        );
      return;
    }
    const backend = cx.host.backend(member)!;
    const record: WatchRecord = {
      id: this.nextWatchId++,
      client: 0,
      member,
      key,
      rangeEnd,
      startRevision,
      ...(resumes !== undefined ? { resumes } : {}),
      events: [],
      reached: startRevision - 1,
    };
    cx.record.watch(record);
    const lw: LiveWatch = {
      record,
      chain,
      backend,
      done: false,
      expiresAtMs: cx.nowMs + exponential(cx.random, cx.o.roamingLifeMeanMs),
    };
    this.live.add(lw);
    const sink = {
      events: (events: readonly P.WatchEvent[], revision: number): void => {
        if (lw.done) return;
        for (const e of events) record.events.push({ type: e.type, kv: seenKv(e.kv) });
        record.reached = Math.max(record.reached, revision);
        if (chain !== undefined) chain.next = Math.max(chain.next, record.reached + 1);
      },
      ended: (error: Error): void => {
        if (lw.done) return;
        const compactRevision = compactRevisionOf(error);
        if (codeOf(error) === ErrorCode.Compacted && compactRevision !== undefined) {
          lw.done = true;
          record.end = { kind: 'compacted', compactRevision, atMs: cx.nowMs };
          cx.note(member, `watch #${record.id} canceled: compacted at ${compactRevision}`);
        } else this.lose(lw, `ended: ${codeOf(error) ?? error.message}`);
      },
    };
    cx.note(member, `watch #${record.id} ${key} from ${startRevision}`);
    backend.watch(watchReq(key, rangeEnd, startRevision), sink, cx.watchIdentity).then(
      (handle) => {
        lw.handle = handle;
        if (lw.done) handle.cancel();
      },
      (error: unknown) => {
        if (lw.done) return;
        const compactRevision = compactRevisionOf(error);
        if (codeOf(error) === ErrorCode.Compacted && compactRevision !== undefined) {
          lw.done = true;
          record.end = { kind: 'refused-compacted', compactRevision, atMs: cx.nowMs };
        } else this.lose(lw, `refused: ${codeOf(error) ?? String(error)}`);
      },
    );
  }

  /** The watch's member is gone (or ended it): re-create it from reached+1 elsewhere, as an SDK does. */
  private lose(w: LiveWatch, reason: string): void {
    const cx = this.cx;
    if (w.done) return;
    w.done = true;
    w.handle?.cancel();
    w.record.end = { kind: 'lost', reason, atMs: cx.nowMs };
    const r = w.record;
    if (w.chain === undefined && !cx.running) return;
    cx.note(r.member, `watch #${r.id} lost (${reason}); resuming from ${r.reached + 1}`);
    cx.later(cx.o.sweepMs, 'client-watch', () =>
      this.start(r.key, r.rangeEnd, r.reached + 1, w.chain, cx.pickMember(r.member), r.id),
    );
  }

  private cancel(w: LiveWatch): void {
    w.done = true;
    w.handle?.cancel();
    w.record.end = { kind: 'canceled', atMs: this.cx.nowMs };
  }
}
