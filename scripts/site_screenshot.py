"""Take docs/site.png: a page of the generated site in the system's chromium at desktop width.

Usage (after `kgbuild build` and `kgbuild site`):

    python scripts/site_screenshot.py [--site dist/site] [--page timeline.html]
                                      [--out docs/site.png]

It drives Debian's chromium (`apt-get install chromium`) with playwright, as
tests/test_site_browser.py does; no browser is downloaded and no request leaves file://.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("dist/site"), help="the site folder")
    parser.add_argument("--page", default="timeline.html", help="the page, relative to --site")
    parser.add_argument("--out", type=Path, default=Path("docs/site.png"), help="the PNG file")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)

    page_file = args.site / args.page
    if not page_file.is_file():
        print(f"{page_file}: no such page; run `kgbuild site` first", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).is_file():
        print("no system chromium: apt-get install chromium", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            # The site needs no network; refuse it, so the picture shows exactly that.
            page.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
        finally:
            browser.close()
    print(f"Wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
