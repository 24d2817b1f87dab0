/** Small conversions between VOD's JSON and our types, shared by the API adapters and the event parser. */

/** A request body without the fields left out (the SDK would send `undefined` as a value). */
export function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** VOD answers an absent text as `""` or null as often as by leaving it out. */
export function blankToUndefined(value: string | undefined | null): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}
