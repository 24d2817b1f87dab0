import type { DirectUpload } from '../../direct/direct-uploads.ts';
import { builder } from '../builder.ts';
import { MediaUploadRef } from './media-upload.ts';


const CreateDirectUploadInput = builder.inputType('CreateDirectUploadInput', {
  description: "A direct upload: the client sends the files to VOD with Tencent's client SDK (vod-js-sdk-v6 …) and this signature.",
  fields: (t) => ({
    id: t.id({ required: false, description: 'Optional client-chosen UUID, never used before by this tenant.' }),
    mediaName: t.string({ required: false, description: 'Kept on the record; the SDK sends the name it uploads with.' }),
    procedure: t.string({ required: false, description: 'Task flow VOD runs after the upload (signed into the signature).' }),
    classId: t.int({ required: false }),
    subAppId: t.int({ required: false }),
    storageRegion: t.string({ required: false }),
    expireTime: t.string({ required: false, description: "ISO 8601 expiry of the media; the client passes it to the SDK's upload (expireTime)." }),
    sourceContext: t.string({
      required: false,
      description: "Your own context, kept on the record (at most 250 characters). VOD gets the service's own, which ties its event to this record.",
    }),
  }),
});

const DirectUploadRef = builder
  .objectRef<DirectUpload>('DirectUpload')
  .implement({
    description: 'A PENDING record and the one-time signature for it; the record follows VOD\'s NewFileUpload event.',
    fields: (t) => ({
      upload: t.field({ type: MediaUploadRef, resolve: (direct) => direct.upload }),
      signature: t.exposeString('signature', { description: "Tencent's client-upload signature; getSignature of vod-js-sdk-v6 returns it." }),
      expiresAt: t.field({ type: 'DateTime', description: 'ApplyUploadUGC refuses the signature from then on.', resolve: (direct) => direct.expiresAt }),
    }),
  });

builder.mutationField('createDirectUpload', (t) =>
  t.field({
    type: DirectUploadRef,
    description: 'Writes a PENDING record (source DIRECT) and returns a one-time client-upload signature valid for DIRECT_UPLOAD_TTL.',
    args: { input: t.arg({ type: CreateDirectUploadInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.directUploads.create(context.tenantId, {
        id: input.id ?? undefined,
        mediaName: input.mediaName ?? undefined,
        procedure: input.procedure ?? undefined,
        classId: input.classId ?? undefined,
        subAppId: input.subAppId ?? undefined,
        storageRegion: input.storageRegion ?? undefined,
        expireTime: input.expireTime ?? undefined,
        sourceContext: input.sourceContext ?? undefined,
      }),
  }),
);
