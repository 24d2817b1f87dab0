import path from 'node:path';
import { VodError } from '../errors/vod-error.ts';
import type { ApplyUploadInput, ManifestType } from '../vod/vod-api.ts';

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

export const SOURCE_CONTEXT_MAX_CHARS = 250;
export const SESSION_CONTEXT_MAX_CHARS = 1000;
export const MAX_CONCURRENT_UPLOAD_NUMBER = 64;

/**
 * Applies the seed SDK's defaults and this service's checks before any network call. Every violation
 * is a coded VodError. `now` is injectable for tests.
 */
export function normalizeUploadRequest(input: UploadRequestInput, now: Date = new Date()): UploadRequest {
  const region = input.region.trim();
  if (region === '') throw new VodError('InvalidParameter', 'The region is missing.');
  const mediaType = blankToUndefined(input.mediaType)?.toLowerCase() ?? extensionOf(input.mediaFileName);
  if (mediaType === undefined) {
    throw new VodError('InvalidParameterValue.MediaType', 'The media type is missing and the file name has no extension.');
  }
  const coverType = input.hasCover ? coverTypeOf(input) : undefined;
  checkSubAppId(input.subAppId);
  checkPositiveInteger(input.classId, 'classId', 'InvalidParameter');
  checkConcurrency(input.concurrentUploadNumber);
  checkLength(input.sourceContext, SOURCE_CONTEXT_MAX_CHARS, 'sourceContext');
  checkLength(input.sessionContext, SESSION_CONTEXT_MAX_CHARS, 'sessionContext');
  const expireTime = checkExpireTime(blankToUndefined(input.expireTime), now);
  return {
    region,
    manifestType: mediaType === 'm3u8' || mediaType === 'mpd' ? mediaType : undefined,
    concurrentUploadNumber: input.concurrentUploadNumber,
    apply: {
      mediaType,
      mediaName: blankToUndefined(input.mediaName) ?? baseNameOf(input.mediaFileName),
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

function checkSubAppId(subAppId: number | undefined): void {
  checkPositiveInteger(subAppId, 'subAppId', 'InvalidParameterValue.SubAppId');
}

function checkPositiveInteger(
  value: number | undefined,
  field: string,
  code: 'InvalidParameter' | 'InvalidParameterValue.SubAppId',
): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
    throw new VodError(code, `${field} must be a positive integer, got ${String(value)}.`);
  }
}

function checkConcurrency(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENT_UPLOAD_NUMBER) {
    throw new VodError(
      'InvalidParameter',
      `concurrentUploadNumber must be an integer from 1 to ${MAX_CONCURRENT_UPLOAD_NUMBER}, got ${String(value)}.`,
    );
  }
}

function checkLength(value: string | undefined, max: number, field: string): void {
  if (value !== undefined && [...value].length > max) {
    throw new VodError('InvalidParameter', `${field} is longer than ${max} characters.`);
  }
}

const ISO_8601_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function checkExpireTime(expireTime: string | undefined, now: Date): string | undefined {
  if (expireTime === undefined) return undefined;
  const millis = ISO_8601_DATE_TIME.test(expireTime) ? Date.parse(expireTime) : Number.NaN;
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
