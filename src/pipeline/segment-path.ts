import path from 'node:path';
import { VodError } from '../errors/vod-error.ts';

/** Longest manifest reference accepted, in UTF-8 bytes (COS keys end at 850 bytes; the upload's prefix comes first). */
export const MAX_SEGMENT_PATH_BYTES = 512;

/**
 * The manifest's directory as a player sees it: a reference is judged by resolving it against this
 * URL the way a browser or player does (WHATWG URL), never by string tests alone.
 */
const MANIFEST_DIRECTORY = new URL('https://manifest.invalid/m/');

/** Characters drawn like `.`, `/` or `\` that some resolver, file system or storage may fold into them. */
const LOOKALIKES = new Set([
  '\u2024', // ONE DOT LEADER
  '\u2025', // TWO DOT LEADER
  '\u2026', // HORIZONTAL ELLIPSIS
  '\uFE52', // SMALL FULL STOP
  '\uFF0E', // FULLWIDTH FULL STOP
  '\u3002', // IDEOGRAPHIC FULL STOP
  '\uFF61', // HALFWIDTH IDEOGRAPHIC FULL STOP
  '\u0701', // SYRIAC SUPRALINEAR FULL STOP
  '\u0702', // SYRIAC SUBLINEAR FULL STOP
  '\uA60E', // VAI FULL STOP
  '\u2215', // DIVISION SLASH
  '\u2044', // FRACTION SLASH
  '\uFF0F', // FULLWIDTH SOLIDUS
  '\u29F8', // BIG SOLIDUS
  '\u2216', // SET MINUS
  '\uFE68', // SMALL REVERSE SOLIDUS
  '\uFF3C', // FULLWIDTH REVERSE SOLIDUS
  '\u29F5', // REVERSE SOLIDUS OPERATOR
  '\u29F9', // BIG REVERSE SOLIDUS
]);
/** What a look-alike must never fold into (under NFKC, as some storage and file systems do). */
const STRUCTURAL = /[./\\%?#:@]/;

/**
 * Judges one file reference of an HLS/DASH manifest (or a segment's `path`) the way a player would
 * resolve it, relative to `directory` (a nested playlist's directory below the top manifest, already
 * judged; '' for the top). Returns the path, relative to the top manifest's directory, under which the
 * file is stored — exactly the path a player requests — or throws InvalidParameter when the reference
 * could resolve anywhere else:
 * - forms a resolver rewrites are refused outright: percent-encoding (`%2e%2e`, `%2F`, any `%`),
 *   backslashes, control and invisible format characters (NUL, tab, bidi marks, zero-width),
 *   Unicode look-alikes of `.`, `/`, `\`, and anything over MAX_SEGMENT_PATH_BYTES;
 * - URLs, absolute and protocol-relative paths, queries and fragments, `..` segments, empty segments
 *   (`a//b`) and directories are refused;
 * - what remains is resolved with WHATWG URL against the manifest's directory: the result must lie
 *   strictly below it and equal the literal path (`./a.ts` and `a/./b.ts` are fine).
 */
export function checkSegmentPath(reference: string, directory = ''): string {
  const refuse = (why: string): never => {
    throw new VodError('InvalidParameter', `Manifest reference ${JSON.stringify(reference.slice(0, 200))} ${why}.`);
  };
  if (reference.trim() === '') refuse('is empty');
  if (Buffer.byteLength(reference) > MAX_SEGMENT_PATH_BYTES) refuse(`is longer than ${MAX_SEGMENT_PATH_BYTES} bytes`);
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(reference)) refuse('contains a control or invisible character');
  if (reference.includes('\\')) refuse('contains a backslash');
  if (reference.includes('%')) refuse('contains percent-encoding, which a player would decode');
  const lookalike = [...reference].find(isLookalike);
  if (lookalike !== undefined) refuse(`contains U+${lookalike.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, a look-alike of "." or "/"`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(reference)) refuse('is a URL; only relative paths are allowed');
  if (reference.startsWith('/')) refuse('is an absolute path; only relative paths are allowed');
  if (/[?#]/.test(reference)) refuse('has a query or fragment');
  const segments = reference.split('/');
  if (segments.includes('..')) refuse('leaves the manifest directory (..)');
  if (segments.slice(0, -1).some((segment, i) => segment === '' && i > 0)) refuse('has an empty path segment (//)');
  if (segments.at(-1) === '' || segments.at(-1) === '.') refuse('is not a file');

  const literal = path.posix.join(directory, reference);
  const base = new URL(directory === '' ? MANIFEST_DIRECTORY : `${directory}/`, MANIFEST_DIRECTORY);
  const resolved = new URL(reference, base);
  if (resolved.origin !== MANIFEST_DIRECTORY.origin || resolved.search !== '' || resolved.hash !== '') {
    refuse('resolves outside the manifest directory');
  }
  if (!resolved.pathname.startsWith(MANIFEST_DIRECTORY.pathname)) refuse('resolves outside the manifest directory');
  let relative: string;
  try {
    relative = decodeURIComponent(resolved.pathname.slice(MANIFEST_DIRECTORY.pathname.length));
  } catch {
    return refuse('resolves to a path that cannot be decoded');
  }
  if (relative === '' || relative.endsWith('/')) refuse('is not a file');
  if (relative !== literal) refuse(`resolves to ${JSON.stringify(relative)}, not to its literal path`);
  return relative;
}

function isLookalike(character: string): boolean {
  if (character.charCodeAt(0) < 0x80) return false;
  return LOOKALIKES.has(character) || STRUCTURAL.test(character.normalize('NFKC'));
}
