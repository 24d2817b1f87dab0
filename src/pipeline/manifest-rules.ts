import path from 'node:path';
import { VodError } from '../errors/vod-error.ts';
import { checkSegmentPath } from './segment-path.ts';
import type { ManifestType } from '../vod/vod-api.ts';

export { checkSegmentPath, MAX_SEGMENT_PATH_BYTES } from './segment-path.ts';

/** The manifest type of a referenced file by its extension, when it is a nested playlist. */
export function manifestTypeOf(relativePath: string): ManifestType | undefined {
  const extension = path.posix.extname(relativePath).toLowerCase();
  if (extension === '.m3u8') return 'm3u8';
  if (extension === '.mpd') return 'mpd';
  return undefined;
}

export interface ManifestWalker {
  /** Lists what a manifest references (ParseStreamingManifest). */
  listReferences(content: string, manifestType: ManifestType): Promise<readonly string[]>;
  /** The text of a nested playlist, by its path relative to the top manifest. */
  readPlaylist(relativePath: string): Promise<string>;
}

/**
 * Every file a manifest tree references, relative to the top manifest's directory, each once, in
 * depth-first discovery order (the order the seed SDK uploads them). A nested playlist's references
 * are relative to its own directory and must stay below the top manifest's directory.
 */
export async function listManifestFiles(
  topContent: string,
  topType: ManifestType,
  walker: ManifestWalker,
): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = async (content: string, manifestType: ManifestType, directory: string): Promise<void> => {
    for (const reference of await walker.listReferences(content, manifestType)) {
      // Judged as a player resolves it: against the directory of the playlist that names it.
      const relative = checkSegmentPath(reference, directory);
      if (seen.has(relative)) continue;
      seen.add(relative);
      files.push(relative);
      const nestedType = manifestTypeOf(relative);
      if (nestedType !== undefined) {
        const dir = path.posix.dirname(relative);
        await visit(await walker.readPlaylist(relative), nestedType, dir === '.' ? '' : dir);
      }
    }
  };
  await visit(topContent, topType, '');
  return files;
}

/**
 * Compares the files a caller provided with the files the manifest references: each referenced file
 * provided exactly once, nothing provided that is not referenced.
 */
export function checkProvidedSegments(referenced: readonly string[], provided: readonly string[]): void {
  const providedSet = new Set<string>();
  for (const file of provided) {
    if (providedSet.has(file)) throw new VodError('InvalidParameter', `Segment ${file} is provided more than once.`);
    providedSet.add(file);
  }
  const referencedSet = new Set(referenced);
  const missing = referenced.filter((file) => !providedSet.has(file));
  if (missing.length > 0) {
    throw new VodError('InvalidParameter', `The manifest references files that were not provided: ${preview(missing)}.`);
  }
  const extra = provided.filter((file) => !referencedSet.has(file));
  if (extra.length > 0) {
    throw new VodError('InvalidParameter', `Files were provided that the manifest does not reference: ${preview(extra)}.`);
  }
}

function preview(files: readonly string[]): string {
  const shown = files.slice(0, 5).join(', ');
  return files.length > 5 ? `${shown} and ${files.length - 5} more` : shown;
}
