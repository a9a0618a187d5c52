"""Proving a database answers: connect to its endpoint over TLS with its master credentials and run
a query (PostgreSQL wire protocol, `pg8000`).

`Verifier` is the seam: the DR commands take any object with ``verify(target) -> VerifyResult``.
`PostgresVerifier` is the real one. Credentials come from the cluster's Secrets Manager secret
(the ``databaseSecretArns`` export): AWSCURRENT first, then AWSPREVIOUS, because a cluster
restored to a time before the last rotation still has the previous password.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import botocore.exceptions

from .aws import Aws

#: true only on a writer: the new primary accepts writes
WRITER_CHECK = "SELECT NOT pg_is_in_recovery() AS writable, current_database() AS db, now() AS at"
#: a restored cluster holds the data: count of user tables
RESTORE_CHECK = ("SELECT current_database() AS db, count(*) AS user_tables FROM information_schema.tables "
                 "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    database: str = "postgres"
    source: str = ""


@dataclass(frozen=True)
class VerifyTarget:
    host: str
    port: int
    credentials: Sequence[Credentials]
    query: str


@dataclass
class VerifyResult:
    host: str
    columns: list[str]
    rows: list[list[Any]]
    credentials: str

    def first(self) -> dict[str, Any]:
        return dict(zip(self.columns, self.rows[0], strict=False)) if self.rows else {}


class VerifyError(Exception):
    """The database could not be reached, refused the login, or the query failed."""


class Verifier(Protocol):
    def verify(self, target: VerifyTarget) -> VerifyResult: ...


def credentials_from_secret(aws: Aws, region: str, secret_arn: str) -> list[Credentials]:
    """The secret's AWSCURRENT and AWSPREVIOUS versions (those that exist)."""
    out: list[Credentials] = []
    for stage in ("AWSCURRENT", "AWSPREVIOUS"):
        try:
            resp = aws.call("secretsmanager", region, "get_secret_value", SecretId=secret_arn, VersionStage=stage)
        except botocore.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException" and out:
                break
            raise
        try:
            doc = json.loads(resp["SecretString"])
            out.append(Credentials(username=str(doc["username"]), password=str(doc["password"]),
                                   database=str(doc.get("dbname") or "postgres"), source=f"{secret_arn} {stage}"))
        except (KeyError, TypeError, ValueError):
            raise VerifyError(f"secret {secret_arn} ({stage}) is not a JSON document with username and password") \
                from None
    return out


@dataclass
class PostgresVerifier:
    """A TLS-verified PostgreSQL session (simple query protocol) as the master user.

    ``ca_file``: the RDS CA bundle (system trust otherwise); the certificate is checked against
    the cluster's endpoint name. ``tunnel``: connect through a local port forwarded to the endpoint
    (cluster endpoints are private: e.g. an SSM port-forwarding session), while TLS still verifies
    the endpoint's name.
    """

    ca_file: str | None = None
    tunnel: tuple[str, int] | None = None
    timeout_seconds: float = 15.0

    def _ssl(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def _socket(self, target: VerifyTarget) -> socket.socket:
        where = self.tunnel or (target.host, target.port)
        try:
            return socket.create_connection(where, timeout=self.timeout_seconds)
        except OSError as err:
            via = f" through the tunnel {where[0]}:{where[1]}" if self.tunnel else ""
            raise VerifyError(f"cannot connect to {target.host}:{target.port}{via}: {err}") from None

    def verify(self, target: VerifyTarget) -> VerifyResult:
        from pg8000.core import CoreConnection
        from pg8000.exceptions import DatabaseError, InterfaceError

        errors: list[str] = []
        for creds in target.credentials:
            sock = self._socket(target)
            try:
                conn = CoreConnection(creds.username, host=target.host, port=target.port, password=creds.password,
                                      database=creds.database, ssl_context=self._ssl(), timeout=self.timeout_seconds,
                                      sock=sock, application_name="azora-infra-dr")
            except DatabaseError as err:
                sock.close()
                errors.append(f"{creds.source or creds.username}: {_pg_message(err)}")
                continue
            except (OSError, InterfaceError) as err:
                sock.close()
                cause = err.__cause__ or err
                raise VerifyError(f"{target.host}:{target.port}: {cause}") from None
            try:
                ctx = conn.execute_simple(target.query)
                columns = [str(c["name"]) for c in ctx.columns or []]
                rows = [list(r) for r in ctx.rows or []]
            except DatabaseError as err:
                raise VerifyError(f"{target.host}: query failed: {_pg_message(err)}") from None
            finally:
                conn.close()
            return VerifyResult(host=target.host, columns=columns, rows=rows, credentials=creds.source)
        raise VerifyError(f"{target.host}:{target.port}: login refused ({'; '.join(errors) or 'no credentials'})")


def _pg_message(err: Exception) -> str:
    arg = err.args[0] if err.args else err
    if isinstance(arg, dict):
        return f"{arg.get('C', '')} {arg.get('M', '')}".strip()
    return str(arg)
