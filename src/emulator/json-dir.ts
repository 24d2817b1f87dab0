/** A directory of small JSON documents, one file per id, written atomically (temp file + rename). */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class JsonDir<T> {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  private file(id: string): string {
    return path.join(this.dir, `${encodeURIComponent(id)}.json`);
  }

  async write(id: string, value: T): Promise<void> {
    const tmp = path.join(this.dir, `.${randomUUID()}.tmp`);
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, this.file(id));
  }

  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  async loadAll(): Promise<T[]> {
    const out: T[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        out.push(JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as T);
      } catch {
        // A torn or foreign file: ignore it.
      }
    }
    return out;
  }
}
