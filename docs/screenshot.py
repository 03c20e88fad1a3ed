"""Take the README's screenshot of the demo page: serve a model, upload a clip, save a PNG.

    python docs/screenshot.py MODEL CLIP docs/demo.png

Needs what the demo's browser test needs: ``pip install -e ".[demo,e2e]"`` and Debian's
``chromium`` (never ``playwright install``). The clip is uploaded as a user would; it is not
copied anywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("clip")
    parser.add_argument("output")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1240)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(root), os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen(
        [sys.executable, "-m", "sersk", "demo", args.model, "--port", str(port), "--no-browser"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("SERSK_CHROMIUM") or shutil.which("chromium"),
                args=CHROMIUM_ARGS,
            )
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(url)
            page.locator('input[type="file"]').set_input_files(args.clip)
            page.get_by_text("Predicted emotion:").wait_for(timeout=120_000)
            page.locator('[data-testid="stImage"]').nth(1).wait_for(timeout=60_000)
            page.wait_for_timeout(2000)  # the chart's drawing animation
            page.screenshot(path=args.output)
            print(page.get_by_text("Predicted emotion:").inner_text())
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
