/** The media actions after an upload: DescribeMediaInfos and DeleteMedia. */
import { mediaBasicInfo, mediaMetaData, snapshotItems, transcodeItem } from './media-info.ts';
import { checkKnown, optStringArray, reqString, type Params } from './params.ts';
import { checkSubApp, type ActionRequest, type ActionResult, type VodContext } from './vod-actions.ts';
import { vodErrors } from './vod-errors.ts';
import type { MediaRecord, ProcessedOutput } from './vod-store.ts';

/** DescribeMediaInfos takes at most this many FileIds (VOD: 20). */
const MAX_FILE_IDS = 20;

/** The DescribeMediaInfos filters the emulator has data for. */
type InfoFilter = 'basicInfo' | 'metaData' | 'transcodeInfo' | 'snapshotByTimeOffsetInfo';

function mediaInfo(record: MediaRecord, filters: ReadonlySet<string>): Record<string, unknown> {
  const wanted = (f: InfoFilter): boolean => filters.size === 0 || filters.has(f);
  const outputs = record.outputs ?? [];
  const transcodes = outputs.filter((o) => o.kind === 'Transcode');
  const snapshots = snapshotItems(outputs);
  return {
    FileId: record.fileId,
    BasicInfo: wanted('basicInfo') ? mediaBasicInfo(record) : null,
    MetaData: wanted('metaData') ? mediaMetaData(record) : null,
    TranscodeInfo: wanted('transcodeInfo') && transcodes.length > 0 ? { TranscodeSet: transcodes.map(transcodeItem) } : null,
    SnapshotByTimeOffsetInfo: wanted('snapshotByTimeOffsetInfo') && snapshots.length > 0 ? { SnapshotByTimeOffsetSet: snapshots } : null,
  };
}

/**
 * Known files of the SubAppId go to MediaInfoSet, the rest to NotExistFileIdSet (not an error, even
 * when none is known). Filters the emulator has no data for give nothing.
 */
export function describeMediaInfos(ctx: VodContext, req: ActionRequest): ActionResult {
  const p = req.params;
  checkKnown(p, ['FileIds', 'SubAppId', 'Filters']);
  const fileIds = optStringArray(p, 'FileIds') ?? [];
  if (fileIds.length === 0) throw vodErrors.fileIdsEmpty();
  if (fileIds.length > MAX_FILE_IDS) throw vodErrors.fileIdsOverLimit(MAX_FILE_IDS);
  const filters = new Set(optStringArray(p, 'Filters') ?? []);
  const subAppId = checkSubApp(ctx, p);
  const found: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const fileId of new Set(fileIds)) {
    const record = ctx.store.mediaRecord(fileId);
    if (record === undefined || record.subAppId !== subAppId) missing.push(fileId);
    else found.push(mediaInfo(record, filters));
  }
  return { MediaInfoSet: found, NotExistFileIdSet: missing };
}

const DELETE_PART_TYPES = ['OriginalFiles', 'TranscodeFiles', 'AdaptiveDynamicStreamingFiles', 'WechatPublishFiles', 'WechatMiniProgramPublishFiles'];

interface DeletePart {
  readonly Type: string;
  readonly Definition: number;
}

function deleteParts(p: Params): DeletePart[] {
  const v = p['DeleteParts'];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw vodErrors.badParameter('DeleteParts must be an array');
  return v.map((item: unknown) => {
    const part = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const type = part['Type'];
    const definition = part['Definition'] ?? 0;
    if (typeof type !== 'string' || !DELETE_PART_TYPES.includes(type)) throw vodErrors.badValue('DeleteParts');
    if (typeof definition !== 'number' || !Number.isSafeInteger(definition) || definition < 0) throw vodErrors.badValue('DeleteParts');
    return { Type: type, Definition: definition };
  });
}

/**
 * Without DeleteParts: the media, its cover, segments and every processed output are deleted with the
 * record, and `FileDeleted` is queued. With DeleteParts: `OriginalFiles` deletes the uploaded objects
 * (media, cover, segments), `TranscodeFiles` the transcodes (of `Definition`, or all for 0); the record
 * stays. An unknown FileId (or one of another SubAppId) is `ResourceNotFound`.
 */
export async function deleteMedia(ctx: VodContext, req: ActionRequest): Promise<ActionResult> {
  const p = req.params;
  checkKnown(p, ['FileId', 'SubAppId', 'DeleteParts']);
  const fileId = reqString(p, 'FileId');
  const parts = deleteParts(p);
  const subAppId = checkSubApp(ctx, p);
  const record = ctx.store.mediaRecord(fileId);
  if (record === undefined || record.subAppId !== subAppId) throw vodErrors.fileNotExist(fileId);
  if (parts.length === 0) {
    ctx.procedures.cancel(fileId);
    await ctx.store.removeMedia(fileId);
    const keys = new Set([record.mediaKey, ...record.objects.map((o) => o.key), ...(record.outputs ?? []).map((o) => o.key)]);
    if (record.coverKey !== undefined) keys.add(record.coverKey);
    for (const key of keys) await ctx.objects.delete(record.bucket, key);
  } else {
    await deleteSomeParts(ctx, record, parts);
  }
  await ctx.emit(subAppId, 'FileDeleted', { FileIdSet: [fileId], FileDeleteResultInfo: [{ FileId: fileId, DeleteParts: parts }] });
  return {};
}

async function deleteSomeParts(ctx: VodContext, record: MediaRecord, parts: readonly DeletePart[]): Promise<void> {
  const doomed = (o: ProcessedOutput): boolean =>
    o.kind === 'Transcode' && parts.some((d) => d.Type === 'TranscodeFiles' && (d.Definition === 0 || d.Definition === o.definition));
  const outputs = record.outputs ?? [];
  const keys = outputs.filter(doomed).map((o) => o.key);
  if (parts.some((d) => d.Type === 'OriginalFiles')) keys.push(...record.objects.map((o) => o.key));
  for (const key of keys) await ctx.objects.delete(record.bucket, key);
  const latest = ctx.store.mediaRecord(record.fileId) ?? record;
  await ctx.store.addMedia({ ...latest, outputs: (latest.outputs ?? []).filter((o) => !doomed(o)), updatedAt: new Date().toISOString() });
}
