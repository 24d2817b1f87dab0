import type { UploadRepository } from '../db/upload-repository.ts';
import type { UploadWriter } from '../db/upload-writer.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { isVodError, VodError } from '../errors/vod-error.ts';
import { publishSnapshot, type UploadPubSub } from '../uploads/upload-events.ts';
import type { VodMediaApi } from '../vod/vod-media-api.ts';
import { toMediaInfoRecord, type MediaInfoRecord } from './media-info.ts';

export interface MediaServiceDependencies {
  readonly reader: UploadRepository;
  readonly writer: UploadWriter;
  readonly pubsub: UploadPubSub;
  /** The media API of an access region. */
  readonly vodMediaFor: (region: string) => VodMediaApi;
}

/** A tenant's committed media at VOD: what VOD knows of it, and its deletion. */
export class MediaService {
  constructor(private readonly deps: MediaServiceDependencies) {}

  /**
   * DescribeMediaInfos for the upload's FileId. Undefined for an id that is not the tenant's (exactly
   * like an unused one), an upload without a FileId, or a media VOD no longer has.
   */
  async describe(tenantId: string, id: string): Promise<MediaInfoRecord | undefined> {
    const record = await this.deps.reader.find(tenantId, id);
    if (record?.fileId == null) return undefined;
    const api = this.deps.vodMediaFor(record.region);
    const infos = await api.describeMediaInfos({ fileIds: [record.fileId], subAppId: record.subAppId ?? undefined });
    for (const raw of infos.mediaInfos) {
      const info = toMediaInfoRecord(raw);
      if (info?.fileId === record.fileId) return info;
    }
    return undefined;
  }

  /**
   * DeleteMedia for the upload's FileId; the record keeps its history and gets deletedAt. Deleting
   * again (or a media VOD already lost) answers the record as it is. Only a committed media can be
   * deleted: an upload still running is canceled instead.
   */
  async delete(tenantId: string, id: string): Promise<UploadRecord> {
    const record = await this.deps.reader.find(tenantId, id);
    if (record === undefined) throw new VodError('ResourceNotFound', `No upload with id ${id}.`);
    if (record.deletedAt !== null) return record;
    if (record.fileId === null) {
      throw new VodError('InvalidParameter', `Upload ${id} is ${record.status} and has no media at VOD; cancel it with cancelUpload instead.`, {
        uploadId: id,
      });
    }
    try {
      await this.deps.vodMediaFor(record.region).deleteMedia({ fileId: record.fileId, subAppId: record.subAppId ?? undefined });
    } catch (error) {
      // Gone already is what was asked for.
      if (!(isVodError(error) && error.code === 'ResourceNotFound')) throw isVodError(error) ? error.withUploadId(id) : error;
    }
    await this.deps.writer.markDeleted({ tenantId, id });
    const deleted = await this.deps.reader.find(tenantId, id);
    if (deleted === undefined) throw new VodError('InternalError', `Upload ${id} vanished.`);
    publishSnapshot(this.deps.pubsub, deleted);
    return deleted;
  }
}
