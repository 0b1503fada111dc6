"""A local OpenAI embeddings API, for the real ``openai`` SDK.

``with FakeOpenAIEmbeddings() as fake: openai.OpenAI(base_url=fake.base_url, api_key=fake.api_key)``
talks to it over plain HTTP on 127.0.0.1. It answers ``POST /v1/embeddings`` as OpenAI does:
``input`` a string or a list of up to 2048 strings (token ids are refused with 400),
``encoding_format`` float or base64 (little-endian float32, which the SDK asks for unless
told otherwise), ``dimensions`` optional; errors in OpenAI's ``{"error": {...}}`` shape.

The vectors are a signed hash of the lower-cased words into ``dimensions`` slots, so texts
that share words are closer than texts that do not, and the same text always gets the
same vector.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

MAX_INPUTS = 2048
WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class RecordedRequest:
    model: str
    #: how many texts the request carried
    inputs: int
    encoding_format: str
    dimensions: int | None
    status: int


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type, "param": param, "code": code}}


def hashed_embedding(text: str, dimensions: int) -> np.ndarray:
    """Each word adds +1 or -1 to one slot, both chosen by its hash; then unit length."""
    vector = np.zeros(dimensions, dtype=np.float64)
    for word in WORD.findall(text.lower()):
        digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vector[digest % dimensions] += 1.0 if (digest >> 32) & 1 else -1.0
    norm = float(np.linalg.norm(vector))
    if norm == 0:  # no words at all: one fixed direction
        vector[0], norm = 1.0, 1.0
    return vector / norm


class FakeOpenAIEmbeddings:
    """Start it, point the SDK at ``base_url`` with ``api_key``; flip the switches below."""

    def __init__(
        self,
        *,
        api_key: str | None = "sk-fake-0123456789abcdefghij",
        models: tuple[str, ...] = ("text-embedding-3-small", "nomic-embed-text"),
        dimensions: int = 64,
    ) -> None:
        #: None: any key (or none) is accepted, as a local server does
        self.api_key = api_key
        self.models = models
        #: the size of a vector when the request names none
        self.dimensions = dimensions
        #: False: raw word counts, as some compatible servers send unnormalized vectors
        self.normalize = True
        #: True: ``data`` listed last to first (each item keeps its ``index``)
        self.reverse_order = False
        #: False: a refused key is quoted in full, as some proxies do (OpenAI masks it)
        self.mask_refused_key = True
        #: seconds to wait before answering
        self.delay = 0.0
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._stopping = threading.Event()
        self._http: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._http is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def fail_next(self, count: int = 1, status: int = 429) -> None:
        """Answer the next ``count`` requests with ``status`` (429 or 500), each with a
        ``retry-after-ms`` of 10 so the SDK's retries do not slow the tests."""
        with self._lock:
            self._failures.extend([status] * count)

    # serving --------------------------------------------------------------------------
    def start(self) -> FakeOpenAIEmbeddings:
        self._stopping.clear()
        self._http = _Server(self)
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="fake-openai-embeddings"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end open keep-alive connections, and wait for every thread."""
        if self._http is None or self._thread is None:
            return
        self._stopping.set()
        self._http.shutdown()
        self._thread.join()
        self._http.hang_up()
        self._http.server_close()  # joins the connection threads
        self._http = self._thread = None

    def __enter__(self) -> FakeOpenAIEmbeddings:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # answering ------------------------------------------------------------------------
    def answer(
        self, method: str, path: str, authorization: str | None, raw: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {}
        try:
            self._check_auth(authorization)
            if (method, path.split("?")[0].rstrip("/")) != ("POST", "/v1/embeddings"):
                raise _ApiError(404, f"Invalid URL ({method} {path})")
            body = _json_object(raw)
            with self._lock:
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                raise _injected(failure)
            if self.delay:
                self._stopping.wait(self.delay)
            status, headers, reply = 200, {}, self._embed(body)
        except _ApiError as exc:
            headers = {"retry-after-ms": "10"} if exc.status in (429, 500) else {}
            status, reply = exc.status, exc.body
        inputs = body.get("input")
        record = RecordedRequest(
            model=str(body.get("model")),
            inputs=len(inputs) if isinstance(inputs, list) else int(inputs is not None),
            encoding_format=str(body.get("encoding_format", "float")),
            dimensions=body.get("dimensions"),
            status=status,
        )
        with self._lock:
            self.requests.append(record)
        return status, headers, reply

    def _check_auth(self, authorization: str | None) -> None:
        if self.api_key is None or authorization == f"Bearer {self.api_key}":
            return
        given = (authorization or "").removeprefix("Bearer ").strip()
        shown = f"{given[:3]}***{given[-4:]}" if self.mask_refused_key else given
        message = (
            f"Incorrect API key provided: {shown}." if given else "You didn't provide an API key."
        )
        raise _ApiError(401, message, code="invalid_api_key")

    def _embed(self, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model")
        if model not in self.models:
            raise _ApiError(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        texts = _texts(body.get("input"))
        dimensions = body.get("dimensions", self.dimensions)
        if not isinstance(dimensions, int) or not 1 <= dimensions <= 4096:
            raise _ApiError(400, "Invalid 'dimensions': must be 1 to 4096.", param="dimensions")
        encoding = body.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            raise _ApiError(
                400, f"Invalid 'encoding_format': {encoding!r}.", param="encoding_format"
            )
        data = []
        for index, text in enumerate(texts):
            vector = hashed_embedding(text, dimensions)
            if not self.normalize:
                vector = vector * (1 + len(WORD.findall(text.lower())))
            embedding: Any = (
                base64.b64encode(vector.astype("<f4").tobytes()).decode()
                if encoding == "base64"
                else vector.tolist()
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        if self.reverse_order:
            data.reverse()
        tokens = sum(len(WORD.findall(text.lower())) for text in texts)
        return {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _texts(given: object) -> list[str]:
    texts = [given] if isinstance(given, str) else given
    if not isinstance(texts, list) or not texts:
        raise _ApiError(
            400, "'input' must be a string or a non-empty array of strings.", param="input"
        )
    if len(texts) > MAX_INPUTS:
        raise _ApiError(
            400, f"Invalid 'input': maximum input array size is {MAX_INPUTS}.", param="input"
        )
    if not all(isinstance(text, str) for text in texts):
        raise _ApiError(400, "This fake accepts text only, not token ids.", param="input")
    if any(not text for text in texts):
        raise _ApiError(400, "'$.input' is invalid: empty strings are not allowed.", param="input")
    return texts


def _injected(status: int) -> _ApiError:
    if status == 429:
        return _ApiError(
            429, "Rate limit reached for requests.", type="requests", code="rate_limit_exceeded"
        )
    return _ApiError(
        status, "The server had an error while processing your request.", type="server_error"
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise _ApiError(400, "We could not parse the JSON body of your request.")
    return parsed


class _Server(ThreadingHTTPServer):
    # Connection threads are joined by server_close(), once hang_up() has ended their
    # keep-alive connections, so a test leaves no thread or socket behind.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeOpenAIEmbeddings) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def hang_up(self) -> None:
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # the client already went away
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, reply = self.server.fake.answer(
            method, self.path, self.headers.get("Authorization"), raw
        )
        payload = json.dumps(reply).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # tests read fake.requests
        return
