/** A VOD API error, answered as `{"Response":{"Error":{"Code","Message"},"RequestId"}}` with HTTP 200. */
export class VodApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VodApiError';
  }
}

export const vodErrors = {
  mediaType: () => new VodApiError('InvalidParameterValue.MediaType', 'invalid media type'),
  coverType: () => new VodApiError('InvalidParameterValue.CoverType', 'invalid cover type'),
  subAppId: () => new VodApiError('InvalidParameterValue.SubAppId', 'invalid sub app id'),
  expireTime: () => new VodApiError('InvalidParameter.ExpireTime', 'invalid expire time'),
  sessionKey: () => new VodApiError('InvalidParameterValue.VodSessionKey', 'invalid vod session key'),
  sourceContext: () => new VodApiError('InvalidParameterValue.SourceContext', 'source context longer than 250 characters'),
  sessionContext: () => new VodApiError('InvalidParameterValue.SessionContext', 'session context longer than 1000 characters'),
  resourceNotFound: (what: string) => new VodApiError('ResourceNotFound', `${what} not found`),
  missing: (name: string) => new VodApiError('MissingParameter', `missing parameter ${name}`),
  badValue: (name: string) => new VodApiError(`InvalidParameterValue.${name}`, `invalid ${name}`),
  badParameter: (why: string) => new VodApiError('InvalidParameter', why),
  unknownParameter: (name: string) => new VodApiError('UnknownParameter', `unknown parameter ${name}`),
  invalidAction: (action: string) => new VodApiError('InvalidAction', `action ${action} does not exist`),
  noSuchVersion: () => new VodApiError('NoSuchVersion', 'X-TC-Version must be 2018-07-17'),
  signatureFailure: (why: string) => new VodApiError('AuthFailure.SignatureFailure', why),
  signatureExpire: () => new VodApiError('AuthFailure.SignatureExpire', 'request timestamp is more than 5 minutes away from server time'),
  secretIdNotFound: () => new VodApiError('AuthFailure.SecretIdNotFound', 'secret id not found'),
  tokenFailure: (why: string) => new VodApiError('AuthFailure.TokenFailure', why),
  unauthorized: (why: string) => new VodApiError('AuthFailure.UnauthorizedOperation', why),
  manifest: (why: string) => new VodApiError('InvalidParameterValue.MediaManifestContent', why),
  eventHandle: (why: string) => new VodApiError('InvalidParameterValue', `invalid EventHandle: ${why}`),
  noEvent: () => new VodApiError('ResourceNotFound', 'no event to pull'),
  fileNotExist: (fileId: string) => new VodApiError('ResourceNotFound', `file ${fileId} not found`),
  fileIdsEmpty: () => new VodApiError('InvalidParameterValue.FileIdsEmpty', 'FileIds is empty'),
  fileIdsOverLimit: (max: number) => new VodApiError('InvalidParameterValue.FileIdsOverLimit', `FileIds holds more than ${max} ids`),
  tooLarge: () => new VodApiError('RequestSizeLimitExceeded', 'request body too large'),
};
