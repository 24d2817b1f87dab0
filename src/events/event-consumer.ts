import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadRepository } from '../db/upload-repository.ts';
import type { VodEventStore } from '../db/vod-event-store.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import { publishSnapshot, type UploadPubSub } from '../uploads/upload-events.ts';
import type { VodMediaApi } from '../vod/vod-media-api.ts';
import { eventTypeName, parseVodEvent, type VodEvent } from './vod-event.ts';

export interface EventConsumerDependencies {
  readonly api: VodMediaApi;
  readonly store: VodEventStore;
  readonly reader: UploadRepository;
  readonly pubsub: UploadPubSub;
  readonly metrics: UploadMetrics;
  readonly logger: Logger;
  /** The sub-applications whose events are pulled besides the primary application's. */
  readonly subAppIds: () => Promise<readonly number[]>;
  /** How often the list of sub-applications is looked at again (default 60 s). */
  readonly subAppRefreshMs?: number;
}

/** Backoff after a failed pull: 1 s doubling to 30 s. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_SUB_APP_REFRESH_MS = 60_000;

/**
 * Follows VOD's reliable-callback events: long-polls PullEvents (one loop per application), applies
 * each event to Postgres (VodEventStore: exactly once in effect), tells the uploads' subscribers,
 * and confirms only what was committed. An event that could not be recorded is not confirmed: VOD
 * delivers it again after 30 s. Runs on every instance: VOD hands an event to one puller at a time,
 * and one delivered to two (after a redelivery) is recognised by its key.
 */
export class VodEventConsumer {
  readonly #stop = new AbortController();
  readonly #loops = new Map<number | undefined, Promise<void>>();
  #refresh: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EventConsumerDependencies) {}

  start(): void {
    this.#startLoop(undefined);
    const refresh = () => {
      this.deps
        .subAppIds()
        .then((ids) => ids.forEach((id) => this.#startLoop(id)))
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not list the sub-applications to pull VOD events for'));
    };
    refresh();
    this.#refresh = setInterval(refresh, this.deps.subAppRefreshMs ?? DEFAULT_SUB_APP_REFRESH_MS).unref();
  }

  /** Stops pulling; a pull in flight is abandoned (its events come again), one being applied finishes. */
  async stop(): Promise<void> {
    clearInterval(this.#refresh);
    this.#stop.abort();
    await Promise.allSettled(this.#loops.values());
  }

  #startLoop(subAppId: number | undefined): void {
    if (this.#stop.signal.aborted || this.#loops.has(subAppId)) return;
    this.#loops.set(subAppId, this.#loop(subAppId));
  }

  async #loop(subAppId: number | undefined): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const pulled = await this.deps.api.pullEvents({ subAppId }, { signal });
        if (signal.aborted) return;
        await this.handle(pulled.events, subAppId);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        this.deps.metrics.eventPullFailed();
        this.deps.logger.warn({ err: error, subAppId, failures }, 'pulling VOD events failed; trying again');
        // Ends early (resolving) when the consumer stops.
        await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1)), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Applies one pull's events and confirms those now committed. */
  async handle(rawEvents: readonly unknown[], subAppId: number | undefined): Promise<void> {
    const { metrics, logger } = this.deps;
    metrics.eventsPulled(rawEvents.length);
    const handles: string[] = [];
    for (const raw of rawEvents) {
      const event = parseVodEvent(raw);
      try {
        const recorded = await this.deps.store.record(event, subAppId);
        if (recorded.duplicate) metrics.eventDuplicate(eventTypeName(event));
        else metrics.eventApplied(eventTypeName(event), processingOutcomeOf(event));
        if (recorded.completedDirect !== undefined) metrics.directUpload('SUCCEEDED');
        await this.#publish(recorded.changed);
        if (event.handle !== undefined) handles.push(event.handle);
      } catch (error) {
        // Not confirmed: VOD delivers it again.
        logger.error({ err: error, eventType: eventTypeName(event), subAppId }, 'could not apply a VOD event; it will be delivered again');
      }
    }
    await this.#confirm(handles, subAppId);
  }

  async #publish(changed: readonly UploadKey[]): Promise<void> {
    for (const key of changed) {
      const record = await this.deps.reader.find(key.tenantId, key.id);
      if (record !== undefined) publishSnapshot(this.deps.pubsub, record);
    }
  }

  /**
   * Confirms the handles; VOD refuses a whole call when one handle is stale (past 30 s), so a refused
   * batch is confirmed one by one (a stale one is simply delivered again, and recognised then).
   */
  async #confirm(handles: readonly string[], subAppId: number | undefined): Promise<void> {
    if (handles.length === 0) return;
    try {
      await this.deps.api.confirmEvents({ handles, subAppId });
      return;
    } catch (error) {
      if (handles.length === 1) {
        this.deps.logger.warn({ err: error, subAppId }, 'VOD refused to confirm an event; it will be delivered again');
        return;
      }
    }
    for (const handle of handles) await this.#confirm([handle], subAppId);
  }
}

function processingOutcomeOf(event: VodEvent): 'SUCCEEDED' | 'FAILED' | undefined {
  if (event.type !== 'ProcedureStateChanged' || event.outcome.state === 'PROCESSING') return undefined;
  return event.outcome.state;
}
