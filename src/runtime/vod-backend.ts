import type { VodConfig } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';

/** Where and as whom the pipeline talks VOD and COS: only endpoints and keys differ between cloud and emulator. */
export interface VodConnection {
  readonly region: string;
  readonly secretId: string;
  readonly secretKey: string;
  readonly sessionToken?: string | undefined;
  /** Unset: Tencent's public endpoints. */
  readonly vodEndpoint?: string | undefined;
  readonly cosEndpoint?: string | undefined;
}

export interface VodBackend {
  readonly connection: VodConnection;
  /** True when it is the emulator started inside this process. */
  readonly embedded: boolean;
  close(): Promise<void>;
}

const TENCENT_VOD_ENDPOINT = 'https://vod.tencentcloudapi.com';

/** With cloud keys configured, the real cloud (or the configured endpoints); otherwise an in-process emulator. */
export async function startVodBackend(config: VodConfig, logger: Logger): Promise<VodBackend> {
  if (config.mode === 'tencent') {
    return {
      connection: {
        region: config.region,
        secretId: config.credentials.secretId,
        secretKey: config.credentials.secretKey,
        sessionToken: config.credentials.sessionToken,
        vodEndpoint: config.vodEndpoint,
        cosEndpoint: config.cosEndpoint,
      },
      embedded: false,
      close: () => Promise.resolve(),
    };
  }
  // Loaded only when used: against the cloud the emulator's code is not in memory.
  const { startEmulator } = await import('../emulator/emulator.ts');
  const emulator = await startEmulator({
    port: config.emulatorPort,
    dataDir: config.dataDir,
    region: config.region,
    logger: logger.child({ component: 'emulator' }),
  });
  logger.info({ vodEndpoint: emulator.vodEndpoint, dataDir: config.dataDir }, 'embedded VOD emulator started');
  return {
    connection: {
      region: emulator.region,
      secretId: emulator.secretId,
      secretKey: emulator.secretKey,
      vodEndpoint: emulator.vodEndpoint,
      cosEndpoint: emulator.cosEndpoint,
    },
    embedded: true,
    close: () => emulator.close(),
  };
}

/** The URL /readyz probes for the VOD API. */
export function vodProbeUrl(connection: VodConnection): string {
  return connection.vodEndpoint ?? TENCENT_VOD_ENDPOINT;
}
