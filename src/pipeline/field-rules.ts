import { VodError } from '../errors/vod-error.ts';
import type { ErrorCode } from '../errors/error-codes.ts';

/** How a text field of an upload request may look: length, characters, and the code a violation gets. */
export interface TextRule {
  readonly maxChars: number;
  /** When set, the value must match it in full. */
  readonly pattern?: RegExp | undefined;
  readonly code: ErrorCode;
}

const REGION = /^[a-z]+(-[a-z0-9]+)+$/;
const TYPE = /^[a-z0-9]+$/;

/**
 * Every text input of an upload, in one table. Beyond these, any text is well-formed Unicode without
 * control characters: a NUL byte is refused by Postgres, CR/LF would reach HTTP headers of the VOD
 * API.
 */
export const TEXT_RULES = {
  region: { maxChars: 32, pattern: REGION, code: 'InvalidParameter' },
  storageRegion: { maxChars: 32, pattern: REGION, code: 'InvalidParameter' },
  mediaName: { maxChars: 256, code: 'InvalidParameter' },
  mediaType: { maxChars: 16, pattern: TYPE, code: 'InvalidParameterValue.MediaType' },
  coverType: { maxChars: 16, pattern: TYPE, code: 'InvalidParameterValue.CoverType' },
  procedure: { maxChars: 128, code: 'InvalidParameter' },
  expireTime: { maxChars: 64, code: 'InvalidParameter.ExpireTime' },
  sourceContext: { maxChars: 250, code: 'InvalidParameter' },
  sessionContext: { maxChars: 1000, code: 'InvalidParameter' },
  /** Names of the media and cover files, as the client sent them. */
  fileName: { maxChars: 1024, code: 'InvalidParameter' },
  /** A segment's path relative to its manifest. */
  segmentPath: { maxChars: 1024, code: 'InvalidParameter' },
} as const satisfies Record<string, TextRule>;

export type TextField = keyof typeof TEXT_RULES;

// C0 and C1 control characters, DEL included.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/** Half of a surrogate pair without the other half: no UTF-8 encoding exists for it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Throws the field's VodError when `value` breaks its rule; nothing for undefined. */
export function checkText(field: TextField, value: string | undefined): void {
  if (value === undefined) return;
  const rule: TextRule = TEXT_RULES[field];
  const refuse = (why: string): never => {
    throw new VodError(rule.code, `${field} ${why}.`);
  };
  if (LONE_SURROGATE.test(value)) refuse('is not well-formed Unicode');
  if (CONTROL_CHARACTER.test(value)) refuse('contains a control character');
  if ([...value].length > rule.maxChars) refuse(`is longer than ${rule.maxChars} characters`);
  if (rule.pattern !== undefined && !rule.pattern.test(value)) refuse(`has an invalid form: ${JSON.stringify(value)}`);
}

/** Throws `code` unless `value` (when given) is an integer from `min` to `max`. */
export function checkInteger(field: string, value: number | undefined, range: { min: number; max: number; code: ErrorCode }): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new VodError(range.code, `${field} must be an integer from ${range.min} to ${range.max}, got ${String(value)}.`);
  }
}
