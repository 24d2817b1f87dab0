import { openAsBlob } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { listManifestReferences } from '../manifest/manifest-references.ts';
import { listManifestFiles, manifestTypeOf } from '../pipeline/manifest-rules.ts';
import type { NamedBlob, SegmentFile } from './ingest-types.ts';

/** A local file that cannot be sent: missing, not a file, or a manifest with bad references. */
export class LocalFileError extends Error {
  override readonly name = 'LocalFileError';
}

/** A file on disk as a Blob that streams from disk when sent (never read whole into memory). */
export async function openLocalFile(filePath: string): Promise<NamedBlob> {
  const stats = await stat(filePath).catch(() => undefined);
  if (stats === undefined) throw new LocalFileError(`${filePath}: no such file`);
  if (!stats.isFile()) throw new LocalFileError(`${filePath}: not a regular file`);
  return { name: path.basename(filePath), blob: await openAsBlob(filePath) };
}

/** Whether a media path is an HLS or DASH manifest, by its extension. */
export function isManifestPath(filePath: string): boolean {
  return manifestTypeOf(filePath) !== undefined;
}

/**
 * Every file an `.m3u8`/`.mpd` manifest references, nested playlists followed recursively, as the
 * `segments` of `uploadMedia`: paths relative to the manifest, nested playlists first (the service
 * reads them before their segments), then the rest in the order the manifests name them.
 *
 * The references are listed by the same parsers the bundled VOD emulator answers
 * ParseStreamingManifest with (HLS URI lines and URI="..." attributes; DASH BaseURL,
 * SegmentTemplate, SegmentList, SegmentBase) and checked by the service's own rules: URLs, absolute
 * paths and anything leaving the manifest's folder (`..`, or a symbolic link out of it) are refused.
 */
export async function manifestSegments(manifestPath: string): Promise<SegmentFile[]> {
  const type = manifestTypeOf(manifestPath);
  if (type === undefined) throw new LocalFileError(`${manifestPath}: not an .m3u8 or .mpd manifest`);
  const directory = await realpath(path.dirname(manifestPath));
  const local = (relative: string): string => path.join(directory, ...relative.split('/'));
  let referenced: string[];
  try {
    referenced = await listManifestFiles(await readFile(manifestPath, 'utf8'), type, {
      listReferences: (content, manifestType) => Promise.resolve(listManifestReferences(manifestType, content)),
      readPlaylist: async (relative) => readFile(await insideFolder(directory, local(relative), relative), 'utf8'),
    });
  } catch (error) {
    if (error instanceof LocalFileError) throw error;
    throw new LocalFileError(`${manifestPath}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const playlistsFirst = [...referenced.filter(isManifestPath), ...referenced.filter((relative) => !isManifestPath(relative))];
  const segments: SegmentFile[] = [];
  for (const relative of playlistsFirst) {
    const file = await openLocalFile(await insideFolder(directory, local(relative), relative));
    segments.push({ path: relative, file: { name: path.posix.basename(relative), blob: file.blob } });
  }
  return segments;
}

/** The file's real path, when it exists and is inside `directory` (a symbolic link may not lead out). */
async function insideFolder(directory: string, filePath: string, reference: string): Promise<string> {
  const real = await realpath(filePath).catch(() => undefined);
  if (real === undefined) throw new LocalFileError(`the manifest references ${reference}, which does not exist`);
  if (!real.startsWith(directory + path.sep)) throw new LocalFileError(`the manifest reference ${reference} leads outside the manifest's folder`);
  return real;
}
