"""broadcaster: speech, programmes and schedules for Vietnamese radio, TV and commune loudspeakers.

The package reads like the pipeline: ``text`` -> ``speech`` -> ``media`` (clips), with ``db``
for storage and ``cli`` as the thin shell on top.
"""

__version__ = "0.1.0"
