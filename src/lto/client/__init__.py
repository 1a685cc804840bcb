"""A small Python client for LTO's REST API (httpx): what the web app, scripts and notebooks
use. ``LtoClient()`` reads ``LTO_API_URL`` and ``LTO_API_KEY`` when not given them.

    >>> from lto.client import LtoClient
    >>> lto = LtoClient("http://127.0.0.1:8000", api_key="lto_...")
    >>> job = lto.submit_job({"na": 0.85, "wavelength_nm": 193, ...})
    >>> lto.wait_for_job(job["id"])["state"]
    'completed'
"""

from lto.client.client import ApiError, LtoClient, Unreachable

__all__ = ["ApiError", "LtoClient", "Unreachable"]
