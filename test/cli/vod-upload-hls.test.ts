import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliServer, sha256 } from './cli-server.ts';
import { runVodUpload } from './run-vod-upload.ts';

const cli = cliServer('vod_upload_cli_hls', { keyLabel: 'cli', tmpPrefix: 'vod-upload-cli-' });

describe('vod-upload with a manifest', () => {
  it('sends an HLS manifest with every file it references, nested playlists included, and prints the result', async () => {
    const { server, key, dir } = cli;
    const hls = path.join(dir, 'hls');
    await mkdir(path.join(hls, 'v1'), { recursive: true });
    const files: Record<string, Buffer> = {
      'v1/seg0.ts': randomBytes(40_000),
      'v1/seg1.ts': randomBytes(30_000),
      'v1/init.mp4': randomBytes(900),
      'v1/key.bin': randomBytes(16),
      'audio.m3u8': Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\naudio0.aac\n#EXT-X-ENDLIST\n'),
      'audio0.aac': randomBytes(5000),
      'v1/index.m3u8': Buffer.from(
        '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="key.bin"\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg0.ts\n#EXTINF:4,\n./seg1.ts\n#EXT-X-ENDLIST\n',
      ),
    };
    const master =
      '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="aud"\nv1/index.m3u8\n';
    await writeFile(path.join(hls, 'master.m3u8'), master);
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(hls, name), content);
    await writeFile(path.join(hls, 'unrelated.txt'), 'not referenced, not sent');

    const { code, stdout, stderr } = await runVodUpload([path.join(hls, 'master.m3u8'), '--server', server.url, '--key', key]).result;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^FileId: \S+$/m);
    assert.match(stdout, /^MediaUrl: http\S+master\.m3u8$/m);
    assert.match(stdout, /^CoverUrl: $/m);
    assert.match(stdout, /^RequestId: \S+$/m);
    const id = /^UploadId: (\S+)$/m.exec(stdout)?.[1];
    assert.ok(id, stdout);
    const stored = (await cli.record(id))['files'] as Array<{ role: string; path: string; sha256: string }>;
    assert.deepEqual(
      stored.filter((file) => file.role === 'SEGMENT').map((file) => file.path).sort(),
      Object.keys(files).sort(),
      'every referenced file, and nothing else',
    );
    for (const file of stored.filter((f) => f.role === 'SEGMENT')) assert.equal(file.sha256, sha256(files[file.path]!), file.path);
    assert.match(stderr, /^(PENDING|UPLOADING|COMMITTING) \d+% sent /m, 'plain progress lines when not on a terminal');
  });

});
