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
 * a file starts or ends, otherwise at most every `intervalMs` as bytes move. No timers: nothing
 * outlives the upload.
 */
export class ProgressTracker {
  #phase: UploadPhase = 'applying';
  readonly #files: MutableFileProgress[] = [];
  #lastReportAt = Number.NEGATIVE_INFINITY;

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

  private report(force: boolean): void {
    if (this.listener === undefined) return;
    const now = this.now();
    if (!force && now - this.#lastReportAt < this.intervalMs) return;
    this.#lastReportAt = now;
    this.listener(this.snapshot());
  }
}

export interface FileCounter {
  readonly read: (bytes: number) => void;
  readonly stored: (bytes: number) => void;
  readonly finish: () => void;
}
