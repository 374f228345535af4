/** A bound Unix datagram socket read without blocking: a stand-in for the syslog daemon behind /dev/log. */
import koffi from 'koffi';
import { sockaddrUn } from '../../daemon/exports/unix-dgram.js';

const libc = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
const socket = libc.func('int socket(int domain, int type, int protocol)');
const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const recv = libc.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)');
const close = libc.func('int close(int fd)');
const MSG_DONTWAIT = process.platform === 'darwin' ? 0x80 : 0x40;

export class DatagramReceiver {
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = socket(1, 2, 0) as number;
    if (this.fd < 0) throw new Error(`socket: errno ${koffi.errno()}`);
    const addr = sockaddrUn(path);
    if (bind(this.fd, addr, addr.length) !== 0) {
      const errno = koffi.errno();
      close(this.fd);
      throw new Error(`bind ${path}: errno ${errno}`);
    }
  }

  /** Every datagram queued now, oldest first. */
  drain(maxBytes = 65_536): string[] {
    const out: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const buf = Buffer.alloc(maxBytes);
      const n = Number(recv(this.fd, buf, buf.length, MSG_DONTWAIT));
      if (n < 0) break;
      out.push(buf.subarray(0, n).toString('utf8'));
    }
    return out;
  }

  close(): void {
    close(this.fd);
  }
}
