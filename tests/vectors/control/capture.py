#!/usr/bin/python3
"""Capture raw control-port transcripts from a local tor (loopback, DisableNetwork 1).

Independent of the TypeScript client: plain Python sockets and hmac. Run from the
repository root:  /usr/bin/python3 tests/vectors/control/capture.py
It writes <name>.server.txt (bytes tor sent) and <name>.client.txt (bytes sent to
tor) next to this file, byte for byte (CRLF kept). The tors run in a temporary
directory that is deleted afterwards; cookies and passwords are never written out.
"""
import hashlib, hmac, os, re, secrets, shutil, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ADDR = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid"  # tor's test_build_address


def start_tor(tmp, extra):
    data = os.path.join(tmp, "data")
    os.mkdir(data, 0o700)
    torrc = os.path.join(tmp, "torrc")
    with open(torrc, "w") as f:
        f.write(f"""DataDirectory {data}
DisableNetwork 1
SocksPort 0
ControlPort auto
ControlPortWriteToFile {tmp}/port
ControlSocket {tmp}/control
Log notice file {tmp}/log
GeoIPFile {tmp}/none
GeoIPv6File {tmp}/none
{extra}
""")
    proc = subprocess.Popen(["tor", "-f", torrc, "--quiet"])
    for _ in range(200):
        if os.path.exists(f"{tmp}/port") and os.path.exists(f"{tmp}/control"):
            return proc, data
        time.sleep(0.05)
    proc.kill()
    sys.exit("tor did not start")


class Session:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.sent = b""
        self.received = b""

    def cmd(self, raw, wait=0.4):
        self.sock.sendall(raw)
        self.sent += raw
        self.sock.settimeout(wait)
        out = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        self.received += out
        return out

    def save(self, name):
        with open(os.path.join(HERE, name + ".server.txt"), "wb") as f:
            f.write(self.received)
        with open(os.path.join(HERE, name + ".client.txt"), "wb") as f:
            f.write(self.sent)
        self.sock.close()


def main():
    tmp = tempfile.mkdtemp(prefix="obcap-")
    os.chmod(tmp, 0o700)
    password = secrets.token_hex(8)
    hashed = subprocess.run(["tor", "--quiet", "--hash-password", password],
                            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    proc, data = start_tor(tmp, f"CookieAuthentication 1\nHashedControlPassword {hashed}")
    try:
        # Session 1: SAFECOOKIE, then the commands the balancer uses.
        s = Session(f"{tmp}/control")
        s.cmd(b"PROTOCOLINFO 1\r\n")
        with open(os.path.join(data, "control_auth_cookie"), "rb") as f:
            cookie = f.read()
        cnonce = secrets.token_bytes(32)
        out = s.cmd(b"AUTHCHALLENGE SAFECOOKIE " + cnonce.hex().encode() + b"\r\n")
        m = re.search(rb"SERVERHASH=([0-9A-F]{64}) SERVERNONCE=([0-9A-F]{64})", out)
        snonce = bytes.fromhex(m.group(2).decode())
        msg = cookie + cnonce + snonce
        srv = hmac.new(b"Tor safe cookie authentication server-to-controller hash", msg, hashlib.sha256).hexdigest()
        assert srv.upper() == m.group(1).decode(), "server hash mismatch"
        ctl = hmac.new(b"Tor safe cookie authentication controller-to-server hash", msg, hashlib.sha256).hexdigest()
        s.cmd(b"AUTHENTICATE " + ctl.encode() + b"\r\n")
        s.cmd(b"GETINFO version\r\n")
        s.cmd(b"GETINFO status/bootstrap-phase\r\n")
        s.cmd(b"GETINFO net/listeners/socks\r\n")
        s.cmd(b"GETINFO dir/status-vote/current/consensus-microdesc\r\n")
        # A hand-made cached consensus file: tor's GETINFO reads it from disk as is,
        # so the reply shows tor's own dot-stuffing of lines that start with ".".
        with open(os.path.join(data, "cached-microdesc-consensus"), "w") as f:
            f.write("network-status-version 3 microdesc\n.leading dot\n..two dots\n.\nlast line\n")
        s.cmd(b"GETINFO dir/status-vote/current/consensus-microdesc\r\n")
        s.cmd(b"GETINFO md/all\r\n")
        s.cmd(b"GETINFO version status/bootstrap-phase config-text\r\n")
        s.cmd(b"GETINFO version nonexistent/key\r\n")
        s.cmd(b"SETEVENTS CONF_CHANGED STATUS_CLIENT\r\n")
        s.cmd(b"SETCONF MaxCircuitDirtiness=700 NumEntryGuards=2\r\n")
        s.cmd(b"SETEVENTS BOGUS_EVENT\r\n")
        s.cmd(b"SIGNAL ACTIVE\r\n")
        s.cmd(b"SIGNAL BOGUS\r\n")
        s.cmd(b"HSFETCH " + ADDR.encode() + b"\r\n")
        s.cmd(b"HSFETCH " + ADDR.encode() + b".onion\r\n")
        s.cmd(b"HSFETCH " + ADDR.encode() + b" SERVER=" + b"0" * 40 + b"\r\n")
        s.cmd(b"+HSPOST SERVER=" + b"A" * 40 + b" HSADDRESS=" + ADDR.encode() + b"\r\nhs-descriptor 3\r\n.\r\n")
        s.cmd(b"+HSPOST HSADDRESS=" + ADDR.encode() + b"\r\nhs-descriptor 3\r\n..dot line\r\n.\r\n")
        s.cmd(b"FOOBAR\r\n")
        s.cmd(b"SETEVENTS\r\n")
        s.cmd(b"QUIT\r\n")
        s.save("tor-0.4.9.11-safecookie-session")

        # Session 2: a wrong password (tor answers 515 and closes the connection).
        s = Session(f"{tmp}/control")
        s.cmd(b"PROTOCOLINFO 1\r\n")
        s.cmd(b'AUTHENTICATE "' + b"x" * 16 + b'"\r\n')
        s.save("tor-0.4.9.11-wrong-password")

        # Session 3: a command before authentication (tor answers 514 and closes).
        s = Session(f"{tmp}/control")
        s.cmd(b"GETINFO version\r\n")
        s.save("tor-0.4.9.11-unauthenticated")

        # Session 4: PROTOCOLINFO may be sent only once before authenticating.
        s = Session(f"{tmp}/control")
        s.cmd(b"PROTOCOLINFO 1\r\n")
        s.cmd(b"PROTOCOLINFO 1\r\n")
        s.save("tor-0.4.9.11-protocolinfo-twice")
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp)

    # Session 5: a tor with no authentication configured offers NULL.
    tmp = tempfile.mkdtemp(prefix="obcap-")
    os.chmod(tmp, 0o700)
    proc, data = start_tor(tmp, "")
    try:
        s = Session(f"{tmp}/control")
        s.cmd(b"PROTOCOLINFO 1\r\n")
        s.cmd(b"AUTHENTICATE\r\n")
        s.cmd(b"GETINFO version\r\n")
        s.save("tor-0.4.9.11-null-auth")
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
