import type { PrismaClient } from '../generated/prisma/client.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { VodError } from '../errors/vod-error.ts';

/** What a direct upload's record holds before VOD reports it: the request, not yet the file. */
export type NewDirectUploadFields = Pick<
  UploadRecord,
  'region' | 'mediaName' | 'procedure' | 'subAppId' | 'classId' | 'storageRegion' | 'expireTime' | 'sourceContext'
>;

/** The uploads table, for direct uploads (`source: DIRECT`): their creation and their expiry. */
export class DirectUploadRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Writes the PENDING record. An id the tenant used before (for any upload) is refused: a direct
   * upload's id is fresh, since a second signature for one record would make two uploads.
   */
  async create(key: UploadKey, fields: NewDirectUploadFields): Promise<void> {
    try {
      await this.prisma.upload.create({
        data: { ...key, ...fields, mediaType: '', status: 'PENDING', source: 'DIRECT' },
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'P2002') {
        throw new VodError('InvalidParameter', 'This upload id is already in use; a direct upload needs a new id.', { uploadId: key.id });
      }
      throw error;
    }
  }

  /**
   * Fails the DIRECT uploads still PENDING that were created before `createdBefore` (their
   * signature and grace have run out). Each is moved by one conditional update, so instances
   * sweeping at once fail each upload once; returns the keys this call moved.
   */
  async failPendingCreatedBefore(createdBefore: Date, now: Date, error: { code: string; message: string }, limit: number): Promise<UploadKey[]> {
    const candidates = await this.prisma.upload.findMany({
      where: { source: 'DIRECT', status: 'PENDING', createdAt: { lt: createdBefore } },
      select: { tenantId: true, id: true },
      take: limit,
    });
    const moved: UploadKey[] = [];
    for (const key of candidates) {
      const { count } = await this.prisma.upload.updateMany({
        where: { ...key, source: 'DIRECT', status: 'PENDING' },
        data: { status: 'FAILED', errorCode: error.code, errorMessage: error.message, finishedAt: now },
      });
      if (count === 1) moved.push(key);
    }
    return moved;
  }
}
