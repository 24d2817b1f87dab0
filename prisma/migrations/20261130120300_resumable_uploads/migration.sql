-- Resumable uploads: an interrupted media upload may be PAUSED (its multipart upload kept open) and
-- continued by any instance from the parts recorded here.
ALTER TYPE "UploadStatus" ADD VALUE 'PAUSED' AFTER 'UPLOADING';

ALTER TABLE "uploads"
    ADD COLUMN "media_storage_path" TEXT,
    ADD COLUMN "cover_storage_path" TEXT,
    ADD COLUMN "resumable_offset" BIGINT,
    ADD COLUMN "resumable_until" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "upload_parts" (
    "tenant_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "part_number" INTEGER NOT NULL,
    "etag" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "end_offset" BIGINT NOT NULL,
    "crc64" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "upload_parts_pkey" PRIMARY KEY ("tenant_id","upload_id","part_number")
);

-- AddForeignKey
ALTER TABLE "upload_parts" ADD CONSTRAINT "upload_parts_tenant_id_upload_id_fkey" FOREIGN KEY ("tenant_id", "upload_id") REFERENCES "uploads"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
