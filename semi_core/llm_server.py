"""A local OpenAI-compatible chat server for tests and demos: real HTTP on 127.0.0.1.

It speaks `POST /v1/chat/completions` (plain, streamed as server-sent events with
`stream: true`, JSON-schema `response_format`) and `GET /v1/models`, plus `GET /_stats`
(request count, requests in flight now and at most; `?reset=1` resets them) for benchmarks
in another process.

By default it answers with a plausible, correct pair made from the snippet code found in
the prompt's last user message: the original code itself as the rewrite, an instruction
built from the function's name and docstring, and a few argument lists guessed from its
parameters. So a demo runs end to end without any hosted model.

Latency and faults are scriptable, so that tests can make the backend meet every failure:

    with LocalLLMServer(latency_ms=50, rules={"def median": "malformed"}) as server:
        backend = OpenAIBackend(base_url=server.base_url, model=server.model)
        ...
        server.request_count, server.max_in_flight

Faults (see FAULTS) come from a queue consumed by arriving requests in order
(`faults=[...]`, `push_faults`), or from rules keyed by text found in the last user
message (`rules={needle: fault}`, `add_rule`): a string applies to every matching
request, a list is consumed one per matching request, then answers are normal again.
`None` in a queue or list means one normal answer.

A repair request (semi's repair prompt: its last user message holds two code blocks, the
original and then the rewrite to fix) is answered from the original, so that a rule of
`wrong_code` makes the model wrong every time and one of `wrong_first` wrong only until it
is shown its failing tests.

From a shell: `python -m semi_core.llm_server --port 8000 --latency-ms 200`.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS: dict[str, str] = {
    "429": "HTTP 429 rate limit (retryable)",
    "500": "HTTP 500 server error (retryable)",
    "503": "HTTP 503 overloaded (retryable)",
    "400": "HTTP 400 bad request (not retryable)",
    "slow": "answer only after `slow_s` seconds, past a client's timeout",
    "disconnect": "close the connection without answering",
    "bad_body": "HTTP 200 whose body is not JSON",
    "malformed": "message content that is broken JSON",
    "truncated": "content cut in the middle, finish_reason 'length'",
    "wrong_schema": "valid JSON with the wrong keys",
    "prose": "the JSON answer wrapped in chatty prose",
    "fenced": "the JSON answer inside a ```json fenced block",
    "empty": "empty message content",
    "wrong_code": "a well-formed pair whose code gives wrong results",
    "wrong_first": "wrong code on a first request, the original on a repair request",
}

DEFAULT_MODEL = "semi-local"

_FENCE = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL)
_ENTRY_POINT = re.compile(r"[Ee]ntry point:\s*`?([A-Za-z_]\w*)`?")


# ---------------------------------------------------------------------------------------
# The default answer: a correct pair derived from the code in the prompt
# ---------------------------------------------------------------------------------------

_LIST_NAMES = {"lst", "l", "arr", "array", "items", "xs", "values", "seq", "nums", "numbers"}
_STR_NAMES = {"s", "text", "string", "word", "name", "sentence", "char", "c", "line", "txt"}


def _literal_choices(arg: ast.arg) -> list[str]:
    """Three argument literals for one parameter, guessed from its annotation or name."""
    annotation = ast.unparse(arg.annotation).lower() if arg.annotation else ""
    name = arg.arg.lower()
    if any(word in annotation for word in ("list", "sequence", "iterable", "tuple")):
        kind = "list"
    elif "str" in annotation:
        kind = "str"
    elif "float" in annotation:
        kind = "float"
    elif "bool" in annotation:
        kind = "bool"
    elif "dict" in annotation or "mapping" in annotation:
        kind = "dict"
    elif "int" in annotation:
        kind = "int"
    elif name in _LIST_NAMES or (name.endswith("s") and len(name) > 3):
        kind = "list"
    elif name in _STR_NAMES or name.endswith(("_str", "_text", "_name")):
        kind = "str"
    else:
        kind = "int"
    return {
        "list": ["[1, 2, 3]", "[]", "[5, -1, 2, 2]"],
        "str": ["'abc'", "''", "'Hello World'"],
        "float": ["1.5", "0.0", "-2.25"],
        "bool": ["True", "False", "True"],
        "dict": ["{'a': 1}", "{}", "{'a': 1, 'b': 2}"],
        "int": ["3", "0", "10"],
    }[kind]


def guess_argument_lists(function: ast.FunctionDef) -> list[str]:
    """A few argument lists for `function`'s required parameters."""
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    required = positional[: len(positional) - len(arguments.defaults)]
    if required and required[0].arg in ("self", "cls"):
        required = required[1:]
    choices = [_literal_choices(arg) for arg in required]
    if not choices:
        return [""]
    return [", ".join(column[i] for column in choices) for i in range(3)]


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").strip().lower()


