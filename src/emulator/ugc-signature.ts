/**
 * Checks a client-upload signature (Tencent's "客户端上传签名") the way VOD's ApplyUploadUGC does:
 * base64 of HMAC-SHA1(secretKey, original) ++ original, the secretId a key the emulator knows, the
 * validity window, and `oneTimeValid=1` signatures good for one upload only.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { decodeUploadSignature } from '../direct/upload-signature.ts';
import type { CredentialStore } from './credentials.ts';
import { UgcError, ugcErrors } from './ugc-errors.ts';

/** The parameters a valid signature carries, as the upload session takes them. */
export interface UgcGrant {
  /** sha256 of the signature: how one-time use is tracked without keeping signatures. */
  readonly fingerprint: string;
  readonly expireTime: number;
  readonly oneTime: boolean;
  readonly procedure?: string | undefined;
  readonly classId: number;
  readonly sourceContext?: string | undefined;
  readonly sessionContext?: string | undefined;
  readonly subAppId: number;
  readonly storageRegion?: string | undefined;
}

/** Seconds a currentTimeStamp may lie in the future (clock skew). */
const SKEW_SECONDS = 300;

const intParam = (params: URLSearchParams, name: string): number | undefined => {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw ugcErrors.invalidSignature();
  return Number(raw);
};

export function verifyUgcSignature(
  signature: unknown,
  credentials: CredentialStore,
  nowSeconds: number,
  options: { ignoreExpiry?: boolean } = {},
): UgcGrant {
  if (typeof signature !== 'string' || signature === '') throw ugcErrors.invalidSignature();
  const decoded = decodeUploadSignature(signature);
  if (decoded === undefined) throw ugcErrors.invalidSignature();
  const { params } = decoded;
  const secretId = params.get('secretId') ?? '';
  const key = credentials.lookup(secretId);
  // Only the account's permanent key signs client uploads (VOD's signature tool takes API keys).
  if (key === undefined || key.kind !== 'permanent') throw ugcErrors.invalidSignature();
  const expected = createHmac('sha1', key.secretKey).update(decoded.original, 'utf8').digest();
  if (expected.length !== decoded.mac.length || !timingSafeEqual(expected, decoded.mac)) throw ugcErrors.invalidSignature();
  const current = intParam(params, 'currentTimeStamp');
  const expireTime = intParam(params, 'expireTime');
  if (current === undefined || expireTime === undefined || intParam(params, 'random') === undefined) throw ugcErrors.invalidSignature();
  if (expireTime <= nowSeconds && options.ignoreExpiry !== true) throw ugcErrors.signatureExpired();
  if (current > nowSeconds + SKEW_SECONDS || expireTime <= current) throw ugcErrors.invalidSignature();
  const sourceContext = params.get('sourceContext') ?? undefined;
  if (sourceContext !== undefined && [...sourceContext].length > 250) throw new UgcError(ugcErrors.invalidSignature().code, 'ugc upload | sourceContext longer than 250 characters');
  return {
    fingerprint: createHash('sha256').update(signature).digest('hex'),
    expireTime,
    oneTime: params.get('oneTimeValid') === '1',
    procedure: params.get('procedure') || undefined,
    classId: intParam(params, 'classId') ?? 0,
    sourceContext,
    sessionContext: params.get('sessionContext') ?? undefined,
    subAppId: intParam(params, 'vodSubAppId') ?? 0,
    storageRegion: params.get('storageRegion') || undefined,
  };
}

/**
 * One-time signatures already used, until they expire (then they are refused as expired anyway).
 * In memory: a restarted emulator forgets them (see PROTOCOL.md).
 */
export class UsedSignatures {
  private readonly used = new Map<string, number>();

  /** Marks a one-time grant used; throws when it was used before. */
  take(grant: UgcGrant, nowSeconds: number): void {
    if (!grant.oneTime) return;
    for (const [fingerprint, expireTime] of this.used) if (expireTime <= nowSeconds) this.used.delete(fingerprint);
    if (this.used.has(grant.fingerprint)) throw ugcErrors.signatureUsed();
    this.used.set(grant.fingerprint, grant.expireTime);
  }
}
