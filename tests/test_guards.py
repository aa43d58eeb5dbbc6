"""The test guards themselves work, and importing the framework stays light."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_external_connections_are_refused() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match=r"only 127\.0\.0\.1"):
        sock.connect(("93.184.216.34", 443))


def test_import_debate_loads_no_provider_sdk_or_heavy_library() -> None:
    code = (
        "import sys, debate, judges, protocols, transcripts, evals\n"
        "heavy = {'openai', 'anthropic', 'torch', 'transformers', 'matplotlib', 'scipy'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
