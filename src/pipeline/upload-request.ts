import path from 'node:path';
import { VodError } from '../errors/vod-error.ts';
import type { ApplyUploadInput, ManifestType } from '../vod/vod-api.ts';
import { checkInteger, checkText, TEXT_RULES } from './field-rules.ts';

/** What a caller asks for, before defaults and checks (the seed's fields, camel-cased). */
export interface UploadRequestInput extends Partial<ApplyUploadInput> {
  /** Access region of the VOD API, e.g. `ap-guangzhou`. */
  readonly region: string;
  /** File name of the media as the client named it; gives the default type and name. */
  readonly mediaFileName?: string | undefined;
  /** File name of the cover, when there is one; gives the default cover type. */
  readonly coverFileName?: string | undefined;
  readonly hasCover: boolean;
  readonly concurrentUploadNumber?: number | undefined;
}

/** A checked request with its defaults filled in: what ApplyUpload gets, plus local settings. */
export interface UploadRequest {
  readonly region: string;
  readonly apply: ApplyUploadInput;
  /** Set when the media is an HLS (`m3u8`) or DASH (`mpd`) manifest. */
  readonly manifestType?: ManifestType | undefined;
  readonly concurrentUploadNumber?: number | undefined;
}

export const SOURCE_CONTEXT_MAX_CHARS = TEXT_RULES.sourceContext.maxChars;
export const SESSION_CONTEXT_MAX_CHARS = TEXT_RULES.sessionContext.maxChars;
export const MAX_CONCURRENT_UPLOAD_NUMBER = 64;
/** Largest id VOD gives a sub-application or a category (its API types them as Integer). */
const MAX_VOD_ID = 2 ** 31 - 1;

/** Everything a client may send with an upload, checked by `checkUploadInput` before any file is read. */
export interface UploadInput extends Partial<Omit<UploadRequestInput, 'hasCover'>> {
  /** The client's size hint for the media. */
  readonly mediaSize?: number | undefined;
  /** Paths of the segments sent with a manifest. */
  readonly segmentPaths?: readonly string[] | undefined;
}

export interface UploadInputLimits {
  /** Bytes a file may have (a larger `mediaSize` is LimitExceeded at once). */
  readonly maxFileBytes?: number | undefined;
  readonly now?: Date | undefined;
}

/**
 * The one place an upload's input is checked: every text field (length, characters, form) and
 * every number (range), each violation a coded VodError. Runs before anything is read, written or
 * stored; `normalizeUploadRequest` runs it again, with the defaults the file names give.
 */
export function checkUploadInput(input: UploadInput, limits: UploadInputLimits = {}): void {
  checkText('region', input.region);
  checkText('storageRegion', input.storageRegion);
  checkText('mediaName', input.mediaName);
  checkText('mediaType', input.mediaType?.toLowerCase());
  checkText('coverType', input.coverType?.toLowerCase());
  checkText('procedure', input.procedure);
  checkText('expireTime', input.expireTime);
  checkText('sourceContext', input.sourceContext);
  checkText('sessionContext', input.sessionContext);
  checkText('fileName', input.mediaFileName);
  checkText('fileName', input.coverFileName);
  for (const segmentPath of input.segmentPaths ?? []) checkText('segmentPath', segmentPath);
  checkInteger('subAppId', input.subAppId, { min: 1, max: MAX_VOD_ID, code: 'InvalidParameterValue.SubAppId' });
  checkInteger('classId', input.classId, { min: 1, max: MAX_VOD_ID, code: 'InvalidParameter' });
  checkInteger('concurrentUploadNumber', input.concurrentUploadNumber, {
    min: 1,
    max: MAX_CONCURRENT_UPLOAD_NUMBER,
    code: 'InvalidParameter',
  });
  checkInteger('mediaSize', input.mediaSize, { min: 0, max: Number.MAX_SAFE_INTEGER, code: 'InvalidParameter' });
  if (input.mediaSize !== undefined && limits.maxFileBytes !== undefined && input.mediaSize > limits.maxFileBytes) {
    throw new VodError('LimitExceeded', `mediaSize ${input.mediaSize} is larger than the ${limits.maxFileBytes} bytes a file may have.`);
  }
  checkExpireTime(blankToUndefined(input.expireTime), limits.now ?? new Date());
}

