import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, splitSchemaParameter } from '../../src/config/load-config.ts';

describe('loadConfig', () => {
  it('gives the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.server.port, 4000);
    assert.deepEqual(config.database, { mode: 'embedded', dataDir: path.resolve('data', 'pg') });
    assert.equal(config.vod.mode, 'emulator');
    assert.equal(config.vod.region, 'ap-guangzhou');
    assert.deepEqual(config.pubsub, { mode: 'memory' });
    assert.equal(config.limits.maxFileBytes, 50 * 1024 ** 3);
    assert.equal(config.limits.maxFiles, 2000);
    assert.ok(config.multipart.partBytes >= 1024 * 1024);
    assert.ok(config.multipart.defaultConcurrency >= 1);
  });

  it('switches each mode on by its variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u@db:5432/app?schema=ingest&sslmode=disable',
      TENCENTCLOUD_SECRET_ID: 'AKIDexample',
      TENCENTCLOUD_SECRET_KEY: 'secret',
      TENCENTCLOUD_SESSION_TOKEN: 'token',
      VOD_ENDPOINT: 'http://127.0.0.1:9000',
      REDIS_URL: 'redis://127.0.0.1:6379',
      VOD_REGION: 'ap-chongqing',
    });
    assert.deepEqual(config.database, { mode: 'postgres', url: 'postgresql://u@db:5432/app?sslmode=disable', schema: 'ingest' });
    assert.equal(config.vod.mode, 'tencent');
    assert.ok(config.vod.mode === 'tencent' && config.vod.credentials.sessionToken === 'token');
    assert.ok(config.vod.mode === 'tencent' && config.vod.vodEndpoint === 'http://127.0.0.1:9000');
    assert.equal(config.vod.region, 'ap-chongqing');
    assert.deepEqual(config.pubsub, { mode: 'redis', url: 'redis://127.0.0.1:6379' });
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ DATABASE_URL: '', PORT: '' }).database.mode, 'embedded');
  });

  it('reports every bad variable at once', () => {
    const error = catchConfigError({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      MAX_FILE_BYTES: '-5',
      PART_BYTES: '1000',
      DEFAULT_CONCURRENCY: '500',
      REDIS_URL: 'http://nope',
      VOD_ENDPOINT: 'not a url',
      LOG_LEVEL: 'loud',
    });
    const named = error.problems.map((problem) => problem.split(':')[0]);
    for (const variable of ['PORT', 'DATABASE_URL', 'MAX_FILE_BYTES', 'PART_BYTES', 'DEFAULT_CONCURRENCY', 'REDIS_URL', 'VOD_ENDPOINT', 'LOG_LEVEL']) {
      assert.ok(named.includes(variable), `${variable} should be reported; got ${error.message}`);
    }
  });

  it('reads RESUME_TTL as a duration (a bare number is milliseconds), 24 h by default, 0 to turn resuming off', () => {
    assert.equal(loadConfig({}).resume.ttlMs, 24 * 3_600_000);
    assert.equal(loadConfig({ RESUME_TTL: '0' }).resume.ttlMs, 0);
    assert.equal(loadConfig({ RESUME_TTL: '90s' }).resume.ttlMs, 90_000);
    assert.equal(loadConfig({ RESUME_TTL: '90' }).resume.ttlMs, 90);
    assert.equal(loadConfig({ RESUME_TTL: '30m' }).resume.ttlMs, 30 * 60_000);
    assert.equal(loadConfig({ RESUME_TTL: '250ms' }).resume.ttlMs, 250);
    assert.match(catchConfigError({ RESUME_TTL: '1d' }).message, /RESUME_TTL: must be a duration/);
    assert.match(catchConfigError({ RESUME_TTL: '9999h' }).message, /RESUME_TTL/);
  });

  it('reads DIRECT_UPLOAD_TTL (15 min, whole seconds, 1 min … 24 h) and DIRECT_UPLOAD_GRACE (10 min, 0 … 24 h)', () => {
    assert.deepEqual(loadConfig({}).direct, { ttlMs: 15 * 60_000, graceMs: 10 * 60_000 });
    assert.deepEqual(loadConfig({ DIRECT_UPLOAD_TTL: '2h', DIRECT_UPLOAD_GRACE: '0' }).direct, { ttlMs: 2 * 3_600_000, graceMs: 0 });
    assert.equal(loadConfig({ DIRECT_UPLOAD_TTL: '90500ms' }).direct.ttlMs, 90_000);
    assert.match(catchConfigError({ DIRECT_UPLOAD_TTL: '30s' }).message, /DIRECT_UPLOAD_TTL/);
    assert.match(catchConfigError({ DIRECT_UPLOAD_TTL: '25h' }).message, /DIRECT_UPLOAD_TTL/);
    assert.match(catchConfigError({ DIRECT_UPLOAD_GRACE: 'soon' }).message, /DIRECT_UPLOAD_GRACE: must be a duration/);
  });

  it('needs the secret id and key together, and a token only with them', () => {
    const missingKey = catchConfigError({ TENCENTCLOUD_SECRET_ID: 'AKID' });
    assert.match(missingKey.message, /TENCENTCLOUD_SECRET_KEY/);
    const lonelyToken = catchConfigError({ TENCENTCLOUD_SESSION_TOKEN: 'tok' });
    assert.match(lonelyToken.message, /TENCENTCLOUD_SESSION_TOKEN/);
  });

  it('reads the webhook settings: a retry schedule in seconds (about 27 h by default), a 10 s attempt, private networks off', () => {
    const defaults = loadConfig({}).webhooks;
    assert.deepEqual(defaults.retryDelaysMs, [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((seconds) => seconds * 1000));
    assert.equal(defaults.retryDelaysMs.reduce((sum, delay) => sum + delay, 0), 99_305_000);
    assert.equal(defaults.timeoutMs, 10_000);
    assert.equal(defaults.allowPrivateNetworks, false);
    const set = loadConfig({ WEBHOOK_RETRY_DELAYS: '0, 1,2', WEBHOOK_TIMEOUT_MS: '2500', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on' }).webhooks;
    assert.deepEqual(set, { retryDelaysMs: [0, 1000, 2000], timeoutMs: 2500, allowPrivateNetworks: true });
    assert.equal(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' }).webhooks.allowPrivateNetworks, false);
    for (const [name, value] of [
      ['WEBHOOK_RETRY_DELAYS', '5,,300'],
      ['WEBHOOK_RETRY_DELAYS', '5s,300'],
      ['WEBHOOK_RETRY_DELAYS', '-5'],
      ['WEBHOOK_RETRY_DELAYS', '604801'],
      ['WEBHOOK_TIMEOUT_MS', '0'],
      ['WEBHOOK_TIMEOUT_MS', '300001'],
      ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes please'],
    ] as const) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.problems.length === 1 && error.problems[0]!.startsWith(`${name}:`),
        `${name}=${value} is refused at start-up`,
      );
    }
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.server));
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
  });

  it('never echoes a secret value in its messages', () => {
    const error = catchConfigError({ TENCENTCLOUD_SECRET_KEY: 'super-secret-value' });
    assert.doesNotMatch(error.message, /super-secret-value/);
  });
});

