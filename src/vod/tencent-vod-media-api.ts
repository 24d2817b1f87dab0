import { cancellationError } from '../errors/cancellation.ts';
import { isVodError } from '../errors/vod-error.ts';
import { createSdkClient, translateVodSdkError, type TencentVodApiOptions } from './tencent-vod-api.ts';
import type { MediaInfos, PulledEvents, VodMediaApi } from './vod-media-api.ts';
import { dropUndefined } from './vod-values.ts';

/** PullEvents holds up to 5 s; Tencent advises a 10 s timeout for it. */
const PULL_TIMEOUT_SECONDS = 10;

/** VodMediaApi over tencentcloud-sdk-nodejs-vod (the same SDK and error translation as the upload calls). */
export function createTencentVodMediaApi(options: TencentVodApiOptions): VodMediaApi {
  const client = createSdkClient({ ...options, timeoutSeconds: options.timeoutSeconds ?? PULL_TIMEOUT_SECONDS });
  const call = async <T>(action: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> => {
    try {
      return (await client.request(action, dropUndefined(body), { signal })) as T;
    } catch (error) {
      if (signal?.aborted === true) throw cancellationError(signal);
      throw translateVodSdkError(error, action);
    }
  };
  return {
    async pullEvents(input, callOptions): Promise<PulledEvents> {
      try {
        const response = await call<{ EventSet?: unknown[]; RequestId?: string }>('PullEvents', { SubAppId: input.subAppId }, callOptions?.signal);
        return { events: response.EventSet ?? [], requestId: response.RequestId ?? '' };
      } catch (error) {
        // VOD answers a long poll that found nothing with ResourceNotFound (its documented error code).
        if (isVodError(error) && error.code === 'ResourceNotFound' && error.requestId !== undefined) return { events: [], requestId: error.requestId };
        throw error;
      }
    },
    async confirmEvents(input): Promise<void> {
      await call('ConfirmEvents', { EventHandles: [...input.handles], SubAppId: input.subAppId });
    },
    async describeMediaInfos(input): Promise<MediaInfos> {
      const response = await call<{ MediaInfoSet?: unknown[]; NotExistFileIdSet?: string[]; RequestId?: string }>('DescribeMediaInfos', {
        FileIds: [...input.fileIds],
        SubAppId: input.subAppId,
      });
      return { mediaInfos: response.MediaInfoSet ?? [], notFound: response.NotExistFileIdSet ?? [], requestId: response.RequestId ?? '' };
    },
    async deleteMedia(input): Promise<{ requestId: string }> {
      const response = await call<{ RequestId?: string }>('DeleteMedia', { FileId: input.fileId, SubAppId: input.subAppId });
      return { requestId: response.RequestId ?? '' };
    },
  };
}
