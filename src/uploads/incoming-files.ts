import { Readable } from 'node:stream';
import { VodError, toVodError } from '../errors/vod-error.ts';
import type { SegmentSource, UploadSource } from '../pipeline/sources.ts';

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
  readonly cover?: UploadSource | undefined;
  readonly segments?: SegmentSource[] | undefined;
  /** The cover's file name, when the cover arrived before the media. */
  readonly coverFileName?: string | undefined;
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
 * Multipart files arrive strictly in body order, and an unread file blocks all after it. The
 * pipeline reads media, then cover, then segments; this turns the request's file promises into
 * pipeline sources in that order. A small cover may come before the media (it is buffered: that is
 * how its file name can give the cover type before ApplyUpload); anything else out of order is
 * refused at once instead of hanging the request.
 */
export async function arrangeSources(files: IncomingFiles, options: ArrangeOptions): Promise<ArrangedSources> {
  const segments = files.segments ?? [];
  // Nobody may be left with an unhandled rejection when the request dies before a file is read.
  for (const promise of filesInBodyOrder(files)) promise.catch(() => undefined);

  let coverFile: { fileName: string; bytes: Buffer } | undefined;
  if (files.cover !== undefined) {
    const first = await firstToArrive(files.media, files.cover, segments.map((s) => s.file));
    if (first === 'cover') coverFile = await bufferCover(await files.cover, options);
  }
  const mediaFile = await expectNext(files.media, segments.map((s) => s.file), 'the media');
  const coverPromise = files.cover;
  return {
    media: { fileName: mediaFile.filename, open: () => guardedStream(mediaFile, options) },
    cover:
      coverFile !== undefined
        ? { fileName: coverFile.fileName, open: () => Readable.from([coverFile.bytes]) }
        : coverPromise === undefined
          ? undefined
          : {
              open: async () =>
                guardedStream(await expectNext(coverPromise, segments.map((s) => s.file), 'the cover'), options),
            },
    coverFileName: coverFile?.fileName,
    segments:
      files.segments === undefined
        ? undefined
        : segments.map((segment, index) => ({
            path: segment.path,
            open: async () =>
              guardedStream(
                await expectNext(segment.file, segments.slice(index + 1).map((s) => s.file), `segment ${segment.path}`),
                options,
              ),
          })),
  };
}

/** Every file of the request, in the order the body must carry them. */
export function filesInBodyOrder(files: IncomingFiles): Array<Promise<IncomingFile>> {
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
  if (first === 'segment') throw misordered('a segment');
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
    `Files arrived out of order before ${what}: send them in the multipart body as media, cover, then segments in list order (a small cover may come first).`,
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
