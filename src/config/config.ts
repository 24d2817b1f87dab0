/** The validated, nested, frozen configuration every module receives; nothing else reads the environment. */
export interface Config {
  readonly server: {
    readonly port: number;
    readonly host: string;
    /**
     * Names this instance on the uploads it runs and on its lease. Unique per process unless
     * configured (a restart with the same configured id cleans up its own uploads at once).
     */
    readonly instanceId: string;
  };
  readonly lifecycle: {
    /** SIGTERM/SIGINT: how long in-flight uploads may still finish before they are interrupted. */
    readonly shutdownGraceMs: number;
    /** An instance whose lease was not renewed for this long is dead; peers sweep its uploads. */
    readonly leaseTtlMs: number;
    /** How often the lease is renewed (and expired peers are looked for). */
    readonly leaseHeartbeatMs: number;
  };
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly vod: VodConfig;
  readonly pubsub: PubSubConfig;
  readonly limits: { readonly maxFileBytes: number; readonly maxFiles: number };
  readonly multipart: {
    readonly partBytes: number;
    readonly defaultConcurrency: number;
    /** Part buffers of all uploads together; past it uploads keep fewer parts in flight. */
    readonly maxBufferBytes: number;
  };
  readonly log: { readonly level: LogLevel };
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseConfig =
  | { readonly mode: 'embedded'; readonly dataDir: string }
  /** `schema` comes from a Prisma-style `?schema=` parameter, which is removed from `url`. */
  | { readonly mode: 'postgres'; readonly url: string; readonly schema: string };

export interface VodCredentials {
  readonly secretId: string;
  readonly secretKey: string;
  readonly sessionToken?: string | undefined;
}

export type VodConfig =
  | { readonly mode: 'emulator'; readonly region: string; readonly dataDir: string; readonly emulatorPort: number }
  | {
      readonly mode: 'tencent';
      readonly region: string;
      readonly credentials: VodCredentials;
      readonly vodEndpoint?: string | undefined;
      readonly cosEndpoint?: string | undefined;
    };

export type PubSubConfig = { readonly mode: 'memory' } | { readonly mode: 'redis'; readonly url: string };
