/**
 * The `vod-upload <media>` command, apart from the process it runs in: streams a file (or an HLS/DASH manifest and every file it references) to a
 * vod-ingest service through `uploadMedia`, shows progress from `uploadProgress`, resumes by itself
 * after a network failure, and cancels the upload on Ctrl-C. See README, "Command-line uploads".
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadCliConnection } from '../config/cli-config.ts';
import { ConfigError } from '../config/load-config.ts';
import { IngestClient, type UploadOptions } from '../client/ingest-client.ts';
import { runDirectUpload } from './direct-upload-command.ts';
import { CLIENT_ERROR_CODES, isIngestError } from '../client/ingest-error.ts';
import { isManifestPath, LocalFileError, manifestSegments, openLocalFile } from '../client/local-files.ts';
import { createDisplay, type UploadDisplay } from './upload-display.ts';

/** Exit codes (README, "Command-line uploads"). */
export const EXIT = {
  ok: 0,
  /** The service refused or failed the upload (its error code is printed). */
  uploadFailed: 1,
  /** Bad arguments, a missing file, a manifest with bad references, no key. */
  usage: 2,
  /** The key is missing, unknown or revoked (AuthFailure). */
  auth: 3,
  /** The service could not be reached, or the connection kept breaking past --retries. */
  network: 4,
  /** Ctrl-C: the upload was canceled. */
  interrupted: 130,
} as const;

interface CliOptions {
  cover?: string;
  id?: string;
  procedure?: string;
  classId?: number;
  subAppId?: number;
  storageRegion?: string;
  expireTime?: string;
  sourceContext?: string;
  mediaName?: string;
  concurrency?: number;
  region?: string;
  server?: string;
  key?: string;
  json?: boolean;
  waitProcessed?: boolean;
  retries: number;
  direct?: boolean;
  vodUrl?: string;
  cosUrl?: string;
}

const integer = (min: number, max: number) => (value: string): number => {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
  return parsed;
};

function program(): Command {
  return new Command('vod-upload')
    .description('Streams a media file, or an HLS/DASH manifest with every file it references, to a vod-ingest service.')
    .argument('<media>', 'media file, or .m3u8/.mpd manifest (its referenced files are found and sent too)')
    .option('--cover <file>', 'cover image')
    .option('--id <uuid>', 'upload id of your choosing (default: a random UUID)')
    .option('--procedure <name>', 'task flow to run after the upload')
    .option('--class-id <n>', 'category id', integer(0, 2 ** 31 - 1))
    .option('--sub-app-id <n>', 'VOD sub-application id', integer(0, 2 ** 31 - 1))
    .option('--storage-region <region>', 'storage region, e.g. ap-chongqing')
    .option('--expire-time <iso8601>', 'when the media expires (ISO 8601, in the future)')
    .option('--source-context <text>', 'passed back in callbacks (at most 250 characters)')
    .option('--media-name <name>', 'media name (default: the file name without extension)')
    .option('--concurrency <n>', 'parts in flight on the server (1-64)', integer(1, 64))
    .option('--region <region>', 'access region of the VOD API (default: the server\'s)')
    .addOption(new Option('--server <url>', 'the service (default: $VOD_INGEST_URL or http://localhost:4000)'))
    .addOption(new Option('--key <key>', 'API key (default: $VOD_INGEST_KEY)'))
    .option('--json', 'print one JSON event a line, then the final record')
    .option('--wait-processed', "after the upload, wait for VOD's task flow (--procedure) to end and print its outcome")
    .option('--direct', 'send the files straight to VOD with a signature from the service (createDirectUpload)')
    .option('--vod-url <url>', "--direct: VOD's client-upload API (default https://vod2.qcloud.com; the emulator's URL for tests)")
    .option('--cos-url <url>', '--direct: a COS-compatible endpoint such as the emulator (default: Tencent COS)')
    .option('--retries <n>', 'network failures to survive by resuming or starting over', integer(0, 100), 5)
    .exitOverride();
}

/** What the command reads and writes: the process's, or a test's. */
export interface CommandIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where the progress bar draws; `isTTY` chooses the bar over plain lines. */
  readonly stderrStream: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Fires on Ctrl-C: the upload is canceled on the server and the command answers 130. */
  readonly interrupt: AbortSignal;
}

