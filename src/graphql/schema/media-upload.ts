import { VodError } from '../../errors/vod-error.ts';
import { builder } from '../builder.ts';
import { encodeCursor } from '../../db/upload-repository.ts';
import {
  FILE_ROLES,
  PROCESSING_STATUSES,
  UPLOAD_SOURCES,
  UPLOAD_STATUSES,
  type ProcessingOutput,
  type ProcessingRecord,
  uploadProgress,
  type StoredFileRecord,
  type UploadRecord,
} from '../../domain/upload-record.ts';

export const UploadStatusEnum = builder.enumType('UploadStatus', { values: UPLOAD_STATUSES });
export const FileRoleEnum = builder.enumType('FileRole', { values: FILE_ROLES });

const UploadErrorRef = builder.objectRef<{ code: string; message: string }>('UploadError').implement({
  description: 'Why an upload failed: the API error code and a human-readable message.',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
  }),
});

const StoredFileRef = builder.objectRef<StoredFileRecord>('StoredFile').implement({
  description: 'An object written to storage: the media, the cover, or an HLS/DASH segment.',
  fields: (t) => ({
    role: t.field({ type: FileRoleEnum, resolve: (file) => file.role }),
    path: t.exposeString('path'),
    bytes: t.field({ type: 'Long', resolve: (file) => file.bytes }),
    sha256: t.exposeString('sha256'),
  }),
});

export const ProcessingStatusEnum = builder.enumType('ProcessingStatus', {
  values: PROCESSING_STATUSES,
  description: 'What VOD\'s task flow (procedure) did with the committed media. NONE: no task flow ran.',
});
export const UploadSourceEnum = builder.enumType('UploadSource', {
  values: UPLOAD_SOURCES,
  description: 'THROUGH_SERVICE: uploadMedia/resumeUpload; DIRECT: createDirectUpload (the bytes went straight to VOD).',
});

export const ProcessingOutputRef = builder.objectRef<ProcessingOutput>('ProcessingOutput').implement({
  description: "One output of the task flow: a transcode, a snapshot, a cover (kind is VOD's result type).",
  fields: (t) => ({
    kind: t.exposeString('kind'),
    definition: t.exposeInt('definition', { nullable: true }),
    url: t.exposeString('url'),
    size: t.field({ type: 'Long', nullable: true, resolve: (output) => output.size }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    bitrate: t.exposeInt('bitrate', { nullable: true }),
    container: t.exposeString('container', { nullable: true }),
  }),
});

const MediaProcessingRef = builder.objectRef<ProcessingRecord>('MediaProcessing').implement({
  description: "The task flow after the upload, as VOD's events report it (QUEUED at commit, PROCESSING, then SUCCEEDED or FAILED).",
  fields: (t) => ({
    status: t.field({ type: ProcessingStatusEnum, resolve: (processing) => processing.status }),
    taskId: t.exposeString('taskId', { nullable: true, description: "VOD's ProcedureTask id." }),
    error: t.field({
      type: UploadErrorRef,
      nullable: true,
      description: "FAILED: VOD's error code (ErrCodeExt, else ErrCode.<n>) and message.",
      resolve: (processing) => processing.error,
    }),
    outputs: t.field({ type: [ProcessingOutputRef], resolve: (processing) => [...processing.outputs] }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (processing) => processing.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (processing) => processing.finishedAt }),
  }),
});

