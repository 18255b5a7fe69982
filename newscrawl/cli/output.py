"""Writing a file so that it appears under its final name only once complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from newscrawl.cli.errors import CliError


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside target; rename it to target only if the block succeeds.

    The temporary file is in the same folder, so the final rename is atomic and an
    interrupted export leaves no partial file under the final name. A failed write (a full disk)
    becomes one CliError line, and the temporary file is removed.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise CliError(f"cannot write to {target}: {error.strerror or error}") from error
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        os.replace(temporary_path, target)
    except OSError as error:
        raise CliError(f"cannot write to {target}: {error.strerror or error}; nothing was written under that name") from error
    finally:
        temporary_path.unlink(missing_ok=True)
