/** ParseStreamingManifest: the files an m3u8 or mpd manifest references, first occurrence order, no duplicates. */
import { parseDash } from './dash.ts';
import { parseHls } from './hls.ts';

export function parseManifest(type: 'm3u8' | 'mpd', content: string): string[] {
  const refs = type === 'm3u8' ? parseHls(content) : parseDash(content);
  return [...new Set(refs)];
}
