/** Reads the uid and pid of the process on the other end of a Unix socket (SO_PEERCRED / getpeereid). */
import koffi from 'koffi';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  uid: number;
  /** The connecting process; -1 where the platform cannot tell (macOS before LOCAL_PEERPID). */
  pid: number;
}

export type PeerCredentialReader = (socket: Socket) => PeerCredentials;

function fdOf(socket: Socket): number {
  // Node exposes the descriptor of a pipe handle on Unix; without it there is nothing to ask the kernel.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

function linuxReader(): PeerCredentialReader {
  const libc = koffi.load('libc.so.6');
  const ucred = koffi.struct('ocsec_ucred', { pid: 'int32_t', uid: 'uint32_t', gid: 'uint32_t' });
  const getsockopt = libc.func('int getsockopt(int fd, int level, int name, _Out_ ocsec_ucred *val, _Inout_ uint32_t *len)');
  const SOL_SOCKET = 1;
  const SO_PEERCRED = 17;
  return (socket) => {
    const out: { pid?: number; uid?: number } = {};
    const len = [koffi.sizeof(ucred)];
    if (getsockopt(fdOf(socket), SOL_SOCKET, SO_PEERCRED, out, len) !== 0) {
      throw new Error(`getsockopt(SO_PEERCRED) failed: errno ${koffi.errno()}`);
    }
    return { uid: out.uid!, pid: out.pid! };
  };
}

function darwinReader(): PeerCredentialReader {
  const libc = koffi.load('libSystem.B.dylib');
  const getpeereid = libc.func('int getpeereid(int fd, _Out_ uint32_t *uid, _Out_ uint32_t *gid)');
  const getsockopt = libc.func('int getsockopt(int fd, int level, int name, _Out_ int32_t *val, _Inout_ uint32_t *len)');
  const SOL_LOCAL = 0;
  const LOCAL_PEERPID = 2;
  return (socket) => {
    const fd = fdOf(socket);
    const uid = [0];
    const gid = [0];
    if (getpeereid(fd, uid, gid) !== 0) throw new Error(`getpeereid failed: errno ${koffi.errno()}`);
    const pid = [-1];
    const len = [4];
    if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, pid, len) !== 0) pid[0] = -1;
    return { uid: uid[0]!, pid: pid[0]! };
  };
}

/**
 * The reader for this platform. Throws if none can be built: the server then refuses every
 * connection rather than serving unidentified peers.
 */
export function platformPeerCredentialReader(platform: NodeJS.Platform = process.platform): PeerCredentialReader {
  // koffi type names are process-global, so the reader is built once and shared by every daemon in the process.
  let reader = readers.get(platform);
  if (!reader) {
    if (platform === 'linux') reader = linuxReader();
    else if (platform === 'darwin') reader = darwinReader();
    else throw new Error(`peer credentials are not supported on ${platform}`);
    readers.set(platform, reader);
  }
  return reader;
}

const readers = new Map<NodeJS.Platform, PeerCredentialReader>();
