import type { ObjectStore, UploadedPart } from '../storage/object-store.ts';
import { cancellationError, childAbortController } from '../errors/cancellation.ts';
import type { Part } from './chunker.ts';
import { retryWithBackoff, type RetryPolicy } from './retry.ts';

export interface PartUploadOptions {
  readonly store: ObjectStore;
  readonly key: string;
  readonly uploadId: string;
  /** Parts in order; pulled only when a slot in the window is free. */
  readonly parts: AsyncIterator<Part>;
  /** Parts in flight at most. */
  readonly concurrency: number;
  readonly retryPolicy: RetryPolicy;
  readonly signal?: AbortSignal | undefined;
  /** Called in part order as each part is taken from the source, before it is sent. */
  readonly onPartTaken?: ((part: Part) => void) | undefined;
  /** Called once per part when storage acknowledged it or it was given up; the part's bytes may be freed. */
  readonly onPartSettled?: ((part: Part, stored: boolean) => void) | undefined;
  /** Called before a part is sent again after a transient fault. */
  readonly onPartRetry?: ((partNumber: number, attempt: number) => void) | undefined;
  /** Called when storage acknowledged a part, with its ETag (before `onPartSettled`). */
  readonly onPartUploaded?: ((uploaded: UploadedPart) => void) | undefined;
  /**
   * When the source fails (the client went away): `abort` (default) stops the parts in flight at
   * once; `settle` lets them finish, so everything already read is stored (a paused upload keeps it).
   */
  readonly onSourceError?: 'abort' | 'settle' | undefined;
}

/**
 * Uploads parts through a window of `concurrency` requests. A slot is taken before the next part is
 * pulled, so the source is held back while the window is full and at most `concurrency` parts plus
 * the one being filled are in memory.
 *
 * Each part is retried with backoff on transient faults. The first failure that survives its retries
 * stops the pulling and aborts the sibling requests; every request is waited for before this
 * returns, then that first error is thrown. Resolves with every part, in ascending order.
 */
export async function uploadParts(options: PartUploadOptions): Promise<UploadedPart[]> {
  const { store, key, uploadId, parts, concurrency } = options;
  const { controller, dispose } = childAbortController(options.signal);
  const inFlight = new Set<Promise<void>>();
  const uploaded: UploadedPart[] = [];
  let failure: { error: unknown } | undefined;

  const fail = (error: unknown): void => {
    failure ??= { error };
    controller.abort(error);
  };

  const send = (part: Part): Promise<void> =>
    retryWithBackoff(
      () => store.uploadPart({ key, uploadId, partNumber: part.partNumber, body: part.data, signal: controller.signal }),
      {
        policy: options.retryPolicy,
        signal: controller.signal,
        onRetry: (_error, attempt) => options.onPartRetry?.(part.partNumber, attempt),
      },
    ).then(
      (stored) => {
        uploaded.push(stored);
        options.onPartUploaded?.(stored);
        options.onPartSettled?.(part, true);
      },
      (error: unknown) => {
        options.onPartSettled?.(part, false);
        fail(error);
      },
    );

  try {
    for (;;) {
      while (inFlight.size >= concurrency && failure === undefined) await Promise.race(inFlight);
      if (failure !== undefined || controller.signal.aborted) break;
      let next: IteratorResult<Part>;
      try {
        next = await parts.next();
      } catch (sourceError) {
        if (options.onSourceError !== 'settle') throw sourceError;
        failure ??= { error: sourceError };
        break;
      }
      if (next.done === true) break;
      options.onPartTaken?.(next.value);
      const task: Promise<void> = send(next.value).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  } catch (error) {
    fail(error);
  } finally {
    await Promise.allSettled(inFlight);
    dispose();
  }
  if (options.signal?.aborted === true) throw cancellationError(options.signal);
  if (failure !== undefined) throw failure.error;
  return uploaded.sort((a, b) => a.partNumber - b.partNumber);
}
