-- Each running instance holds a lease it renews by heartbeat; an instance whose lease has expired
-- is dead, and any peer sweeps its unfinished uploads. Times are the database's clock (now()), so
-- hosts with skewed clocks agree.
CREATE TABLE "instance_leases" (
    "instance_id" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "instance_leases_pkey" PRIMARY KEY ("instance_id")
);

CREATE INDEX "instance_leases_expires_at_idx" ON "instance_leases"("expires_at");

-- What storage still holds that no committed media owns: objects (and open multipart uploads) of
-- uploads that ended without CommitUpload. A row is deleted once storage no longer holds it; until
-- then the sweeper retries with backoff.
CREATE TABLE "storage_cleanup" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "bucket" TEXT NOT NULL,
    "bucket_region" TEXT NOT NULL,
    "storage_key" TEXT NOT NULL,
    "multipart_upload_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "storage_cleanup_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "storage_cleanup_next_attempt_at_idx" ON "storage_cleanup"("next_attempt_at");

CREATE INDEX "storage_cleanup_tenant_id_upload_id_idx" ON "storage_cleanup"("tenant_id", "upload_id");

-- The sweep looks for in-flight uploads by instance.
CREATE INDEX "uploads_instance_id_status_idx" ON "uploads"("instance_id", "status");
