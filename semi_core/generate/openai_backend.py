"""The OpenAI-compatible backend: OpenAI, vLLM, Ollama, llama.cpp's server alike.

    backend = OpenAIBackend(base_url="http://127.0.0.1:8000/v1", model="qwen2.5-coder",
                            cache=store)
    for snippet, generation in backend.generate_many(snippets, concurrency=16):
        ...

- Endpoint, key and model come from the arguments, else `OPENAI_BASE_URL`,
  `OPENAI_API_KEY` and `SEMI_MODEL`. A local server needs no key (a placeholder is sent);
  with no model named, a self-hosted server's first listed model is used.
- The server's own key (`OPENAI_API_KEY`) is sent only to the endpoint the environment
  names (`OPENAI_BASE_URL`, else OpenAI's) or to the one saved in the studio's settings:
  a run that names another endpoint gets no key, or is refused when that endpoint is
  remote (see `may_receive_server_key`).
- The prompt is a versioned template file (`semi_core/prompts/generate_v1.md`, or
  `template_path` / `SEMI_PROMPT_TEMPLATE`); `prompt_hash` covers its text and the
  sampling settings, so an edited prompt makes new generations.
- A pair whose rewrite failed its tests can be repaired (`repair`): the versioned repair
  template beside it (`repair_v1.md`, or `SEMI_REPAIR_TEMPLATE`) shows the model the
  original, its rewrite and up to three failing tests, each field cut to a bounded size.
  A repair request takes the same path as a first one: cache, retries, concurrency.
- The answer is asked for as JSON under a JSON schema (`response_format`); a server that
  refuses the schema is asked again without it (once, then never for this backend), and
  the tolerant parser in `parsing.py` reads JSON in prose or fences.
- Retries with exponential backoff (and the server's Retry-After) on 408/409/429/5xx,
  timeouts and connection errors; a per-request timeout; the client's connection pool is
  sized to the concurrency. Usage (tokens, attempts, seconds) is recorded per generation.
- Answers that parse into a pair are cached in the store, keyed by the hash of model,
  messages and sampling parameters: an identical rerun sends no request.
- Nothing raises per snippet: an HTTP failure, a malformed, truncated or wrongly shaped
  answer becomes a failed `Generation` with the error and the raw text kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai

from semi_core.generate.base import (
    Backend,
    Generation,
    Item,
    RepairTask,
    SnippetView,
    TestInput,
    register,
)
from semi_core.generate.parsing import PAIR_SCHEMA, AnswerError, parse_pair
from semi_core.generate.prompt import load_repair_template, load_template, repair_values

log = logging.getLogger(__name__)

MODEL_ENV = "SEMI_MODEL"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
PLACEHOLDER_API_KEY = "sk-local-no-key-needed"  # local servers don't check the key
OPENAI_BASE_URL = "https://api.openai.com/v1"  # the client's endpoint when none is named
RETRYABLE_STATUS = {408, 409, 429}  # and every 5xx
TokenCallback = Callable[[str], None]


# ---------------------------------------------------------------------------------------
# The backend
# ---------------------------------------------------------------------------------------


def is_local_url(base_url: str | None) -> bool:
    return bool(base_url) and (urlsplit(base_url).hostname or "") in LOCAL_HOSTS


def _endpoint(base_url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(base_url.strip())
    return parts.scheme.lower(), (parts.hostname or ""), parts.port, parts.path.rstrip("/")


def may_receive_server_key(base_url: str | None, saved_base_url: str | None = None) -> bool:
    """Whether the server's OPENAI_API_KEY may go to `base_url` (None: the environment's
    endpoint). Only the endpoint the server's environment names (`OPENAI_BASE_URL`, else
    OpenAI's own) and the one saved in the studio's settings are trusted with it: a run
    may name any endpoint, and whoever listens there must not learn the key."""
    if not base_url:
        return True
    trusted = [os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL, saved_base_url]
    return any(_endpoint(base_url) == _endpoint(url) for url in trusted if url)


@dataclass
class _Reply:
    content: str
    finish_reason: str | None
    usage: dict[str, Any] | None
    attempts: int


@dataclass
class _Failure(Exception):
    """A request that failed for good: the error, the raw text we got, the attempts."""

    message: str
    raw: str = ""
    attempts: int = 1


@dataclass
class _Partial:
    """What a stream delivered before failing: once tokens are out, we don't retry."""

    parts: list[str] = field(default_factory=list)


