"""Screenshot pages of a running hub: `python scripts/shoot.py BASE_URL OUT_DIR path[@name] ...`.

Signs in as $SHOOT_EMAIL (default admin@example.com, password commerce-demo), then saves
OUT_DIR/<name>.png for each path at desktop width and OUT_DIR/<name>-phone.png with
--phone. Used to look at pages while building and to refresh the README's screenshots.
"""

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]


def main(argv: list[str]) -> None:
    phone = "--phone" in argv
    argv = [a for a in argv if a != "--phone"]
    base, out, paths = argv[0].rstrip("/"), Path(argv[1]), argv[2:]
    out.mkdir(parents=True, exist_ok=True)
    email = os.environ.get("SHOOT_EMAIL", "admin@example.com")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        sizes = [("", {"width": 1280, "height": 860})]
        if phone:
            sizes.append(("-phone", {"width": 390, "height": 844}))
        for suffix, viewport in sizes:
            page = browser.new_context(viewport=viewport).new_page()
            if email != "-":
                page.goto(f"{base}/login/")
                page.fill("#id_username", email)
                page.fill("#id_password", os.environ.get("SHOOT_PASSWORD", "commerce-demo"))
                page.click("button[type=submit]")
                page.wait_for_load_state()
            for spec in paths:
                path, _, name = spec.partition("@")
                name = name or (path.strip("/").replace("/", "-") or "home")
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}{suffix}.png"), full_page=True)
                print(out / f"{name}{suffix}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
