import { VodError } from '../errors/vod-error.ts';
import { TERMINAL_STATUSES, type UploadRecord } from '../domain/upload-record.ts';
import { mustFind, type UploadServiceDependencies } from './service-dependencies.ts';
import { fromSnapshot, publishSnapshot, topicKey } from './upload-events.ts';

/** How long cancelUpload waits for the upload to settle before answering with what it has. */
const CANCEL_SETTLE_MS = 30_000;

/**
 * cancelUpload across instances: a paused upload is ended here; a running one is stopped by the
 * instance that runs it (this one, or another told through the pub/sub), and the answer waits for
 * its terminal snapshot.
 */
export class CancelFanout {
  /** Uploads running in this process, by topic key: how to cancel each. */
  readonly #running = new Map<string, () => void>();

  constructor(private readonly deps: UploadServiceDependencies) {}

  /** Makes a running upload cancelable from any instance; returns how to stop listening. */
  register(topic: string, cancel: () => void): () => void {
    const subscription = this.deps.pubsub.subscribe('uploadCancel', topic);
    const iterator = subscription[Symbol.asyncIterator]();
    iterator
      .next()
      .then((next) => {
        if (next.done !== true) cancel();
      })
      .catch(() => undefined);
    this.#running.set(topic, cancel);
    return () => {
      this.#running.delete(topic);
      void iterator.return?.();
    };
  }

  /** Cancels an in-flight or paused upload (on whichever instance runs it) and returns its record once settled. */
  async cancel(tenantId: string, id: string): Promise<UploadRecord> {
    const record = await this.deps.reader.find(tenantId, id);
    if (record === undefined) throw new VodError('ResourceNotFound', `No upload with id ${id}.`);
    if (TERMINAL_STATUSES.has(record.status)) return record;
    const key = { tenantId, id };
    if (record.status === 'PAUSED') {
      const ended = await this.deps.writer.endPaused(key, 'CANCELED', {
        code: 'RequestCanceled',
        message: 'The paused upload was canceled by cancelUpload.',
      });
      // Not PAUSED any more: a resume claimed it in between; cancel that run below.
      if (ended) {
        await this.deps.cleaner.run(key);
        const canceled = await mustFind(this.deps.reader, key);
        publishSnapshot(this.deps.pubsub, canceled);
        this.deps.metrics.uploadEnded('CANCELED', 'RequestCanceled');
        return canceled;
      }
    }
    const topic = topicKey(tenantId, id);
    const settled = this.waitForTerminal(topic);
    const cancelLocal = this.#running.get(topic);
    if (cancelLocal !== undefined) cancelLocal();
    else this.deps.pubsub.publish('uploadCancel', topic, { requestedAt: new Date().toISOString() });
    return (await settled) ?? mustFind(this.deps.reader, key);
  }

  private async waitForTerminal(topic: string): Promise<UploadRecord | undefined> {
    const subscription = this.deps.pubsub.subscribe('uploadProgress', topic);
    const timer = setTimeout(() => void subscription.return?.(), CANCEL_SETTLE_MS);
    try {
      for await (const snapshot of subscription) {
        if (TERMINAL_STATUSES.has(snapshot.status)) return fromSnapshot(snapshot);
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
