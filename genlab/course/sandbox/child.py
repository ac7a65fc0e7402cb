"""The stand-in "kernel process" that jupyter_client starts for a sandboxed kernel (zygote mode).

It runs on the grader's side, outside bubblewrap: the real kernel is forked by the zygote inside.
Run as ``python -I -S child.py ZYGOTE_SOCKET REQUEST_FILE``: standard library only (no genlab, no
site-packages), so it starts in a few milliseconds; keep it that way. It asks the sandbox's zygote
(:mod:`genlab.course.sandbox.zygote`) to fork a kernel for the request, then stays alive exactly as
long as that kernel:

- SIGINT / SIGTERM sent to it (jupyter_client's interrupt and terminate) are passed on to the kernel;
- when the kernel ends, it exits with the kernel's exit code (negative signal numbers as 128+N);
- when it is killed itself (SIGKILL from jupyter_client, or the grader dying), its connection to the
  zygote closes and the zygote kills the kernel at once.
"""

import json
import os
import signal
import socket
import sys


def main() -> int:
    sock_path, request_file = sys.argv[1], sys.argv[2]
    with open(request_file, encoding="utf-8") as f:
        request = json.load(f)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(sock_path)
    conn.sendall((json.dumps(request) + "\n").encode())

    def forward(signum, _frame):
        try:
            conn.sendall((json.dumps({"op": "signal", "sig": int(signum)}) + "\n").encode())
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)

    buf = b""
    while True:
        try:
            data = conn.recv(65536)
        except InterruptedError:
            continue
        if not data:
            return 1
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            if "error" in msg:
                sys.stderr.write("sandbox: " + msg["error"] + "\n")
                return 2
            if "exit" in msg:
                code = int(msg["exit"])
                return code if code >= 0 else 128 - code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        os._exit(130)
