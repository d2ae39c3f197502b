"""``python -m tests.streams.fault_worker worker``: the real ``raqib worker`` with one injected send failure.

Used by ``tests/streams/test_fault_send.py`` to make ``Topic.send`` raise inside a real worker process, the
way a producer error would. With ``RAQIB_TEST_FAIL_SEND_KEY`` set, the first send of that key to
``RAQIB_TEST_FAIL_SEND_TOPIC`` raises ``RuntimeError`` (an error the delivery code cannot classify as
retriable or as a refused record); ``RAQIB_TEST_FAIL_SEND_MARKER`` is a file created at that moment, so
the injection happens once across restarts. Nothing else differs from ``raqib.tools.cli``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from faust.topics import Topic

from raqib.tools import cli

KEY = os.environ.get("RAQIB_TEST_FAIL_SEND_KEY", "").encode()
TOPIC = os.environ.get("RAQIB_TEST_FAIL_SEND_TOPIC", "raqib.articles.clean.v1")
MARKER = Path(os.environ.get("RAQIB_TEST_FAIL_SEND_MARKER", "/nonexistent/marker"))

_send = Topic.send


async def failing_send(self: Topic, *args: object, **kwargs: object):
    if KEY and kwargs.get("key") == KEY and self.get_topic_name() == TOPIC and not MARKER.exists():
        MARKER.write_text("failed once\n")
        raise RuntimeError(f"injected send failure for key {KEY.decode()!r} on {TOPIC}")
    return await _send(self, *args, **kwargs)


Topic.send = failing_send  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
