import vodSdk from 'tencentcloud-sdk-nodejs-vod';
import { VodError } from '../errors/vod-error.ts';
import { isErrorCode, type ErrorCode } from '../errors/error-codes.ts';
import { cancellationError } from '../errors/cancellation.ts';
import { TransientVodError } from '../errors/transient-error.ts';
import { parseEndpoint } from './endpoint.ts';
import { blankToUndefined, dropUndefined } from './vod-values.ts';
import type {
  ApplyUploadInput,
  CallOptions,
  CommitUploadInput,
  CommitUploadResult,
  ParseManifestInput,
  ParsedManifest,
  SetCoverInput,
  SetCoverResult,
  UploadSession,
  VodApi,
} from './vod-api.ts';

type SdkClient = InstanceType<typeof vodSdk.vod.v20180717.Client>;
type ModifyMediaInfoRequest = Parameters<SdkClient['ModifyMediaInfo']>[0];
type ModifyMediaInfoResponse = Awaited<ReturnType<SdkClient['ModifyMediaInfo']>>;

export interface TencentVodApiOptions {
  readonly secretId: string;
  readonly secretKey: string;
  /** Session token of temporary credentials. */
  readonly token?: string | undefined;
  /** Access region, e.g. `ap-guangzhou`. */
  readonly region: string;
  /** Endpoint override such as `http://127.0.0.1:9000` (the emulator); Tencent's by default. */
  readonly endpoint?: string | undefined;
  /** Seconds before a call times out (the SDK's default is 60). */
  readonly timeoutSeconds?: number | undefined;
}

/** VodApi over tencentcloud-sdk-nodejs-vod; SDK errors become VodErrors here and nowhere else. */
export function createTencentVodApi(options: TencentVodApiOptions): VodApi {
  const client = createSdkClient(options);
  const call = async <T>(action: string, body: object, callOptions: CallOptions | undefined): Promise<T> => {
    const signal = callOptions?.signal;
    try {
      return (await client.request(action, body, { signal })) as T;
    } catch (error) {
      if (signal?.aborted === true) throw cancellationError(signal);
      throw translateVodSdkError(error, action);
    }
  };
  return {
    async applyUpload(input: ApplyUploadInput, callOptions?: CallOptions): Promise<UploadSession> {
      const response = await call<ApplyUploadResponse>('ApplyUpload', applyUploadBody(input), callOptions);
      return toUploadSession(response);
    },
    async commitUpload(input: CommitUploadInput, callOptions?: CallOptions): Promise<CommitUploadResult> {
      const body = dropUndefined({ VodSessionKey: input.vodSessionKey, SubAppId: input.subAppId });
      const response = await call<CommitUploadResponse>('CommitUpload', body, callOptions);
      return {
        fileId: response.FileId ?? '',
        mediaUrl: response.MediaUrl ?? '',
        coverUrl: blankToUndefined(response.CoverUrl),
        requestId: response.RequestId ?? '',
      };
    },
    async parseStreamingManifest(input: ParseManifestInput, callOptions?: CallOptions): Promise<ParsedManifest> {
      const body = { MediaManifestContent: input.content, ManifestType: input.manifestType };
      const response = await call<ParseStreamingManifestResponse>('ParseStreamingManifest', body, callOptions);
      return { segments: response.MediaSegmentSet ?? [], requestId: response.RequestId ?? '' };
    },
    async setCover(input: SetCoverInput, callOptions?: CallOptions): Promise<SetCoverResult> {
      const body: ModifyMediaInfoRequest = {
        FileId: input.fileId,
        CoverData: Buffer.from(input.image).toString('base64'),
        ...(input.subAppId === undefined ? {} : { SubAppId: input.subAppId }),
      };
      const response = await call<ModifyMediaInfoResponse>('ModifyMediaInfo', body, callOptions);
      const requestId = response.RequestId ?? '';
      if (blankToUndefined(response.CoverUrl) === undefined) {
        throw new VodError('InternalError', 'ModifyMediaInfo answered without CoverUrl.', { requestId });
      }
      return { coverUrl: response.CoverUrl ?? '', requestId };
    },
  };
}

