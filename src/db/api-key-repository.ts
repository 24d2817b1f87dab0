import type { PrismaClient } from '../generated/prisma/client.ts';
import { generateApiKey, hashApiKey } from '../auth/api-key.ts';
import { RecentKeys } from '../auth/recent-keys.ts';

export interface AuthenticatedTenant {
  readonly tenantId: string;
  readonly tenantName: string;
  readonly keyId: string;
}

export interface ApiKeySummary {
  readonly prefix: string;
  readonly tenant: string;
  readonly label: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** How stale `lastUsedAt` may get before a request refreshes it (avoids a write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

export class ApiKeyRepository {
  readonly #recent: RecentKeys<AuthenticatedTenant>;

  constructor(private readonly prisma: PrismaClient) {
    this.#recent = new RecentKeys((keyHash) => this.#lookup(keyHash));
  }

  /** Creates the tenant if needed and a new key for it; the clear key is returned once, only here. */
  async createKey(tenantName: string, label?: string): Promise<{ key: string; prefix: string; tenantId: string }> {
    const tenant = await this.prisma.tenant.upsert({
      where: { name: tenantName },
      create: { name: tenantName },
      update: {},
    });
    const generated = generateApiKey();
    await this.prisma.apiKey.create({
      data: { tenantId: tenant.id, prefix: generated.prefix, keyHash: generated.keyHash, label: label ?? null },
    });
    return { key: generated.key, prefix: generated.prefix, tenantId: tenant.id };
  }

  async listKeys(): Promise<ApiKeySummary[]> {
    const keys = await this.prisma.apiKey.findMany({ include: { tenant: true }, orderBy: { createdAt: 'asc' } });
    return keys.map((key) => ({
      prefix: key.prefix,
      tenant: key.tenant.name,
      label: key.label,
      createdAt: key.createdAt,
      lastUsedAt: key.lastUsedAt,
      revokedAt: key.revokedAt,
    }));
  }

  /** Revokes by prefix (or by the whole key). Returns false when no active key matched. */
  async revokeKey(prefixOrKey: string): Promise<boolean> {
    const prefix = prefixOrKey.split('_').slice(0, 2).join('_');
    const result = await this.prisma.apiKey.updateMany({
      where: { prefix, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    this.#recent.forget(prefix);
    return result.count > 0;
  }

  async countKeys(): Promise<number> {
    return this.prisma.apiKey.count();
  }

  /**
   * The tenant an active key belongs to, or undefined for an unknown or revoked key. A key that
   * authenticated within the last KEY_LOOKUP_TTL_MS is not read again (RecentKeys).
   */
  async authenticate(key: string): Promise<AuthenticatedTenant | undefined> {
    return this.#recent.get(hashApiKey(key));
  }

  async #lookup(keyHash: string): Promise<{ prefix: string; value: AuthenticatedTenant } | undefined> {
    const found = await this.prisma.apiKey.findUnique({
      where: { keyHash },
      select: { id: true, prefix: true, tenantId: true, revokedAt: true, lastUsedAt: true, tenant: { select: { name: true } } },
    });
    if (found === null || found.revokedAt !== null) return undefined;
    const now = Date.now();
    if (found.lastUsedAt === null || now - found.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.prisma.apiKey.update({ where: { id: found.id }, data: { lastUsedAt: new Date(now) } });
    }
    return { prefix: found.prefix, value: { tenantId: found.tenantId, tenantName: found.tenant.name, keyId: found.id } };
  }
}
