/** A COS XML API error: HTTP status + `<Error><Code/>` code. */
export class CosError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CosError';
  }
}

export const cosErrors = {
  noSuchKey: () => new CosError(404, 'NoSuchKey', 'The specified key does not exist.'),
  noSuchUpload: () => new CosError(404, 'NoSuchUpload', 'The specified multipart upload does not exist.'),
  noSuchBucket: () => new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.'),
  invalidDigest: () => new CosError(400, 'InvalidDigest', 'The Content-MD5 you specified did not match what was received.'),
  badDigest: () => new CosError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.'),
  invalidPart: (n: number) =>
    new CosError(400, 'InvalidPart', `Part ${n} could not be found or its ETag does not match.`),
  invalidPartOrder: () => new CosError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.'),
  entityTooSmall: (n: number) =>
    new CosError(400, 'EntityTooSmall', `Part ${n} is smaller than the minimum allowed part size.`),
  malformedXml: (why: string) => new CosError(400, 'MalformedXML', `The XML you provided was not well-formed: ${why}.`),
  invalidArgument: (why: string) => new CosError(400, 'InvalidArgument', why),
  accessDenied: (why: string) => new CosError(403, 'AccessDenied', why),
  signatureDoesNotMatch: () =>
    new CosError(403, 'SignatureDoesNotMatch', 'The calculated signature does not match the provided one.'),
  invalidAccessKeyId: () => new CosError(403, 'InvalidAccessKeyId', 'The access key Id you provided does not exist.'),
  methodNotAllowed: () => new CosError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'),
  invalidRange: () => new CosError(416, 'InvalidRange', 'The requested range is not satisfiable.'),
  entityTooLarge: () => new CosError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'),
  incompleteBody: () => new CosError(400, 'IncompleteBody', 'The request body ended before Content-Length bytes arrived.'),
};