export const MediaUploadRef = builder.objectRef<UploadRecord>('MediaUpload').implement({
  description: 'One media upload and everything known about it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.field({ type: UploadStatusEnum, resolve: (upload) => upload.status }),
    region: t.exposeString('region', { description: 'Access region of the VOD API.' }),
    mediaName: t.exposeString('mediaName'),
    mediaType: t.exposeString('mediaType'),
    coverType: t.exposeString('coverType', { nullable: true }),
    procedure: t.exposeString('procedure', { nullable: true }),
    subAppId: t.exposeInt('subAppId', { nullable: true }),
    classId: t.exposeInt('classId', { nullable: true }),
    storageRegion: t.exposeString('storageRegion', { nullable: true }),
    expireTime: t.field({ type: 'DateTime', nullable: true, resolve: (upload) => upload.expireTime }),
    sourceContext: t.exposeString('sourceContext', { nullable: true }),
    bytesTotal: t.field({
      type: 'Long',
      nullable: true,
      description:
        'Exact once the streams ended (COMMITTING on). Before: mediaSize when given, else the request\'s Content-Length less its non-file parts (never below the real total); unknown (null) for a chunked request without mediaSize.',
      resolve: (upload) => upload.bytesTotal,
    }),
    bytesReceived: t.field({
      type: 'Long',
      description: 'Read from the client so far.',
      resolve: (upload) => upload.bytesReceived,
    }),
    bytesUploaded: t.field({
      type: 'Long',
      description: 'Acknowledged by object storage so far.',
      resolve: (upload) => upload.bytesUploaded,
    }),
    progress: t.float({ nullable: true, description: '0..1 when bytesTotal is known.', resolve: uploadProgress }),
    fileId: t.exposeString('fileId', { nullable: true, description: 'From CommitUpload.' }),
    mediaUrl: t.exposeString('mediaUrl', { nullable: true }),
    coverUrl: t.exposeString('coverUrl', { nullable: true }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'RequestId of the last VOD API call.' }),
    error: t.field({ type: UploadErrorRef, nullable: true, resolve: (upload) => upload.error }),
    files: t.field({ type: [StoredFileRef], resolve: (upload) => [...upload.files] }),
    createdAt: t.field({ type: 'DateTime', resolve: (upload) => upload.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (upload) => upload.updatedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (upload) => upload.finishedAt }),
    resumableOffset: t.field({
      type: 'Long',
      nullable: true,
      description: 'PAUSED: media bytes durably stored (a part boundary); resumeUpload sends the media from here.',
      resolve: (upload) => upload.resumableOffset,
    }),
    resumableUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'PAUSED: after this the upload is swept and FAILED (ResumeExpired).',
      resolve: (upload) => upload.resumableUntil,
    }),
    source: t.field({ type: UploadSourceEnum, resolve: (upload) => upload.source }),
    processing: t.field({ type: MediaProcessingRef, resolve: (upload) => upload.processing }),
    deletedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The media was deleted from VOD (deleteMedia, or a FileDeleted event); the record keeps its history.',
      resolve: (upload) => upload.deletedAt,
    }),
  }),
});

const MediaUploadEdgeRef = builder.objectRef<UploadRecord>('MediaUploadEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: encodeCursor }),
    node: t.field({ type: MediaUploadRef, resolve: (upload) => upload }),
  }),
});

interface PageInfoShape {
  hasNextPage: boolean;
  endCursor: string | null;
}

const PageInfoRef = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const MediaUploadConnectionRef = builder
  .objectRef<{ records: readonly UploadRecord[]; hasNextPage: boolean }>('MediaUploadConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [MediaUploadEdgeRef], resolve: (page) => [...page.records] }),
      pageInfo: t.field({
        type: PageInfoRef,
        resolve: (page) => {
          const last = page.records.at(-1);
          return { hasNextPage: page.hasNextPage, endCursor: last === undefined ? null : encodeCursor(last) };
        },
      }),
    }),
  });

const MAX_PAGE_SIZE = 100;

builder.queryType({
  fields: (t) => ({
    upload: t.field({
      type: MediaUploadRef,
      nullable: true,
      description: "One of your uploads by id. Another tenant's id answers ResourceNotFound.",
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_root, { id }, context) => {
        const record = await context.uploads.find(context.tenantId, id);
        if (record === undefined) throw new VodError('ResourceNotFound', `No upload with id ${id}.`);
        return record;
      },
    }),
    uploads: t.field({
      type: MediaUploadConnectionRef,
      description: 'Your uploads, newest first (Relay-style cursor pagination).',
      args: {
        first: t.arg.int({ required: false }),
        after: t.arg.string({ required: false }),
        status: t.arg({ type: UploadStatusEnum, required: false }),
      },
      resolve: async (_root, args, context) => {
        const first = args.first ?? 20;
        if (first < 0 || first > MAX_PAGE_SIZE) {
          throw new VodError('InvalidParameter', `"first" must be between 0 and ${MAX_PAGE_SIZE}.`);
        }
        return context.uploads.list(context.tenantId, {
          first,
          after: args.after ?? undefined,
          status: args.status ?? undefined,
        });
      },
    }),
  }),
});
