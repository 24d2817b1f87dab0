/**
 * The files an HLS (m3u8) or DASH (mpd) manifest references, first occurrence order, no duplicates:
 * what ParseStreamingManifest answers. The bundled VOD emulator answers with it, and the CLI lists
 * a local manifest's files with it.
 */
import { listDashReferences } from './dash-references.ts';
import { listHlsReferences } from './hls-references.ts';

export function listManifestReferences(type: 'm3u8' | 'mpd', content: string): string[] {
  const refs = type === 'm3u8' ? listHlsReferences(content) : listDashReferences(content);
  return [...new Set(refs)];
}
