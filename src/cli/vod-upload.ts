#!/usr/bin/env node
/**
 * `vod-upload <media>`: streams a file (or an HLS/DASH manifest and every file it references) to a
 * vod-ingest service. The process around the command: arguments, environment, Ctrl-C, exit code.
 * See README, "Command-line uploads".
 */
import { EXIT, runVodUploadCommand } from './vod-upload-command.ts';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C does not wait
  interrupt.abort();
});

runVodUploadCommand(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrStream: process.stderr,
  interrupt: interrupt.signal,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`vod-upload: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT.uploadFailed);
  },
);
