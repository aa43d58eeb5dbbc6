"""A fake OpenAI / Anthropic API server on 127.0.0.1, for tests and benchmarks.

It speaks OpenAI chat completions (``POST /v1/chat/completions``) and Anthropic messages
(``POST /v1/messages``) over real HTTP, so provider backends are tested through the real SDKs.
Replies come from any ``Backend`` (usually a ``ScriptedBackend`` or ``FunctionBackend``: the
same doubles the rest of the test suite uses), and the server injects latency and faults:
429 with Retry-After, 500, timeouts (a reply that never comes in time), malformed JSON, a 200
HTML page (as a proxy sends), JSON of the wrong shape and truncated bodies. It binds 127.0.0.1
only and needs ``aiohttp`` (imported lazily).

Use it in-process (``async with FakeAPIServer(backend) as server: server.base_url``) or as
a separate process (``python -m debate.models.fake_server``, see ``main``),
which keeps the server's CPU off the client's event loop in benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

from debate.models.base import Backend, GenerateRequest, GenerateResponse
from debate.models.fake_faults import BAD_BODIES, FAULTS, Fault, FaultPlan, ServedRequest
from debate.models.fake_wire import (
    Api,
    anthropic_body,
    anthropic_request,
    error_body,
    openai_body,
    openai_request,
)

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["FAULTS", "FakeAPIServer", "Fault", "FaultPlan", "ServedRequest", "main"]


class FakeAPIServer:
    """Serves a ``Backend`` as the OpenAI and Anthropic HTTP APIs on 127.0.0.1.

    ``api_key``: when set, requests must carry it (``Authorization: Bearer`` or
    ``x-api-key``) or get a 401; ``echo_key_in_errors`` makes that 401 quote the key it got,
    as careless real servers do, so tests can check that clients redact it.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        faults: FaultPlan | None = None,
        latency_s: float = 0.0,
        api_key: str | None = None,
        echo_key_in_errors: bool = False,
        port: int = 0,
        keep_requests: bool = True,
        on_request: Callable[[ServedRequest], None] | None = None,
    ) -> None:
        self.backend = backend
        self.faults = faults or FaultPlan()
        self.latency_s = latency_s
        self.api_key = api_key
        self.echo_key_in_errors = echo_key_in_errors
        self.port = port
        self.keep_requests = keep_requests
        self.on_request = on_request
        self.requests: list[ServedRequest] = []
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(self.faults.seed)
        self._script = list(self.faults.script)
        self._runner: web.AppRunner | None = None
        self._served = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the Anthropic SDK's base_url)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (the OpenAI SDK's base_url)."""
        return f"{self.url}/v1"

    def _draw(self) -> Fault:
        if self._script:
            return self._script.pop(0)
        roll = self._rng.random()
        for name in FAULTS:
            rate: float = getattr(self.faults, name)
            if roll < rate:
                return name
            roll -= rate
        return "ok"

    def _authorized(self, request: web.Request) -> tuple[bool, str]:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        given = bearer or request.headers.get("x-api-key", "")
        return (self.api_key is None or given == self.api_key), given

    async def _handle(self, request: web.Request, api: Api) -> web.StreamResponse:
        from aiohttp import web

        self._served += 1
        number = self._served
        authorized, given = self._authorized(request)
        if not authorized:
            self.counts["unauthorized"] += 1
            shown = f": {given}" if self.echo_key_in_errors else ""
            body = error_body(api, "authentication_error", f"invalid API key{shown}")
            return web.json_response(body, status=401)
        try:
            payload = await request.json()
            parse = openai_request if api == "openai" else anthropic_request
            generate_request = parse(payload)
        except (ValueError, KeyError, TypeError) as exc:
            self.counts["bad_request"] += 1
            return web.json_response(
                error_body(api, "invalid_request_error", f"bad request: {exc}"), status=400
            )
        fault = self._draw()
        self.counts[fault] += 1
        served = ServedRequest(api, generate_request, fault, bool(given), payload)
        if self.keep_requests:
            self.requests.append(served)
        if self.on_request is not None:
            self.on_request(served)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if fault == "rate_limit":
            return web.json_response(
                error_body(api, "rate_limit_error", "rate limited (fake)"),
                status=429,
                headers={"Retry-After": f"{self.faults.retry_after_s:g}"},
            )
        if fault == "server_error":
            return web.json_response(
                error_body(api, "api_error", "internal error (fake)"), status=500
            )
        if fault == "timeout":
            await asyncio.sleep(self.faults.hang_s)
        if fault in BAD_BODIES:
            text, content_type = BAD_BODIES[fault]
            return web.Response(text=text, status=200, content_type=content_type)
        response = await self.backend.generate(generate_request)
        make = openai_body if api == "openai" else anthropic_body
        data = json.dumps(make(generate_request, response, number)).encode()
        if fault == "truncated":
            return await self._truncated(request, data)
        return web.Response(body=data, status=200, content_type="application/json")

    async def _truncated(self, request: web.Request, data: bytes) -> web.StreamResponse:
        """Promise the whole body, send half, and drop the connection."""
        from aiohttp import web

        stream = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        stream.content_length = len(data)
        await stream.prepare(request)
        await stream.write(data[: len(data) // 2])
        if request.transport is not None:
            request.transport.close()
        return stream

    async def start(self) -> Self:
        from aiohttp import web

        async def openai_handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, "openai")

        async def anthropic_handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, "anthropic")

        app = web.Application()
        app.router.add_post("/v1/chat/completions", openai_handler)
        app.router.add_post("/v1/messages", anthropic_handler)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))  # loopback only, never a public interface
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, backlog=1024).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def served(self, fault: Fault | None = None) -> Sequence[ServedRequest]:
        """Requests served so far, optionally only those given ``fault``."""
        return [r for r in self.requests if fault is None or r.fault == fault]


def default_reply(request: GenerateRequest) -> GenerateResponse:
    """The reply of a server started without ``--reply``: a short speech ending in a verdict
    line, or, when token logprobs are asked for, the letter ``A`` with its alternatives."""
    if request.extra.get("logprobs"):
        top = [{"token": "A", "logprob": -0.5108}, {"token": "B", "logprob": -0.9163}]
        entries = [{"token": "A", "logprob": -0.5108, "top_logprobs": top}]
        return GenerateResponse(text="A", extra={"logprobs": entries})
    return GenerateResponse(text="I stand by my answer.\nProbabilities: A=0.6, B=0.4")


async def serve(server: FakeAPIServer, log_path: str | None, ready: str) -> None:
    """Run until cancelled; print ``ready`` (with the URL) once listening.

    With ``log_path``, append one JSON line (api, model, seed, fault, arrival time ``t`` in
    seconds since the epoch) per request, flushed at once, so a test can see which calls a
    killed client made and a benchmark the rate they arrived at.
    """
    with contextlib.ExitStack() as stack:
        if log_path:
            log = stack.enter_context(open(log_path, "a", buffering=1))

            def record(served: ServedRequest) -> None:
                entry = {"api": served.api, "model": served.request.model, "t": time.time()}
                log.write(json.dumps({**entry, "seed": served.request.seed, "fault": served.fault}))
                log.write("\n")

            server.on_request = record
        await server.start()
        print(ready.format(url=server.url), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m debate.models.fake_server``: serve until killed (benchmarks, CLI tests)."""
    import argparse

    from debate.imports import import_target
    from debate.models.doubles import FunctionBackend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--reply", help="module:function computing the reply from a request")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--api-key", help="require this key")
    parser.add_argument("--faults", default="{}", help="FaultPlan as JSON")
    parser.add_argument("--log", help="append one JSON line (model, seed, fault) per request")
    args = parser.parse_args(argv)
    fn = import_target(args.reply) if args.reply else default_reply
    server = FakeAPIServer(
        FunctionBackend(fn, name=args.reply or "default"),
        faults=FaultPlan.model_validate_json(args.faults),
        latency_s=args.latency,
        api_key=args.api_key,
        port=args.port,
        keep_requests=False,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(server, args.log, "listening on {url}"))


if __name__ == "__main__":
    main()
