-- After the upload: VOD's task flow (procedure) and deletion, learned from VOD's reliable-callback
-- events (PullEvents/ConfirmEvents), kept on the upload; every event received is kept once, by a key
-- of its content, so a redelivered or duplicated event changes nothing.
CREATE TYPE "ProcessingStatus" AS ENUM ('NONE', 'QUEUED', 'PROCESSING', 'SUCCEEDED', 'FAILED');
CREATE TYPE "UploadSource" AS ENUM ('THROUGH_SERVICE', 'DIRECT');

ALTER TABLE "uploads"
    ADD COLUMN "source" "UploadSource" NOT NULL DEFAULT 'THROUGH_SERVICE',
    ADD COLUMN "processing_status" "ProcessingStatus" NOT NULL DEFAULT 'NONE',
    ADD COLUMN "processing_task_id" TEXT,
    ADD COLUMN "processing_error_code" TEXT,
    ADD COLUMN "processing_error_message" TEXT,
    ADD COLUMN "processing_outputs" JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN "processing_started_at" TIMESTAMPTZ(3),
    ADD COLUMN "processing_finished_at" TIMESTAMPTZ(3),
    ADD COLUMN "deleted_at" TIMESTAMPTZ(3);

CREATE INDEX "uploads_file_id_idx" ON "uploads"("file_id");

-- CreateTable
CREATE TABLE "vod_events" (
    "dedupe_key" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "file_id" TEXT,
    "sub_app_id" INTEGER,
    "tenant_id" UUID,
    "upload_id" UUID,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "applied_at" TIMESTAMPTZ(3),

    CONSTRAINT "vod_events_pkey" PRIMARY KEY ("dedupe_key")
);

CREATE INDEX "vod_events_file_id_idx" ON "vod_events"("file_id");
