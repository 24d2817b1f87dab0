import type { SecretSeal } from '../auth/secret-seal.ts';
import type { ExpiringCredentials } from '../storage/object-store.ts';
import type { UploadKey } from '../domain/upload-key.ts';

/** The upload row's columns holding its session's temporary key. */
export interface SessionCredentialColumns {
  readonly sessionCredentialId: string | null;
  readonly sessionCredentialSealed: string | null;
  readonly sessionCredentialExpiresAt: Date | null;
}

/** Written whenever an upload ends (or starts over): a finished upload keeps no key a reader could find. */
export const NO_SESSION_CREDENTIAL: SessionCredentialColumns = {
  sessionCredentialId: null,
  sessionCredentialSealed: null,
  sessionCredentialExpiresAt: null,
};

/** The SQL assignments of NO_SESSION_CREDENTIAL, for updates written in SQL. */
export const CLEAR_SESSION_CREDENTIAL_SQL =
  'session_credential_id = NULL, session_credential_sealed = NULL, session_credential_expires_at = NULL';

/** The id and expiry in clear; the secret key and token sealed, bound to this upload and key id. */
export function sealedColumns(seal: SecretSeal, key: UploadKey, credentials: ExpiringCredentials | undefined): SessionCredentialColumns {
  if (credentials === undefined) return NO_SESSION_CREDENTIAL;
  const secret = JSON.stringify({ secretKey: credentials.secretKey, token: credentials.token });
  return {
    sessionCredentialId: credentials.secretId,
    sessionCredentialSealed: seal.seal(secret, contextOf(key, credentials.secretId)),
    sessionCredentialExpiresAt: credentials.expiresAt,
  };
}

/**
 * The key back from the row; undefined when there is none, or when it does not open (sealed with
 * another key: CREDENTIALS_KEY or the service's secret key changed since).
 */
export function openedCredentials(seal: SecretSeal, key: UploadKey, row: SessionCredentialColumns): ExpiringCredentials | undefined {
  const { sessionCredentialId: secretId, sessionCredentialSealed: sealed, sessionCredentialExpiresAt: expiresAt } = row;
  if (secretId === null || sealed === null || expiresAt === null) return undefined;
  const opened = seal.open(sealed, contextOf(key, secretId));
  if (opened === undefined) return undefined;
  const secret = JSON.parse(opened) as { secretKey?: unknown; token?: unknown };
  if (typeof secret.secretKey !== 'string' || typeof secret.token !== 'string') return undefined;
  return { secretId, secretKey: secret.secretKey, token: secret.token, expiresAt };
}

function contextOf(key: UploadKey, secretId: string): string {
  return `upload-session-credential/${key.tenantId}/${key.id}/${secretId}`;
}