describe('lifecycle configuration', () => {
  it('defaults: 25 s grace, 30 s lease renewed every 10 s, a unique instance id per process', () => {
    const config = loadConfig({});
    assert.deepEqual(config.lifecycle, { shutdownGraceMs: 25_000, leaseTtlMs: 30_000, leaseHeartbeatMs: 10_000 });
    assert.match(config.server.instanceId, /^.+:4000:[0-9a-f]{8}$/);
    assert.notEqual(loadConfig({}).server.instanceId, config.server.instanceId);
    assert.equal(loadConfig({ INSTANCE_ID: 'fixed-1' }).server.instanceId, 'fixed-1');
  });

  it('reads durations with units, bare numbers as milliseconds, and refuses a heartbeat over half the TTL', () => {
    assert.deepEqual(loadConfig({ LEASE_TTL: '2s', LEASE_HEARTBEAT: '400ms', SHUTDOWN_GRACE_MS: '0' }).lifecycle, {
      shutdownGraceMs: 0,
      leaseTtlMs: 2000,
      leaseHeartbeatMs: 400,
    });
    assert.equal(loadConfig({ LEASE_TTL: '1500' }).lifecycle.leaseTtlMs, 1500);
    assert.equal(loadConfig({ LEASE_TTL: '2m' }).lifecycle.leaseHeartbeatMs, 40_000);
    assert.match(catchConfigError({ LEASE_TTL: '30 seconds' }).message, /LEASE_TTL: must be a duration/);
    assert.match(catchConfigError({ LEASE_TTL: '2s', LEASE_HEARTBEAT: '1500ms' }).message, /LEASE_HEARTBEAT: must be at most half/);
    assert.match(catchConfigError({ SHUTDOWN_GRACE_MS: '-1' }).message, /SHUTDOWN_GRACE_MS/);
  });

  it('takes CREDENTIALS_KEY as 32 bytes in hex or base64 and refuses any other length at start-up', () => {
    assert.equal(loadConfig({}).resume.credentialsKey, undefined);
    const hex = 'ab'.repeat(32);
    assert.equal(loadConfig({ CREDENTIALS_KEY: hex }).resume.credentialsKey, hex);
    const base64 = Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadConfig({ CREDENTIALS_KEY: base64 }).resume.credentialsKey, base64);
    for (const bad of ['ab'.repeat(31), Buffer.alloc(16, 7).toString('base64'), Buffer.alloc(33, 7).toString('base64'), 'not a key']) {
      const error = catchConfigError({ CREDENTIALS_KEY: bad });
      assert.match(error.message, /CREDENTIALS_KEY: must be 32 bytes/);
      assert.ok(!error.message.includes(bad), 'the refused value is not repeated');
    }
  });
});

