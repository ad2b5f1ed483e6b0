/**
 * File helpers for the Node tools: crash-safe writes and user-facing reads.
 *
 * atomicWriteFile writes a temp file next to the target and renames it over the target, so
 * a reader (or a run resumed after a crash or power loss) sees either the old file or the
 * complete new one, never a torn mix. Node-only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../src/errors';

/** Short explanations for the errno codes a user can cause or fix. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EEXIST: 'file exists',
  ENOTEMPTY: 'is a non-empty directory',
};

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A UserError for errno codes in REASONS; other errors are returned unchanged. */
function asUserError(e: unknown, prefix: string): unknown {
  const code = errnoCode(e);
  if (code !== undefined && code in REASONS) return new UserError(`${prefix}: ${REASONS[code]}`);
  return e;
}

function randomSuffix(): string {
  // Not security relevant: only avoids collisions between concurrent writers in one process.
  return Math.floor(Math.random() * 0x100000000)
    .toString(36)
    .padStart(7, '0');
}

/**
 * Replace `target` with `data` atomically: write `.<name>.<pid>.<random>.tmp` in the same
 * directory, fsync it, rename it over the target, then fsync the directory where the
 * platform allows. An existing target keeps its permission bits. On any error the temp file
 * is removed and an existing target is left untouched. Strings are written as UTF-8.
 * Throws UserError if the directory is missing or not writable, or the disk is full.
 */
export function atomicWriteFile(target: string, data: Uint8Array | string): void {
  const dir = path.dirname(path.resolve(target));
  let dirStat: fs.Stats;
  try {
    dirStat = fs.statSync(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new UserError(`cannot write '${target}': directory '${dir}' does not exist`);
    throw asUserError(e, `cannot write '${target}': directory '${dir}'`);
  }
  if (!dirStat.isDirectory()) throw new UserError(`cannot write '${target}': '${dir}' is not a directory`);

  let mode: number | undefined;
  try {
    const st = fs.statSync(target);
    if (st.isDirectory()) throw new UserError(`cannot write '${target}': it is a directory`);
    mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof UserError) throw e;
    // A missing target is the normal case; other stat failures surface at open or rename.
  }

  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomSuffix()}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is more useful
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temp file may never have been created
    }
    throw asUserError(e, `cannot write '${target}'`);
  }
  syncDirectory(dir);
}

/** fsync a directory so the rename itself is durable. Not possible on Windows; ignored there. */
function syncDirectory(dir: string): void {
  let dfd = -1;
  try {
    dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
  } catch {
    // EISDIR/EPERM/EINVAL on platforms that cannot fsync a directory: the data file is synced.
  } finally {
    if (dfd >= 0) fs.closeSync(dfd);
  }
}

/**
 * Read a whole file the user named. `what` describes it for the message, e.g. "checkpoint".
 * Throws UserError "cannot read <what> '<path>': <reason>" for a missing, unreadable or
 * directory path; other I/O errors are rethrown unchanged.
 */
export function readUserFile(file: string, what: string): Uint8Array {
  try {
    const buf = fs.readFileSync(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw asUserError(e, `cannot read ${what} '${file}'`);
  }
}
