import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Upload as UploadRow, StoredFile as StoredFileRow } from '../generated/prisma/client.ts';
import { VodError } from '../errors/vod-error.ts';
import type { ProcessingOutput, UploadRecord, UploadStatus } from '../domain/upload-record.ts';

export interface UploadPage {
  readonly records: readonly UploadRecord[];
  readonly hasNextPage: boolean;
}

export interface ListUploadsOptions {
  readonly first: number;
  readonly after?: string | undefined;
  readonly status?: UploadStatus | undefined;
}

/** What a row needs loaded with it to become an UploadRecord: the files stored so far. */
export const UPLOAD_RECORD_INCLUDE = { files: { where: { storedAt: { not: null } }, orderBy: { createdAt: 'asc' } } } as const;

export class UploadRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The tenant's upload, or undefined (another tenant's id is simply not found). */
  async find(tenantId: string, id: string): Promise<UploadRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.prisma.upload.findUnique({
      where: { tenantId_id: { tenantId, id } },
      include: UPLOAD_RECORD_INCLUDE,
    });
    return row === null ? undefined : toUploadRecord(row);
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async list(tenantId: string, options: ListUploadsOptions): Promise<UploadPage> {
    const cursor = options.after === undefined ? undefined : decodeCursor(options.after);
    const rows = await this.prisma.upload.findMany({
      where: {
        tenantId,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(cursor === undefined
          ? {}
          : {
              OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
            }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: options.first + 1,
      include: UPLOAD_RECORD_INCLUDE,
    });
    return { records: rows.slice(0, options.first).map(toUploadRecord), hasNextPage: rows.length > options.first };
  }
}

/** The sub-applications uploads went to (their VOD events are pulled per sub-application). */
export async function distinctSubAppIds(prisma: PrismaClient): Promise<number[]> {
  const rows = await prisma.upload.findMany({ where: { subAppId: { not: null } }, distinct: ['subAppId'], select: { subAppId: true } });
  return rows.flatMap((row) => (row.subAppId === null ? [] : [row.subAppId]));
}

export function encodeCursor(record: Pick<UploadRecord, 'createdAt' | 'id'>): string {
  return Buffer.from(`${record.createdAt.toISOString()}|${record.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (id === undefined || !isUuid(id) || Number.isNaN(createdAt.getTime())) {
    throw new VodError('InvalidParameter', 'The cursor given in "after" is not one this API returned.');
  }
  return { createdAt, id };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** A row (with `UPLOAD_RECORD_INCLUDE`) as the API shows it. */
export function toUploadRecord(row: UploadRow & { files: StoredFileRow[] }): UploadRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    status: row.status,
    region: row.region,
    mediaName: row.mediaName,
    mediaType: row.mediaType,
    coverType: row.coverType,
    procedure: row.procedure,
    subAppId: row.subAppId,
    classId: row.classId,
    storageRegion: row.storageRegion,
    expireTime: row.expireTime,
    sourceContext: row.sourceContext,
    bytesTotal: row.bytesTotal === null ? null : Number(row.bytesTotal),
    bytesReceived: Number(row.bytesReceived),
    bytesUploaded: Number(row.bytesUploaded),
    fileId: row.fileId,
    mediaUrl: row.mediaUrl,
    coverUrl: row.coverUrl,
    requestId: row.requestId,
    error: row.errorCode === null ? null : { code: row.errorCode, message: row.errorMessage ?? '' },
    files: row.files.flatMap((file) =>
      file.sha256 === null ? [] : [{ role: file.role, path: file.path, bytes: Number(file.bytes), sha256: file.sha256 }],
    ),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
    resumableOffset: row.status === 'PAUSED' && row.resumableOffset !== null ? Number(row.resumableOffset) : null,
    resumableUntil: row.status === 'PAUSED' ? row.resumableUntil : null,
    source: row.source,
    processing: {
      status: row.processingStatus,
      taskId: row.processingTaskId,
      error: row.processingErrorCode === null ? null : { code: row.processingErrorCode, message: row.processingErrorMessage ?? '' },
      outputs: processingOutputsOf(row.processingOutputs),
      startedAt: row.processingStartedAt,
      finishedAt: row.processingFinishedAt,
    },
    deletedAt: row.deletedAt,
  };
}

/** The outputs column as written by the event applier (a JSON array of ProcessingOutput). */
function processingOutputsOf(value: unknown): ProcessingOutput[] {
  return Array.isArray(value) ? (value as ProcessingOutput[]) : [];
}
