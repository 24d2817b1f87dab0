import { addAbortSignal, type Readable } from 'node:stream';
import { VodError, isVodError } from '../errors/vod-error.ts';

/**
 * A file the pipeline reads exactly once. `open()` is called when the pipeline is ready to consume
 * the bytes, never earlier, so a caller whose sources arrive one after another (a GraphQL multipart
 * body) can hand over lazily. An error from the stream fails the upload with `RequestCanceled`
 * (the bytes never arrived) unless the stream fails with a VodError of its own (say LimitExceeded).
 */
export interface UploadSource {
  /**
   * The client's file name; gives the default media/cover type and media name. A file that arrives
   * late (a cover after the media in a multipart body) may have it only once `open()` has resolved.
   */
  readonly fileName?: string | undefined;
  open(): Readable | Promise<Readable>;
}

/** One file an HLS/DASH manifest references, by its path relative to the manifest. */
export interface SegmentSource extends UploadSource {
  readonly path: string;
}

/**
 * Random access to the files next to a manifest (a directory on disk): the pipeline asks only for
 * the files the manifest references, in discovery order. Used by the library door.
 */
export interface SegmentDirectory {
  readonly kind: 'directory';
  /** True when a regular file exists at this path relative to the manifest. */
  exists(relativePath: string): Promise<boolean>;
  open(relativePath: string): Readable | Promise<Readable>;
}

/**
 * How segments are supplied.
 *
 * A list (`SegmentSource[]`) is the streaming form, as a GraphQL multipart request delivers files:
 * strictly in body order, where an unconsumed stream blocks the ones after it. The pipeline
 * therefore opens the sources in exactly the order given (media, cover, then the list in order)
 * and each only after the previous one has been read to its end. Before ApplyUpload it must read
 * every playlist (the top manifest and any nested `.m3u8`/`.mpd` in the list), and whatever comes
 * before a nested playlist in that order is read ahead and held in memory, all of it within the
 * manifest byte limit (default 8 MiB; past it `LimitExceeded`). So list nested playlists right
 * after the media (the cover may sit between them if it is small), media segments after them.
 * The list must match the manifest exactly: every referenced file once, nothing unreferenced.
 */
export type SegmentSources = readonly SegmentSource[] | SegmentDirectory;

export function isSegmentDirectory(segments: SegmentSources): segments is SegmentDirectory {
  return !Array.isArray(segments);
}

/** A byte allowance shared by everything the pipeline must hold in memory before ApplyUpload. */
export class ByteBudget {
  #remaining: number;
  constructor(readonly limit: number) {
    this.#remaining = limit;
  }

  take(bytes: number, what: string): void {
    this.#remaining -= bytes;
    if (this.#remaining < 0) {
      throw new VodError(
        'LimitExceeded',
        `${what} does not fit in the ${this.limit} bytes the pipeline buffers before ApplyUpload.`,
      );
    }
  }
}

/** Opens a source with the signal wired to destroy it, and source failures made coded errors. */
export async function openSource(
  open: () => Readable | Promise<Readable>,
  signal: AbortSignal | undefined,
): Promise<AsyncIterable<Uint8Array>> {
  const stream = await open();
  if (signal !== undefined) addAbortSignal(signal, stream);
  return readCoded(stream);
}

async function* readCoded(stream: Readable): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
  } catch (error) {
    if (isVodError(error)) throw error;
    throw new VodError('RequestCanceled', `Reading the source failed: ${describe(error)}`, { cause: error });
  }
}

/** Reads a whole stream into memory within the budget. */
export async function readFully(source: AsyncIterable<Uint8Array>, budget: ByteBudget, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) {
    budget.take(chunk.byteLength, what);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks);
}

/** Replays bytes already in memory as a source. */
export async function* replay(data: Buffer): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  if (data.length > 0) yield data;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