export function createSdkClient(options: TencentVodApiOptions): SdkClient {
  const endpoint = options.endpoint === undefined ? undefined : parseEndpoint(options.endpoint);
  return new vodSdk.vod.v20180717.Client({
    credential: { secretId: options.secretId, secretKey: options.secretKey, token: options.token },
    region: options.region,
    profile: {
      httpProfile: {
        ...(endpoint === undefined ? {} : { endpoint: endpoint.host, protocol: `${endpoint.scheme}://` }),
        ...(options.timeoutSeconds === undefined ? {} : { reqTimeout: options.timeoutSeconds }),
      },
    },
  });
}

interface ApplyUploadResponse {
  StorageBucket?: string;
  StorageRegion?: string;
  VodSessionKey?: string;
  MediaStoragePath?: string;
  CoverStoragePath?: string;
  TempCertificate?: { SecretId?: string; SecretKey?: string; Token?: string; ExpiredTime?: number } | null;
  RequestId?: string;
}
interface CommitUploadResponse {
  FileId?: string;
  MediaUrl?: string;
  CoverUrl?: string;
  RequestId?: string;
}
interface ParseStreamingManifestResponse {
  MediaSegmentSet?: string[];
  RequestId?: string;
}

function applyUploadBody(input: ApplyUploadInput): Record<string, unknown> {
  return dropUndefined({
    MediaType: input.mediaType,
    MediaName: input.mediaName,
    CoverType: input.coverType,
    Procedure: input.procedure,
    ExpireTime: input.expireTime,
    StorageRegion: input.storageRegion,
    ClassId: input.classId,
    SourceContext: input.sourceContext,
    SessionContext: input.sessionContext,
    SubAppId: input.subAppId,
  });
}

function toUploadSession(response: ApplyUploadResponse): UploadSession {
  const requestId = response.RequestId ?? '';
  const required = (value: string | undefined, field: string): string => {
    if (value === undefined || value === '') {
      throw new VodError('InternalError', `ApplyUpload answered without ${field}.`, { requestId });
    }
    return value;
  };
  const certificate = response.TempCertificate;
  return {
    vodSessionKey: required(response.VodSessionKey, 'VodSessionKey'),
    storageBucket: required(response.StorageBucket, 'StorageBucket'),
    storageRegion: required(response.StorageRegion, 'StorageRegion'),
    mediaStoragePath: required(response.MediaStoragePath, 'MediaStoragePath'),
    coverStoragePath: blankToUndefined(response.CoverStoragePath),
    tempCertificate:
      certificate?.SecretId === undefined || certificate.SecretKey === undefined
        ? undefined
        : {
            secretId: certificate.SecretId,
            secretKey: certificate.SecretKey,
            token: certificate.Token ?? '',
            expiredTime: certificate.ExpiredTime,
          },
    requestId,
  };
}

/**
 * An API error (it has a code and a RequestId) keeps its code when it is one of ours, else maps to
 * the nearest (`AuthFailure.*` → AuthFailure, `InvalidParameter*` → InvalidParameter, other →
 * InternalError) with the original code in the message. Anything without a RequestId is a
 * transport fault and is transient.
 */
export function translateVodSdkError(error: unknown, action: string): VodError {
  const fields = (error ?? {}) as { code?: unknown; requestId?: unknown; message?: unknown };
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const requestId = typeof fields.requestId === 'string' && fields.requestId !== '' ? fields.requestId : undefined;
  const code = typeof fields.code === 'string' && fields.code !== '' ? fields.code : undefined;
  if (requestId === undefined || code === undefined) {
    return new TransientVodError('InternalError', `${action} failed in transport: ${message}`, { cause: error });
  }
  const ours = nearestErrorCode(code);
  const text = ours === code ? message : `${code}: ${message}`;
  return new VodError(ours, text, { requestId, cause: error });
}

export function nearestErrorCode(apiCode: string): ErrorCode {
  if (isErrorCode(apiCode)) return apiCode;
  if (apiCode.startsWith('AuthFailure')) return 'AuthFailure';
  if (apiCode.startsWith('InvalidParameter')) return 'InvalidParameter';
  if (apiCode.startsWith('ResourceNotFound')) return 'ResourceNotFound';
  if (apiCode.startsWith('LimitExceeded') || apiCode.startsWith('RequestLimitExceeded')) return 'LimitExceeded';
  return 'InternalError';
}