/** Runs the command; resolves with its exit code. */
export async function runVodUploadCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const command = program();
  const { stdout, stderr } = io;
  command.configureOutput({ writeOut: stdout, writeErr: stderr, outputError: (text, write) => write(text) });
  try {
    command.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  const options = command.opts<CliOptions>();
  const mediaPath = command.args[0]!;

  let connection;
  try {
    connection = loadCliConnection(io.env, { server: options.server, key: options.key });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr(`vod-upload: ${error.problems.join('; ')}\n`);
    return EXIT.usage;
  }

  let media;
  let upload: UploadOptions;
  try {
    media = await openLocalFile(mediaPath);
    const cover = options.cover === undefined ? undefined : await openLocalFile(options.cover);
    const segments = isManifestPath(mediaPath) ? await manifestSegments(mediaPath) : undefined;
    upload = {
      id: options.id,
      cover,
      segments,
      region: options.region,
      mediaName: options.mediaName,
      procedure: options.procedure,
      classId: options.classId,
      subAppId: options.subAppId,
      storageRegion: options.storageRegion,
      expireTime: options.expireTime,
      sourceContext: options.sourceContext,
      concurrentUploadNumber: options.concurrency,
    };
  } catch (error) {
    if (!(error instanceof LocalFileError)) throw error;
    stderr(`vod-upload: ${error.message}\n`);
    return EXIT.usage;
  }

  if (options.direct === true) {
    if (upload.segments !== undefined) {
      stderr('vod-upload: --direct takes a single media file, not an HLS/DASH manifest\n');
      return EXIT.usage;
    }
    const failure = await runDirectUpload({
      client: new IngestClient({ url: connection.url, key: connection.key }),
      mediaPath,
      coverPath: options.cover,
      fields: { id: upload.id, mediaName: upload.mediaName, procedure: upload.procedure, classId: upload.classId, subAppId: upload.subAppId, storageRegion: upload.storageRegion, expireTime: upload.expireTime, sourceContext: upload.sourceContext },
      endpoints: { vodUrl: options.vodUrl, cosUrl: options.cosUrl },
      json: options.json === true,
      stdout,
      stderr,
    });
    if (failure === undefined) return EXIT.ok;
    stderr(`vod-upload: ${failure.code}: ${failure.message}\n`);
    return failure.code === 'AuthFailure' ? EXIT.auth : EXIT.uploadFailed;
  }

  const totalBytes = media.blob.size + (upload.cover?.blob.size ?? 0) + (upload.segments ?? []).reduce((sum, s) => sum + s.file.blob.size, 0);
  const mode = options.json === true ? 'json' : io.stderrStream.isTTY === true ? 'bar' : 'lines';
  const display: UploadDisplay = createDisplay(mode, { stdout, stderr, stderrStream: io.stderrStream }, totalBytes);
  const onInterrupt = () => display.note('Canceling the upload (Ctrl-C again to quit at once)...');
  io.interrupt.addEventListener('abort', onInterrupt, { once: true });

  const client = new IngestClient({ url: connection.url, key: connection.key });
  try {
    const record = await client.upload(media, upload, {
      onProgress: (snapshot) => display.progress(snapshot),
      onEvent: (event) => display.event(event),
      signal: io.interrupt,
      retries: options.retries,
    });
    if (options.waitProcessed !== true) {
      display.succeeded(record);
      return EXIT.ok;
    }
    display.note(`Uploaded (FileId ${record.fileId ?? '?'}); waiting for VOD to process it...`);
    const processed = await client.waitProcessed(record.id, {
      signal: io.interrupt,
      onSnapshot: (upload) => display.note(`Processing: ${upload.processing.status}`),
    });
    display.succeeded(processed);
    if (processed.processing.status !== 'FAILED') return EXIT.ok;
    const { error } = processed.processing;
    display.failed({ code: error?.code ?? 'InternalError', message: `processing failed: ${error?.message ?? ''}`, uploadId: processed.id });
    return EXIT.uploadFailed;
  } catch (error) {
    if (!isIngestError(error)) throw error;
    display.failed({ code: error.code, message: error.message, uploadId: error.uploadId });
    if (io.interrupt.aborted) return EXIT.interrupted;
    if (error.code === 'AuthFailure') return EXIT.auth;
    if (error.code === CLIENT_ERROR_CODES.network || error.code === CLIENT_ERROR_CODES.invalidResponse) return EXIT.network;
    return EXIT.uploadFailed;
  } finally {
    io.interrupt.removeEventListener('abort', onInterrupt);
  }
}
