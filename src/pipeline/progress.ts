export type UploadPhase = 'applying' | 'uploading' | 'committing';
export type FileRole = 'MEDIA' | 'COVER' | 'SEGMENT';

export interface FileProgress {
  readonly role: FileRole;
  /** The media/cover file name, or the segment's path relative to the manifest. */
  readonly path: string;
  /** Bytes read from the source so far. */
  readonly bytesRead: number;
  /** Bytes storage has acknowledged so far. */
  readonly bytesStored: number;
  readonly done: boolean;
}

/** A snapshot of one upload; totals are sums over `files`. */
export interface UploadProgress {
  readonly phase: UploadPhase;
  readonly bytesRead: number;
  readonly bytesStored: number;
  readonly files: readonly FileProgress[];
}

export type ProgressListener = (progress: UploadProgress) => void;

interface MutableFileProgress {
  role: FileRole;
  path: string;
  bytesRead: number;
  bytesStored: number;
  done: boolean;
}

/**
 * Keeps the byte counters of one upload and reports snapshots: at once on a phase change and when
 * a file starts or ends, otherwise at most every `intervalMs` as bytes move; bytes that moved within
 * an interval are reported when it ends, even if nothing moves after them. `close()` ends that timer.
 */
export class ProgressTracker {
  #phase: UploadPhase = 'applying';
  readonly #files: MutableFileProgress[] = [];
  #lastReportAt = Number.NEGATIVE_INFINITY;
  /** A report held back by the interval, sent when the interval is over (so a stall shows the last bytes). */
  #trailing: NodeJS.Timeout | undefined;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  setPhase(phase: UploadPhase): void {
    this.#phase = phase;
    this.report(true);
  }

  /** Starts counting a file; returns the callbacks that count its bytes. */
  startFile(role: FileRole, path: string): FileCounter {
    const file: MutableFileProgress = { role, path, bytesRead: 0, bytesStored: 0, done: false };
    this.#files.push(file);
    this.report(true);
    return {
      read: (bytes) => {
        file.bytesRead += bytes;
        this.report(false);
      },
      stored: (bytes) => {
        file.bytesStored += bytes;
        this.report(false);
      },
      finish: () => {
        file.done = true;
        this.report(true);
      },
    };
  }

  snapshot(): UploadProgress {
    let bytesRead = 0;
    let bytesStored = 0;
    for (const file of this.#files) {
      bytesRead += file.bytesRead;
      bytesStored += file.bytesStored;
    }
    return { phase: this.#phase, bytesRead, bytesStored, files: this.#files.map((file) => ({ ...file })) };
  }

  /** Drops a held-back report; call when the upload is over, so no timer outlives it. */
  close(): void {
    clearTimeout(this.#trailing);
    this.#trailing = undefined;
  }

  private report(force: boolean): void {
    const listener = this.listener;
    if (listener === undefined) return;
    const now = this.now();
    const wait = this.intervalMs - (now - this.#lastReportAt);
    if (!force && wait > 0) {
      this.#trailing ??= setTimeout(() => {
        this.#trailing = undefined;
        this.report(true);
      }, wait).unref();
      return;
    }
    this.close();
    this.#lastReportAt = now;
    listener(this.snapshot());
  }
}

export interface FileCounter {
  readonly read: (bytes: number) => void;
  readonly stored: (bytes: number) => void;
  readonly finish: () => void;
}
