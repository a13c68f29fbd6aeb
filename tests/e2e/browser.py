"""Headless Chromium driven by Selenium, with a WAV file as its microphone.

The browser and its driver are the Debian packages ``chromium`` and ``chromium-driver``
(``.ci/run`` installs them). Selenium is given that chromedriver, so Selenium Manager
never downloads anything. Without them the browser tests are skipped on a laptop and
fail in CI (``CI`` set).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Tuple

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from simulation.synthetic_audio import require_tool

# Quiet and reproducible: no sandbox (CI containers run as root), and nothing fetched
# behind the test's back (updates, sync, field trials).
BASE_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=900,1100",
    # A fake microphone device, so that CI machines without one behave like a laptop.
    "--use-fake-device-for-media-stream",
)


def require_chromium() -> Tuple[str, str]:
    """The paths of Chromium and its driver; skip (or fail in CI) without them."""
    return require_tool("chromium"), require_tool("chromedriver", package="chromium-driver")


def launch_chromium(
    profile: Path, microphone: Optional[Path] = None, extra_flags: Sequence[str] = ()
) -> webdriver.Chrome:
    """A headless Chromium with a fresh profile in ``profile``.

    ``microphone``: a WAV that the fake microphone plays, once, from the moment a page
    opens it; the permission prompt is then answered yes. Without it the prompt is not
    answered for the page: the test grants or denies the permission itself.
    """
    browser, driver = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*BASE_FLAGS, f"--user-data-dir={profile}", *extra_flags):
        options.add_argument(flag)
    if microphone is not None:
        options.add_argument("--use-fake-ui-for-media-stream")
        # "%noloop": Chromium would otherwise play the file again and again.
        options.add_argument(f"--use-file-for-fake-audio-capture={microphone}%noloop")
    return webdriver.Chrome(service=Service(driver), options=options)
