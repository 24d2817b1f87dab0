/**
 * HLS playlist references: every URI line (segments, variant playlists) plus the URI attribute of
 * EXT-X-KEY, EXT-X-SESSION-KEY, EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, EXT-X-PART and
 * EXT-X-SESSION-DATA. Entries are reported exactly as written (no resolution, no validation).
 */
import { ManifestError } from './manifest-error.ts';

const URI_TAGS = new Set([
  'EXT-X-KEY', 'EXT-X-SESSION-KEY', 'EXT-X-MAP', 'EXT-X-MEDIA', 'EXT-X-I-FRAME-STREAM-INF', 'EXT-X-PART',
  'EXT-X-SESSION-DATA',
]);

/** Parses an HLS attribute list (`A=1,B="x,y",C=0x1F`) into a map. */
export function parseAttributes(list: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Z0-9-]+)\s*=\s*("[^"]*"|[^,]*)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < list.length && (m = re.exec(list)) !== null) {
    const raw = m[2]!;
    out.set(m[1]!, raw.startsWith('"') ? raw.slice(1, -1) : raw.trim());
    if (m[0] === '') break;
  }
  return out;
}

export function listHlsReferences(content: string): string[] {
  const lines = content.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new ManifestError('an m3u8 playlist must start with #EXTM3U');
  const refs: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (!line.startsWith('#')) {
      refs.push(line);
      continue;
    }
    if (!line.startsWith('#EXT')) continue; // comment
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const tag = line.slice(1, colon);
    if (!URI_TAGS.has(tag)) continue;
    const uri = parseAttributes(line.slice(colon + 1)).get('URI');
    if (uri !== undefined && uri !== '') refs.push(uri);
  }
  return refs;
}
