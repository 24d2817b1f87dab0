import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { manifestSegments } from '../../src/client/local-files.ts';
import { runVodUploadCommand } from '../../src/cli/vod-upload-command.ts';
import { cliServer } from './cli-server.ts';
import { runVodUpload } from './run-vod-upload.ts';

const cli = cliServer('vod_upload_cli_errors', { keyLabel: 'cli-errors', tmpPrefix: 'vod-upload-errors-', files: { 'small.mp4': randomBytes(1000) } });

/** The command in this process (the exit-code paths that need no real process). */
async function command(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runVodUploadCommand(args, {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stderrStream: new PassThrough(),
    interrupt: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

async function uploadCount(): Promise<number> {
  const { server, key } = cli;
  const answer = await server.graphql('{ uploads(first: 100) { edges { node { id } } } }', { key });
  return ((answer.body.data?.['uploads'] as { edges: unknown[] }).edges).length;
}

describe('vod-upload refuses', () => {
  it('manifest references that are URLs, absolute, leave the folder or are missing (finding them needs no server)', async () => {
    const { dir } = cli;
    const bad = path.join(dir, 'bad');
    await mkdir(path.join(bad, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'outside.ts'), randomBytes(100));
    await symlink(path.join(dir, 'outside.ts'), path.join(bad, 'link.ts'));
    const cases: Array<[string, RegExp]> = [
      ['../outside.ts', /leaves the manifest directory/],
      ['https://cdn.example.com/a.ts', /is a URL/],
      ['/etc/passwd', /absolute path/],
      ['link.ts', /leads outside the manifest's folder/],
      ['missing.ts', /missing\.ts, which does not exist/],
    ];
    for (const [reference, why] of cases) {
      await writeFile(path.join(bad, 'index.m3u8'), `#EXTM3U\n#EXTINF:4,\n${reference}\n#EXT-X-ENDLIST\n`);
      await assert.rejects(manifestSegments(path.join(bad, 'index.m3u8')), (error: Error) => {
        assert.equal(error.name, 'LocalFileError');
        assert.match(error.message, why);
        return true;
      });
    }
    // A nested playlist's references are relative to it, and may not climb out of the top folder either.
    await writeFile(path.join(bad, 'sub', 'nested.m3u8'), '#EXTM3U\n#EXTINF:4,\n../../outside.ts\n#EXT-X-ENDLIST\n');
    await writeFile(path.join(bad, 'index.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nsub/nested.m3u8\n');
    await assert.rejects(manifestSegments(path.join(bad, 'index.m3u8')), /leaves the manifest directory/);
  });

  it('a manifest with a bad reference: exit 2 before anything is sent', async () => {
    const { server, key, dir } = cli;
    await writeFile(path.join(dir, 'index.m3u8'), '#EXTM3U\n#EXTINF:4,\n../escape.ts\n#EXT-X-ENDLIST\n');
    const { code, stderr } = await command([path.join(dir, 'index.m3u8'), '--server', server.url, '--key', key]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /index\.m3u8: .*\.\.\/escape\.ts.*leaves the manifest directory/);
    assert.equal(await uploadCount(), 0);
  });

  it('a wrong key: exit 3 with AuthFailure, the key not echoed', async () => {
    const { server, key, dir } = cli;
    const wrong = `${key}x`;
    const { code, stderr, stdout } = await runVodUpload([path.join(dir, 'small.mp4')], { VOD_INGEST_URL: server.url, VOD_INGEST_KEY: wrong }).result;
    assert.equal(code, 3, stderr);
    assert.match(stderr, /AuthFailure/);
    assert.ok(!stderr.includes(wrong), 'the key is not echoed');
    assert.equal(stdout, '');
  });

  it('a missing file, a missing key, a bad number or URL, no media: exit 2 (in process)', async () => {
    const { server, key, dir } = cli;
    const missing = await command([path.join(dir, 'nope.mp4'), '--server', server.url, '--key', key]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.mp4: no such file/);
    const noKey = await command([path.join(dir, 'small.mp4'), '--server', server.url]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /VOD_INGEST_KEY/);
    const badNumber = await command([path.join(dir, 'small.mp4'), '--concurrency', 'many', '--key', key]);
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /concurrency/);
    const badServer = await command([path.join(dir, 'small.mp4'), '--key', key], { VOD_INGEST_URL: 'ftp://example.com' });
    assert.equal(badServer.code, 2);
    assert.match(badServer.stderr, /VOD_INGEST_URL: must start with http/);
    assert.equal((await command([])).code, 2);
    const help = await command(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--retries <n>/);
  });

  it('an unreachable server: exit 4 after the retries (in process)', async () => {
    const { key, dir } = cli;
    const { code, stderr } = await command([path.join(dir, 'small.mp4'), '--server', 'http://127.0.0.1:9', '--key', key, '--retries', '1']);
    assert.equal(code, 4, stderr);
    assert.match(stderr, /NetworkError: Cannot reach http:\/\/127\.0\.0\.1:9\/graphql/);
    assert.match(stderr, /retry 1/);
  });
});
