/**
 * VOD's media shapes built from a media record: MediaBasicInfo, MediaMetaData, MediaTranscodeItem,
 * MediaSnapshotByTimeOffsetItem. The emulator does not probe media: durations, bitrates and
 * dimensions are 0.
 */
import type { MediaRecord, ProcessedOutput } from './vod-store.ts';

const AUDIO_TYPES: ReadonlySet<string> = new Set(['mp3', 'm4a', 'flac', 'ogg', 'wav', 'aac', 'ape']);
/** What VOD answers for a file that never expires. */
const NEVER = '9999-12-31T23:59:59Z';

export function mediaBasicInfo(record: MediaRecord): Record<string, unknown> {
  const type = record.mediaType.toLowerCase();
  return {
    Name: record.mediaName,
    Description: '',
    CreateTime: isoSeconds(record.committedAt),
    UpdateTime: isoSeconds(record.updatedAt ?? record.committedAt),
    ExpireTime: record.expireTime === undefined ? NEVER : isoSeconds(record.expireTime),
    ClassId: record.classId,
    ClassName: record.classId === 0 ? '其他' : `class ${record.classId}`,
    ClassPath: record.classId === 0 ? '其他' : `class ${record.classId}`,
    CoverUrl: record.coverUrl,
    Type: type,
    MediaUrl: record.mediaUrl,
    SourceInfo: { SourceType: 'Upload', SourceContext: record.sourceContext ?? '' },
    StorageRegion: record.storageRegion,
    StoragePath: record.mediaStoragePath,
    TagSet: [],
    Vid: '',
    Category: AUDIO_TYPES.has(type) ? 'Audio' : 'Video',
    Status: 'Normal',
    StorageClass: 'STANDARD',
  };
}

/** Size is the sum of every object uploaded with the media (media, cover and segments), as VOD counts HLS. */
export function mediaMetaData(record: MediaRecord): Record<string, unknown> {
  const uploaded = record.objects.filter((o) => o.key !== record.coverKey);
  return {
    Size: uploaded.reduce((n, o) => n + o.size, 0),
    Container: record.mediaType.toLowerCase(),
    Bitrate: 0,
    Height: 0,
    Width: 0,
    Duration: 0,
    Rotate: 0,
    VideoStreamSet: [],
    AudioStreamSet: [],
    VideoDuration: 0,
    AudioDuration: 0,
    Md5: '',
  };
}

export function transcodeItem(output: ProcessedOutput): Record<string, unknown> {
  return {
    Url: output.url,
    Definition: output.definition,
    Bitrate: 0,
    Height: 0,
    Width: 0,
    Size: output.size,
    Duration: 0,
    Md5: output.md5,
    Container: 'mp4',
    VideoStreamSet: [],
    AudioStreamSet: [],
    DigitalWatermarkType: 'None',
  };
}

export function snapshotItems(outputs: readonly ProcessedOutput[]): Record<string, unknown>[] {
  const byDefinition = new Map<number, ProcessedOutput[]>();
  for (const o of outputs.filter((x) => x.kind === 'SnapshotByTimeOffset')) byDefinition.set(o.definition, [...(byDefinition.get(o.definition) ?? []), o]);
  return [...byDefinition].map(([definition, pics]) => ({
    Definition: definition,
    PicInfoSet: pics.map((p) => ({ TimeOffset: p.timeOffset ?? 0, Url: p.url, WaterMarkDefinition: [] })),
  }));
}

/** VOD's times have whole seconds: `2024-01-02T03:04:05Z`. */
export function isoSeconds(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
