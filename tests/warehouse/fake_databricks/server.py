"""HTTPS on 127.0.0.1 with a self-signed certificate, bearer-token checks, Thrift in the body.

A SQL warehouse's Thrift endpoint is ``POST https://<host>/sql/1.0/warehouses/<id>`` with
``Content-Type: application/x-thrift`` and ``Authorization: Bearer <token>``. A wrong token
is refused with HTTP 403 and an ``x-databricks-reason-phrase`` header, an unknown warehouse
with 404, as the workspace's gateway does; anything else is recorded and answered 404.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from databricks.sql.thrift_api.TCLIService import TCLIService
from thrift.protocol import TBinaryProtocol
from thrift.transport import TTransport

from tests.warehouse.fake_databricks.engine import FakeEngine
from tests.warehouse.fake_databricks.service import FakeSqlService, MutableServerLog


class FakeDatabricks:
    """A Databricks SQL warehouse stand-in: start it, point the connector at ``host``."""

    def __init__(
        self,
        lakehouse_dir: Path,
        cert_dir: Path,
        *,
        token: str = "dapi-fake-0123456789",
        warehouse_id: str = "f4ce0000feed0001",
        direct_results_wait: float = 0.2,
        page_rows: int | None = None,
    ) -> None:
        self.busy_answers = 0  # the next this-many requests get 503 (a warehouse starting)
        self.token = token
        self.warehouse_id = warehouse_id
        self.http_path = f"/sql/1.0/warehouses/{warehouse_id}"
        self.ca_file, key_file = self_signed_certificate(cert_dir)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.ca_file, key_file)
        self.engine = FakeEngine(lakehouse_dir)
        self.service = FakeSqlService(
            self.engine, direct_results_wait=direct_results_wait, page_rows=page_rows
        )
        self._http: _ThriftHttpServer | None = None

    @property
    def log(self) -> MutableServerLog:
        return self.service.log

    @property
    def host(self) -> str:
        assert self._http is not None, "start() the fake first"
        return f"https://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> FakeDatabricks:
        self._http = _ThriftHttpServer(self)
        threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="fake-dbx-http", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        self.service.forget_sessions()
        self.engine.close()

    def __enter__(self) -> FakeDatabricks:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def warehouse(self, **kwargs: Any) -> Any:
        """The real provider, pointed at this fake (extra keyword arguments go to it)."""
        from lakechat.warehouse.databricks_provider import DatabricksWarehouse

        kwargs.setdefault("ca_file", str(self.ca_file))
        return DatabricksWarehouse(self.host, self.token, self.warehouse_id, **kwargs)


class _ThriftHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeDatabricks) -> None:
        self.fake = fake
        self.processor = TCLIService.Processor(fake.service)
        super().__init__(("127.0.0.1", 0), _ThriftHandler)
        # the handshake happens in each connection's own thread, on its first read
        self.socket = fake._context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that rejects the certificate or hangs up is the test's business, not noise
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _ThriftHandler(BaseHTTPRequestHandler):
    server: _ThriftHttpServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the connector's connection pool expects

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.server.fake
        if self.path != fake.http_path:
            fake.log.other_requests.append(f"POST {self.path}")
            self._refuse(404, "Not Found", f"No SQL warehouse at {self.path}.")
            return
        if fake.busy_answers > 0:
            fake.busy_answers -= 1
            fake.log.refused.append(503)
            self._refuse(503, "Service Unavailable", "The SQL warehouse is starting.")
            return
        if self.headers.get("Authorization") != f"Bearer {fake.token}":
            fake.log.refused.append(403)
            self._refuse(403, "Forbidden", "Invalid access token.")
            return
        reply = TTransport.TMemoryBuffer()
        self.server.processor.process(
            TBinaryProtocol.TBinaryProtocol(TTransport.TMemoryBuffer(body)),
            TBinaryProtocol.TBinaryProtocol(reply),
        )
        payload = reply.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-thrift")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self.server.fake.log.other_requests.append(f"GET {self.path}")
        self._refuse(404, "Not Found", "Not found.")

    def _refuse(self, code: int, reason: str, phrase: str) -> None:
        self.send_response(code, reason)
        self.send_header("x-databricks-reason-phrase", phrase)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # the tests read the log instead
        return


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, so the client can trust exactly it."""
    cert_file, key_file = directory / "fake-databricks.pem", directory / "fake-databricks.key"
    if cert_file.exists() and key_file.exists():
        return cert_file, key_file
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake databricks")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_file, key_file
