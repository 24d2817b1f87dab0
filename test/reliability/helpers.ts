import { randomBytes } from 'node:crypto';

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`
 * with `what` and the last probe error (conditions, never fixed sleeps, decide what a test sees).
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

/** A deterministic-enough random payload (the content does not matter, its size does). */
export function payload(bytes: number): Buffer {
  return randomBytes(bytes);
}

/**
 * A slow client body: `chunk`-sized pieces with `delayMs` between them; after `holdAfter` bytes it
 * stops sending until `release()` is called (or forever), so the upload stays in flight for as
 * long as the test needs without depending on timing.
 */
export function heldBytes(
  data: Buffer,
  options: { chunk: number; delayMs: number; holdAfter?: number },
): { content: () => AsyncIterable<Buffer>; release: () => void; sent: () => number } {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let sent = 0;
  return {
    content: async function* () {
      let held = false;
      for (let offset = 0; offset < data.length; offset += options.chunk) {
        if (!held && options.holdAfter !== undefined && offset >= options.holdAfter) {
          held = true;
          await released;
        }
        const piece = data.subarray(offset, offset + options.chunk);
        sent += piece.length;
        yield piece;
        if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      }
    },
    release: () => release(),
    sent: () => sent,
  };
}
