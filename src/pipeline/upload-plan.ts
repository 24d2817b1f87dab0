import { VodError } from '../errors/vod-error.ts';
import type { ManifestType, VodApi } from '../vod/vod-api.ts';
import { checkProvidedSegments, checkSegmentPath, listManifestFiles } from './manifest-rules.ts';
import type { FileRole } from './progress.ts';
import { retryWithBackoff, type RetryPolicy } from './retry.ts';
import {
  ByteBudget,
  isSegmentDirectory,
  openSource,
  readFully,
  replay,
  type SegmentDirectory,
  type SegmentSource,
  type UploadSource,
} from './sources.ts';

/** A file to store, in the order it will be read. */
export interface PlannedFile {
  readonly role: FileRole;
  /** Media/cover file name, or the segment's path relative to the manifest (final once `read()` resolved). */
  readonly path: string;
  /** Opens the bytes; call once, in plan order. */
  read(): Promise<AsyncIterable<Uint8Array>>;
}

export interface PlanInput {
  readonly media: UploadSource;
  readonly cover?: UploadSource | undefined;
  readonly segments?: readonly SegmentSource[] | SegmentDirectory | undefined;
  readonly manifestType?: ManifestType | undefined;
  readonly vod: VodApi;
  readonly apiRetry: RetryPolicy;
  /** Bytes that may be held before ApplyUpload (manifests and what is read ahead of them). */
  readonly manifestBytesLimit: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Decides which files to store and does everything that must happen before ApplyUpload: for a
 * manifest, reads it (and every nested playlist), lists its references with ParseStreamingManifest,
 * and checks them against the segments supplied. Nothing is stored and nothing applied for here.
 */
export async function planFiles(input: PlanInput): Promise<PlannedFile[]> {
  const sources = new InOrderSources(input);
  const cover = input.cover;
  const coverEntry = (index: number): PlannedFile[] =>
    cover === undefined
      ? []
      : [
          {
            role: 'COVER',
            // A cover that arrives after the media has its name once opened.
            get path() {
              return nameOf(cover, 'cover');
            },
            read: () => sources.read(index),
          },
        ];
  const media: PlannedFile = { role: 'MEDIA', path: nameOf(input.media, 'media'), read: () => sources.read(0) };

  if (input.manifestType === undefined) {
    if (input.segments !== undefined && (isSegmentDirectory(input.segments) || input.segments.length > 0)) {
      throw new VodError('InvalidParameter', 'Segments can only accompany an m3u8 or mpd manifest.');
    }
    return [media, ...coverEntry(1)];
  }
  const segments = input.segments ?? [];
  const manifest = (await sources.bufferThrough(0)).toString('utf8');
  const segmentFiles = isSegmentDirectory(segments)
    ? await planDirectorySegments(input, manifest, segments, sources)
    : await planListedSegments(input, manifest, segments, sources);
  return [media, ...coverEntry(1), ...segmentFiles];
}

async function planListedSegments(
  input: PlanInput,
  manifest: string,
  segments: readonly SegmentSource[],
  sources: InOrderSources,
): Promise<PlannedFile[]> {
  const firstSegment = input.cover === undefined ? 1 : 2;
  const provided = segments.map((segment) => checkSegmentPath(segment.path));
  const indexOf = new Map(provided.map((path, i) => [path, firstSegment + i]));
  const referenced = await listManifestFiles(manifest, input.manifestType!, {
    listReferences: (content, manifestType) => listReferences(input, content, manifestType),
    readPlaylist: async (path) => {
      const index = indexOf.get(path);
      if (index === undefined) throw new VodError('InvalidParameter', `The manifest references ${path}, which was not provided.`);
      return (await sources.bufferThrough(index)).toString('utf8');
    },
  });
  checkProvidedSegments(referenced, provided);
  return provided.map((path, i) => ({ role: 'SEGMENT', path, read: () => sources.read(firstSegment + i) }));
}

async function planDirectorySegments(
  input: PlanInput,
  manifest: string,
  directory: SegmentDirectory,
  sources: InOrderSources,
): Promise<PlannedFile[]> {
  const playlists = new Map<string, Buffer>();
  const budget = sources.budget;
  const referenced = await listManifestFiles(manifest, input.manifestType!, {
    listReferences: (content, manifestType) => listReferences(input, content, manifestType),
    readPlaylist: async (path) => {
      await requireFile(directory, path);
      const text = await readFully(await openSource(() => directory.open(path), input.signal), budget, path);
      playlists.set(path, text);
      return text.toString('utf8');
    },
  });
  for (const path of referenced) if (!playlists.has(path)) await requireFile(directory, path);
  return referenced.map((path) => ({
    role: 'SEGMENT',
    path,
    read: async () => {
      const buffered = playlists.get(path);
      if (buffered === undefined) return openSource(() => directory.open(path), input.signal);
      playlists.delete(path);
      return replay(buffered);
    },
  }));
}

async function listReferences(input: PlanInput, content: string, manifestType: ManifestType): Promise<readonly string[]> {
  const parsed = await retryWithBackoff(
    () => input.vod.parseStreamingManifest({ content, manifestType }, { signal: input.signal }),
    { policy: input.apiRetry, signal: input.signal },
  );
  return parsed.segments;
}

async function requireFile(directory: SegmentDirectory, path: string): Promise<void> {
  if (!(await directory.exists(path))) {
    throw new VodError('InvalidParameter', `The manifest references ${path}, which does not exist.`);
  }
}

function nameOf(source: UploadSource, fallback: string): string {
  return source.fileName ?? fallback;
}

/**
 * The media, cover and listed segments, opened strictly in that order, each once. Entries needed
 * before ApplyUpload are buffered within the budget, along with every entry before them.
 */
class InOrderSources {
  readonly budget: ByteBudget;
  readonly #entries: readonly UploadSource[];
  readonly #buffered = new Map<number, Buffer>();
  readonly #signal: AbortSignal | undefined;
  #next = 0;

  constructor(input: PlanInput) {
    const listed = input.segments !== undefined && !isSegmentDirectory(input.segments) ? input.segments : [];
    this.#entries = [input.media, ...(input.cover === undefined ? [] : [input.cover]), ...listed];
    this.#signal = input.signal;
    this.budget = new ByteBudget(input.manifestBytesLimit);
  }

  /** Reads entries up to and including `index` into memory; returns that entry's bytes. */
  async bufferThrough(index: number): Promise<Buffer> {
    while (this.#next <= index) {
      const at = this.#next;
      const entry = this.#entryAt(at);
      this.#next += 1;
      const source = await openSource(() => entry.open(), this.#signal);
      this.#buffered.set(at, await readFully(source, this.budget, entry.fileName ?? `file ${at + 1}`));
    }
    const data = this.#buffered.get(index);
    if (data === undefined) throw new VodError('InternalError', `Source ${index} was already consumed.`);
    return data;
  }

  /** The bytes of entry `index`: from memory when buffered, else from its stream, which must be next. */
  async read(index: number): Promise<AsyncIterable<Uint8Array>> {
    const buffered = this.#buffered.get(index);
    if (buffered !== undefined) {
      this.#buffered.delete(index);
      return replay(buffered);
    }
    if (index !== this.#next) throw new VodError('InternalError', `Source ${index} read out of order.`);
    const entry = this.#entryAt(index);
    this.#next += 1;
    return openSource(() => entry.open(), this.#signal);
  }

  #entryAt(index: number): UploadSource {
    const entry = this.#entries[index];
    if (entry === undefined) throw new VodError('InternalError', `No source ${index}.`);
    return entry;
  }
}
