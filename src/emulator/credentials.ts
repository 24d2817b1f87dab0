/**
 * The keys the emulator knows: one permanent key pair, plus temporary credentials (secret id, key and
 * token with an expiry), either for the VOD API or scoped to one COS bucket and key prefix (the
 * TempCertificate of an ApplyUpload). Temporary credentials are kept on disk so they survive a restart.
 */
import path from 'node:path';
import { randomSecret } from './ids.ts';
import { JsonDir } from './json-dir.ts';

export interface CosScope {
  readonly bucket: string;
  /** Key prefix (no leading `/`) the credential may write under. */
  readonly prefix: string;
  /** A client-upload session's key: vod-js-sdk-v6 has cos-js-sdk-v5 leave `host` unsigned (ForceSignHost: false). */
  readonly allowUnsignedHost?: boolean | undefined;
}

export interface TemporaryCredential {
  readonly secretId: string;
  readonly secretKey: string;
  readonly token: string;
  /** Unix seconds. */
  readonly expiredTime: number;
  /** `vod`: may call the VOD API; `cos`: may touch objects under `scope`. */
  readonly purpose: 'vod' | 'cos';
  readonly scope?: CosScope | undefined;
}

export type KnownKey =
  | { readonly kind: 'permanent'; readonly secretKey: string }
  | { readonly kind: 'temporary'; readonly secretKey: string; readonly credential: TemporaryCredential };

export class CredentialStore {
  private readonly temporary = new Map<string, TemporaryCredential>();
  private readonly dir: JsonDir<TemporaryCredential>;

  constructor(
    readonly secretId: string,
    readonly secretKey: string,
    dataDir: string,
    private readonly nowSeconds: () => number,
  ) {
    this.dir = new JsonDir(path.join(dataDir, 'vod', 'credentials'));
  }

  async load(): Promise<void> {
    await this.dir.init();
    const now = this.nowSeconds();
    for (const c of await this.dir.loadAll()) {
      if (c.expiredTime > now) this.temporary.set(c.secretId, c);
      else await this.dir.remove(c.secretId);
    }
  }

  lookup(secretId: string): KnownKey | undefined {
    if (secretId === this.secretId) return { kind: 'permanent', secretKey: this.secretKey };
    const credential = this.temporary.get(secretId);
    return credential === undefined ? undefined : { kind: 'temporary', secretKey: credential.secretKey, credential };
  }

  async issue(purpose: 'vod' | 'cos', ttlSeconds: number, scope?: CosScope): Promise<TemporaryCredential> {
    const credential: TemporaryCredential = {
      secretId: `AKIDtmp${randomSecret(29)}`,
      secretKey: randomSecret(32),
      token: randomSecret(96),
      expiredTime: this.nowSeconds() + ttlSeconds,
      purpose,
      scope,
    };
    this.temporary.set(credential.secretId, credential);
    await this.dir.write(credential.secretId, credential);
    return credential;
  }
}
