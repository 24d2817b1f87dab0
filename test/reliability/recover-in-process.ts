// The start-up recovery of a killed server's INSTANCE_ID (what main.ts runs before it listens), run
// in the test process against the same schema and emulator: one child start fewer per test.
import { SecretSeal } from '../../src/auth/secret-seal.ts';
import { InterruptedUploadClaims } from '../../src/db/interrupted-upload-claims.ts';
import { StorageCleanupRepository } from '../../src/db/storage-cleanup-repository.ts';
import { UploadRepository } from '../../src/db/upload-repository.ts';
import { UploadWriter } from '../../src/db/upload-writer.ts';
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createPipelineDependencies } from '../../src/runtime/pipeline-dependencies.ts';
import { recoverInterruptedUploads, type RecoveryReport } from '../../src/uploads/recovery.ts';
import { StorageCleaner } from '../../src/uploads/storage-cleaner.ts';
import type { UploadPubSub } from '../../src/uploads/upload-events.ts';
import type { TestDatabase } from '../support/database.ts';

const MiB = 1024 * 1024;

export function recoverInProcess(
  instanceId: string,
  target: { emulator: RunningEmulator; database: TestDatabase; pubsub: UploadPubSub; resumeTtlMs: number },
): Promise<RecoveryReport> {
  const { emulator, database } = target;
  const pipeline = createPipelineDependencies(
    { secretId: emulator.secretId, secretKey: emulator.secretKey, vodEndpoint: emulator.vodEndpoint, cosEndpoint: emulator.cosEndpoint },
    { partBytes: MiB, defaultConcurrency: 2 },
  );
  const logger = createLogger('silent');
  const { prisma } = database.db;
  return recoverInterruptedUploads(instanceId, {
    claims: new InterruptedUploadClaims(prisma, database.schema),
    reader: new UploadRepository(prisma),
    writer: new UploadWriter(database.db, SecretSeal.derivedFrom(emulator.secretKey)),
    cleaner: new StorageCleaner({ queue: new StorageCleanupRepository(prisma, database.schema), pipeline, logger }),
    pubsub: target.pubsub,
    logger,
    resumeTtlMs: target.resumeTtlMs,
  });
}