def _token_usage(usage: Any) -> dict[str, Any] | None:
    if usage is None:
        return None
    data = usage if isinstance(usage, dict) else usage.model_dump()
    return {k: data.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _status_text(error: openai.APIStatusError) -> str:
    try:
        return error.response.text
    except Exception:  # a streamed body that was never read
        return ""


@register
class OpenAIBackend(Backend):
    """Generation through any OpenAI-compatible chat completions endpoint."""

    name = "openai"
    streams = True
    repairs = True

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        cache: Any | None = None,
        template_path: str | os.PathLike[str] | None = None,
        temperature: float = 0.2,
        *,
        repair_template_path: str | os.PathLike[str] | None = None,
        max_tokens: int = 2048,
        concurrency: int = 8,
        structured_output: bool = True,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        retry_after_max_s: float = 60.0,
        saved_base_url: str | None = None,
    ):
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._api_key = api_key or self._server_key(saved_base_url)
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.cache = cache
        self.template = load_template(template_path)
        self.repair_template = load_repair_template(repair_template_path)
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.structured_output = structured_output
        self._use_schema = structured_output  # turned off if the server refuses the schema
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.retry_after_max_s = retry_after_max_s
        self._client_lock = threading.Lock()
        self._old_clients: list[openai.OpenAI] = []
        self._pool_size = max(concurrency, 1)
        self._client = self._make_client(self._pool_size)
        self.model = model or os.environ.get(MODEL_ENV) or self._first_served_model()

    def _server_key(self, saved_base_url: str | None) -> str:
        """The key to send when the caller gave none: the server's OPENAI_API_KEY where
        `may_receive_server_key` allows it, else a placeholder for a local server."""
        key = os.environ.get("OPENAI_API_KEY")
        if key and may_receive_server_key(self.base_url, saved_base_url):
            return key
        if is_local_url(self.base_url):
            return PLACEHOLDER_API_KEY
        if key:
            raise ValueError(
                f"the server's OPENAI_API_KEY is sent only to the endpoint in OPENAI_BASE_URL "
                f"or the one saved in Prompt and settings, and {self.base_url} is neither: "
                "save it there (an admin may) or set OPENAI_BASE_URL to it"
            )
        raise ValueError(
            "no API key: set OPENAI_API_KEY (a local server at OPENAI_BASE_URL, "
            "e.g. http://127.0.0.1:8000/v1, needs none)"
        )

    @classmethod
    def from_settings(cls, settings: Any, *, pool: Any = None, store: Any = None) -> OpenAIBackend:
        """From the pipeline's settings; the store is the response cache, and its saved
        endpoint is trusted with the server's key."""
        saved = store.get_setting("base_url") if hasattr(store, "get_setting") else None
        return cls(
            model=getattr(settings, "model", None),
            base_url=getattr(settings, "base_url", None),
            api_key=getattr(settings, "api_key", None),
            timeout_s=getattr(settings, "llm_timeout_s", 60.0),
            max_retries=getattr(settings, "llm_max_retries", 4),
            cache=store if getattr(settings, "llm_cache", True) else None,
            template_path=getattr(settings, "prompt_template", None),
            temperature=getattr(settings, "temperature", 0.2),
            concurrency=getattr(settings, "concurrency", 8),
            saved_base_url=saved,
        )

    # -- client -------------------------------------------------------------------------

    def _make_client(self, pool_size: int) -> openai.OpenAI:
        # Our own retry loop (backoff settings, attempt counts), so the client retries none.
        timeout = httpx2.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0))
        http_client = openai.DefaultHttpx2Client(
            timeout=timeout,
            limits=httpx2.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
        )
        return openai.OpenAI(
            api_key=self._api_key,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )

    def _ensure_pool(self, concurrency: int) -> None:
        """Grow the connection pool so that `concurrency` requests can be in flight."""
        with self._client_lock:
            if concurrency > self._pool_size:
                self._old_clients.append(self._client)  # in use elsewhere: close at close()
                self._pool_size = concurrency
                self._client = self._make_client(concurrency)

    def _first_served_model(self) -> str:
        """A self-hosted server (vLLM, Ollama, llama.cpp) usually serves one model: use it.
        OpenAI itself lists dozens, so there the model must be named."""
        if not self.base_url or "api.openai.com" in self.base_url:
            raise ValueError(f"no model: set {MODEL_ENV} or pass model=")
        try:
            models = self._client.models.list()
            return next(iter(models)).id
        except (openai.OpenAIError, StopIteration) as error:
            raise ValueError(
                f"no model: set {MODEL_ENV} or pass model= (the server at "
                f"{self.base_url or 'the default endpoint'} listed none: {error})"
            ) from None

    def close(self) -> None:
        for client in [*self._old_clients, self._client]:
            client.close()
        self._old_clients.clear()

    # -- identity: prompt hash and cache key ---------------------------------------------

    def _parameters(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}

    @property
    def prompt_hash(self) -> str:
        """The template's text, the model, the sampling settings and the answer schema."""
        identity = {
            "template": self.template.text,
            "model": self.model,
            **self._parameters(),
            "schema": PAIR_SCHEMA if self.structured_output else None,
        }
        encoded = json.dumps(identity, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]

    def cache_key(self, messages: list[dict[str, str]]) -> str:
        """The response cache key: model, prompt and parameters."""
        identity = {"model": self.model, "messages": messages, **self._parameters()}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()

    # -- generation -----------------------------------------------------------------------

    @property
    def repair_hash(self) -> str:
        """The repair template's text, the model and the sampling settings."""
        identity = {"template": self.repair_template.text, "model": self.model,
                    **self._parameters()}  # fmt: skip
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    def _many(
        self, items: Iterable[Item], call: Callable[[Item], Generation], concurrency: int
    ) -> Iterator[tuple[Item, Generation]]:
        self._ensure_pool(concurrency)
        return super()._many(items, call, concurrency)

    def generate(self, snippet: SnippetView, on_token: TokenCallback | None = None) -> Generation:
        """One pair for `snippet`. With `on_token`, the answer is streamed and each piece of
        text is passed to it as it arrives (a cached answer arrives as one piece)."""
        return self._answer(snippet, self.template.render(snippet), self.prompt_hash, on_token)

    def repair(self, task: RepairTask) -> Generation:
        """A corrected pair for `task` (see the repair template), asked, cached and retried
        as a first answer is."""
        messages = self.repair_template.render(task.snippet, **repair_values(task))
        return self._answer(task.snippet, messages, self.repair_hash, None)

    def _answer(
        self,
        snippet: SnippetView,
        messages: list[dict[str, str]],
        prompt_hash: str,
        on_token: TokenCallback | None,
    ) -> Generation:
        """The one request path: the response cache, then the request with retries."""
        key = self.cache_key(messages) if self.cache is not None else ""
        if self.cache is not None:
            hit = self.cache.cached_response(key)
            if hit is not None:
                if on_token and hit["response"]:
                    on_token(hit["response"])
                result = self._to_generation(snippet, hit["response"], "stop", hit["usage"])
                result.cached = True
                return result
        started = time.perf_counter()
        try:
            reply = self._request(messages, on_token)
        except _Failure as failure:
            usage = {"attempts": failure.attempts, "seconds": self._since(started)}
            return Generation.failed(failure.message, failure.raw, usage)
        usage = {
            **(reply.usage or {}),
            "attempts": reply.attempts,
            "seconds": self._since(started),
        }
        result = self._to_generation(snippet, reply.content, reply.finish_reason, usage)
        if result.status == "ok" and self.cache is not None:
            request = {
                "model": self.model,
                "prompt_hash": prompt_hash,
                **self._parameters(),
                "snippet_message": messages[-1]["content"],
            }
            self.cache.cache_response(key, self.model, request, reply.content, reply.usage)
        return result

    @staticmethod
    def _since(started: float) -> float:
        return round(time.perf_counter() - started, 3)

    @staticmethod
    def _to_generation(
        snippet: SnippetView, content: str, finish_reason: str | None, usage: dict | None
    ) -> Generation:
        if finish_reason == "length":
            return Generation.failed(
                "the answer was cut off at the token limit (finish_reason 'length')",
                content,
                usage,
            )
        if finish_reason == "content_filter":
            return Generation.failed("the answer was withheld by a content filter", content, usage)
        try:
            pair = parse_pair(content, snippet.kind, snippet.entry_point)
        except AnswerError as error:
            return Generation.failed(f"unusable answer: {error}", content, usage)
        inputs = [TestInput(text, "llm") for text in pair.inputs]
        return Generation(pair.instruction, pair.code, pair.entry_point, inputs, content, usage)

    # -- requests with retries ---------------------------------------------------------------

    def _request_arguments(self, messages: list[dict[str, str]], use_schema: bool) -> dict:
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            **self._parameters(),
        }
        if use_schema:
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "instruction_code_pair",
                    "schema": PAIR_SCHEMA,
                    "strict": True,
                },
            }
        return arguments

    def _delay(self, attempt: int, response: httpx2.Response | None) -> float:
        """The server's Retry-After when it gives one, else exponential backoff with
        jitter (so that many threads that failed together don't retry together)."""
        if response is not None:
            for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
                try:
                    value = float(response.headers.get(header, "")) * scale
                except ValueError:
                    continue
                if 0 <= value <= self.retry_after_max_s:
                    return value
        ceiling = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)

    def _request(self, messages: list[dict[str, str]], on_token: TokenCallback | None) -> _Reply:
        attempts = 0
        use_schema = self._use_schema
        schema_refused = False
        partial = _Partial()
        while True:
            attempts += 1
            arguments = self._request_arguments(messages, use_schema)
            response: httpx2.Response | None = None
            try:
                if on_token is None:
                    content, finish, usage = self._complete(arguments)
                else:
                    content, finish, usage = self._stream(arguments, on_token, partial)
                if schema_refused:
                    log.warning(
                        "%s refuses json_schema response_format; asking without it", self.base_url
                    )
                    self._use_schema = False
                return _Reply(content, finish, usage, attempts)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
                # A server without structured output may refuse the schema: ask once more
                # without it; if that works, stop sending it.
                if use_schema and not schema_refused:
                    use_schema, schema_refused = False, True
                    attempts -= 1  # not a retry of the same request
                    continue
                raise _Failure(self._describe(error), _status_text(error), attempts) from None
            except openai.APIStatusError as error:
                retryable = error.status_code in RETRYABLE_STATUS or error.status_code >= 500
                response = error.response
                if not retryable or attempts > self.max_retries:
                    raise _Failure(self._describe(error), _status_text(error), attempts) from None
            except openai.APIConnectionError as error:  # timeouts included
                if partial.parts or attempts > self.max_retries:
                    raw = "".join(partial.parts)
                    raise _Failure(self._describe(error), raw, attempts) from None
            except _Failure as failure:
                failure.attempts = attempts
                raise
            except Exception as error:  # an answer the client cannot read: never retried
                raw = "".join(partial.parts) or str(getattr(error, "doc", "") or "")
                raise _Failure(self._describe(error), raw, attempts) from None
            delay = self._delay(attempts, response)
            log.debug("attempt %d failed; retrying in %.2fs", attempts, delay)
            time.sleep(delay)

    def _describe(self, error: Exception) -> str:
        if isinstance(error, openai.APITimeoutError):
            return f"timeout: no answer within {self.timeout_s:g}s"
        if isinstance(error, openai.APIStatusError):
            return f"HTTP {error.status_code}: {error.message}"
        if isinstance(error, openai.APIConnectionError):
            cause = error.__cause__
            return f"connection error: {cause or error}"
        return f"{type(error).__name__}: {error}"

    def _complete(self, arguments: dict[str, Any]) -> tuple[str, str | None, dict | None]:
        # The client's generic `post` (its documented way to send any body): the typed
        # `chat.completions.create` spends CPU per request on its TypedDict transform and
        # pydantic, which caps throughput at high concurrency. Errors, timeouts and auth
        # stay the client's.
        response = self._client.post("/chat/completions", cast_to=httpx2.Response, body=arguments)
        body = response.text
        try:
            completion = json.loads(body)
            choice = completion["choices"][0]
            content = choice["message"].get("content") or ""
            finish_reason = choice.get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            message = f"the server's answer is not a chat completion: {error!r}"
            raise _Failure(message, body) from None
        if not isinstance(content, str):
            raise _Failure("the server's answer has no text content", body)
        return content, finish_reason, _token_usage(completion.get("usage"))

    def _stream(
        self, arguments: dict[str, Any], on_token: TokenCallback, partial: _Partial
    ) -> tuple[str, str | None, dict | None]:
        finish: str | None = None
        usage: dict | None = None
        partial.parts.clear()
        stream = self._client.chat.completions.create(
            **arguments, stream=True, stream_options={"include_usage": True}
        )
        with stream:
            for chunk in stream:
                if chunk.usage is not None:
                    usage = _token_usage(chunk.usage)
                for choice in chunk.choices[:1]:
                    piece = choice.delta.content if choice.delta else None
                    if piece:
                        partial.parts.append(piece)
                        on_token(piece)
                    finish = choice.finish_reason or finish
        return "".join(partial.parts), finish, usage
