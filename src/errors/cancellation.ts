import { VodError, isVodError } from './vod-error.ts';

/**
 * The error a canceled upload ends with: the abort reason itself when it is a VodError (for example
 * `Interrupted` at shutdown), otherwise `RequestCanceled`.
 */
export function cancellationError(signal: AbortSignal): VodError {
  const reason: unknown = signal.reason;
  if (isVodError(reason)) return reason;
  return new VodError('RequestCanceled', 'The upload was canceled.', { cause: reason });
}

/** Throws the cancellation error when the signal has aborted. */
export function throwIfCanceled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancellationError(signal);
}

/**
 * A signal that aborts when the parent does or when `abort()` is called: lets a stage stop its own
 * in-flight work (say, sibling parts after one failed) without canceling the caller's signal.
 */
export function childAbortController(
  parent: AbortSignal | undefined,
): { readonly controller: AbortController; readonly dispose: () => void } {
  const controller = new AbortController();
  if (parent === undefined) return { controller, dispose: () => undefined };
  const forward = (): void => controller.abort(parent.reason);
  if (parent.aborted) forward();
  else parent.addEventListener('abort', forward, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', forward) };
}
