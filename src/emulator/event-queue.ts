/**
 * VOD's reliable-callback event queue (PullEvents / ConfirmEvents), one queue per SubAppId, kept on
 * disk so events survive a restart. An event pulled and not confirmed within `redeliverAfterMs` is
 * delivered again under a new handle; a handle is good for `handleTtlMs`; unconfirmed events are
 * dropped after `retentionMs`.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { JsonDir } from './json-dir.ts';
import { vodErrors } from './vod-errors.ts';

export interface EventTimings {
  /** How long PullEvents holds a request when nothing is pullable (VOD: 5 s). */
  readonly longPollMs: number;
  /** A pulled event not confirmed within this is delivered again (VOD: 30 s). */
  readonly redeliverAfterMs: number;
  /** A handle older than this is refused by ConfirmEvents (VOD: 30 s). */
  readonly handleTtlMs: number;
  /** Unconfirmed events older than this are dropped (VOD: 4 days). */
  readonly retentionMs: number;
  /** At most this many events per PullEvents answer (VOD: 16). */
  readonly maxPerPull: number;
}

export const DEFAULT_EVENT_TIMINGS: EventTimings = {
  longPollMs: 5_000,
  redeliverAfterMs: 30_000,
  handleTtlMs: 30_000,
  retentionMs: 4 * 24 * 3600 * 1000,
  maxPerPull: 16,
};

/** VOD's event types the emulator produces, and the EventContent field each one fills. */
export const EVENT_FIELDS = {
  NewFileUpload: 'FileUploadEvent',
  ProcedureStateChanged: 'ProcedureStateChangeEvent',
  FileDeleted: 'FileDeleteEvent',
} as const;
export type EventType = keyof typeof EVENT_FIELDS;

/** One queued event as stored (and as `state.events()` shows it). */
export interface QueuedEvent {
  readonly id: string;
  readonly seq: number;
  readonly subAppId: number;
  readonly eventType: EventType;
  /** The event body (FileUploadTask, ProcedureTask or FileDeleteTask). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** Pullable from this time on (delayed events, redelivery). */
  readonly visibleAt: number;
  /** The handle of the last delivery, if any; only it can confirm the event. */
  readonly handle?: string | undefined;
  readonly handleIssuedAt?: number | undefined;
  readonly deliveries: number;
}

/** An `EventContent` as PullEvents answers it. */
export type EventContent = Readonly<Record<string, unknown>>;

export interface PublishOptions {
  /** Copies of the event (VOD delivers at least once: 2 = a duplicate). */
  readonly copies?: number;
  /** Not pullable before this many milliseconds from now. */
  readonly delayMs?: number;
}

export class EventQueue {
  private readonly events = new Map<string, QueuedEvent>();
  private readonly dir: JsonDir<QueuedEvent>;
  private readonly waiters = new Set<() => void>();
  private nextSeq = 1;
  private closed = false;

  constructor(
    dataDir: string,
    readonly timings: EventTimings,
    private readonly now: () => number,
  ) {
    this.dir = new JsonDir(path.join(dataDir, 'vod', 'events'));
  }

  async load(): Promise<void> {
    await this.dir.init();
    for (const e of await this.dir.loadAll()) {
      this.events.set(e.id, e);
      this.nextSeq = Math.max(this.nextSeq, e.seq + 1);
    }
  }

  async publish(subAppId: number, eventType: EventType, body: Record<string, unknown>, options: PublishOptions = {}): Promise<void> {
    const createdAt = this.now();
    const visibleAt = createdAt + Math.max(0, options.delayMs ?? 0);
    const copies = Math.max(1, options.copies ?? 1);
    for (let i = 0; i < copies; i++) {
      const seq = this.nextSeq++;
      const event: QueuedEvent = { id: `e${seq}`, seq, subAppId, eventType, body, createdAt, visibleAt, deliveries: 0 };
      this.events.set(event.id, event);
      await this.dir.write(event.id, event);
    }
    this.notify();
  }

  /** Takes up to `maxPerPull` pullable events of `subAppId`, each under a new handle. Does not wait. */
  async pull(subAppId: number): Promise<EventContent[]> {
    const now = this.now();
    await this.dropExpired(now);
    const due = this.queued(subAppId)
      .filter((e) => e.visibleAt <= now)
      .slice(0, this.timings.maxPerPull)
      .map((e) => ({ ...e, handle: newHandle(), handleIssuedAt: now, visibleAt: now + this.timings.redeliverAfterMs, deliveries: e.deliveries + 1 }));
    for (const e of due) this.events.set(e.id, e);
    await Promise.all(due.map((e) => this.dir.write(e.id, e)));
    return due.map(toEventContent);
  }

  /** PullEvents: answers as soon as something is pullable, or with nothing after `longPollMs` (or at close). */
  async longPoll(subAppId: number): Promise<EventContent[]> {
    const deadline = this.now() + this.timings.longPollMs;
    for (;;) {
      const got = await this.pull(subAppId);
      const now = this.now();
      if (got.length > 0 || this.closed || now >= deadline) return got;
      const next = this.queued(subAppId).reduce((t, e) => Math.min(t, e.visibleAt), deadline);
      await this.waitForChange(Math.max(1, Math.min(deadline, next) - now));
    }
  }

  /** ConfirmEvents: every handle must be the current, unexpired handle of a queued event, or nothing is confirmed. */
  async confirm(subAppId: number, handles: readonly string[]): Promise<void> {
    const now = this.now();
    const byHandle = new Map(this.queued(subAppId).filter((e) => e.handle !== undefined).map((e) => [e.handle, e]));
    const confirmed = handles.map((h) => {
      const e = byHandle.get(h);
      if (e === undefined) throw vodErrors.eventHandle('unknown, confirmed or superseded');
      if (now - (e.handleIssuedAt ?? 0) > this.timings.handleTtlMs) throw vodErrors.eventHandle(`older than ${this.timings.handleTtlMs} ms`);
      return e;
    });
    for (const e of confirmed) this.events.delete(e.id);
    await Promise.all(confirmed.map((e) => this.dir.remove(e.id)));
  }

  /** Every queued event, oldest first (of one SubAppId when given). */
  list(subAppId?: number): QueuedEvent[] {
    return [...this.events.values()].filter((e) => subAppId === undefined || e.subAppId === subAppId).sort((a, b) => a.seq - b.seq);
  }

  /** Ends every held long poll now; later polls answer at once. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  private queued(subAppId: number): QueuedEvent[] {
    return this.list(subAppId);
  }

  private async dropExpired(now: number): Promise<void> {
    const expired = [...this.events.values()].filter((e) => e.createdAt + this.timings.retentionMs <= now);
    for (const e of expired) this.events.delete(e.id);
    await Promise.all(expired.map((e) => this.dir.remove(e.id)));
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

const newHandle = (): string => randomBytes(24).toString('base64url');

function toEventContent(e: QueuedEvent): EventContent {
  return { EventHandle: e.handle, EventType: e.eventType, [EVENT_FIELDS[e.eventType]]: e.body };
}
