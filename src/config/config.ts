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
  /** `pull`: consume VOD's events (PullEvents/ConfirmEvents) on this instance; `off`: none. */
  readonly vodEvents: 'pull' | 'off';
  readonly pubsub: PubSubConfig;
  readonly limits: {
    readonly maxFileBytes: number;
    readonly maxFiles: number;
    /** Uploads one tenant may run at once in this process; more are refused with LimitExceeded. */
    readonly maxUploadsPerTenant: number;
  };
  /** How long slow or silent clients may hold a connection, and how many connections there may be. */
  readonly http: HttpLimits;
  readonly multipart: {
    readonly partBytes: number;
    readonly defaultConcurrency: number;
    /** Part buffers of all uploads together; past it uploads keep fewer parts in flight. */
    readonly maxBufferBytes: number;
  };
  readonly resume: {
    /** How long a PAUSED upload keeps its multipart upload, in ms; 0: a client that goes away fails the upload. */
    readonly ttlMs: number;
    /**
     * 32 bytes (hex or base64, validated) sealing the sessions' temporary storage keys kept for a
     * resume; undefined: a key derived from the service's secret key is used.
     */
    readonly credentialsKey: string | undefined;
  };
  readonly webhooks: WebhookConfig;
  readonly direct: {
    /** Validity of a direct upload's signature, in ms (whole seconds). */
    readonly ttlMs: number;
    /** After the signature expired, how long a PENDING direct upload waits for VOD's event before it fails. */
    readonly graceMs: number;
  };
  readonly log: { readonly level: LogLevel };
}

export interface WebhookConfig {
  /** Waits before the 2nd, 3rd, ... attempt (jitter is added); after the last, the delivery is FAILED. */
  readonly retryDelaysMs: readonly number[];
  /** One attempt, connection to the end of the answer's headers. */
  readonly timeoutMs: number;
  /** Endpoints on loopback/private/link-local addresses allowed (development, tests); plain http:// only there. */
  readonly allowPrivateNetworks: boolean;
}

export interface HttpLimits {
  /** From a connection's first byte (or a kept-alive connection's next request) to the end of the headers. */
  readonly headersTimeoutMs: number;
  /** A non-upload request, from its arrival to its answer; a subscription stream once it has started is exempt. */
  readonly requestTimeoutMs: number;
  /** An idle kept-alive connection between requests. */
  readonly keepAliveTimeoutMs: number;
  /** An upload's body delivering fewer than `uploadIdleMinBytes` in this long, while the server reads, fails it. */
  readonly uploadIdleTimeoutMs: number;
  readonly uploadIdleMinBytes: number;
  /** WebSocket: ping interval, and how long a pong may take before the connection is dropped. */
  readonly webSocketKeepAliveMs: number;
  /** WebSocket: a socket that has not sent connection_init (with its key) this long after opening is closed (4408). */
  readonly webSocketConnectionInitTimeoutMs: number;
  /** Open connections of this process; more are answered 503 and closed. */
  readonly maxConnections: number;
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
