/**
 * The closed set of error codes the API speaks. The first seven are the seed SDK's (they also come
 * back unchanged from the VOD API); the rest are this service's own. Every failure a client sees
 * carries exactly one of these in `extensions.code` and on the upload record.
 */
export const ERROR_CODES = [
  'InternalError',
  'InvalidParameter.ExpireTime',
  'InvalidParameterValue.CoverType',
  'InvalidParameterValue.MediaType',
  'InvalidParameterValue.SubAppId',
  'InvalidParameterValue.VodSessionKey',
  'ResourceNotFound',
  'InvalidParameter',
  'AuthFailure',
  'LimitExceeded',
  'RequestCanceled',
  'RequestTimeout',
  'Interrupted',
  'ServiceUnavailable',
  'ResumeOffsetMismatch',
  'ResumeExpired',
  'UploadNotPaused',
  'DirectUploadExpired',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface ErrorCodeInfo {
  /** HTTP status for plain HTTP answers (the GraphQL layer answers 200 with the code in extensions). */
  readonly http: number;
  /** What the code means, for documentation and default messages. */
  readonly meaning: string;
}

export const ERROR_CODE_INFO: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  InternalError: { http: 500, meaning: 'Internal error.' },
  'InvalidParameter.ExpireTime': { http: 400, meaning: 'Invalid parameter: expire time.' },
  'InvalidParameterValue.CoverType': { http: 400, meaning: 'Invalid parameter value: cover type.' },
  'InvalidParameterValue.MediaType': { http: 400, meaning: 'Invalid parameter value: media type.' },
  'InvalidParameterValue.SubAppId': { http: 400, meaning: 'Invalid parameter value: sub-application id.' },
  'InvalidParameterValue.VodSessionKey': { http: 400, meaning: 'Invalid parameter value: VOD session key.' },
  ResourceNotFound: { http: 404, meaning: 'The resource does not exist.' },
  InvalidParameter: { http: 400, meaning: 'Invalid parameter.' },
  AuthFailure: { http: 401, meaning: 'Missing, unknown or revoked API key.' },
  LimitExceeded: { http: 413, meaning: 'A size or count limit was exceeded.' },
  RequestCanceled: { http: 499, meaning: 'The client went away or canceled the request.' },
  RequestTimeout: { http: 408, meaning: 'The client sent too little for too long.' },
  Interrupted: { http: 503, meaning: 'The service stopped while the upload was running.' },
  ServiceUnavailable: { http: 503, meaning: 'The service is shutting down and takes no new uploads; retry on another instance.' },
  ResumeOffsetMismatch: { http: 409, meaning: 'The resume offset is not where the paused upload stopped.' },
  ResumeExpired: { http: 410, meaning: 'The paused upload was not resumed within RESUME_TTL.' },
  UploadNotPaused: { http: 409, meaning: 'Only a PAUSED upload can be resumed.' },
  DirectUploadExpired: { http: 410, meaning: 'The direct upload did not reach VOD within its signature\'s validity and the grace period.' },
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
