import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { VodError } from '../errors/vod-error.ts';
import type { ProgressListener } from '../pipeline/progress.ts';
import type { SegmentDirectory, UploadSource } from '../pipeline/sources.ts';
import { uploadMedia, type PipelineDependencies } from '../pipeline/upload-pipeline.ts';
import { extensionOf } from '../pipeline/upload-request.ts';
import { createPipelineDependencies } from '../runtime/pipeline-dependencies.ts';
import type { VodUploadRequest, VodUploadResponse } from './vod-upload-request.ts';

const MiB = 1024 * 1024;

export interface VodUploadClientOptions {
  /** VOD API endpoint override, e.g. `http://127.0.0.1:9000` for the emulator. */
  readonly vodEndpoint?: string | undefined;
  /** COS endpoint override, e.g. `http://127.0.0.1:9000` for the emulator. */
  readonly cosEndpoint?: string | undefined;
  /** Part size for multipart uploads (≥ 1 MiB). Default 8 MiB. */
  readonly partBytes?: number | undefined;
  /** Parts in flight when the request sets no ConcurrentUploadNumber. Default 4. */
  readonly concurrency?: number | undefined;
}

export interface UploadCallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ProgressListener | undefined;
}

/**
 * The seed SDK's `VodUploadClient` for server-side scripts: the same names, backed by the same
 * streaming pipeline the service uses. Errors are VodErrors carrying `code` (and `requestId`).
 */
export class VodUploadClient {
  readonly #deps: PipelineDependencies;

  constructor(secretId: string, secretKey: string, token?: string, options: VodUploadClientOptions = {}) {
    this.#deps = createPipelineDependencies(
      { secretId, secretKey, sessionToken: token, vodEndpoint: options.vodEndpoint, cosEndpoint: options.cosEndpoint },
      { partBytes: options.partBytes ?? 8 * MiB, defaultConcurrency: options.concurrency ?? 4 },
    );
  }

  /** Uploads the request's media (and cover, or manifest with its segments) to VOD in `region`. */
  async upload(region: string, request: VodUploadRequest, options: UploadCallOptions = {}): Promise<VodUploadResponse> {
    const mediaPath = request.MediaFilePath ?? '';
    if (region.trim() === '') throw new VodError('InvalidParameter', 'lack region');
    if (mediaPath === '') throw new VodError('InvalidParameter', 'lack media path');
    const mediaSize = await fileSize(mediaPath);
    if (mediaSize === undefined) throw new VodError('InvalidParameter', 'media path is invalid');
    const coverPath = request.CoverFilePath;
    if (coverPath !== undefined && coverPath !== '' && (await fileSize(coverPath)) === undefined) {
      throw new VodError('InvalidParameter', 'cover path is invalid');
    }
    const mediaType = request.MediaType ?? extensionOf(mediaPath);
    const isManifest = mediaType?.toLowerCase() === 'm3u8' || mediaType?.toLowerCase() === 'mpd';
    const result = await uploadMedia(
      {
        fields: {
          region,
          mediaType: request.MediaType,
          mediaName: request.MediaName,
          coverType: request.CoverType,
          procedure: request.Procedure,
          expireTime: request.ExpireTime,
          storageRegion: request.StorageRegion,
          classId: request.ClassId,
          sourceContext: request.SourceContext,
          sessionContext: request.SessionContext,
          subAppId: request.SubAppId,
          concurrentUploadNumber: request.ConcurrentUploadNumber,
        },
        media: fileSource(mediaPath),
        cover: coverPath === undefined || coverPath === '' ? undefined : fileSource(coverPath),
        segments: isManifest ? directoryOf(path.dirname(mediaPath)) : undefined,
        mediaSizeHint: mediaSize,
      },
      this.#deps,
      { signal: options.signal, hooks: { onProgress: options.onProgress } },
    );
    return {
      FileId: result.fileId,
      MediaUrl: result.mediaUrl,
      CoverUrl: result.coverUrl ?? '',
      RequestId: result.requestId,
    };
  }
}

function fileSource(filePath: string): UploadSource {
  return { fileName: path.basename(filePath), open: () => createReadStream(filePath) };
}

/** The files next to a manifest, addressed by their path relative to it. */
function directoryOf(directory: string): SegmentDirectory {
  const resolve = (relativePath: string): string => path.join(directory, ...relativePath.split('/'));
  return {
    kind: 'directory',
    exists: async (relativePath) => (await fileSize(resolve(relativePath))) !== undefined,
    open: (relativePath) => createReadStream(resolve(relativePath)),
  };
}

async function fileSize(filePath: string): Promise<number | undefined> {
  try {
    const stats = await stat(filePath);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}
