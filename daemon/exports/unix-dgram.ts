/**
 * Datagrams to a Unix socket such as /dev/log. Node has no AF_UNIX/SOCK_DGRAM support, so this calls libc
 * through koffi (as the peer-credential reader does). Sends never block: a full receiver queue is an error
 * the caller retries later, never a stalled daemon.
 */
import koffi from 'koffi';
import { constants, endianness } from 'node:os';

export class SocketError extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
    readonly path: string,
  ) {
    const name = Object.entries(constants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
    super(`${op} ${path}: ${name}${name === 'EPROTOTYPE' ? ' (a stream socket; ocsec sends RFC 5424 datagrams)' : ''}`);
    this.name = 'SocketError';
  }
}

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  connect: (fd: number, addr: Buffer, len: number) => number;
  send: (fd: number, buf: Buffer, len: number, flags: number) => number;
  close: (fd: number) => number;
}

let libc: Libc | null = null;

function lib(): Libc {
  if (libc) return libc;
  const l = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
  libc = {
    socket: l.func('int socket(int domain, int type, int protocol)'),
    connect: l.func('int connect(int fd, const void *addr, uint32_t len)'),
    send: l.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
    close: l.func('int close(int fd)'),
  };
  return libc;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = process.platform === 'linux' ? 0x80000 : 0;
const MSG_DONTWAIT = process.platform === 'darwin' ? 0x80 : 0x40;

/** struct sockaddr_un: Linux {u16 family; char path[108]}, BSD/macOS {u8 len; u8 family; char path[104]}. */
export function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  const max = process.platform === 'darwin' ? 103 : 107;
  if (bytes.length > max || bytes.includes(0)) throw new Error(`${path}: not a usable socket path (at most ${max} bytes, no NUL)`);
  const buf = Buffer.alloc(2 + bytes.length + 1);
  if (process.platform === 'darwin') {
    buf[0] = buf.length;
    buf[1] = AF_UNIX;
  } else if (endianness() === 'LE') buf.writeUInt16LE(AF_UNIX, 0);
  else buf.writeUInt16BE(AF_UNIX, 0);
  bytes.copy(buf, 2);
  return buf;
}

function unixDatagramSocket(): number {
  const fd = lib().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SocketError('socket', koffi.errno(), '(new)');
  return fd;
}

/** A connected datagram socket to `path`; reconnects after the receiver went away (syslog restarted). */
export class UnixDatagramSender {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  private connected(): number {
    if (this.fd !== null) return this.fd;
    const fd = unixDatagramSocket();
    const addr = sockaddrUn(this.path);
    if (lib().connect(fd, addr, addr.length) !== 0) {
      const errno = koffi.errno();
      lib().close(fd);
      throw new SocketError('connect', errno, this.path);
    }
    this.fd = fd;
    return fd;
  }

  send(message: Buffer): void {
    const fd = this.connected();
    if (lib().send(fd, message, message.length, MSG_DONTWAIT) < 0) {
      const errno = koffi.errno();
      // A dead peer or a vanished socket: the next send connects afresh. A full queue (EAGAIN) keeps the connection.
      if (errno !== constants.errno.EAGAIN && errno !== constants.errno.ENOBUFS) this.close();
      throw new SocketError('send to', errno, this.path);
    }
  }

  close(): void {
    if (this.fd !== null) lib().close(this.fd);
    this.fd = null;
  }
}
