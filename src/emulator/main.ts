/**
 * Standalone emulator: `npm run emulator -- [--port N] [--host H] [--data-dir D] [--secret-id I --secret-key K]
 * [--region R] [--sub-app-ids 1,2] [--session-paths-temp-only]
 * [--procedure-duration-ms N] [--event-long-poll-ms N] [--event-redeliver-ms N]
 * [--event-handle-ttl-ms N] [--empty-pull-answer ResourceNotFound|EmptyEventSet]`. Prints one JSON line (endpoints and keys) on stdout, logs to
 * stderr, serves until SIGINT/SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startEmulator } from './emulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string' },
    'secret-id': { type: 'string' },
    'secret-key': { type: 'string' },
    region: { type: 'string', default: 'ap-guangzhou' },
    'sub-app-ids': { type: 'string' },
    'session-paths-temp-only': { type: 'boolean', default: false },
    'procedure-duration-ms': { type: 'string' },
    'event-long-poll-ms': { type: 'string' },
    'event-redeliver-ms': { type: 'string' },
    'event-handle-ttl-ms': { type: 'string' },
    'empty-pull-answer': { type: 'string', default: 'ResourceNotFound' },
  },
  strict: true,
});

const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info', base: { service: 'vod-emulator' } }, pino.destination(2));
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port: not a port number: ${values.port}`);
  process.exit(2);
}
if ((values['secret-id'] === undefined) !== (values['secret-key'] === undefined)) {
  console.error('--secret-id and --secret-key go together');
  process.exit(2);
}
const subAppIds = values['sub-app-ids']?.split(',').map((s) => Number(s.trim()));
if (subAppIds?.some((n) => !Number.isSafeInteger(n) || n <= 0) === true) {
  console.error('--sub-app-ids: comma-separated positive integers');
  process.exit(2);
}
/** A non-negative integer option, or undefined when absent; exits on anything else. */
function millis(name: string): number | undefined {
  const raw = values[name as keyof typeof values];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name}: not a number of milliseconds: ${raw}`);
    process.exit(2);
  }
  return n;
}
const emptyPullAnswer = values['empty-pull-answer'];
if (emptyPullAnswer !== 'ResourceNotFound' && emptyPullAnswer !== 'EmptyEventSet') {
  console.error('--empty-pull-answer: ResourceNotFound or EmptyEventSet');
  process.exit(2);
}
const eventTimings = Object.fromEntries(
  Object.entries({ longPollMs: millis('event-long-poll-ms'), redeliverAfterMs: millis('event-redeliver-ms'), handleTtlMs: millis('event-handle-ttl-ms') }).filter(
    ([, v]) => v !== undefined,
  ),
);
const ownDataDir = values['data-dir'] === undefined;
const dataDir = values['data-dir'] ?? (await mkdtemp(path.join(os.tmpdir(), 'vod-emulator-')));

const emulator = await startEmulator({
  port,
  host: values.host,
  dataDir,
  secretId: values['secret-id'],
  secretKey: values['secret-key'],
  region: values.region,
  subAppIds,
  logger,
  sessionPathsTempOnly: values['session-paths-temp-only'] || process.env['EMULATOR_SESSION_PATHS_TEMP_ONLY'] === '1',
  procedureDurationMs: millis('procedure-duration-ms'),
  eventTimings,
  emptyPullAnswer,
});
process.stdout.write(
  `${JSON.stringify({
    vodEndpoint: emulator.vodEndpoint,
    cosEndpoint: emulator.cosEndpoint,
    secretId: emulator.secretId,
    secretKey: emulator.secretKey,
    region: emulator.region,
  })}\n`,
);
logger.info({ dataDir }, 'serving; SIGINT/SIGTERM to stop');

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  emulator
    .close()
    .then(() => (ownDataDir ? rm(dataDir, { recursive: true, force: true }) : undefined))
    .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
