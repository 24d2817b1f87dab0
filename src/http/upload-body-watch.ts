import type { IncomingMessage } from 'node:http';

export interface UploadBodyWatchOptions {
  /** How long the body may deliver fewer than `minBytes` while the server is reading it. */
  readonly idleMs: number;
  /** Bytes that count as progress within `idleMs` (at least one byte always does). */
  readonly minBytes: number;
  /** Called once when the body has been idle for `idleMs`. */
  readonly onIdle: () => void;
}

/**
 * Watches an upload's request body for a client that stops sending, or sends a trickle that
 * counts as nothing (a byte now and then). The clock runs only while the server is reading: when
 * the server holds the body back (storage or the memory budget is slower than the client, and the
 * request is paused), waiting is the server's doing, not the client's. So a slow upload that keeps
 * moving is never cut, and a silent one is, after `idleMs` of wanting bytes that do not come.
 *
 * Start it once the request is piped into its parser: a `data` listener on a request nobody reads
 * yet would switch it to flowing mode and lose bytes.
 */
export class UploadBodyWatch {
  readonly #req: IncomingMessage;
  readonly #options: UploadBodyWatchOptions;
  #timer: NodeJS.Timeout | undefined;
  #bytesInWindow = 0;
  #stopped = false;

  constructor(req: IncomingMessage, options: UploadBodyWatchOptions) {
    this.#req = req;
    this.#options = options;
  }

  start(): void {
    const req = this.#req;
    if (this.#stopped || req.complete || req.destroyed) return;
    req.on('data', this.#onData);
    req.on('pause', this.#onPause);
    req.on('resume', this.#onResume);
    req.once('end', this.stop);
    req.once('close', this.stop);
    if (!req.isPaused()) this.#openWindow();
  }

  readonly stop = (): void => {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const req = this.#req;
    req.off('data', this.#onData);
    req.off('pause', this.#onPause);
    req.off('resume', this.#onResume);
    req.off('end', this.stop);
    req.off('close', this.stop);
  };

  readonly #onData = (chunk: Buffer): void => {
    this.#bytesInWindow += chunk.length;
    // A chunk already on its way may be delivered just after the pause: it opens no window then.
    if (this.#bytesInWindow >= Math.max(1, this.#options.minBytes) && !this.#req.isPaused()) this.#openWindow();
  };

  readonly #onPause = (): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  };

  readonly #onResume = (): void => {
    if (!this.#stopped) this.#openWindow();
  };

  /** A fresh `idleMs` in which the client must deliver `minBytes`. */
  #openWindow(): void {
    this.#bytesInWindow = 0;
    if (this.#timer !== undefined) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped || this.#req.isPaused()) return;
      this.stop();
      this.#options.onIdle();
    }, this.#options.idleMs);
    this.#timer.unref();
  }
}
