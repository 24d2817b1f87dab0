import { builder } from '../builder.ts';
import { MediaUploadRef } from './media-upload.ts';

const SegmentInput = builder.inputType('SegmentInput', {
  description: 'One file an HLS/DASH manifest references.',
  fields: (t) => ({
    path: t.string({ required: true, description: 'Path relative to the manifest, as the manifest writes it.' }),
    file: t.field({ type: 'Upload', required: true }),
  }),
});

const UploadMediaInput = builder.inputType('UploadMediaInput', {
  description:
    'A media upload. The media and the cover may come in any order in the multipart body, with or without coverType (else the cover file name, else its magic bytes, give the type); segments follow both, in list order (any other order: InvalidParameter at once). A cover sent after the media without coverType is set after the commit with ModifyMediaInfo: jpeg, png or gif, at most 5 MiB.',
  fields: (t) => ({
    id: t.id({ required: false, description: 'Optional client-chosen UUID: subscribe before sending; idempotency key.' }),
    media: t.field({ type: 'Upload', required: true, description: 'The media file, or the HLS/DASH manifest.' }),
    cover: t.field({ type: 'Upload', required: false }),
    segments: t.field({
      type: [SegmentInput],
      required: false,
      description: 'HLS/DASH: every file the manifest references (nested playlists first).',
    }),
    region: t.string({ required: false, description: 'Access region of the VOD API; default from configuration.' }),
    mediaName: t.string({ required: false, description: 'Default: the media file name without its extension.' }),
    mediaType: t.string({ required: false, description: "Default: the media file name's extension." }),
    coverType: t.string({ required: false, description: "Default: the cover file name's extension, else the type its magic bytes give." }),
    procedure: t.string({ required: false, description: 'Task flow to run after the upload.' }),
    subAppId: t.int({ required: false }),
    classId: t.int({ required: false }),
    storageRegion: t.string({ required: false }),
    expireTime: t.string({ required: false, description: 'ISO 8601; bad or past -> InvalidParameter.ExpireTime.' }),
    sourceContext: t.string({ required: false, description: 'At most 250 characters.' }),
    sessionContext: t.string({ required: false, description: 'At most 1000 characters; returned in task-flow callbacks.' }),
    concurrentUploadNumber: t.int({ required: false, description: 'Parts in flight (1..64).' }),
    mediaSize: t.field({ type: 'Long', required: false, description: 'Optional size hint, for progress before the stream ends.' }),
  }),
});

builder.mutationType({
  fields: (t) => ({
    uploadMedia: t.field({
      type: MediaUploadRef,
      description: 'Streams the files to VOD and returns when committed (or fails with a coded error).',
      args: { input: t.arg({ type: UploadMediaInput, required: true }) },
      resolve: (_root, { input }, context) =>
        context.uploadService.upload({
          tenantId: context.tenantId,
          id: input.id ?? undefined,
          signal: context.signal,
          media: input.media,
          cover: input.cover ?? undefined,
          segments: input.segments?.map((segment) => ({ path: segment.path, file: segment.file })),
          mediaSize: input.mediaSize ?? undefined,
          requestFileBytes: context.requestFileBytes,
          fields: {
            region: input.region ?? undefined,
            mediaName: input.mediaName ?? undefined,
            mediaType: input.mediaType ?? undefined,
            coverType: input.coverType ?? undefined,
            procedure: input.procedure ?? undefined,
            subAppId: input.subAppId ?? undefined,
            classId: input.classId ?? undefined,
            storageRegion: input.storageRegion ?? undefined,
            expireTime: input.expireTime ?? undefined,
            sourceContext: input.sourceContext ?? undefined,
            sessionContext: input.sessionContext ?? undefined,
            concurrentUploadNumber: input.concurrentUploadNumber ?? undefined,
          },
        }),
    }),
    cancelUpload: t.field({
      type: MediaUploadRef,
      description: 'Aborts an in-flight upload; returns its record once it has stopped.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, { id }, context) => context.uploadService.cancel(context.tenantId, id),
    }),
  }),
});
