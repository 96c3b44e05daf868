"""The embedded server's filesystem broker, with messages written whole.

kombu's filesystem transport creates a message's file under its final name and
then writes it; a worker polling the folder can move and read it in between,
get half a message and die on it (seen with twenty sweep agents at once). Here
a message is written under a name the worker skips, then renamed: a rename in
one folder is atomic, so a worker sees the whole message or none.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # (kombu's filesystem channel names the argument `payload`, its base class `message`)
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # The name kombu gives (its order is the time); the worker reads only `*.<queue>.msg`.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        partial = f"{path}.partial"
        try:
            with open(partial, "wb") as fh:
                fh.write(dumps(payload).encode())
            os.replace(partial, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
