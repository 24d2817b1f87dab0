import cliProgress from 'cli-progress';
import type { UploadEvent } from '../client/ingest-client.ts';
import type { MediaUpload, ProcessedUpload, UploadSnapshot } from '../client/ingest-types.ts';

/** How `vod-upload` reports an upload: a bar on a terminal, plain lines in a log, or JSON lines. */
export interface UploadDisplay {
  progress(snapshot: UploadSnapshot): void;
  event(event: UploadEvent): void;
  note(message: string): void;
  succeeded(record: MediaUpload): void;
  failed(failure: { code: string; message: string; uploadId?: string | undefined }): void;
}

type Write = (text: string) => void;

export function createDisplay(
  mode: 'json' | 'bar' | 'lines',
  output: { readonly stdout: Write; readonly stderr: Write; readonly stderrStream: NodeJS.WritableStream },
  totalBytes: number,
): UploadDisplay {
  switch (mode) {
    case 'json':
      return new JsonDisplay(output.stdout);
    case 'bar':
      return new BarDisplay(output, totalBytes);
    case 'lines':
      return new LineDisplay(output, totalBytes);
  }
}

/** One JSON object a line on stdout: progress snapshots, retries, then the final record or error. */
class JsonDisplay implements UploadDisplay {
  constructor(private readonly write: Write) {}

  progress(snapshot: UploadSnapshot): void {
    this.#line({ event: 'progress', ...snapshot });
  }

  event(event: UploadEvent): void {
    const { type, ...rest } = event;
    this.#line({ event: type, ...rest });
  }

  note(message: string): void {
    this.#line({ event: 'note', message });
  }

  succeeded(record: MediaUpload): void {
    this.#line({ event: 'result', upload: record });
  }

  failed(failure: { code: string; message: string; uploadId?: string | undefined }): void {
    this.#line({ event: 'error', ...failure });
  }

  #line(value: Record<string, unknown>): void {
    this.write(`${JSON.stringify(value)}\n`);
  }
}

/** Bytes a second over the last few seconds of snapshots. */
class RateMeter {
  readonly #samples: Array<{ at: number; bytes: number }> = [];

  add(bytes: number, at = performance.now()): number {
    const last = this.#samples.at(-1);
    if (last !== undefined && bytes < last.bytes) this.#samples.length = 0; // a restart counts afresh
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > 5000) this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? (bytes - first.bytes) / seconds : 0;
  }
}

/** A cli-progress bar on stderr: share sent, bytes sent and stored, rate, ETA. */
class BarDisplay implements UploadDisplay {
  readonly #bar: cliProgress.SingleBar;
  readonly #rate = new RateMeter();
  #started = false;

  constructor(
    private readonly output: { readonly stdout: Write; readonly stderr: Write; readonly stderrStream: NodeJS.WritableStream },
    private readonly totalBytes: number,
  ) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream: output.stderrStream,
        format: '{bar} {percentage}% | sent {sent} | stored {stored} | {rate} | ETA {eta_formatted} | {status}',
        hideCursor: true,
        fps: 5,
        etaBuffer: 30,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  progress(snapshot: UploadSnapshot): void {
    const payload = {
      sent: formatBytes(snapshot.bytesReceived),
      stored: formatBytes(snapshot.bytesUploaded),
      rate: `${formatBytes(this.#rate.add(snapshot.bytesReceived))}/s`,
      status: snapshot.status,
    };
    const total = Math.max(this.totalBytes, snapshot.bytesTotal ?? 0, 1);
    if (!this.#started) {
      this.#bar.start(total, snapshot.bytesReceived, payload);
      this.#started = true;
    } else {
      this.#bar.setTotal(total);
      this.#bar.update(snapshot.bytesReceived, payload);
    }
  }

  event(event: UploadEvent): void {
    this.note(describeEvent(event));
  }

  note(message: string): void {
    // cli-progress redraws its line; a message goes on a line of its own above it.
    if (this.#started) this.output.stderr('\n');
    this.output.stderr(`${message}\n`);
  }

  succeeded(record: MediaUpload): void {
    this.#stop();
    this.output.stdout(summary(record));
  }

  failed(failure: { code: string; message: string; uploadId?: string | undefined }): void {
    this.#stop();
    this.output.stderr(failureText(failure));
  }

  #stop(): void {
    if (this.#started) this.#bar.stop();
    this.#started = false;
  }
}

/** Plain lines on stderr for logs: at most one progress line a second, and every status change. */
class LineDisplay implements UploadDisplay {
  readonly #rate = new RateMeter();
  #lastLineAt = -Infinity;
  #lastStatus = '';

  constructor(
    private readonly output: { readonly stdout: Write; readonly stderr: Write },
    private readonly totalBytes: number,
  ) {}

  progress(snapshot: UploadSnapshot): void {
    const rate = this.#rate.add(snapshot.bytesReceived);
    const now = performance.now();
    if (snapshot.status === this.#lastStatus && now - this.#lastLineAt < 1000) return;
    this.#lastStatus = snapshot.status;
    this.#lastLineAt = now;
    const total = Math.max(this.totalBytes, snapshot.bytesTotal ?? 0);
    const share = total > 0 ? `${Math.floor((snapshot.bytesReceived / total) * 100)}%` : '?%';
    this.output.stderr(
      `${snapshot.status} ${share} sent ${formatBytes(snapshot.bytesReceived)} of ${formatBytes(total)}, stored ${formatBytes(snapshot.bytesUploaded)}, ${formatBytes(rate)}/s\n`,
    );
  }

  event(event: UploadEvent): void {
    this.note(describeEvent(event));
  }

  note(message: string): void {
    this.output.stderr(`${message}\n`);
  }

  succeeded(record: MediaUpload): void {
    this.output.stdout(summary(record));
  }

  failed(failure: { code: string; message: string; uploadId?: string | undefined }): void {
    this.output.stderr(failureText(failure));
  }
}

function describeEvent(event: UploadEvent): string {
  switch (event.type) {
    case 'retrying':
      return `Connection lost (${event.code}: ${event.message}); retry ${event.attempt} in ${(event.delayMs / 1000).toFixed(1)} s.`;
    case 'resuming':
      return `Resuming upload ${event.id} from byte ${event.offset}.`;
    case 'restarting':
      return `Upload ${event.previousId} cannot be resumed (${event.reason}); starting over as ${event.id}.`;
  }
}

function summary(record: MediaUpload | ProcessedUpload): string {
  const processing = 'processing' in record ? record.processing : undefined;
  return [
    `FileId: ${record.fileId ?? ''}`,
    `MediaUrl: ${record.mediaUrl ?? ''}`,
    `CoverUrl: ${record.coverUrl ?? ''}`,
    `RequestId: ${record.requestId ?? ''}`,
    `UploadId: ${record.id}`,
    ...(processing === undefined
      ? []
      : [
          `Processing: ${processing.status}${processing.error === null ? '' : ` (${processing.error.code}: ${processing.error.message})`}`,
          ...processing.outputs.map((output) => `Output: ${output.kind}${output.definition === null ? '' : ` ${output.definition}`} ${output.url}`),
        ]),
    '',
  ].join('\n');
}

function failureText(failure: { code: string; message: string; uploadId?: string | undefined }): string {
  return `vod-upload: ${failure.code}: ${failure.message}\n${failure.uploadId === undefined ? '' : `UploadId: ${failure.uploadId}\n`}`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
