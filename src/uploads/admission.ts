import { VodError, isVodError } from '../errors/vod-error.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { filesOf, type IncomingFiles } from './incoming-files.ts';
import { interruptionOutcome } from './interruption.ts';
import { newRunControl, type RunControl } from './run-control.ts';

/** After the grace, how long interrupted uploads get to record their end and answer their clients. */
const INTERRUPT_SETTLE_MS = 15_000;

/**
 * The door of the upload service: takes uploads and resumes in while the instance accepts work,
 * keeps each call until it has answered, and on shutdown waits for them, then interrupts the rest.
 */
export class Admission {
  /** Every admitted upload call, from its first line to its answer: what a shutdown waits for. */
  readonly #admitted = new Map<Promise<UploadRecord>, RunControl>();
  #accepting = true;

  /** Runs an upload or a resume as admitted work, which a shutdown waits for (and interrupts). */
  async admit(request: IncomingFiles, start: (control: RunControl) => Promise<UploadRecord>): Promise<UploadRecord> {
    if (!this.#accepting) {
      // Nobody reads these files: their promises must not reject unhandled when the request ends.
      for (const file of filesOf(request)) file.catch(() => undefined);
      throw new VodError('ServiceUnavailable', 'This instance is shutting down and takes no new uploads; send the upload again.');
    }
    const control = newRunControl();
    const work = start(control).catch((error: unknown) => {
      // Interrupted before a record existed (still reading the first bytes): the answer says why.
      if (control.interruption !== undefined && !(isVodError(error) && error.uploadId !== undefined)) {
        throw control.interruption.reason;
      }
      throw error;
    });
    this.#admitted.set(work, control);
    try {
      return await work;
    } finally {
      this.#admitted.delete(work);
    }
  }

  /** Uploads admitted and not yet answered. */
  get inFlight(): number {
    return this.#admitted.size;
  }

  /**
   * Takes no new upload from now on, gives those in flight up to `graceMs` to finish, then
   * interrupts the rest (each decides through its RunControl whether it pauses or ends). Resolves
   * once every admitted upload has answered (or a bounded wait for that ran out).
   */
  async drain(graceMs: number, options: { readonly hurry?: AbortSignal } = {}): Promise<{ finished: number; interrupted: number }> {
    this.#accepting = false;
    const initial = this.#admitted.size;
    if (initial > 0) await settledWithin([...this.#admitted.keys()], graceMs, options.hurry);
    const outcome = interruptionOutcome('shutdown');
    const remaining = [...this.#admitted.entries()];
    for (const [, control] of remaining) control.interrupt(outcome);
    if (remaining.length > 0) await settledWithin(remaining.map(([work]) => work), INTERRUPT_SETTLE_MS);
    return { finished: initial - remaining.length, interrupted: remaining.length };
  }
}

/** Resolves when every promise has settled, or after `ms` (or when `hurry` aborts), whichever is first. */
async function settledWithin(work: ReadonlyArray<Promise<unknown>>, ms: number, hurry?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onHurry: (() => void) | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    onHurry = resolve;
    hurry?.addEventListener('abort', onHurry, { once: true });
  });
  try {
    await Promise.race([Promise.allSettled(work), deadline]);
  } finally {
    clearTimeout(timer);
    if (onHurry !== undefined) hurry?.removeEventListener('abort', onHurry);
  }
}
