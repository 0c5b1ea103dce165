# SPDX-License-Identifier: BSD-3-Clause
"""What the twinhopd system tests (tests/control/twinhopd_*.py) share:
named checks counted for TWRESULT, the child processes stopped at the end
whatever happened, and the socket helpers.  Import it after putting this
folder on sys.path (each script does)."""
import json, socket, subprocess, sys, time, traceback

passed = failed = 0
procs = []  # subprocess.Popen children: SIGTERM at the end, then SIGKILL


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   -", what, flush=True)
    else:
        failed += 1
        print("FAIL -", what, flush=True)
    return bool(cond)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_listen(port, tries=100):
    """Bounded wait until something accepts TCP on 127.0.0.1:port (twinhopd
    has bound its listener); True when it did."""
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def recv_exact(s, n, timeout=5.0):
    """Up to n octets: fewer when the peer closes, resets or is silent for
    timeout seconds."""
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        try:
            d = s.recv(n - len(buf))
        except (socket.timeout, ConnectionResetError):
            return buf
        if not d:
            return buf
        buf += d
    return buf


def admin(path, cmd):
    """One admin-socket command (docs/admin-protocol.md): its reply object."""
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.settimeout(5)
    c.sendall((json.dumps({"id": 1, "cmd": cmd}) + "\n").encode())
    data = b""
    while b"\n" not in data:
        d = c.recv(65536)
        if not d:
            break
        data += d
    c.close()
    return json.loads(data.decode().splitlines()[0])


def run(name, main, cleanup=None):
    """Run main(); an exception is a failure, never a pass.  Then stop
    every process in procs, call cleanup(), print TWRESULT and exit."""
    global failed
    try:
        main()
    except Exception:
        traceback.print_exc()
        failed += 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if cleanup:
            cleanup()
    print("TWRESULT %s %d %d" % (name, passed, failed))
    sys.exit(1 if failed else 0)


def auth_setup_response(greeting, key_id, secret, mode=2):
    """The 164-octet Set-Up-Response for an authenticated (2), encrypted (4)
    or mixed (8) mode, RFC 4656 §3.1: Token = AES-CBC (IV 0, key PBKDF2-
    HMAC-SHA1 of the shared secret with the greeting's Salt and Count) of
    Challenge, AES-Session-key and HMAC-Session-key.  Needs python3-
    cryptography; raises ImportError without it."""
    import hashlib, os as _os
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    challenge, salt = greeting[16:32], greeting[32:48]
    count = int.from_bytes(greeting[48:52], "big")
    key = hashlib.pbkdf2_hmac("sha1", secret, salt, count, 16)
    enc = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    token = enc.update(challenge + _os.urandom(48)) + enc.finalize()
    return (mode.to_bytes(4, "big") + key_id.ljust(80, b"\0") + token + _os.urandom(16))
