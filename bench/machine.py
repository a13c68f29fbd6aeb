"""What a benchmark ran on, for its report: the installed version of a package, the
version line of a tool, the CPU's model."""
from __future__ import annotations

import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Optional, Sequence


def package_version(dist: str) -> Optional[str]:
    """The installed version of the distribution ``dist``; None when it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def tool_version(command: Sequence[str]) -> Optional[str]:
    """The first line ``command`` prints (e.g. ``espeak-ng --version``); None when the
    tool is not installed or fails."""
    if shutil.which(command[0]) is None:
        return None
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else None


def cpu_model() -> Optional[str]:
    """The CPU's model name from /proc/cpuinfo; None where there is none."""
    try:
        return next((line.split(":", 1)[1].strip()
                     for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), None)
    except OSError:
        return None
