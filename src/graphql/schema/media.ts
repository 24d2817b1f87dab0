import type { MediaInfoRecord } from '../../media/media-info.ts';
import { builder } from '../builder.ts';
import { MediaUploadRef, ProcessingOutputRef } from './media-upload.ts';

const MediaInfoRef = builder.objectRef<MediaInfoRecord>('MediaInfo').implement({
  description: "What VOD knows of a committed media (DescribeMediaInfos): basic information, size and the transcodes it has.",
  fields: (t) => ({
    fileId: t.exposeString('fileId'),
    name: t.exposeString('name', { nullable: true }),
    type: t.exposeString('type', { nullable: true }),
    mediaUrl: t.exposeString('mediaUrl', { nullable: true }),
    coverUrl: t.exposeString('coverUrl', { nullable: true }),
    size: t.field({ type: 'Long', nullable: true, resolve: (info) => info.size }),
    duration: t.exposeFloat('duration', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (info) => info.createdAt }),
    storageRegion: t.exposeString('storageRegion', { nullable: true }),
    transcodes: t.field({ type: [ProcessingOutputRef], resolve: (info) => [...info.transcodes] }),
  }),
});

builder.queryField('media', (t) =>
  t.field({
    type: MediaInfoRef,
    nullable: true,
    description:
      "DescribeMediaInfos for one of your uploads' FileId. Null for an upload without a FileId, a media VOD no longer has, or an id that is not yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, context) => (await context.media.describe(context.tenantId, id)) ?? null,
  }),
);

builder.mutationField('deleteMedia', (t) =>
  t.field({
    type: MediaUploadRef,
    description:
      'DeleteMedia for the upload\'s FileId (the media, its cover and every output are removed from VOD); the record keeps its history and gets deletedAt. Deleting again answers the record as it is.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.media.delete(context.tenantId, id),
  }),
);
