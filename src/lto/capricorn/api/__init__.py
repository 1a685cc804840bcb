"""The REST API (FastAPI) over capricorn's service layer: ``create_app(services, config)``."""

from lto.capricorn.api.app import create_app
from lto.capricorn.api.config import ApiConfig

__all__ = ["ApiConfig", "create_app"]
