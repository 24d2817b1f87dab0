import { Readable } from 'node:stream';
import { VodError, toVodError } from '../errors/vod-error.ts';
import { imageTypeOf } from '../pipeline/cover-type.ts';
import type { SegmentSource, UploadSource } from '../pipeline/sources.ts';
import { extensionOf } from '../pipeline/upload-request.ts';

/** A file of a GraphQL multipart request as graphql-upload-minimal hands it over. */
export interface IncomingFile {
  readonly filename: string;
  createReadStream(): Readable;
}

export interface IncomingFiles {
  readonly media: Promise<IncomingFile>;
  readonly cover?: Promise<IncomingFile> | undefined;
  readonly segments?: ReadonlyArray<{ readonly path: string; readonly file: Promise<IncomingFile> }> | undefined;
}

export interface ArrangedSources {
  readonly media: UploadSource;
  /** A cover that arrived after the media has its file name only once opened. */
  readonly cover?: UploadSource | undefined;
  readonly segments?: SegmentSource[] | undefined;
  /** True when the cover arrived before the media (and is held in memory). */
  readonly coverFirst: boolean;
  /** The cover's file name, when the cover arrived before the media. */
  readonly coverFileName?: string | undefined;
  /** The cover's type by its magic bytes, when it arrived before the media with no extension in its name. */
  readonly coverTypeFromBytes?: string | undefined;
}

export interface ArrangeOptions {
  /** Bytes past which a file fails with LimitExceeded. */
  readonly maxFileBytes: number;
  /** Bytes a cover sent before the media may take (it is held in memory). */
  readonly maxBufferedCoverBytes: number;
  /** The upload's cancellation: destroys the file streams, so a read waiting for client bytes ends at once. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Multipart files arrive strictly in body order, and an unread file blocks all after it. Clients
 * write them in the order of the variables' keys, so the media and the cover may come either way
 * round: a cover before the media is buffered (within `maxBufferedCoverBytes`; its name, else its
 * magic bytes, then give the cover type before ApplyUpload); a cover after the media is read after
 * it. The segments must follow both, in list order: any other order is refused at once with
 * InvalidParameter, never left hanging.
 */
export async function arrangeSources(files: IncomingFiles, options: ArrangeOptions): Promise<ArrangedSources> {
  const segments = files.segments ?? [];
  const segmentFiles = segments.map((s) => s.file);
  // Nobody may be left with an unhandled rejection when the request dies before a file is read.
  for (const promise of filesOf(files)) promise.catch(() => undefined);

  let coverFile: { fileName: string; bytes: Buffer } | undefined;
  if (files.cover !== undefined) {
    const first = await firstToArrive(files.media, files.cover, segmentFiles);
    if (first === 'cover') coverFile = await bufferCover(await files.cover, options);
  }
  const mediaFile = await expectNext(files.media, segmentFiles, 'the media');
  const coverFileName = coverFile?.fileName === '' ? undefined : coverFile?.fileName;
  return {
    media: { fileName: mediaFile.filename, open: () => guardedStream(mediaFile, options) },
    cover:
      coverFile !== undefined
        ? { fileName: coverFileName, open: () => Readable.from([coverFile.bytes]) }
        : files.cover === undefined
          ? undefined
          : lateSource(files.cover, segmentFiles, options),
    coverFirst: coverFile !== undefined,
    coverFileName,
    coverTypeFromBytes:
      coverFile === undefined || extensionOf(coverFileName) !== undefined ? undefined : await imageTypeOf(coverFile.bytes),
    segments:
      files.segments === undefined
        ? undefined
        : segments.map((segment, index) => ({
            path: segment.path,
            open: async () =>
              guardedStream(await expectNext(segment.file, segmentFiles.slice(index + 1), `segment ${segment.path}`), options),
          })),
  };
}

/** A cover that comes after the media: its file name is known once it has arrived (opened). */
function lateSource(
  cover: Promise<IncomingFile>,
  later: ReadonlyArray<Promise<IncomingFile>>,
  options: ArrangeOptions,
): UploadSource {
  let fileName: string | undefined;
  return {
    get fileName() {
      return fileName;
    },
    async open() {
      const file = await expectNext(cover, later, 'the cover');
      fileName = file.filename === '' ? undefined : file.filename;
      return guardedStream(file, options);
    },
  };
}

/** Every file of the request (in no particular order). */
export function filesOf(files: IncomingFiles): Array<Promise<IncomingFile>> {
  return [files.media, ...(files.cover === undefined ? [] : [files.cover]), ...(files.segments ?? []).map((s) => s.file)];
}

type Arrival = 'media' | 'cover' | 'segment';

async function firstToArrive(
  media: Promise<IncomingFile>,
  cover: Promise<IncomingFile>,
  segments: ReadonlyArray<Promise<IncomingFile>>,
): Promise<Arrival> {
  // When both are already there (a small media was buffered whole), the cover may be read first.
  const tagged = [
    cover.then(() => 'cover' as const),
    media.then(() => 'media' as const),
    ...segments.map((segment) => segment.then(() => 'segment' as const)),
  ];
  const first = await Promise.race(tagged);
  if (first === 'segment') throw misordered('the media');
  return first;
}

/** Waits for `expected`; fails fast when a file that should come later arrives first instead. */
async function expectNext(
  expected: Promise<IncomingFile>,
  later: ReadonlyArray<Promise<IncomingFile>>,
  what: string,
): Promise<IncomingFile> {
  const winner = await Promise.race([
    expected.then((file) => ({ file })),
    ...later.map((other) => other.then(() => ({ file: undefined }))),
  ]);
  if (winner.file === undefined) throw misordered(what);
  return winner.file;
}

function misordered(what: string): VodError {
  return new VodError(
    'InvalidParameter',
    `Files arrived out of order before ${what}: the multipart body must carry the media and the cover (either way round) before the segments, and the segments in list order.`,
  );
}

async function bufferCover(file: IncomingFile, options: ArrangeOptions): Promise<{ fileName: string; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of guardedStream(file, options) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.maxBufferedCoverBytes) {
      throw new VodError('LimitExceeded', `A cover sent before the media may be at most ${options.maxBufferedCoverBytes} bytes.`);
    }
    chunks.push(chunk);
  }
  return { fileName: file.filename, bytes: Buffer.concat(chunks) };
}

/**
 * graphql-upload-minimal signals an oversize file with a `limit` event and then ends the stream
 * early, silently (`truncated`). Turn both into a LimitExceeded error on the stream itself.
 *
 * A canceled upload destroys the stream with the abort reason: the pipeline may be waiting for the
 * client's next bytes (a stalled client), and only erroring this stream ends that wait.
 */
function guardedStream(file: IncomingFile, options: Pick<ArrangeOptions, 'maxFileBytes' | 'signal'>): Readable {
  const { maxFileBytes, signal } = options;
  const stream = file.createReadStream();
  const tooLarge = () => new VodError('LimitExceeded', `${file.filename || 'A file'} is larger than ${maxFileBytes} bytes.`);
  stream.once('limit', () => stream.destroy(tooLarge()));
  if (signal !== undefined) {
    const cancel = () => stream.destroy(toVodError(signal.reason));
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', cancel));
  }
  async function* checked(): AsyncGenerator<Buffer> {
    let bytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxFileBytes) throw tooLarge();
      yield chunk;
    }
    if ((stream as Readable & { truncated?: boolean }).truncated === true) throw tooLarge();
  }
  return Readable.from(checked(), { objectMode: false });
}
