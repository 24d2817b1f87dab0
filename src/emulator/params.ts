/** Reading typed VOD API parameters out of a parsed JSON body. */
import { vodErrors, type VodApiError } from './vod-errors.ts';

export type Params = Readonly<Record<string, unknown>>;

export function checkKnown(params: Params, allowed: readonly string[]): void {
  for (const name of Object.keys(params)) if (!allowed.includes(name)) throw vodErrors.unknownParameter(name);
}

export function optString(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw vodErrors.badParameter(`${name} must be a string`);
  return v;
}

export function reqString(params: Params, name: string): string {
  const v = optString(params, name);
  if (v === undefined || v === '') throw vodErrors.missing(name);
  return v;
}

export function optInt(params: Params, name: string, error: () => VodApiError): number | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw error();
  return v;
}

export function optStringArray(params: Params, name: string): string[] | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw vodErrors.badParameter(`${name} must be an array of strings`);
  return v as string[];
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO 8601 date-time with an explicit zone; NaN when invalid. */
export function parseIsoTime(value: string): number {
  const m = ISO_8601.exec(value);
  if (m === null) return Number.NaN;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  return Date.parse(value);
}
