"""The web stage: HTTP for stations (the pull protocol: playlists, media, reports) and the
operators' pages (``web.ui``, in Vietnamese, under ``/ui/``).

:func:`create_app` builds the FastAPI application for one :class:`~broadcaster.app.App`;
``broadcaster serve`` runs it on uvicorn.
"""

from broadcaster.web._metrics import Metrics
from broadcaster.web.api import WebSettings, create_app

__all__ = ["Metrics", "WebSettings", "create_app"]
