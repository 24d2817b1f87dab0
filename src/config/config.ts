/** The validated, nested, frozen configuration every module receives; nothing else reads the environment. */
export interface Config {
  readonly server: {
    readonly port: number;
    readonly host: string;
    /** Names this instance on the uploads it runs; a restart with the same id cleans them up. */
    readonly instanceId: string;
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
  readonly resume: {
    /** How long a PAUSED upload keeps its multipart upload, in ms; 0: a client that goes away fails the upload. */
    readonly ttlMs: number;
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
