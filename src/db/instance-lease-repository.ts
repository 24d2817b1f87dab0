import type { PrismaClient } from '../generated/prisma/client.ts';
import { quoteIdent } from './migrate.ts';

/**
 * Instance leases, on the database's clock (`now()`), so hosts whose clocks disagree still agree on
 * which lease has expired.
 */
export class InstanceLeaseRepository {
  readonly #table: string;
  readonly #uploads: string;

  constructor(
    private readonly prisma: PrismaClient,
    schema: string,
  ) {
    this.#table = `${quoteIdent(schema)}."instance_leases"`;
    this.#uploads = `${quoteIdent(schema)}."uploads"`;
  }

  /** Takes or renews the lease until `ttlMs` from now. */
  async renew(instanceId: string, ttlMs: number): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO ${this.#table} (instance_id, expires_at) VALUES ($1, now() + $2::bigint * interval '1 millisecond')
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at`,
      instanceId,
      ttlMs,
    );
  }

  /** A clean stop: nothing of this instance is left to sweep. */
  async release(instanceId: string): Promise<void> {
    await this.prisma.instanceLease.deleteMany({ where: { instanceId } });
  }

  /** Drops expired leases whose instances have nothing left in flight (already swept). */
  async forgetSwept(): Promise<number> {
    return this.prisma.$executeRawUnsafe(
      `DELETE FROM ${this.#table} l WHERE l.expires_at <= now()
       AND NOT EXISTS (SELECT 1 FROM ${this.#uploads} u
         WHERE u.instance_id = l.instance_id AND u.status IN ('PENDING', 'UPLOADING', 'COMMITTING'))`,
    );
  }
}
