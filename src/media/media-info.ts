import { z } from 'zod';
import type { ProcessingOutput } from '../domain/upload-record.ts';

/** What `media(id)` shows: VOD's DescribeMediaInfos for the upload's FileId, in our names. */
export interface MediaInfoRecord {
  readonly fileId: string;
  readonly name: string | null;
  readonly type: string | null;
  readonly mediaUrl: string | null;
  readonly coverUrl: string | null;
  readonly size: number | null;
  readonly duration: number | null;
  readonly createdAt: Date | null;
  readonly storageRegion: string | null;
  readonly transcodes: readonly ProcessingOutput[];
}

const text = z.string().nullish();
const num = z.number().nullish();
const mediaInfo = z.object({
  FileId: z.string(),
  BasicInfo: z.object({ Name: text, Type: text, MediaUrl: text, CoverUrl: text, CreateTime: text, StorageRegion: text }).nullish(),
  MetaData: z.object({ Size: num, Duration: num }).nullish(),
  TranscodeInfo: z
    .object({
      TranscodeSet: z
        .array(z.object({ Url: text, Definition: num, Bitrate: num, Height: num, Width: num, Size: num, Container: text }))
        .nullish(),
    })
    .nullish(),
});

/** Reads one of VOD's MediaInfo objects; undefined when it is not one. */
export function toMediaInfoRecord(raw: unknown): MediaInfoRecord | undefined {
  const parsed = mediaInfo.safeParse(raw);
  if (!parsed.success) return undefined;
  const { FileId, BasicInfo: basic, MetaData: meta, TranscodeInfo: transcode } = parsed.data;
  const created = basic?.CreateTime ? new Date(basic.CreateTime) : null;
  return {
    fileId: FileId,
    name: basic?.Name ?? null,
    type: basic?.Type ?? null,
    mediaUrl: blankToNull(basic?.MediaUrl),
    coverUrl: blankToNull(basic?.CoverUrl),
    size: meta?.Size ?? null,
    duration: meta?.Duration ?? null,
    createdAt: created !== null && !Number.isNaN(created.getTime()) ? created : null,
    storageRegion: blankToNull(basic?.StorageRegion),
    transcodes: (transcode?.TranscodeSet ?? []).flatMap((item) =>
      item.Url
        ? [
            {
              kind: 'Transcode',
              definition: item.Definition ?? null,
              url: item.Url,
              size: item.Size ?? null,
              width: item.Width ?? null,
              height: item.Height ?? null,
              bitrate: item.Bitrate ?? null,
              container: blankToNull(item.Container),
            },
          ]
        : [],
    ),
  };
}

function blankToNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
