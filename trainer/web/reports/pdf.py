"""The scorecard as a PDF: the page's own print layout, rendered by WeasyPrint when installed."""

from __future__ import annotations

import logging
import mimetypes
import warnings
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

#: The origin the page is rendered as; its URLs never leave this module (see _static_fetcher).
BASE_URL = "http://trainer.invalid/"


@cache
def available() -> bool:
    """Whether WeasyPrint imports here (it needs the system's Pango as well as the package)."""
    # Its advice about optional system libraries (HarfBuzz-Subset) is logged, not raised: under
    # `-W error` a warning at import would otherwise turn the scorecard page into a 500.
    with warnings.catch_warnings(record=True) as advice:
        warnings.simplefilter("always")
        try:
            import weasyprint  # noqa: F401
        except (ImportError, OSError):
            return False
    for warning in advice:
        logger.warning("WeasyPrint: %s", warning.message)
    return True


def render(html: str, static_folder: Path, static_url_path: str) -> bytes:
    """The PDF of a page, its stylesheets read from ``static_folder`` and nothing else fetched."""
    from weasyprint import HTML

    fetcher = _static_fetcher(static_folder.resolve(), static_url_path.rstrip("/") + "/")
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()


def _static_fetcher(root: Path, prefix: str):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFiles(URLFetcher):
        """Serves the app's static files; any other URL is refused, so a page cannot make the
        server fetch something on the network or read a file outside ``static/``."""

        def fetch(self, url: str, headers=None) -> URLFetcherResponse:
            parts = urlsplit(url)
            path = unquote(parts.path)
            if url.startswith(BASE_URL) and path.startswith(prefix):
                file = (root / path[len(prefix) :]).resolve()
                if file.is_relative_to(root) and file.is_file():
                    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, body=file.read_bytes(), headers={"Content-Type": kind}
                    )
            raise ValueError(f"{url}: only the app's static files are read for a PDF")

    return StaticFiles()