def _first_paragraph(docstring: str | None) -> str | None:
    if not docstring:
        return None
    paragraph = docstring.strip().split("\n\n")[0]
    paragraph = " ".join(line.strip() for line in paragraph.splitlines() if ">>>" not in line)
    return paragraph.strip() or None


def is_repair(prompt: str) -> bool:
    """Whether the last user message asks to fix a rewrite: it shows two code blocks."""
    return len(_FENCE.findall(prompt)) >= 2


def _locate_snippet(prompt: str) -> tuple[str, str, str | None, ast.Module | None]:
    blocks = _FENCE.findall(prompt)
    # A repair shows the original first, then the rewrite; a first request, the original.
    chosen = blocks[0] if len(blocks) >= 2 else blocks[-1] if blocks else prompt
    code = chosen.strip("\n") + "\n"
    named = _ENTRY_POINT.search(prompt)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, "function", named.group(1) if named else None, None
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    if named and named.group(1) in functions:
        return code, "function", named.group(1), tree
    if "input(" in code or "sys.stdin" in code or not functions:
        return code, "program", None, tree
    return code, "function", functions[-1], tree


def find_snippet(prompt: str) -> tuple[str, str, str | None]:
    """(code, kind, entry point) of the snippet in the last user message's text."""
    return _locate_snippet(prompt)[:3]


def default_pair(prompt: str) -> dict[str, Any]:
    """A plausible, correct answer for the snippet in `prompt`: its own code, an
    instruction from its name and docstring, and a few inputs."""
    code, kind, entry_point, tree = _locate_snippet(prompt)  # one parse: CPU is latency here
    if kind == "program" or tree is None:
        doc = _first_paragraph(ast.get_docstring(tree)) if tree else None
        instruction = "Write a Python program that reads its input from standard input"
        instruction += f" and prints the result: {doc}" if doc else " and prints the result."
        inputs = ["1\n", "3\n1 2 3\n", "5\n10 20 30 40 50\n"]
        return {
            "instruction": instruction,
            "code": code,
            "entry_point": None,
            "test_inputs": inputs,
        }
    function = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry_point
    )
    signature = f"{function.name}({ast.unparse(function.args)})"
    doc = _first_paragraph(ast.get_docstring(function))
    if doc:
        instruction = f"Write a Python function `{signature}`. {doc}"
    else:
        names = [f"`{a.arg}`" for a in function.args.args]
        takes = " and ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else ""
        instruction = (
            f'Write a Python function `{signature}` that implements "{_words(function.name)}"'
            + (
                f": it takes {takes} and returns the result."
                if takes
                else " and returns its result."
            )
        )
    return {
        "instruction": instruction,
        "code": code,
        "entry_point": entry_point,
        "test_inputs": guess_argument_lists(function),
    }


