import { VodError } from '../errors/vod-error.ts';

/** Where one file of a multipart request goes: a `null` placeholder, own property of the operations. */
export interface MapTarget {
  /** The multipart field name of the file. */
  readonly field: string;
  /** The object or array holding the placeholder, and the placeholder's key in it. */
  readonly holder: Record<string, unknown> | unknown[];
  readonly key: string | number;
}

/** Longest file field name and variable path a map may use. */
export const MAX_MAP_FIELD_CHARS = 200;
export const MAX_MAP_PATH_CHARS = 1000;
/** Segments that are never variables, whatever the operations hold. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const ARRAY_INDEX = /^(0|[1-9]\d{0,8})$/;

/**
 * Checks the `map` field of a GraphQL multipart request against the parsed operations, before
 * anything is written into them. The spec's meaning of `map`: each file replaces a `null`
 * placeholder of the operations. So every path must lead through the operations' *own* properties
 * (never an inherited method such as `hasOwnProperty.call`) to a `null`; each file has exactly one
 * path (a file is read once), and no placeholder gets two files. Returns the targets; throws an
 * InvalidParameter (LimitExceeded past `maxFiles`) VodError naming the offending entry.
 */
export function resolveMapTargets(operations: unknown, map: unknown, maxFiles: number): MapTarget[] {
  if (!isPlainObject(map)) throw invalid("The 'map' field must be a JSON object of file field names to variable paths.");
  const entries = Object.entries(map);
  if (entries.length > maxFiles) throw new VodError('LimitExceeded', `The map names ${entries.length} files; at most ${maxFiles} are allowed.`);
  const targets: MapTarget[] = [];
  const taken = new Map<object, Set<string | number>>();
  for (const [field, paths] of entries) {
    if (field === '' || field.length > MAX_MAP_FIELD_CHARS) {
      throw invalid(`A map key must be a file field name of 1 to ${MAX_MAP_FIELD_CHARS} characters.`);
    }
    if (!Array.isArray(paths) || paths.length !== 1 || typeof paths[0] !== 'string') {
      throw invalid(`Map entry ${quote(field)} must be an array of exactly one variable path: each file fills one variable.`);
    }
    const target = { field, ...placeholderAt(operations, paths[0], field) };
    const keys = taken.get(target.holder) ?? new Set<string | number>();
    if (keys.has(target.key)) throw invalid(`Map entry ${quote(field)} names a variable another file already fills.`);
    keys.add(target.key);
    taken.set(target.holder, keys);
    targets.push(target);
  }
  return targets;
}

function placeholderAt(operations: unknown, path: string, field: string): Omit<MapTarget, 'field'> {
  const refuse = (why: string): never => {
    throw invalid(`Map entry ${quote(field)}: the path ${quote(path)} ${why}.`);
  };
  if (path.length === 0 || path.length > MAX_MAP_PATH_CHARS) refuse(`must have 1 to ${MAX_MAP_PATH_CHARS} characters`);
  const segments = path.split('.');
  let holder: unknown = operations;
  for (const [index, segment] of segments.entries()) {
    if (segment === '' || FORBIDDEN_SEGMENTS.has(segment)) refuse(`has an invalid segment ${quote(segment)}`);
    const key = ownKey(holder, segment);
    if (key === undefined) refuse('does not lead through the operations to a variable');
    const value = (holder as Record<string | number, unknown>)[key as string | number];
    if (index === segments.length - 1) {
      if (value !== null) refuse('does not end at a null placeholder');
      return { holder: holder as MapTarget['holder'], key: key as string | number };
    }
    holder = value;
  }
  return refuse('is empty');
}

/** The key of an own element or property of a JSON array or object; undefined for anything else. */
function ownKey(holder: unknown, segment: string): string | number | undefined {
  if (Array.isArray(holder)) {
    if (!ARRAY_INDEX.test(segment)) return undefined;
    const index = Number(segment);
    return index < holder.length ? index : undefined;
  }
  if (isPlainObject(holder) && Object.hasOwn(holder, segment)) return segment;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function invalid(message: string): VodError {
  return new VodError('InvalidParameter', message);
}
