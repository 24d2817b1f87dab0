/** The VOD API actions: ApplyUpload, CommitUpload, ParseStreamingManifest, ModifyMediaInfo (the cover). */
import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { ManifestError } from '../manifest/manifest-error.ts';
import { listManifestReferences } from '../manifest/manifest-references.ts';
import { cosEncode } from './cos-sign.ts';
import type { CredentialStore, TemporaryCredential } from './credentials.ts';
import type { EventQueue } from './event-queue.ts';
import { fileId as newFileId, randomToken } from './ids.ts';
import { mediaBasicInfo, mediaMetaData } from './media-info.ts';
import { isCoverType, isMediaType } from './media-types.ts';
import type { ObjectStore } from './object-store.ts';
import type { EmitEvent, ProcedureRunner } from './procedure-runner.ts';
import { checkKnown, optInt, optString, parseIsoTime, reqString, type Params } from './params.ts';
import { vodErrors } from './vod-errors.ts';
import type { MediaRecord, UploadSession, VodStore } from './vod-store.ts';

export interface VodContext {
  readonly store: VodStore;
  readonly objects: ObjectStore;
  readonly credentials: CredentialStore;
  readonly subAppIds: ReadonlySet<number>;
  readonly appId: string;
  /** `http://127.0.0.1:PORT`: MediaUrl/CoverUrl are path-style URLs under it. */
  readonly publicBaseUrl: () => string;
  readonly nowSeconds: () => number;
  readonly sessionTtlSeconds: number;
  readonly tempCredentialTtlSeconds: number;
  readonly events: EventQueue;
  /** Queues an event (with the event faults applied). */
  readonly emit: EmitEvent;
  readonly procedures: ProcedureRunner;
  /** What PullEvents answers when nothing arrived within the long poll. */
  readonly emptyPullAnswer: EmptyPullAnswer;
}

/** `ResourceNotFound`: an error, as VOD documents; `EmptyEventSet`: `{EventSet: []}`. */
export type EmptyPullAnswer = 'ResourceNotFound' | 'EmptyEventSet';

export interface ActionRequest {
  readonly params: Params;
  /** X-TC-Region (or the emulator's region). */
  readonly region: string;
  readonly requestId: string;
}

export type ActionResult = Readonly<Record<string, unknown>>;

const REGION_RE = /^[a-z]+(-[a-z]+)+(-\d+)?$/;
const REGION_SHORT: Readonly<Record<string, string>> = {
  'ap-guangzhou': 'gzp', 'ap-shanghai': 'shp', 'ap-beijing': 'bjp', 'ap-chengdu': 'cdp', 'ap-chongqing': 'cqp',
  'ap-nanjing': 'njp', 'ap-hongkong': 'hkp', 'ap-singapore': 'sgp', 'ap-mumbai': 'mbp', 'ap-seoul': 'slp',
  'ap-bangkok': 'bkp', 'ap-tokyo': 'tkp', 'na-siliconvalley': 'svp', 'na-ashburn': 'asp', 'eu-frankfurt': 'ffp',
};

export function bucketFor(region: string, appId: string): string {
  const short = REGION_SHORT[region] ?? region.replace(/[^a-z0-9]/g, '');
  return `vod${short}${appId}-${appId}`;
}

export function checkSubApp(ctx: VodContext, params: Params): number {
  const subAppId = optInt(params, 'SubAppId', vodErrors.subAppId) ?? 0;
  if (subAppId !== 0 && !ctx.subAppIds.has(subAppId)) throw vodErrors.subAppId();
  return subAppId;
}

const safeName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64).replace(/^\.+/, '') || 'f0';

export const encodeKeyPath = (key: string): string => key.split('/').map(cosEncode).join('/');

const APPLY_PARAMS = [
  'MediaType', 'SubAppId', 'MediaName', 'CoverType', 'Procedure', 'ExpireTime', 'StorageRegion', 'ClassId',
  'SourceContext', 'SessionContext', 'ExtInfo', 'MediaStoragePath',
];