describe('splitSchemaParameter', () => {
  it('defaults to public and keeps other parameters', () => {
    assert.deepEqual(splitSchemaParameter('postgresql://h/db'), { url: 'postgresql://h/db', schema: 'public' });
    assert.deepEqual(splitSchemaParameter('postgresql://h/db?schema=s1&application_name=x'), {
      url: 'postgresql://h/db?application_name=x',
      schema: 's1',
    });
  });
});

function catchConfigError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig: timeouts and caps', () => {
  it('has production defaults for every timeout and cap', () => {
    const config = loadConfig({});
    assert.deepEqual(config.http, {
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 65_000,
      uploadIdleTimeoutMs: 60_000,
      uploadIdleMinBytes: 16 * 1024,
      webSocketKeepAliveMs: 12_000,
      webSocketConnectionInitTimeoutMs: 3_000,
      maxConnections: 1024,
    });
    assert.equal(config.limits.maxUploadsPerTenant, 32);
  });

  it('reads WS_CONNECTION_INIT_TIMEOUT_MS apart from the headers timeout, and refuses what is out of range', () => {
    const config = loadConfig({ WS_CONNECTION_INIT_TIMEOUT_MS: '750', HEADERS_TIMEOUT_MS: '30000' });
    assert.equal(config.http.webSocketConnectionInitTimeoutMs, 750);
    assert.equal(config.http.headersTimeoutMs, 30_000);
    for (const value of ['0', '99', '600001', '3s', '-1']) {
      assert.match(catchConfigError({ WS_CONNECTION_INIT_TIMEOUT_MS: value }).message, /WS_CONNECTION_INIT_TIMEOUT_MS/, value);
    }
  });

  it('refuses a zero timeout, a budget smaller than two parts, and a file size the budget cannot carry in 10 000 parts', () => {
    assert.throws(() => loadConfig({ UPLOAD_IDLE_TIMEOUT_MS: '0' }), /UPLOAD_IDLE_TIMEOUT_MS/);
    assert.throws(() => loadConfig({ PART_BYTES: String(64 * 1024 ** 2), MAX_BUFFER_BYTES: String(100 * 1024 ** 2) }), /MAX_BUFFER_BYTES: must hold at least two parts/);
    assert.throws(
      () => loadConfig({ PART_BYTES: String(1024 ** 2), MAX_BUFFER_BYTES: String(8 * 1024 ** 2), MAX_FILE_BYTES: String(50 * 1024 ** 3) }),
      /MAX_FILE_BYTES: parts that MAX_BUFFER_BYTES can serve/,
    );
  });
});
