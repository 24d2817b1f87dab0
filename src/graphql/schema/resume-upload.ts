import { builder } from '../builder.ts';
import { MediaUploadRef } from './media-upload.ts';

const ResumeUploadInput = builder.inputType('ResumeUploadInput', {
  description:
    'Continues a PAUSED upload. Send the media from `offset` (the record\'s resumableOffset) to its end, then the cover again if the upload has one.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The paused upload.' }),
    offset: t.field({
      type: 'Long',
      required: true,
      description: "Must equal the upload's resumableOffset; otherwise ResumeOffsetMismatch with extensions.resumableOffset.",
    }),
    media: t.field({ type: 'Upload', required: true, description: "The media's bytes from `offset` on." }),
    cover: t.field({ type: 'Upload', required: false, description: 'The cover, sent again whole: required when the upload has one, refused when it has none.' }),
  }),
});

builder.mutationField('resumeUpload', (t) =>
  t.field({
    type: MediaUploadRef,
    description:
      'Continues a PAUSED upload on any instance and returns when committed (or fails with a coded error). ResumeOffsetMismatch, ResumeExpired or UploadNotPaused when it cannot.',
    args: { input: t.arg({ type: ResumeUploadInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.uploadService.resume({
        tenantId: context.tenantId,
        id: String(input.id),
        offset: input.offset,
        media: input.media,
        cover: input.cover ?? undefined,
        signal: context.signal,
      }),
  }),
);