/**
 * Applies the seed SDK's defaults and this service's checks before any network call. Every violation
 * is a coded VodError. `now` is injectable for tests.
 */
export function normalizeUploadRequest(input: UploadRequestInput, now: Date = new Date()): UploadRequest {
  checkUploadInput(input, { now });
  const region = input.region.trim();
  if (region === '') throw new VodError('InvalidParameter', 'The region is missing.');
  const mediaType = blankToUndefined(input.mediaType)?.toLowerCase() ?? extensionOf(input.mediaFileName);
  if (mediaType === undefined) {
    throw new VodError('InvalidParameterValue.MediaType', 'The media type is missing and the file name has no extension.');
  }
  const coverType = input.hasCover ? coverTypeOf(input) : undefined;
  const mediaName = blankToUndefined(input.mediaName) ?? baseNameOf(input.mediaFileName);
  // Defaults from the file names obey the same rules as the fields they stand for.
  checkText('mediaType', mediaType);
  checkText('coverType', coverType);
  checkText('mediaName', mediaName);
  const expireTime = blankToUndefined(input.expireTime);
  return {
    region,
    manifestType: mediaType === 'm3u8' || mediaType === 'mpd' ? mediaType : undefined,
    concurrentUploadNumber: input.concurrentUploadNumber,
    apply: {
      mediaType,
      mediaName,
      coverType,
      procedure: blankToUndefined(input.procedure),
      expireTime,
      storageRegion: blankToUndefined(input.storageRegion),
      classId: input.classId,
      sourceContext: input.sourceContext,
      sessionContext: input.sessionContext,
      subAppId: input.subAppId,
    },
  };
}

/** The final extension, lower-cased, without the dot; undefined when there is none (`.hidden`, `a.`). */
export function extensionOf(fileName: string | undefined): string | undefined {
  if (fileName === undefined) return undefined;
  const extension = path.posix.extname(path.posix.basename(fileName.replaceAll('\\', '/')));
  return extension.length > 1 ? extension.slice(1).toLowerCase() : undefined;
}

/** The file name without its final extension (`Wild.life.mp4` → `Wild.life`), as Python's splitext does. */
export function baseNameOf(fileName: string | undefined): string | undefined {
  if (fileName === undefined) return undefined;
  const base = path.posix.basename(fileName.replaceAll('\\', '/'));
  const extension = path.posix.extname(base);
  const name = extension === '' ? base : base.slice(0, -extension.length);
  return name === '' ? undefined : name;
}

function coverTypeOf(input: UploadRequestInput): string {
  const coverType = blankToUndefined(input.coverType)?.toLowerCase() ?? extensionOf(input.coverFileName);
  if (coverType === undefined) {
    throw new VodError('InvalidParameterValue.CoverType', 'The cover type is missing and the file name has no extension.');
  }
  return coverType;
}

const ISO_8601_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

/** A date-time that names a real instant: `Date.parse` rolls 2030-02-31 over into March instead of refusing it. */
function isRealDateTime(text: string): boolean {
  const match = ISO_8601_DATE_TIME.exec(text);
  if (match === null) return false;
  const parts = match.slice(1).map((part) => Number(part ?? 0));
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, , , offsetHours = 0, offsetMinutes = 0] = parts;
  const daysInMonth = new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();
  const dateOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
  const timeOk = hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 14 && offsetMinutes <= 59;
  return dateOk && timeOk;
}

function checkExpireTime(expireTime: string | undefined, now: Date): string | undefined {
  if (expireTime === undefined) return undefined;
  const millis = isRealDateTime(expireTime) ? Date.parse(expireTime) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new VodError('InvalidParameter.ExpireTime', `expireTime is not an ISO 8601 date-time: ${expireTime}.`);
  }
  if (millis <= now.getTime()) {
    throw new VodError('InvalidParameter.ExpireTime', `expireTime ${expireTime} is not in the future.`);
  }
  return expireTime;
}

function blankToUndefined(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