export async function applyUpload(ctx: VodContext, req: ActionRequest): Promise<ActionResult> {
  const p = req.params;
  checkKnown(p, APPLY_PARAMS);
  const mediaType = reqString(p, 'MediaType');
  if (!isMediaType(mediaType)) throw vodErrors.mediaType();
  const coverType = optString(p, 'CoverType') || undefined;
  if (coverType !== undefined && !isCoverType(coverType)) throw vodErrors.coverType();
  const subAppId = checkSubApp(ctx, p);
  const expireTime = optString(p, 'ExpireTime') || undefined;
  if (expireTime !== undefined) {
    const t = parseIsoTime(expireTime);
    if (Number.isNaN(t) || t <= ctx.nowSeconds() * 1000) throw vodErrors.expireTime();
  }
  const sourceContext = optString(p, 'SourceContext');
  if (sourceContext !== undefined && [...sourceContext].length > 250) throw vodErrors.sourceContext();
  const sessionContext = optString(p, 'SessionContext');
  if (sessionContext !== undefined && [...sessionContext].length > 1000) throw vodErrors.sessionContext();
  const classId = optInt(p, 'ClassId', () => vodErrors.badValue('ClassId')) ?? 0;
  const storageRegion = optString(p, 'StorageRegion') || req.region;
  if (!REGION_RE.test(storageRegion)) throw vodErrors.badValue('StorageRegion');
  const mediaName = optString(p, 'MediaName') ?? '';

  const requestedPath = optString(p, 'MediaStoragePath') || undefined;
  if (requestedPath !== undefined && (!requestedPath.startsWith('/') || requestedPath.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'))) {
    throw vodErrors.badValue('MediaStoragePath');
  }
  const { session, cert } = await openUploadSession(ctx, {
    subAppId, region: req.region, mediaName, mediaType, coverType, procedure: optString(p, 'Procedure'), classId,
    expireTime, sourceContext, sessionContext, extInfo: optString(p, 'ExtInfo'), storageRegion, requestedPath,
  });
  return {
    StorageBucket: session.bucket,
    StorageRegion: storageRegion,
    VodSessionKey: session.vodSessionKey,
    MediaStoragePath: session.mediaStoragePath,
    CoverStoragePath: session.coverStoragePath ?? '',
    TempCertificate: { SecretId: cert.secretId, SecretKey: cert.secretKey, Token: cert.token, ExpiredTime: cert.expiredTime },
  };
}

/** What an upload session is opened with (ApplyUpload's parameters, or a client-upload signature's). */
export type SessionSpec = Omit<UploadSession, 'vodSessionKey' | 'fileId' | 'bucket' | 'mediaStoragePath' | 'coverStoragePath' | 'tempSecretId' | 'createdAt' | 'expiresAt'> & {
  readonly requestedPath?: string | undefined;
  /** Client uploads: the COS key may be used by a browser SDK that does not sign `host`. */
  readonly allowUnsignedHost?: boolean | undefined;
};

/** Opens an upload session: its FileId, storage paths, and a TempCertificate scoped to its directory. */
export async function openUploadSession(ctx: VodContext, spec: SessionSpec): Promise<{ session: UploadSession; cert: TemporaryCredential }> {
  const { requestedPath, allowUnsignedHost, ...fields } = spec;
  const fileId = newFileId();
  const mediaStoragePath = requestedPath ?? `/${randomToken(10)}/${fileId}/${safeName(spec.mediaName)}.${spec.mediaType.toLowerCase()}`;
  const dir = mediaStoragePath.slice(0, mediaStoragePath.lastIndexOf('/'));
  const coverStoragePath = spec.coverType === undefined ? undefined : `${dir}/cover.${spec.coverType.toLowerCase()}`;
  const bucket = bucketFor(spec.storageRegion, ctx.appId);
  const scope = { bucket, prefix: `${dir.slice(1)}/`, ...(allowUnsignedHost === true ? { allowUnsignedHost } : {}) };
  const cert = await ctx.credentials.issue('cos', ctx.tempCredentialTtlSeconds, scope);
  const now = ctx.nowSeconds();
  const session: UploadSession = {
    ...fields, vodSessionKey: randomToken(64), fileId, bucket, mediaStoragePath, coverStoragePath,
    tempSecretId: cert.secretId, createdAt: now, expiresAt: now + ctx.sessionTtlSeconds,
  };
  await ctx.store.addSession(session);
  return { session, cert };
}

export async function commitUpload(ctx: VodContext, req: ActionRequest): Promise<ActionResult> {
  const p = req.params;
  checkKnown(p, ['VodSessionKey', 'SubAppId']);
  const key = reqString(p, 'VodSessionKey');
  const subAppId = checkSubApp(ctx, p);
  const session = ctx.store.session(key);
  if (session === undefined || session.subAppId !== subAppId) throw vodErrors.sessionKey();
  if (session.expiresAt <= ctx.nowSeconds()) {
    await ctx.store.endSession(key);
    throw vodErrors.sessionKey();
  }
  return commitSession(ctx, session, req.requestId);
}

/**
 * Commits an open session: checks its objects are stored, records the media, ends the session,
 * queues NewFileUpload and schedules the procedure. CommitUpload and CommitUploadUGC both end here.
 */
export async function commitSession(ctx: VodContext, session: UploadSession, requestId: string): Promise<ActionResult> {
  const mediaKey = session.mediaStoragePath.slice(1);
  const media = ctx.objects.head(session.bucket, mediaKey);
  if (media === undefined) throw vodErrors.resourceNotFound('media file');
  const coverKey = session.coverStoragePath?.slice(1);
  if (coverKey !== undefined && ctx.objects.head(session.bucket, coverKey) === undefined) {
    throw vodErrors.resourceNotFound('cover file');
  }
  const base = `${ctx.publicBaseUrl()}/${session.bucket}/`;
  const prefix = mediaKey.slice(0, mediaKey.lastIndexOf('/') + 1);
  const { tempSecretId: _t, expiresAt: _e, createdAt, ...rest } = session;
  const record: MediaRecord = {
    ...rest,
    mediaKey,
    coverKey,
    mediaUrl: base + encodeKeyPath(mediaKey),
    coverUrl: coverKey === undefined ? '' : base + encodeKeyPath(coverKey),
    objects: ctx.objects.list(session.bucket, prefix).map((o) => ({ key: o.key, size: o.size, etag: o.etag, crc64: o.crc64 })),
    appliedAt: new Date(createdAt * 1000).toISOString(),
    committedAt: new Date().toISOString(),
    commitRequestId: requestId,
    procedureTask: session.procedure ? ctx.procedures.newTask(session.procedure) : undefined,
  };
  await ctx.store.addMedia(record);
  await ctx.store.endSession(session.vodSessionKey);
  await ctx.emit(record.subAppId, 'NewFileUpload', {
    FileId: record.fileId,
    MediaBasicInfo: mediaBasicInfo(record),
    ProcedureTaskId: record.procedureTask?.taskId ?? '',
    ReviewAudioVideoTaskId: '',
    MetaData: mediaMetaData(record),
  });
  ctx.procedures.schedule(record);
  return { FileId: record.fileId, MediaUrl: record.mediaUrl, CoverUrl: record.coverUrl };
}

export function parseStreamingManifest(ctx: VodContext, req: ActionRequest): ActionResult {
  const p = req.params;
  checkKnown(p, ['MediaManifestContent', 'ManifestType', 'SubAppId']);
  checkSubApp(ctx, p);
  const content = reqString(p, 'MediaManifestContent');
  const type = (optString(p, 'ManifestType') || 'm3u8').toLowerCase();
  if (type !== 'm3u8' && type !== 'mpd') throw vodErrors.badValue('ManifestType');
  try {
    return { MediaSegmentSet: listManifestReferences(type, content) };
  } catch (error) {
    if (error instanceof ManifestError) throw vodErrors.manifest(error.message);
    throw error;
  }
}

/** The image formats ModifyMediaInfo takes as CoverData (as Tencent documents it). */
const COVER_DATA_TYPES: Readonly<Record<string, string>> = { jpg: 'image/jpeg', png: 'image/png', gif: 'image/gif' };
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * ModifyMediaInfo, the part that sets a committed file's cover: `CoverData` (base64 of a jpeg, png or
 * gif) is stored next to the media as `cover.<type>` and served by GET like any object.
 */
