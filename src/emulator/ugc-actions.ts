/**
 * VOD's client-upload API as vod-js-sdk-v6 speaks it: ApplyUploadUGC opens an upload session for a
 * signed client (a TempCertificate for COS, the storage paths), CommitUploadUGC commits it exactly
 * like CommitUpload (media record, NewFileUpload event, procedure), PrepareUploadUGC answers one
 * region (so the SDK runs no region race).
 */
import { isCoverType, isMediaType } from './media-types.ts';
import { commitSession, openUploadSession, type VodContext } from './vod-actions.ts';
import { ugcErrors } from './ugc-errors.ts';
import { verifyUgcSignature, type UsedSignatures } from './ugc-signature.ts';
import { VodApiError } from './vod-errors.ts';

export interface UgcContext {
  readonly vod: VodContext;
  readonly defaultRegion: string;
  readonly usedSignatures: UsedSignatures;
}

export type UgcBody = Readonly<Record<string, unknown>>;
export type UgcData = Readonly<Record<string, unknown>>;

const REGION_RE = /^[a-z]+(-[a-z]+)+(-\d+)?$/;
const FILE_NAME_CHARS = /[:*?<>"\\/|]/;

const optText = (body: UgcBody, name: string): string | undefined => {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw ugcErrors.invalidRequest(`${name} must be a string`);
  return value;
};

const optSize = (body: UgcBody, name: string): number | undefined => {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw ugcErrors.invalidRequest(`${name} must be a byte count`);
  return value;
};

/** The VOD API's own checks (subAppId, …) answer VodApiError; the client-upload API answers codes. */
async function asUgc<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof VodApiError) throw ugcErrors.invalidFile(`${error.code}: ${error.message}`);
    throw error;
  }
}

export function prepareUploadUGC(ctx: UgcContext): UgcData {
  return { appId: Number(ctx.vod.appId), cosRegionList: [] };
}

export async function applyUploadUGC(ctx: UgcContext, body: UgcBody): Promise<UgcData> {
  const now = ctx.vod.nowSeconds();
  const grant = verifyUgcSignature(body['signature'], ctx.vod.credentials, now);
  if (grant.subAppId !== 0 && !ctx.vod.subAppIds.has(grant.subAppId)) throw ugcErrors.invalidSignature();
  if (optText(body, 'fileId') !== undefined) throw ugcErrors.invalidRequest('changing the cover of a stored file is not emulated');
  const resumeKey = optText(body, 'vodSessionKey');
  if (resumeKey !== undefined) {
    const session = ctx.vod.store.session(resumeKey);
    if (session === undefined || session.sourceContext !== grant.sourceContext || session.expiresAt <= now) throw ugcErrors.invalidSession();
    const cert = await ctx.vod.credentials.issue('cos', ctx.vod.tempCredentialTtlSeconds, {
      bucket: session.bucket, prefix: session.mediaStoragePath.slice(1, session.mediaStoragePath.lastIndexOf('/') + 1), allowUnsignedHost: true,
    });
    return applyData(ctx, session, cert, now);
  }
  const videoType = optText(body, 'videoType') ?? '';
  if (!isMediaType(videoType)) throw ugcErrors.invalidFile('invalid video type');
  const coverType = optText(body, 'coverType');
  if (coverType !== undefined && !isCoverType(coverType)) throw ugcErrors.invalidFile('invalid cover type');
  const mediaName = optText(body, 'videoName') ?? '';
  if (FILE_NAME_CHARS.test(mediaName) || [...mediaName].length > 256) throw ugcErrors.invalidFile('invalid video name');
  optSize(body, 'videoSize');
  optSize(body, 'coverSize');
  const storageRegion = grant.storageRegion ?? optText(body, 'storageRegion') ?? ctx.defaultRegion;
  if (!REGION_RE.test(storageRegion)) throw ugcErrors.invalidRequest('invalid storageRegion');
  const expireTime = optText(body, 'ExpireTime');
  ctx.usedSignatures.take(grant, now);
  const { session, cert } = await asUgc(() =>
    openUploadSession(ctx.vod, {
      subAppId: grant.subAppId, region: ctx.defaultRegion, mediaName, mediaType: videoType.toLowerCase(),
      coverType: coverType?.toLowerCase(), procedure: grant.procedure, classId: grant.classId, expireTime,
      sourceContext: grant.sourceContext, sessionContext: grant.sessionContext, extInfo: undefined, storageRegion,
      allowUnsignedHost: true,
    }),
  );
  return applyData(ctx, session, cert, now);
}

function applyData(
  ctx: UgcContext,
  session: { bucket: string; storageRegion: string; vodSessionKey: string; mediaStoragePath: string; coverStoragePath?: string | undefined },
  cert: { secretId: string; secretKey: string; token: string; expiredTime: number },
  now: number,
): UgcData {
  const appId = Number(ctx.vod.appId);
  const bucketName = session.bucket.slice(0, session.bucket.lastIndexOf('-'));
  return {
    video: { storageSignature: '', storagePath: session.mediaStoragePath },
    ...(session.coverStoragePath === undefined ? {} : { cover: { storageSignature: '', storagePath: session.coverStoragePath } }),
    storageAppId: appId,
    storageBucket: bucketName,
    storageRegion: session.storageRegion,
    storageRegionV5: session.storageRegion,
    StorageRegionV5: session.storageRegion,
    domain: `${session.bucket}.cos.${session.storageRegion}.myqcloud.com`,
    vodSessionKey: session.vodSessionKey,
    tempCertificate: { secretId: cert.secretId, secretKey: cert.secretKey, token: cert.token, expiredTime: cert.expiredTime },
    appId,
    timestamp: now,
  };
}

/**
 * Commits the session the signature applied for. The signature must be authentic and carry the
 * session's SourceContext (one upload's signature cannot commit another's session); its expiry
 * only gates ApplyUploadUGC, so an upload longer than the signature's validity still commits.
 */
export async function commitUploadUGC(ctx: UgcContext, body: UgcBody, requestId: string): Promise<UgcData> {
  const grant = verifyUgcSignature(body['signature'], ctx.vod.credentials, ctx.vod.nowSeconds(), { ignoreExpiry: true });
  const key = optText(body, 'vodSessionKey');
  const session = key === undefined ? undefined : ctx.vod.store.session(key);
  if (session === undefined || session.sourceContext !== grant.sourceContext || session.subAppId !== grant.subAppId) throw ugcErrors.invalidSession();
  if (session.expiresAt <= ctx.vod.nowSeconds()) {
    await ctx.vod.store.endSession(session.vodSessionKey);
    throw ugcErrors.invalidSession();
  }
  const result = await asUgc(() => commitSession(ctx.vod, session, requestId));
  return {
    fileId: result['FileId'],
    video: { url: result['MediaUrl'], verify_content: '' },
    ...(session.coverStoragePath === undefined ? {} : { cover: { url: result['CoverUrl'] } }),
  };
}

