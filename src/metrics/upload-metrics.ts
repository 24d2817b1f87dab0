import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { UploadStatus } from '../domain/upload-record.ts';

/** The service's Prometheus metrics, in a registry of their own (one per app, so tests don't share). */
export class UploadMetrics {
  readonly registry = new Registry();
  readonly #uploads = new Counter({
    name: 'vod_ingest_uploads_total',
    help: 'Uploads that reached a terminal status, by status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: 'vod_ingest_errors_total',
    help: 'Failed uploads by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly #directUploads = new Counter({
    name: 'vod_ingest_direct_uploads_total',
    help: 'Direct uploads (createDirectUpload) by status: PENDING when created, then SUCCEEDED or FAILED.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly #bytesReceived = new Counter({
    name: 'vod_ingest_bytes_received_total',
    help: 'Bytes read from clients.',
    registers: [this.registry],
  });
  readonly #bytesStored = new Counter({
    name: 'vod_ingest_bytes_stored_total',
    help: 'Bytes acknowledged by object storage.',
    registers: [this.registry],
  });
  readonly #partRetries = new Counter({
    name: 'vod_ingest_part_retries_total',
    help: 'Part uploads sent again after a transient storage fault.',
    registers: [this.registry],
  });
  readonly #inFlight = new Gauge({
    name: 'vod_ingest_uploads_in_flight',
    help: 'Uploads running in this process.',
    registers: [this.registry],
  });

  readonly #eventsPulled = new Counter({
    name: 'vod_ingest_vod_events_pulled_total',
    help: 'VOD events received from PullEvents (redeliveries included).',
    registers: [this.registry],
  });
  readonly #eventsApplied = new Counter({
    name: 'vod_ingest_vod_events_applied_total',
    help: 'VOD events recorded for the first time, by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly #eventDuplicates = new Counter({
    name: 'vod_ingest_vod_events_duplicate_total',
    help: 'VOD events received again (redelivered or duplicated) and ignored, by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly #eventPullFailures = new Counter({
    name: 'vod_ingest_vod_event_pull_failures_total',
    help: 'PullEvents calls that failed (retried with backoff).',
    registers: [this.registry],
  });
  readonly #lastEventPoll = new Gauge({
    name: 'vod_ingest_vod_events_last_poll_timestamp_seconds',
    help: 'When a PullEvents call last succeeded (consumer lag: now minus this is how stale the event view may be).',
    registers: [this.registry],
  });
  readonly #processingOutcomes = new Counter({
    name: 'vod_ingest_processing_outcomes_total',
    help: 'Task flows (procedures) that ended, by outcome.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'vod_ingest_' });
  }

  uploadStarted(): void {
    this.#inFlight.inc();
  }

  uploadEnded(status: UploadStatus, errorCode?: string): void {
    this.#inFlight.dec();
    this.#uploads.inc({ status });
    if (errorCode !== undefined) this.#errors.inc({ code: errorCode });
  }

  /** A direct upload was created (PENDING) or reached a terminal status. */
  directUpload(status: 'PENDING' | 'SUCCEEDED' | 'FAILED', errorCode?: string): void {
    this.#directUploads.inc({ status });
    if (errorCode !== undefined) this.#errors.inc({ code: errorCode });
  }

  bytesMoved(received: number, stored: number): void {
    if (received > 0) this.#bytesReceived.inc(received);
    if (stored > 0) this.#bytesStored.inc(stored);
  }

  partRetried(): void {
    this.#partRetries.inc();
  }

  eventsPulled(count: number): void {
    this.#lastEventPoll.set(Date.now() / 1000);
    if (count > 0) this.#eventsPulled.inc(count);
  }

  eventApplied(type: string, processingOutcome: 'SUCCEEDED' | 'FAILED' | undefined): void {
    this.#eventsApplied.inc({ type });
    if (processingOutcome !== undefined) this.#processingOutcomes.inc({ status: processingOutcome });
  }

  eventDuplicate(type: string): void {
    this.#eventDuplicates.inc({ type });
  }

  eventPullFailed(): void {
    this.#eventPullFailures.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
