/**
 * Errors of VOD's client-upload API (`/v3/index.php`), answered as `{"code": n, "message": "…"}`
 * with HTTP 200. The messages follow what VOD answers (`ugc upload | …`); the numbers are the
 * emulator's table (see PROTOCOL.md).
 */
export class UgcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'UgcError';
  }
}

export const UGC_CODES = {
  invalidRequest: 10001,
  invalidSignature: 10002,
  signatureExpired: 10005,
  signatureUsed: 10006,
  invalidSession: 10008,
  invalidFile: 10009,
  internal: 10100,
} as const;

export const ugcErrors = {
  invalidRequest: (why: string) => new UgcError(UGC_CODES.invalidRequest, `ugc upload | invalid request: ${why}`),
  invalidSignature: () => new UgcError(UGC_CODES.invalidSignature, 'ugc upload | invalid signature'),
  signatureExpired: () => new UgcError(UGC_CODES.signatureExpired, 'ugc upload | signature expired'),
  signatureUsed: () => new UgcError(UGC_CODES.signatureUsed, 'ugc upload | duplicate vod signature'),
  invalidSession: () => new UgcError(UGC_CODES.invalidSession, 'ugc upload | invalid vodSessionKey'),
  invalidFile: (why: string) => new UgcError(UGC_CODES.invalidFile, `ugc upload | ${why}`),
};