def wrong_code(code: str, entry_point: str | None) -> str:
    """The code made wrong on purpose: a program prints an extra line; a function's
    result is perturbed (numbers +1, text and lists extended, booleans negated)."""
    if entry_point is None:
        return code.rstrip("\n") + "\nprint('WRONG')\n"
    renamed = re.sub(
        rf"^(\s*def\s+){entry_point}\b",
        rf"\g<1>_original_{entry_point}",
        code,
        count=1,
        flags=re.MULTILINE,
    )
    return renamed.rstrip("\n") + (
        f"\n\n\ndef {entry_point}(*args, **kwargs):\n"
        f"    result = _original_{entry_point}(*args, **kwargs)\n"
        "    if isinstance(result, bool):\n"
        "        return not result\n"
        "    if isinstance(result, (int, float)):\n"
        "        return result + 1\n"
        "    if isinstance(result, (str, list, tuple)):\n"
        "        return result + result[:1] if result else result + type(result)('x')\n"
        "    return 'WRONG'\n"
    )


def _answer_text(pair: dict[str, Any], fault: str | None) -> tuple[str, str]:
    """(content, finish_reason) of an answer under a content fault."""
    text = json.dumps(pair)
    if fault == "malformed":
        return text.replace('", "', '" "', 1), "stop"  # a comma missing between two keys
    if fault == "truncated":
        return text[: max(len(text) * 3 // 5, 1)], "length"
    if fault == "wrong_schema":
        return json.dumps({"question": pair["instruction"], "answer": pair["code"]}), "stop"
    if fault == "prose":
        return (
            f"Sure! Here is the rewritten pair:\n\n{text}\n\nLet me know if you need more.",
            "stop",
        )
    if fault == "fenced":
        return f"```json\n{json.dumps(pair, indent=2)}\n```", "stop"
    if fault == "empty":
        return "", "stop"
    return text, "stop"


# ---------------------------------------------------------------------------------------
# The scripted faults
# ---------------------------------------------------------------------------------------

FaultSpec = str | Sequence[str | None] | None


class FaultScript:
    """Decides the fault of each request: rules by text in the prompt first, then a queue."""

    def __init__(
        self,
        faults: Iterable[str | None] | None = None,
        rules: Mapping[str, FaultSpec] | None = None,
    ):
        self._lock = threading.Lock()
        self._queue: deque[str | None] = deque()
        self._rules: list[tuple[str, str | deque[str | None]]] = []
        self.push(*(faults or ()))
        for needle, spec in (rules or {}).items():
            self.add_rule(needle, spec)

    @staticmethod
    def _check(fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")

    def push(self, *faults: str | None) -> None:
        for fault in faults:
            self._check(fault)
        with self._lock:
            self._queue.extend(faults)

    def add_rule(self, needle: str, spec: FaultSpec) -> None:
        """`spec`: a fault for every request whose prompt contains `needle`, or a list
        consumed one per such request."""
        values = [spec] if isinstance(spec, str) or spec is None else list(spec)
        for fault in values:
            self._check(fault)
        rule = spec if isinstance(spec, str) else deque(values)
        with self._lock:
            self._rules.append((needle, rule))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._rules.clear()

    def next_fault(self, prompt: str) -> str | None:
        with self._lock:
            for needle, rule in self._rules:
                if needle in prompt:
                    if isinstance(rule, str):
                        return rule
                    if rule:
                        return rule.popleft()
            return self._queue.popleft() if self._queue else None


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _last_user_text(messages: Any) -> str:
    if not isinstance(messages, list):
        return ""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return _message_text(users[-1]) if users else ""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connect at once at high concurrency
    llm: LocalLLMServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a client's pool reuses its connections
    # Buffered writes: headers and body leave in one segment when the handler returns
    # (or at each explicit flush, as streaming does): fewer wake-ups on both sides.
    wbufsize = -1
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Answers go out in several writes; without NODELAY, Nagle and delayed ACKs add
        # ~40 ms to each request on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass  # quiet: tests and benchmarks would drown in access lines

    # -- plumbing -----------------------------------------------------------------------

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, kind: str) -> None:
        self._send_json(status, {"error": {"message": message, "type": kind, "code": kind}})

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # -- routes -------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's handler name
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            model = self.server.llm.model
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": model, "object": "model", "created": 0, "owned_by": "semi"}],
                },
            )
        elif self.path.startswith("/_stats"):  # ours, for benchmarks in another process
            llm = self.server.llm
            stats = {
                "requests": llm.request_count,
                "max_in_flight": llm.max_in_flight,
                "in_flight": llm.in_flight,
            }
            if "reset=1" in self.path:
                llm.reset_counters()
            self._send_json(200, stats)
        else:
            self._send_error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:  # noqa: N802
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(404, f"no route {self.path}", "not_found")
            return
        llm = self.server.llm
        llm._enter()
        try:
            self._chat(llm, raw, arrived)
            self.wfile.flush()  # here, so that a client that went away is caught below
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (its timeout): nothing to do
        finally:
            llm._leave()

    def _chat(self, llm: LocalLLMServer, raw: bytes, arrived: float) -> None:
        def wait() -> None:
            # The latency counts from the request's arrival and includes our own work,
            # as a model server's does: what a client measures is exactly `latency_ms`.
            remaining = arrived + llm.latency_s - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)
            if fault == "slow":
                time.sleep(llm.slow_s)

        fault: str | None = None
        try:
            request = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            llm._record({"fault": None, "error": "bad request body"})
            self._send_error(400, "the request body is not JSON", "invalid_request_error")
            return
        prompt = _last_user_text(request.get("messages"))
        fault = llm.script.next_fault(prompt)
        response_format = request.get("response_format") or {}
        stream = bool(request.get("stream"))
        llm._record(
            {
                "fault": fault,
                "stream": stream,
                "model": request.get("model"),
                "response_format": response_format.get("type"),
                "prompt": prompt,
                "authorization": self.headers.get("Authorization"),
            }
        )
        if fault in ("429", "500", "503", "400"):
            kinds = {
                "429": "rate_limit_exceeded",
                "500": "server_error",
                "503": "overloaded",
                "400": "invalid_request_error",
            }
            wait()
            self._send_error(int(fault), f"scripted fault {fault}", kinds[fault])
            return
        if fault == "disconnect":
            wait()
            self.close_connection = True
            return
        if fault == "bad_body":
            wait()
            self._send_json(200, b'{"id": "chatcmpl-broken", "choices": [')
            return
        if response_format.get("type") == "json_schema" and not llm.json_schema:
            wait()
            message = "response_format json_schema is not supported by this server"
            self._send_error(400, message, "invalid_request_error")
            return
        pair = default_pair(prompt)
        if fault == "wrong_code" or (fault == "wrong_first" and not is_repair(prompt)):
            pair["code"] = wrong_code(pair["code"], pair["entry_point"])
        content, finish_reason = _answer_text(pair, fault)
        usage = {
            "prompt_tokens": max(len(raw) // 4, 1),
            "completion_tokens": len(content) // 4,
            "total_tokens": max(len(raw) // 4, 1) + len(content) // 4,
        }
        model = request.get("model") or llm.model
        completion_id = f"chatcmpl-{llm.request_count}"
        wait()
        if stream:
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            self._stream(
                llm, completion_id, model, content, finish_reason, usage if include_usage else None
            )
            return
        self._send_json(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": finish_reason,
                        "logprobs": None,
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": usage,
            },
        )

    def _stream(
        self,
        llm: LocalLLMServer,
        completion_id: str,
        model: str,
        content: str,
        finish_reason: str,
        usage: dict[str, int] | None,
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())

        event({"role": "assistant", "content": ""})
        step = max(len(content) // llm.stream_pieces, 1)
        for start in range(0, len(content), step):
            if llm.token_delay_s:
                time.sleep(llm.token_delay_s)
            event({"content": content[start : start + step]})
        event({}, finish_reason)
        if usage is not None:
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": usage,
            }
            self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class LocalLLMServer:
    """The server, started in a background thread: `with LocalLLMServer() as server:`.

    `latency_ms`: wait before each answer (time to first token when streaming);
    `faults`: a queue of faults, or a mapping taken as `rules`; `rules`: needle → fault(s);
    `json_schema=False`: refuse `response_format` json_schema with HTTP 400, as servers
    without structured output do; `slow_s`: the extra wait of the "slow" fault;
    `token_delay_ms`: pause between streamed pieces, for watching a stream in a demo.
    """

    def __init__(
        self,
        latency_ms: float = 0.0,
        faults: Iterable[str | None] | Mapping[str, FaultSpec] | None = None,
        rules: Mapping[str, FaultSpec] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = DEFAULT_MODEL,
        json_schema: bool = True,
        slow_s: float = 2.0,
        token_delay_ms: float = 0.0,
        stream_pieces: int = 12,
    ):
        if isinstance(faults, Mapping):
            rules, faults = {**faults, **(rules or {})}, None
        self.script = FaultScript(faults, rules)
        self.latency_s = latency_ms / 1000
        self.slow_s = slow_s
        self.token_delay_s = token_delay_ms / 1000
        self.stream_pieces = max(stream_pieces, 1)
        self.model = model
        self.json_schema = json_schema
        self.host, self._port = host, port
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        self.request_count = 0
        self.requests: list[dict[str, Any]] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ----------------------------------------------------------------------

    def push_faults(self, *faults: str | None) -> None:
        self.script.push(*faults)

    def add_rule(self, needle: str, spec: FaultSpec) -> None:
        self.script.add_rule(needle, spec)

    def clear_faults(self) -> None:
        self.script.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self.request_count = 0
            self.max_in_flight = self._in_flight
            self.requests.clear()

    @property
    def faults_seen(self) -> list[str | None]:
        """The fault applied to each chat request so far, in arrival order."""
        with self._lock:
            return [r.get("fault") for r in self.requests]

    # -- counters (called by the handler threads) ---------------------------------------

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.request_count += 1
            self.requests.append({"at": time.time(), **entry})

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # -- life cycle ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def bind(self) -> LocalLLMServer:
        """Open the listening socket (port 0 picks a free port), without serving yet."""
        if self._httpd is None:
            self._httpd = _HTTPServer((self.host, self._port), _Handler)
            self._httpd.llm = self
        return self

    def start(self) -> LocalLLMServer:
        """Serve in a background thread."""
        self.bind()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="local-llm-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread (the command-line entry) until interrupted."""
        httpd = self.bind()._httpd
        try:
            httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LocalLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _parse_rule(text: str) -> tuple[str, str]:
    needle, sep, fault = text.rpartition("=")
    if not sep or not needle:
        raise argparse.ArgumentTypeError(f"expected NEEDLE=FAULT, got {text!r}")
    return needle, fault


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m semi_core.llm_server",
        description="A local OpenAI-compatible chat server for tests and demos.",
        epilog="faults: " + "; ".join(f"{name}: {doc}" for name, doc in FAULTS.items()),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--token-delay-ms", type=float, default=0.0)
    parser.add_argument("--slow-s", type=float, default=2.0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument(
        "--no-json-schema",
        action="store_true",
        help="answer json_schema response_format with HTTP 400",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=list(FAULTS),
        help="queue a fault for the next request (repeatable)",
    )
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        type=_parse_rule,
        metavar="NEEDLE=FAULT",
        help="a fault for prompts containing NEEDLE",
    )
    args = parser.parse_args(argv)
    server = LocalLLMServer(
        args.latency_ms,
        args.fault,
        dict(args.rule),
        host=args.host,
        port=args.port,
        model=args.model,
        json_schema=not args.no_json_schema,
        slow_s=args.slow_s,
        token_delay_ms=args.token_delay_ms,
    )
    server.bind()
    print(f"serving an OpenAI-compatible API on {server.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
