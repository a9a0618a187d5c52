"""A small PostgreSQL stand-in on 127.0.0.1 speaking the real wire protocol (v3): SSLRequest then
TLS with a certificate for the RDS endpoint names (issued by a test CA the verifier is given),
SCRAM-SHA-256 authentication (scramp, as PostgreSQL 14+ and Aurora do), and the simple query
protocol. Queries are answered by a function of (SNI host name, SQL) so a test decides, from the
moto state, what each endpoint says (e.g. only the current writer answers ``writable = true``).

What it does not prove: a real server's SQL, catalogue and replication; those need a real
cluster (docs/dr.md, "What is not proven offline").
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from scramp import ScramException, ScramMechanism

Answer = Callable[[str, str], tuple[list[str], list[list[Any]]]]
_OIDS = {bool: 16, int: 20, str: 25}


class LocalCa:
    """A test CA that issues server certificates for the exact host name a client asks for (SNI),
    as RDS's CA issues one per endpoint."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key, self.cert = _ca()
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._contexts: dict[str, ssl.SSLContext] = {}

    def context_for(self, name: str) -> ssl.SSLContext:
        if name not in self._contexts:
            cert, key = self.folder / f"{name}.pem", self.folder / f"{name}.key"
            _issue(self.key, self.cert, [name], cert, key)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(cert, key)
            self._contexts[name] = ctx
        return self._contexts[name]


def _ca() -> tuple[Any, Any]:
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azora test RDS CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    return ca_key, ca


def _issue(ca_key: Any, ca: Any, names: Sequence[str], cert_path: Path, key_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


def _msg(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def _error(code: str, message: str) -> bytes:
    fields = b"SFATAL\x00VFATAL\x00C" + code.encode() + b"\x00M" + message.encode() + b"\x00\x00"
    return _msg(b"E", fields)


def _recv(sock: Any, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client closed")
        data += chunk
    return data


def _read_message(sock: Any) -> tuple[bytes, bytes]:
    kind = _recv(sock, 1)
    (length,) = struct.unpack("!i", _recv(sock, 4))
    return kind, _recv(sock, length - 4)


def _text(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"t" if value else b"f"
    return str(value).encode()


class PostgresStandIn:
    def __init__(self, ca: LocalCa, users: dict[str, str], answer: Answer) -> None:
        self.ca = ca
        self.users = users
        self.answer = answer
        self.connections: list[tuple[str, str]] = []  # (SNI host, user) of each authenticated session
        # the first context only answers the handshake's SNI by switching to that name's certificate
        self._ctx = ca.context_for("localhost")
        self._sni: dict[int, str] = {}
        self._ctx.sni_callback = self._remember_sni
        self._scram = ScramMechanism("SCRAM-SHA-256")
        self._auth = {u: self._scram.make_auth_info(p, iteration_count=4096) for u, p in users.items()}
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _remember_sni(self, sslobj: Any, name: str | None, ctx: Any) -> None:
        self._sni[id(sslobj)] = name or ""
        if name:
            sslobj.context = self.ca.context_for(name)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        sock: Any = raw
        try:
            (length,) = struct.unpack("!i", _recv(sock, 4))
            (code,) = struct.unpack("!i", _recv(sock, 4))
            if code != 80877103:
                sock.sendall(_error("08P01", "SSL is required (rds.force_ssl=1)"))
                return
            sock.sendall(b"S")
            sock = self._ctx.wrap_socket(raw, server_side=True)
            host = self._sni.pop(id(sock), "")
            (length,) = struct.unpack("!i", _recv(sock, 4))
            body = _recv(sock, length - 4)
            parts = body[4:].split(b"\x00")
            params = dict(zip(parts[0::2], parts[1::2], strict=False))
            user = params.get(b"user", b"").decode()
            if not self._authenticate(sock, user):
                return
            self.connections.append((host, user))
            sock.sendall(_msg(b"R", struct.pack("!i", 0)))
            for k, v in (("server_version", "16.4"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
                         ("integer_datetimes", "on"), ("standard_conforming_strings", "on")):
                sock.sendall(_msg(b"S", k.encode() + b"\x00" + v.encode() + b"\x00"))
            sock.sendall(_msg(b"K", struct.pack("!ii", 1234, 5678)) + _msg(b"Z", b"I"))
            self._queries(sock, host)
        except (ConnectionError, OSError, ssl.SSLError, struct.error):
            pass
        finally:
            sock.close()

    def _authenticate(self, sock: Any, user: str) -> bool:
        sock.sendall(_msg(b"R", struct.pack("!i", 10) + b"SCRAM-SHA-256\x00\x00"))
        _, body = _read_message(sock)
        _mech, _, rest = body.partition(b"\x00")
        (n,) = struct.unpack("!i", rest[:4])
        client_first = rest[4:4 + n].decode()
        server = self._scram.make_server(lambda u: self._auth.get(user) or self._scram.make_auth_info("x" * 24))
        try:
            server.set_client_first(client_first)
            sock.sendall(_msg(b"R", struct.pack("!i", 11) + server.get_server_first().encode()))
            _, final = _read_message(sock)
            server.set_client_final(final.decode())
            if user not in self._auth:
                raise ScramException("unknown user")
        except ScramException:
            sock.sendall(_error("28P01", f'password authentication failed for user "{user}"'))
            return False
        sock.sendall(_msg(b"R", struct.pack("!i", 12) + server.get_server_final().encode()))
        return True

    def _queries(self, sock: Any, host: str) -> None:
        while True:
            kind, body = _read_message(sock)
            if kind == b"X":
                return
            if kind != b"Q":
                sock.sendall(_error("0A000", "the stand-in speaks only the simple query protocol") + _msg(b"Z", b"I"))
                continue
            sql = body.rstrip(b"\x00").decode()
            try:
                columns, rows = self.answer(host, sql)
            except Exception as err:
                sock.sendall(_error("42601", str(err)).replace(b"SFATAL", b"SERROR") + _msg(b"Z", b"I"))
                continue
            first = rows[0] if rows else [""] * len(columns)
            desc = struct.pack("!h", len(columns)) + b"".join(
                c.encode() + b"\x00" + struct.pack("!ihihih", 0, 0, _OIDS.get(type(v), 25), -1, -1, 0)
                for c, v in zip(columns, first, strict=False))
            out = _msg(b"T", desc)
            for row in rows:
                cells = b"".join(struct.pack("!i", len(_text(v))) + _text(v) for v in row)
                out += _msg(b"D", struct.pack("!h", len(row)) + cells)
            out += _msg(b"C", f"SELECT {len(rows)}".encode() + b"\x00") + _msg(b"Z", b"I")
            sock.sendall(out)
