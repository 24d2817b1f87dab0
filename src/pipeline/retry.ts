import { isTransientError } from '../errors/transient-error.ts';

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  readonly attempts: number;
  /** Delay cap before the second attempt; doubles after each failure up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const PART_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 };
export const API_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 1_000 };

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal | undefined;
  /** Which failures deserve another attempt; transient errors by default. */
  readonly isRetryable?: (error: unknown) => boolean;
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `operation` until it succeeds, a failure is not retryable, the attempts run out or the signal
 * aborts. Waits between attempts with exponential backoff and full jitter. Rethrows the last error.
 */
export async function retryWithBackoff<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const isRetryable = options.isRetryable ?? isTransientError;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      const canRetry = attempt < options.policy.attempts && isRetryable(error) && !options.signal?.aborted;
      if (!canRetry) throw error;
      options.onRetry?.(error, attempt);
      await sleep(backoffDelayMs(options.policy, attempt), options.signal);
    }
  }
}

/** Full jitter: uniform in [0, min(max, base × 2^(attempt-1))]. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
