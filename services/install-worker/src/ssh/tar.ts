// A minimal ustar writer that streams: uploads go to nodes as one tarball piped into `tar -x` over
// an exec channel (ssh2's SFTP is slow). Entries are headers plus bytes from memory (small generated
// files) or from a file on disk (artifacts), so a job never holds a copy of an exporter binary or the
// whole archive: with 100 installs at once that is the difference between MiB and GiB.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** Where an entry's bytes come from. */
export type TarContent = Buffer | { file: string };

/** One regular file in the archive. */
export interface TarEntry {
  /** Relative path, at most 100 bytes. */
  name: string;
  /** Byte length; a file source that reads to another length fails the stream. */
  size: number;
  content: TarContent;
  /** Octal mode, default 0o644. */
  mode?: number;
}

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'latin1');
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(e: TarEntry, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, e.name);
  field(h, 100, 8, octal(e.mode ?? 0o644, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(e.size, 12));
  field(h, 136, 12, octal(mtime, 12));
  h.fill(' ', 148, 156); // the checksum is computed with its own field as spaces
  field(h, 156, 1, '0');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

async function* entryBytes(e: TarEntry): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(e.content)) {
    if (e.content.length !== e.size) throw new Error(`tar entry ${e.name}: ${e.content.length} bytes, ${e.size} declared`);
    yield e.content;
    return;
  }
  let n = 0;
  for await (const chunk of createReadStream(e.content.file, { highWaterMark: 64 * 1024 })) {
    n += (chunk as Buffer).length;
    if (n > e.size) break;
    yield chunk as Buffer;
  }
  if (n !== e.size) throw new Error(`${e.content.file} changed while it was being sent (${n > e.size ? 'grew' : 'shrank'}; ${e.size} bytes expected)`);
}

/** Checks that `entries` can go in the archive (names that stay inside the target folder). */
function checkNames(entries: TarEntry[]): void {
  for (const e of entries) {
    if (Buffer.byteLength(e.name) > 100 || e.name === '' || e.name.startsWith('/') || e.name.split('/').includes('..')) {
      throw new Error(`tar entry name not allowed: ${e.name}`);
    }
  }
}

/** A ustar archive of `entries` as a byte stream (two zero blocks at the end, as tar expects). */
export function tarStream(entries: TarEntry[], mtime = Math.floor(Date.now() / 1000)): Readable {
  checkNames(entries);
  async function* archive(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      yield header(e, mtime);
      yield* entryBytes(e);
      const pad = (512 - (e.size % 512)) % 512;
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(1024);
  }
  return Readable.from(archive(), { objectMode: false });
}
