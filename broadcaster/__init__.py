"""broadcaster: speech, programmes and schedules for Vietnamese radio, TV and commune loudspeakers.

The package reads like the pipeline: ``text`` (documents to clean text) -> ``speech`` ->
``programme`` (built media, in ``media``'s store) -> ``schedule`` and ``planning`` (what each
station plays when) -> ``publish`` (numbered publications in every format) -> the station
``agent``, which pulls and plays them. ``db`` stores, ``app`` wires; ``cli``, ``web`` and
``service`` are the thin shells on top (see docs/architecture.md).
"""

__version__ = "0.1.0"
