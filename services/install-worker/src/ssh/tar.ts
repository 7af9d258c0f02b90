// A minimal ustar writer: uploads go to nodes as one tarball streamed into `tar -x` over an exec
// channel (ssh2's SFTP is slow), so we only ever need to write regular files with short names.

/** One regular file in the archive. */
export interface TarFile {
  /** Relative path, at most 100 bytes. */
  name: string;
  data: Buffer;
  /** Octal mode, default 0o644. */
  mode?: number;
}

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'latin1');
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

/** Builds a ustar archive of `files` (two zero blocks at the end, as tar expects). */
export function buildTar(files: TarFile[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (Buffer.byteLength(f.name) > 100 || f.name.startsWith('/') || f.name.split('/').includes('..')) {
      throw new Error(`tar entry name not allowed: ${f.name}`);
    }
    const h = Buffer.alloc(512);
    field(h, 0, 100, f.name);
    field(h, 100, 8, octal(f.mode ?? 0o644, 8));
    field(h, 108, 8, octal(0, 8));
    field(h, 116, 8, octal(0, 8));
    field(h, 124, 12, octal(f.data.length, 12));
    field(h, 136, 12, octal(mtime, 12));
    h.fill(' ', 148, 156); // checksum is computed with its own field as spaces
    field(h, 156, 1, '0');
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    let sum = 0;
    for (const b of h) sum += b;
    field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(h, f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
