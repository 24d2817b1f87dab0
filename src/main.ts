/* eslint-disable no-console -- the composition root prints start-up facts for the operator */
import { createApp } from './app.ts';
import type { Config } from './config/config.ts';
import { ConfigError, loadConfig } from './config/load-config.ts';
import type { ApiKeyRepository } from './db/api-key-repository.ts';
import { openDatabase } from './db/database.ts';
import { InstanceLeaseRepository } from './db/instance-lease-repository.ts';
import { InterruptedUploadClaims } from './db/interrupted-upload-claims.ts';
import { StorageCleanupRepository } from './db/storage-cleanup-repository.ts';
import { UploadRepository } from './db/upload-repository.ts';
import { UploadWriter } from './db/upload-writer.ts';
import { sessionCredentialSeal } from './auth/secret-seal.ts';
import { tcpReachable } from './http/readiness.ts';
import { createLogger } from './logging/logger.ts';
import { createPipelineDependencies, createVodMediaFactory, pipelineSettingsFrom } from './runtime/pipeline-dependencies.ts';
import { startVodBackend, vodProbeUrl } from './runtime/vod-backend.ts';
import { InstanceLease } from './lifecycle/instance-lease.ts';
import { recoverInterruptedUploads, sweepInterruptedUploads, type RecoveryDependencies } from './uploads/recovery.ts';
import { StorageCleaner } from './uploads/storage-cleaner.ts';
import { createUploadEventBus } from './uploads/upload-events.ts';

/** Past the grace: time for interrupted uploads to record their end and for the connections to close. */
const STOP_OVERRUN_MS = 30_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.log.level);
  const db = await openDatabase(config.database, logger);
  const vod = await startVodBackend(config.vod, logger);
  const pipeline = createPipelineDependencies(vod.connection, pipelineSettingsFrom(config.multipart));
  const events = createUploadEventBus(config.pubsub);
  const { instanceId } = config.server;
  const credentialSeal = sessionCredentialSeal(config.resume.credentialsKey, pipeline.fallbackCredentials.secretKey);
  const { shutdownGraceMs, leaseTtlMs, leaseHeartbeatMs } = config.lifecycle;
  const recovery: RecoveryDependencies = {
    claims: new InterruptedUploadClaims(db.prisma, db.schema),
    reader: new UploadRepository(db.prisma),
    cleaner: new StorageCleaner({ queue: new StorageCleanupRepository(db.prisma, db.schema), pipeline, logger }),
    writer: new UploadWriter(db, credentialSeal),
    pubsub: events.pubsub,
    logger,
    resumeTtlMs: config.resume.ttlMs,
  };
  await recoverInterruptedUploads(instanceId, recovery);
  const lease = new InstanceLease({
    instanceId,
    leases: new InstanceLeaseRepository(db.prisma, db.schema),
    ttlMs: leaseTtlMs,
    heartbeatMs: leaseHeartbeatMs,
    sweep: () => sweepInterruptedUploads({ kind: 'expired', self: instanceId, ttlMs: leaseTtlMs }, recovery),
    logger,
  });
  await lease.start();
  const app = createApp({
    config,
    db,
    logger,
    pipeline,
    events,
    vodMediaFor: createVodMediaFactory(vod.connection),
    instanceId,
    readinessChecks: [{ name: 'vod', check: tcpReachable(vodProbeUrl(vod.connection)) }],
  });
  if (db.embedded) await printDevelopmentKeyOnce(app.apiKeys);
  const address = await app.listen(config.server.port, config.server.host);
  const shownHost = config.server.host === '0.0.0.0' ? 'localhost' : config.server.host;
  logger.info(
    { port: address.port, instanceId, database: db.embedded ? 'embedded' : 'postgres', vod: vod.embedded ? 'emulator' : 'tencent' },
    'vod-ingest listening',
  );
  console.log(`vod-ingest: GraphQL and GraphiQL at http://${shownHost}:${address.port}/graphql`);

  // First signal: drain (uploads get SHUTDOWN_GRACE_MS), then interrupt the rest cleanly and exit 0.
  // A second signal cuts the grace short; a stop that hangs past every bound exits 1.
  const hurry = new AbortController();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: interrupting in-flight uploads now');
      hurry.abort();
      return;
    }
    stopping = true;
    logger.info({ signal, graceMs: shutdownGraceMs, inFlight: app.uploads.inFlight }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, shutdownGraceMs + STOP_OVERRUN_MS).unref();
    app
      .close({ graceMs: shutdownGraceMs, hurry: hurry.signal })
      .then(() => lease.stop())
      .then(() => events.close())
      .then(() => vod.close())
      .then(() => db.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** With the embedded database and no key yet, make one for local use and show it this once. */
async function printDevelopmentKeyOnce(apiKeys: ApiKeyRepository): Promise<void> {
  if ((await apiKeys.countKeys()) > 0) return;
  const { key } = await apiKeys.createKey('development', 'created at first start');
  console.log(
    [
      '',
      '  A development API key was created for tenant "development". It is shown only this once:',
      '',
      `    ${key}`,
      '',
      '  Send it as "Authorization: Bearer <key>". Manage keys with: npm run keys -- create|list|revoke',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error('vod-ingest failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