export async function modifyMediaInfo(ctx: VodContext, req: ActionRequest): Promise<ActionResult> {
  const p = req.params;
  checkKnown(p, ['FileId', 'SubAppId', 'CoverData']);
  const fileId = reqString(p, 'FileId');
  const subAppId = checkSubApp(ctx, p);
  const coverData = optString(p, 'CoverData');
  const image = coverData === undefined ? undefined : await decodeCoverData(coverData);
  const record = ctx.store.mediaRecord(fileId);
  if (record === undefined || record.subAppId !== subAppId) throw vodErrors.resourceNotFound(`file ${fileId}`);
  if (image === undefined) return {};
  const dir = record.mediaKey.slice(0, record.mediaKey.lastIndexOf('/') + 1);
  const coverKey = `${dir}cover.${image.type}`;
  await ctx.objects.putStream(record.bucket, coverKey, Readable.from([image.bytes]), { contentType: image.contentType });
  if (record.coverKey !== undefined && record.coverKey !== coverKey) await ctx.objects.delete(record.bucket, record.coverKey);
  const coverUrl = `${ctx.publicBaseUrl()}/${record.bucket}/${encodeKeyPath(coverKey)}`;
  const latest = ctx.store.mediaRecord(fileId) ?? record;
  await ctx.store.addMedia({ ...latest, coverType: image.type, coverKey, coverUrl, updatedAt: new Date().toISOString() });
  return { CoverUrl: coverUrl };
}

async function decodeCoverData(coverData: string): Promise<{ bytes: Buffer; type: string; contentType: string }> {
  if (coverData === '' || !BASE64_RE.test(coverData)) throw vodErrors.badParameter('CoverData is not base64');
  const bytes = Buffer.from(coverData, 'base64');
  const ext = (await fileTypeFromBuffer(bytes))?.ext;
  const contentType = ext === undefined ? undefined : COVER_DATA_TYPES[ext];
  if (ext === undefined || contentType === undefined) throw vodErrors.coverType();
  return { bytes, type: ext, contentType };
}
